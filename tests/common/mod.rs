//! Helpers shared by the integration tests: temporary strategy and data files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A deterministic pseudo-random sequence (64-bit LCG), so tests need no RNG crate.
pub struct Lcg(pub u64);

impl Lcg {
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Weekday dates from 2020-01-01 on, as text.
pub fn weekdays(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = rotor::date::from_ymd(2020, 1, 1);
    while out.len() < n {
        if rotor::date::weekday(d) <= 5 {
            out.push(rotor::date::format(d));
        }
        d += 1;
    }
    out
}

/// A random-walk price path of `n` bars from `start`, daily moves uniform in [-2 %, 2.1 %).
pub fn walk(rng: &mut Lcg, start: f64, n: usize) -> Vec<f64> {
    let mut p = vec![start];
    for _ in 1..n {
        let last = p[p.len() - 1];
        p.push(last * (1.0 + rng.range(-0.02, 0.021)));
    }
    p
}

/// `dir/data/a.csv` and `dir/data/b.csv`: two random walks (from 100 and 50, column `close`)
/// on `bars` weekdays from 2020-01-01, seeded; returns the dates.
pub fn two_assets(dir: &Path, bars: usize, seed: u64) -> Vec<String> {
    let dates = weekdays(bars);
    let mut rng = Lcg(seed);
    let (a, b) = (walk(&mut rng, 100.0, bars), walk(&mut rng, 50.0, bars));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    write(&dir.join("data"), "a.csv", &csv(&dates, &[("close", &a)]));
    write(&dir.join("data"), "b.csv", &csv(&dates, &[("close", &b)]));
    dates
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A CSV with a date column and the given numeric columns.
pub fn csv(dates: &[String], cols: &[(&str, &[f64])]) -> String {
    let mut s = String::from("date");
    for (n, _) in cols {
        s.push(',');
        s.push_str(n);
    }
    s.push('\n');
    for (i, d) in dates.iter().enumerate() {
        s.push_str(d);
        for (_, v) in cols {
            s.push(',');
            s.push_str(&format!("{}", v[i]));
        }
        s.push('\n');
    }
    s
}

/// A TOML string literal for a path.
pub fn lit(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// Runs the `rotor` binary built for these tests.
pub fn rotor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args(args)
        .output()
        .unwrap()
}

/// Everything the command printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
