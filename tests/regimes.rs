//! Regimes: the statistics of each regime against a plain-loop computation from the prices.
// Index loops mirror the hand calculations they check.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use rotor::stats::bootstrap::{block_indices, replicate_rng};
use serde_json::Value;
use std::path::{Path, PathBuf};

const N: usize = 900;

struct Data {
    dir: tempfile::TempDir,
    dates: Vec<String>,
    a: Vec<f64>,
    b: Vec<f64>,
    /// Cash return of each bar, as a fraction.
    rf: Vec<f64>,
    strategy: PathBuf,
}

/// Holds `a` from the first close (no costs, same-close fill), so the strategy's daily returns
/// are a's; the benchmark holds `b`. Cash earns a per-day return series.
fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(N);
    let mut rng = Lcg(5);
    let (mut a, mut b) = (vec![100.0], vec![50.0]);
    for _ in 1..N {
        a.push(a.last().unwrap() * (1.0 + rng.range(-0.021, 0.022)));
        b.push(b.last().unwrap() * (1.0 + rng.range(-0.015, 0.016)));
    }
    let rf_pct: Vec<f64> = (0..N).map(|i| 0.004 + (i % 7) as f64 * 0.001).collect();
    let pa = write(dir.path(), "a.csv", &csv(&dates, &[("close", &a)]));
    let pb = write(dir.path(), "b.csv", &csv(&dates, &[("close", &b)]));
    let pr = write(dir.path(), "rf.csv", &csv(&dates, &[("rf", &rf_pct)]));
    let text = format!(
        r#"version = 1
name = "regimes"
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[cash]
rate = {{ file = {}, column = "rf", kind = "returns", unit = "percent" }}
[signals]
up = "a > lag(a, 1)"
[[rules]]
otherwise = true
weights = {{ a = 1 }}
[execution]
fill = "close"
[benchmarks]
b = "b"
[regimes]
a_rose = "up"
february = "month() == 2"
never = "a < 0"
"#,
        lit(&pa),
        lit(&pb),
        lit(&pr)
    );
    let strategy = write(dir.path(), "s.toml", &text);
    Data {
        dir,
        dates,
        a,
        b,
        rf: rf_pct.iter().map(|v| v / 100.0).collect(),
        strategy,
    }
}

fn run(d: &Data, out: &Path, threads: &str) -> (String, Value) {
    let o = rotor(&[
        "--threads",
        threads,
        "run",
        d.strategy.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
        "--no-report",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let json = std::fs::read_to_string(out.join("stats.json")).unwrap();
    (text(&o), serde_json::from_str(&json).unwrap())
}

/// The plain-loop statistics of returns `r` (cash `rf`) on the days in `days`.
struct Expected {
    days: usize,
    spells: usize,
    annual_return: f64,
    volatility: f64,
    sharpe: f64,
    hit_rate: f64,
    worst_drawdown: f64,
}

fn expected(r: &[f64], rf: &[f64], days: &[bool]) -> Expected {
    let mut x = vec![];
    let mut e = vec![];
    let mut spells = 0;
    for i in 0..r.len() {
        if days[i] {
            x.push(r[i]);
            e.push(r[i] - rf[i]);
            if i == 0 || !days[i - 1] {
                spells += 1;
            }
        }
    }
    let m = x.len() as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let sd = |v: &[f64]| {
        let mu = mean(v);
        (v.iter().map(|y| (y - mu).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
    };
    let (mut level, mut peak, mut worst) = (1.0f64, 1.0f64, 0.0f64);
    for v in &x {
        level *= 1.0 + v;
        peak = peak.max(level);
        worst = worst.min(level / peak - 1.0);
    }
    Expected {
        days: x.len(),
        spells,
        annual_return: x.iter().map(|v| 1.0 + v).product::<f64>().powf(252.0 / m) - 1.0,
        volatility: sd(&x) * 252f64.sqrt(),
        sharpe: mean(&e) / sd(&e) * 252f64.sqrt(),
        hit_rate: x.iter().filter(|v| **v > 0.0).count() as f64 / m,
        worst_drawdown: worst,
    }
}

fn close(got: &Value, want: f64, what: &str) {
    let g = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!(
        (g - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {g} vs {want}"
    );
}

fn check_perf(got: &Value, want: &Expected, what: &str) {
    close(&got["annual_return"], want.annual_return, what);
    close(&got["volatility"], want.volatility, what);
    close(&got["sharpe"], want.sharpe, what);
    close(&got["hit_rate"], want.hit_rate, what);
    close(&got["worst_drawdown"], want.worst_drawdown, what);
}

/// The 95 % percentile interval of (annualised a - annualised b) over block-bootstrap samples
/// of the paired days, written out with products (rotor sums logs).
fn interval(a: &[f64], b: &[f64]) -> (f64, f64) {
    let m = a.len();
    let ann = |r: &[f64], idx: &[usize]| {
        idx.iter()
            .map(|&j| 1.0 + r[j])
            .product::<f64>()
            .powf(252.0 / m as f64)
            - 1.0
    };
    let mut reps: Vec<f64> = (0..1000)
        .map(|i| {
            let idx = block_indices(&mut replicate_rng(42, i), m, 20);
            ann(a, &idx) - ann(b, &idx)
        })
        .collect();
    reps.sort_by(f64::total_cmp);
    // Positions 0.025 x 999 = 24.975 and 0.975 x 999 = 974.025.
    (
        reps[24] + (reps[25] - reps[24]) * 0.975,
        reps[974] + (reps[975] - reps[974]) * 0.025,
    )
}

#[test]
fn regime_statistics_equal_a_plain_loop() {
    let d = data();
    let out = d.dir.path().join("out");
    let (summary, json) = run(&d, &out, "2");
    let ra: Vec<f64> = (1..N).map(|t| d.a[t] / d.a[t - 1] - 1.0).collect();
    let rb: Vec<f64> = (1..N).map(|t| d.b[t] / d.b[t - 1] - 1.0).collect();
    let rf = &d.rf[1..];
    // Whether each regime held at close t, by hand.
    let rose: Vec<bool> = (0..N).map(|t| t > 0 && d.a[t] > d.a[t - 1]).collect();
    let feb: Vec<bool> = d.dates.iter().map(|s| &s[5..7] == "02").collect();
    let rows = json["regimes"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "all + 3 regimes");
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["all", "a_rose", "february", "never"]);
    for (row, held) in rows.iter().zip([vec![true; N], rose.clone(), feb.clone()]) {
        // The return of bar t (index t - 1) counts when the regime held at close t - 1.
        let days: Vec<bool> = (1..N).map(|t| held[t - 1]).collect();
        let name = row["name"].as_str().unwrap();
        let s = expected(&ra, rf, &days);
        let b = expected(&rb, rf, &days);
        assert_eq!(row["days"].as_u64().unwrap() as usize, s.days, "{name}");
        assert_eq!(row["spells"].as_u64().unwrap() as usize, s.spells, "{name}");
        close(&row["share"], s.days as f64 / (N - 1) as f64, name);
        check_perf(&row["strategy"], &s, name);
        let vs = &row["benchmarks"][0];
        assert_eq!(vs["benchmark"], "b");
        check_perf(vs, &b, name);
        let diff = &vs["difference"];
        close(&diff["value"], s.annual_return - b.annual_return, name);
        let pick = |r: &[f64]| -> Vec<f64> {
            r.iter()
                .zip(&days)
                .filter(|(_, &d)| d)
                .map(|(v, _)| *v)
                .collect()
        };
        let (lo, hi) = interval(&pick(&ra), &pick(&rb));
        close(&diff["low"], lo, name);
        close(&diff["high"], hi, name);
        assert!(lo < hi, "{name}");
    }
    // February: 900 weekdays from 2020-01-01 run to mid-2023, so 4 Februaries and 4 spells, each
    // from the day after February's first close to the day after its last.
    assert_eq!(rows[2]["spells"], 4);
    // "all" is the whole run: its volatility and Sharpe ratio are the headline's.
    close(
        &rows[0]["strategy"]["sharpe"],
        json["metrics"]["sharpe"].as_f64().unwrap(),
        "all",
    );
    close(
        &rows[0]["strategy"]["volatility"],
        json["metrics"]["volatility"].as_f64().unwrap(),
        "all",
    );
    // A regime that never holds: zero days, undefined numbers (null), and a warning naming its line.
    assert_eq!(rows[3]["days"], 0);
    assert!(rows[3]["strategy"]["sharpe"].is_null());
    let line = format!(
        "{}:20:10: `regimes.never`: the regime never holds",
        d.strategy.display()
    );
    assert!(summary.contains(&format!("warning: {line}")), "{summary}");
    // The terminal table has a row per regime, with the strategy's and the benchmark's numbers.
    assert!(summary
        .contains("Regimes (a day's return counts in the regimes that held at the previous close"));
    for r in &names {
        assert!(summary.lines().any(|l| l.starts_with(r)), "{r}: {summary}");
    }
    // regimes.csv: 1 where the regime held at the close.
    let held = std::fs::read_to_string(out.join("regimes.csv")).unwrap();
    let lines: Vec<&str> = held.lines().collect();
    assert_eq!(lines[0], "date,a_rose,february,never");
    for t in 0..N {
        let want = format!(
            "{},{},{},0",
            d.dates[t],
            u8::from(rose[t]),
            u8::from(feb[t])
        );
        assert_eq!(lines[t + 1], want);
    }
    // Same inputs, same bytes, whatever the thread count.
    let out1 = d.dir.path().join("out1");
    run(&d, &out1, "1");
    assert_eq!(
        std::fs::read(out.join("stats.json")).unwrap(),
        std::fs::read(out1.join("stats.json")).unwrap()
    );
}

#[test]
fn validate_warns_about_a_regime_that_never_holds() {
    let d = data();
    let o = rotor(&["validate", d.strategy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("`regimes.never`: the regime never holds on a day of the run (2020-01-01 to "),
        "{t}"
    );
}
