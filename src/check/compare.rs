//! Comparing a fresh run with its baseline: tolerances and verdicts.

use super::baseline::Baseline;
use crate::spec::CheckSpec;
use crate::stats::Metric;
use serde::Serialize;
use std::path::PathBuf;

/// One compared quantity.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub baseline: String,
    pub now: String,
    pub difference: String,
    pub tolerance: String,
    pub ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Drift,
    Missing,
}

/// The comparison of one strategy with its baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub strategy: String,
    pub file: PathBuf,
    pub baseline_file: PathBuf,
    pub verdict: Verdict,
    pub rows: Vec<Row>,
    /// Inputs whose sha256 differs from the baseline's (or that are new / gone).
    pub inputs_changed: Vec<String>,
    pub engine_changed: Option<(String, String)>,
}

/// `|now - base| <= tol x max(1, |base|)`; undefined (NaN, infinite) equals only undefined.
pub fn within(base: f64, now: f64, tol: f64) -> bool {
    // Undefined (NaN or infinite: a baseline writes both as `undefined`) matches only
    // undefined; an infinite baseline can never pass a finite value.
    if !base.is_finite() || !now.is_finite() {
        return !base.is_finite() && !now.is_finite();
    }
    if base == now {
        return true;
    }
    (now - base).abs() <= tol * base.abs().max(1.0)
}

fn tolerance_for(metric: Metric, base: &Baseline, strategy: &CheckSpec) -> f64 {
    base.tolerances
        .iter()
        .chain(strategy.tolerances.iter())
        .find(|(m, _)| *m == metric)
        .map(|(_, t)| *t)
        .unwrap_or(strategy.tolerance)
}

/// `now - base` for the table, "0" when equal (NaN equals NaN).
fn difference(base: f64, now: f64) -> String {
    if now == base || (now.is_nan() && base.is_nan()) {
        "0".into()
    } else {
        format!("{:.3e}", now - base)
    }
}

/// Compares a fresh measurement with a stored baseline.
pub fn compare(now: &Baseline, base: &Baseline, spec: &CheckSpec) -> (Vec<Row>, bool) {
    let mut rows = Vec::new();
    let mut all_ok = true;
    for ((m, nv), (_, bv)) in now.metrics.iter().zip(&base.metrics) {
        let tol = tolerance_for(*m, base, spec);
        let ok = within(*bv, *nv, tol);
        all_ok &= ok;
        rows.push(Row {
            metric: m.name().to_owned(),
            baseline: format!("{bv}"),
            now: format!("{nv}"),
            difference: difference(*bv, *nv),
            tolerance: format!("{tol:e}"),
            ok,
        });
    }
    // Regimes the baseline has (a regime it lacks is compared once it is blessed again); a
    // regime the run no longer has is an input error, reported before this by `check`.
    for br in &base.regimes {
        let Some(nr) = now.regimes.iter().find(|r| r.name == br.name) else {
            continue;
        };
        for ((key, bv), (_, nv)) in br.metrics.iter().zip(&nr.metrics) {
            let tol = spec.tolerance; // regime metrics use the strategy's default tolerance
            let ok = within(*bv, *nv, tol);
            all_ok &= ok;
            rows.push(Row {
                metric: format!("regimes.{}.{key}", br.name),
                baseline: format!("{bv}"),
                now: format!("{nv}"),
                difference: difference(*bv, *nv),
                tolerance: format!("{tol:e}"),
                ok,
            });
        }
    }
    let mut exact = |name: &str, b: String, n: String| {
        let ok = b == n;
        all_ok &= ok;
        rows.push(Row {
            metric: name.into(),
            difference: if ok { "0".into() } else { "changed".into() },
            baseline: b,
            now: n,
            tolerance: "exact".into(),
            ok,
        });
    };
    exact("bars", base.bars.to_string(), now.bars.to_string());
    exact("trades", base.trades.to_string(), now.trades.to_string());
    if spec.hashes {
        exact(
            "equity_hash",
            base.equity_hash[..12.min(base.equity_hash.len())].to_string(),
            now.equity_hash[..12].to_string(),
        );
        exact(
            "trades_hash",
            base.trades_hash[..12.min(base.trades_hash.len())].to_string(),
            now.trades_hash[..12].to_string(),
        );
    }
    (rows, all_ok)
}
