//! Synthetic leveraged and inverse funds: the daily formula against hand calculations, the
//! splice, the dividend yield, bad input, and the rebuilt TNA, TZA, UWM and RWM against the
//! real funds.
// Index loops mirror the hand calculations they check.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use rotor::pipeline::prepare;
use std::path::{Path, PathBuf};

const N: usize = 60;

struct Data {
    dir: tempfile::TempDir,
    dates: Vec<String>,
    u: Vec<f64>,
    /// The cash rate in percent a year, dated on each weekday.
    rate: Vec<f64>,
    real: Vec<f64>,
}

/// An underlying, a rate (percent) and a "real fund" from bar 30 on.
fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(N);
    let mut rng = Lcg(21);
    let mut u = vec![100.0];
    for _ in 1..N {
        u.push(u.last().unwrap() * (1.0 + rng.range(-0.03, 0.031)));
    }
    let rate: Vec<f64> = (0..N).map(|i| 1.0 + 0.05 * (i % 9) as f64).collect();
    let real: Vec<f64> = (0..N)
        .map(|i| 20.0 * (1.0 + 0.01 * ((i * 7 % 11) as f64 - 5.0)))
        .collect();
    write(dir.path(), "u.csv", &csv(&dates, &[("close", &u)]));
    write(dir.path(), "rate.csv", &csv(&dates, &[("value", &rate)]));
    write(
        dir.path(),
        "real.csv",
        &csv(&dates[30..], &[("close", &real[30..])]),
    );
    Data {
        dir,
        dates,
        u,
        rate,
        real,
    }
}

fn strategy(d: &Data, assets: &str) -> PathBuf {
    let p = |f: &str| lit(&d.dir.path().join(f));
    // The funds are named in the rule with a zero weight: an asset nothing uses would be left
    // out of the run (and of its checks).
    let held: String = assets
        .lines()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n.trim()))
        .filter(|n| !n.is_empty())
        .map(|n| format!(", {n} = 0"))
        .collect();
    let text = format!(
        r#"version = 1
name = "syn"
[assets]
u = {{ file = {}, column = "close" }}
{assets}
[cash]
rate = {{ file = {}, column = "value", kind = "rate", unit = "percent" }}
[[rules]]
otherwise = true
weights = {{ u = 1{held} }}
"#,
        p("u.csv"),
        p("rate.csv")
    )
    .replace("REAL", &p("real.csv"));
    write(d.dir.path(), "s.toml", &text)
}

/// Calendar days between two ISO dates.
fn gap(a: &str, b: &str) -> f64 {
    (rotor::date::parse(b).unwrap() - rotor::date::parse(a).unwrap()) as f64
}

/// The formula by hand: r = L R + ((1 - L) f - N s) d / 360 - ER / 252, f the rate of the
/// day before, N = |L - 1| long and |L| inverse.
fn by_hand(d: &Data, t: usize, l: f64, er_bps: f64, s_bps: f64) -> f64 {
    let r = d.u[t] / d.u[t - 1] - 1.0;
    let f = d.rate[t - 1] / 100.0;
    let n = if l > 0.0 { (l - 1.0).abs() } else { l.abs() };
    let days = gap(&d.dates[t - 1], &d.dates[t]);
    l * r + ((1.0 - l) * f - n * s_bps / 1e4) * days / 360.0 - er_bps / 1e4 / 252.0
}

#[test]
fn synthetic_returns_follow_the_formula_day_by_day() {
    let d = data();
    let s = strategy(
        &d,
        "x3 = { synthetic = { underlying = \"u\", leverage = 3, expense_bps = 95, spread_bps = 60 } }\n\
         inv = { synthetic = { underlying = \"u\", leverage = -2, expense_bps = 120, spread_bps = 40 } }",
    );
    let p = prepare(&s).unwrap();
    let h = p.panel.history();
    assert_eq!(h.dates.len(), N);
    for (a, l, er, sp) in [(1, 3.0, 95.0, 60.0), (2, -2.0, 120.0, 40.0)] {
        for t in 1..N {
            let got = h.close[a][t] / h.close[a][t - 1] - 1.0;
            let want = by_hand(&d, t, l, er, sp);
            assert!(
                (got - want).abs() < 1e-13,
                "asset {a} bar {t}: {got} vs {want}"
            );
        }
    }
    // A Monday after a weekend: three days of financing, one day of expense.
    let monday = (1..N)
        .find(|&t| gap(&d.dates[t - 1], &d.dates[t]) == 3.0)
        .unwrap();
    let r = d.u[monday] / d.u[monday - 1] - 1.0;
    let f = d.rate[monday - 1] / 100.0;
    let want = 3.0 * r + (-2.0 * f - 2.0 * 0.006) * 3.0 / 360.0 - 0.0095 / 252.0;
    let got = h.close[1][monday] / h.close[1][monday - 1] - 1.0;
    assert!((got - want).abs() < 1e-13);
}

#[test]
fn the_real_fund_replaces_the_synthetic_one_from_its_first_date() {
    let d = data();
    let s = strategy(
        &d,
        "x2 = { synthetic = { underlying = \"u\", leverage = 2, expense_bps = 50, spread_bps = 30 }, splice = { file = REAL, column = \"close\" } }",
    );
    let p = prepare(&s).unwrap();
    let h = p.panel.history();
    for t in 1..N {
        let got = h.close[1][t] / h.close[1][t - 1] - 1.0;
        let want = if t <= 30 {
            by_hand(&d, t, 2.0, 50.0, 30.0)
        } else {
            d.real[t] / d.real[t - 1] - 1.0
        };
        assert!((got - want).abs() < 1e-12, "bar {t}: {got} vs {want}");
    }
    // The check: real against synthetic daily returns over the overlap (bars 31..N-1).
    let real: Vec<f64> = (31..N).map(|t| d.real[t] / d.real[t - 1] - 1.0).collect();
    let syn: Vec<f64> = (31..N).map(|t| by_hand(&d, t, 2.0, 50.0, 30.0)).collect();
    let m = real.len() as f64;
    let (ma, ms) = (real.iter().sum::<f64>() / m, syn.iter().sum::<f64>() / m);
    let cov: f64 = real
        .iter()
        .zip(&syn)
        .map(|(a, b)| (a - ma) * (b - ms))
        .sum();
    let va: f64 = real.iter().map(|a| (a - ma).powi(2)).sum();
    let vs: f64 = syn.iter().map(|b| (b - ms).powi(2)).sum();
    let ann = |r: &[f64]| r.iter().map(|v| 1.0 + v).product::<f64>().powf(252.0 / m) - 1.0;
    let c = &rotor::report::synthetic_checks(&p.panel)[0];
    assert_eq!((c.asset.as_str(), c.days), ("x2", N - 31));
    assert_eq!(c.from, d.dates[30]);
    assert!((c.correlation - cov / (va * vs).sqrt()).abs() < 1e-12);
    assert!((c.slope - cov / vs).abs() < 1e-12);
    assert!((c.tracking_difference - (ann(&real) - ann(&syn))).abs() < 1e-12);
    // Shown in the report's header, from stats.json.
    let out = d.dir.path().join("out");
    let o = rotor(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    assert_eq!(json["synthetic"][0]["days"], N - 31);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Synthetic x2</dt><dd>synthetic `x2` (2x `u`"),
        "report header"
    );
    // Printed by validate.
    let o = rotor(&["validate", s.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "synthetic `x2` (2x `u`, expense 50 bps, spread 30 bps) against the real fund, {} to {} (29 days): correlation",
            d.dates[30],
            d.dates[N - 1]
        )),
        "{}",
        text(&o)
    );
}

#[test]
fn a_dividend_yield_is_added_to_a_price_index() {
    let d = data();
    let s = strategy(&d, "").replace_with_yield(&d);
    let p = prepare(&s).unwrap();
    let h = p.panel.history();
    for t in 1..N {
        let got = h.close[0][t] / h.close[0][t - 1] - 1.0;
        let want = d.u[t] / d.u[t - 1] - 1.0 + 0.015 * gap(&d.dates[t - 1], &d.dates[t]) / 365.0;
        assert!((got - want).abs() < 1e-13, "bar {t}");
    }
}

trait WithYield {
    fn replace_with_yield(&self, d: &Data) -> PathBuf;
}

impl WithYield for PathBuf {
    fn replace_with_yield(&self, d: &Data) -> PathBuf {
        let t = std::fs::read_to_string(self).unwrap().replace(
            "column = \"close\" }",
            "column = \"close\", dividend_yield_bps = 150 }",
        );
        write(d.dir.path(), "y.toml", &t)
    }
}

#[test]
fn a_splice_that_starts_before_the_underlying_is_bad_input() {
    let d = data();
    // The underlying from bar 40 on; the real fund from bar 30.
    write(
        d.dir.path(),
        "u.csv",
        &csv(&d.dates[40..], &[("close", &d.u[40..])]),
    );
    let s = strategy(
        &d,
        "x2 = { synthetic = { underlying = \"u\", leverage = 2 }, splice = { file = REAL, column = \"close\" } }",
    );
    let o = rotor(&["validate", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "s.toml:5:74: `assets.x2.splice.file`: the real fund starts on {}, before its synthetic history can ({}",
            d.dates[30], d.dates[40]
        )),
        "{}",
        text(&o)
    );
}

/// The shipped funds rebuilt from IWM with the Fed funds rate: (name, leverage, expense ratio
/// in bps, file).
const FUNDS: [(&str, f64, f64, &str); 4] = [
    ("tna", 3.0, 105.0, "TNA"),
    ("tza", -3.0, 105.0, "TZA"),
    ("uwm", 2.0, 95.0, "UWM"),
    ("rwm", -1.0, 95.0, "RWM"),
];

/// Each fund's check against the real one with financing spread `s` (bps).
fn checks(dir: &Path, s: f64) -> Vec<rotor::stats::tracking::Check> {
    let mut text = String::from(
        "version = 1\nname = \"funds\"\nstart = \"2009-01-02\"\nend = \"2025-12-24\"\n[assets]\n\
         iwm = { file = \"data/etf/IWM.csv\", column = \"adj_close\" }\n",
    );
    for (name, l, er, file) in FUNDS {
        text.push_str(&format!(
            "{name} = {{ synthetic = {{ underlying = \"iwm\", leverage = {l}, expense_bps = {er}, spread_bps = {s} }}, splice = {{ file = \"data/etf/{file}.csv\", column = \"adj_close\" }} }}\n"
        ));
    }
    text.push_str(
        "[cash]\nrate = { file = \"data/macro/DFF.csv\", column = \"value\", kind = \"rate\", unit = \"percent\" }\n\
         [[rules]]\notherwise = true\nweights = { iwm = 1, tna = 0, tza = 0, uwm = 0, rwm = 0 }\n",
    );
    let p = write(dir, &format!("funds-{s}.toml"), &text);
    rotor::report::synthetic_checks(&prepare(&p).unwrap().panel)
}

/// The spread is fitted on TNA and TZA (least squares of their annual tracking differences,
/// which are linear in the spread to within rounding) and tried out of sample on UWM and RWM.
#[test]
fn rebuilt_funds_track_the_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let at0 = checks(dir.path(), 0.0);
    let at100 = checks(dir.path(), 100.0);
    // tracking difference = a + b x spread for TNA and TZA.
    let (a, b): (Vec<f64>, Vec<f64>) = (0..2)
        .map(|i| {
            let a = at0[i].tracking_difference;
            (a, (at100[i].tracking_difference - a) / 100.0)
        })
        .unzip();
    let fit = -(a[0] * b[0] + a[1] * b[1]) / (b[0] * b[0] + b[1] * b[1]);
    let fitted = checks(dir.path(), fit.round());
    for c in &fitted {
        eprintln!("{}", rotor::report::synthetic_line(c));
    }
    for c in &fitted[..2] {
        assert!(
            c.correlation >= 0.98,
            "{}",
            rotor::report::synthetic_line(c)
        );
        assert!(
            c.tracking_difference.abs() < 0.01,
            "{}",
            rotor::report::synthetic_line(c)
        );
    }
    for c in &fitted[2..] {
        assert!(
            c.correlation >= 0.99,
            "{}",
            rotor::report::synthetic_line(c)
        );
        // Out of sample: within half a percent a year.
        assert!(
            c.tracking_difference.abs() < 0.005,
            "{}",
            rotor::report::synthetic_line(c)
        );
    }
    // The documented figure (README, "Synthetic leveraged funds").
    assert_eq!(fit.round(), 84.0, "fitted spread {fit}");
}
