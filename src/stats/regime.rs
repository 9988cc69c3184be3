//! Performance by regime: how a run did on the days a condition held.
//!
//! A regime is a condition evaluated at every close (`[regimes]` in the strategy). The daily
//! return of bar t (`E_t / E_{t-1} - 1`) belongs to the regimes that held at the close of bar
//! t - 1: the condition known while the position that earned it was held. Regime days are in
//! general not contiguous, so their returns are chained ("the regime's days chained") and
//! annualised by their count (252 a year), not by calendar time.
//!
//! The difference strategy - benchmark in annualised return gets a 95 % percentile interval
//! from the circular block bootstrap of [`super::bootstrap`] (the one of event studies and of the
//! run's confidence intervals, same block, samples and seed), resampling the regime's paired
//! (strategy, benchmark) days, so the interval does not depend on the thread count.

use super::bootstrap::{block_indices, replicate_rng};
use super::confidence::{percentile_interval, Interval, Settings, BLOCK, SAMPLES, SEED};
use super::drawdown::max_drawdown;
use super::returns::{annual_volatility, sharpe};
use crate::conventions::BARS_PER_YEAR;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The name of the row of every day.
pub const ALL: &str = "all";

/// How one equity curve did inside one regime.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Perf {
    /// `prod(1 + r)^(252 / m) - 1` over the regime's m days.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub annual_return: f64,
    /// Sample standard deviation of the regime's daily returns x sqrt(252).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub volatility: f64,
    /// Mean / sample standard deviation of the regime's daily excess returns x sqrt(252).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sharpe: f64,
    /// Share of the regime's days with a positive return.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub hit_rate: f64,
    /// Maximum drawdown of the regime's days chained (<= 0).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub worst_drawdown: f64,
}

/// A benchmark inside one regime, and the strategy's difference from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versus {
    pub benchmark: String,
    #[serde(flatten)]
    pub perf: Perf,
    /// Strategy minus benchmark annualised return, with its bootstrap interval.
    pub difference: Interval,
}

/// One regime's row: where it held and how each curve did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regime {
    pub name: String,
    /// The condition as written (empty for [`ALL`]).
    pub condition: String,
    /// Daily returns counted in the regime.
    pub days: usize,
    /// `days` / all daily returns.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub share: f64,
    /// Separate spells: maximal runs of consecutive days in the regime.
    pub spells: usize,
    pub strategy: Perf,
    pub benchmarks: Vec<Versus>,
}

/// The regimes section of `stats.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regimes {
    pub convention: String,
    #[serde(flatten)]
    pub settings: Settings,
    /// [`ALL`] first, then the strategy's regimes in file order.
    pub rows: Vec<Regime>,
}

/// The days (indices into the daily returns, bars 1..) each regime holds: return i is that of
/// bar i + 1 and belongs to the regime when it held at the close of bar i.
pub fn return_days(held_at_close: &[bool]) -> Vec<bool> {
    let n = held_at_close.len();
    held_at_close[..n.saturating_sub(1)].to_vec()
}

/// Maximal runs of `true`.
pub fn spells(days: &[bool]) -> usize {
    days.iter()
        .enumerate()
        .filter(|&(i, &d)| d && (i == 0 || !days[i - 1]))
        .count()
}

fn pick(x: &[f64], days: &[bool]) -> Vec<f64> {
    x.iter()
        .zip(days)
        .filter(|(_, &d)| d)
        .map(|(v, _)| *v)
        .collect()
}

/// `prod(1 + r)^(252 / m) - 1`; NaN without days.
pub fn annual_return(r: &[f64]) -> f64 {
    if r.is_empty() {
        return f64::NAN;
    }
    let growth: f64 = r.iter().map(|v| 1.0 + v).product();
    growth.powf(BARS_PER_YEAR / r.len() as f64) - 1.0
}

/// How the returns `r` (cash returns `rf` of the same bars) did on `days`.
pub fn perf(r: &[f64], rf: &[f64], days: &[bool]) -> Perf {
    let (x, f) = (pick(r, days), pick(rf, days));
    if x.is_empty() {
        return Perf {
            annual_return: f64::NAN,
            volatility: f64::NAN,
            sharpe: f64::NAN,
            hit_rate: f64::NAN,
            worst_drawdown: f64::NAN,
        };
    }
    let mut chained = Vec::with_capacity(x.len() + 1);
    chained.push(1.0);
    for v in &x {
        chained.push(chained[chained.len() - 1] * (1.0 + v));
    }
    Perf {
        annual_return: annual_return(&x),
        volatility: annual_volatility(&x),
        sharpe: sharpe(&x, &f),
        hit_rate: x.iter().filter(|v| **v > 0.0).count() as f64 / x.len() as f64,
        worst_drawdown: max_drawdown(&chained).depth,
    }
}

/// The interval of `value` (strategy - benchmark annualised return over the regime's days, `a`
/// and `b` their daily returns there): replicate i resamples the paired days with the circular
/// block bootstrap seeded by [`SEED`] and i.
pub fn difference(a: &[f64], b: &[f64], value: f64) -> Interval {
    let m = a.len();
    if m < 2 {
        return Interval {
            value,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    // In logs the annualised return of a sample is a sum: exp(252 / m x sum ln(1 + r)) - 1.
    let la: Vec<f64> = a.iter().map(|v| v.ln_1p()).collect();
    let lb: Vec<f64> = b.iter().map(|v| v.ln_1p()).collect();
    let k = BARS_PER_YEAR / m as f64;
    let reps: Vec<f64> = (0..SAMPLES)
        .into_par_iter()
        .map(|i| {
            let idx = block_indices(&mut replicate_rng(SEED, i), m, BLOCK);
            let (sa, sb) = idx
                .iter()
                .fold((0.0, 0.0), |(sa, sb), &j| (sa + la[j], sb + lb[j]));
            (k * sa).exp_m1() - (k * sb).exp_m1()
        })
        .collect();
    percentile_interval(value, reps)
}

/// One regime's row. `r` are the strategy's daily returns, `benchmarks` each benchmark's, `rf`
/// the cash returns of the same bars, `days` the regime's days ([`return_days`]).
pub fn regime(
    name: &str,
    condition: &str,
    days: &[bool],
    r: &[f64],
    rf: &[f64],
    benchmarks: &[(String, Vec<f64>)],
) -> Regime {
    let count = days.iter().filter(|d| **d).count();
    let strategy = perf(r, rf, days);
    let benchmarks = benchmarks
        .iter()
        .map(|(n, b)| {
            let p = perf(b, rf, days);
            Versus {
                benchmark: n.clone(),
                perf: p,
                difference: difference(
                    &pick(r, days),
                    &pick(b, days),
                    strategy.annual_return - p.annual_return,
                ),
            }
        })
        .collect();
    Regime {
        name: name.to_owned(),
        condition: condition.to_owned(),
        days: count,
        share: count as f64 / days.len() as f64,
        spells: spells(days),
        strategy,
        benchmarks,
    }
}

/// Every regime's row, [`ALL`] first. `held[k]` is (name, condition, held at each close).
pub fn compute(
    held: &[(String, String, Vec<bool>)],
    r: &[f64],
    rf: &[f64],
    benchmarks: &[(String, Vec<f64>)],
) -> Regimes {
    let all = vec![true; r.len()];
    let mut rows = vec![regime(ALL, "", &all, r, rf, benchmarks)];
    for (name, condition, at_close) in held {
        rows.push(regime(
            name,
            condition,
            &return_days(at_close),
            r,
            rf,
            benchmarks,
        ));
    }
    Regimes {
        convention: "the return of bar t counts in the regimes that held at the close of bar t-1; a regime's days are chained and annualised by their count (252 a year)".into(),
        settings: Settings::of("strategy - benchmark annualised return: circular block bootstrap of the regime's paired days, percentile interval"),
        rows,
    }
}
