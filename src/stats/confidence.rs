//! How sure is the headline? A circular block bootstrap of the daily returns (with the cash
//! return of the same bar, so excess returns stay paired) gives a percentile interval for the
//! annualised Sharpe ratio and the CAGR; the probabilistic Sharpe ratio says how likely the
//! true Sharpe ratio is above zero given the sample's length, skew and kurtosis.
//!
//! Seeded and reproducible: replicate i draws from its own stream
//! ([`super::bootstrap::replicate_rng`]), and replicates are gathered in order, so the result
//! does not depend on the number of threads.

use super::bootstrap::replicate_rng;
use super::probability::{moments, psr};
use super::returns::{mean, quantile, stdev};
use crate::conventions::BARS_PER_YEAR;
use rayon::prelude::*;
use serde::Serialize;

/// The bootstrap settings of `stats.json` (fixed: results must be comparable run to run).
pub const SAMPLES: usize = 1000;
pub const BLOCK: usize = 20;
pub const SEED: u64 = 42;
pub const LEVEL: f64 = 0.95;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Interval {
    /// The statistic of the actual returns.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub value: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub low: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub high: f64,
}

/// How an interval was bootstrapped, as `stats.json` records it (the run's confidence intervals
/// and the regimes' differences alike).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Settings {
    pub method: String,
    pub samples: usize,
    pub block: usize,
    pub seed: u64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub level: f64,
}

impl Settings {
    /// The fixed settings ([`SAMPLES`], [`BLOCK`], [`SEED`], [`LEVEL`]) with their method.
    pub fn of(method: &str) -> Settings {
        Settings {
            method: method.into(),
            samples: SAMPLES,
            block: BLOCK,
            seed: SEED,
            level: LEVEL,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Confidence {
    #[serde(flatten)]
    pub settings: Settings,
    /// Annualised Sharpe ratio of excess returns.
    pub sharpe: Interval,
    pub cagr: Interval,
    /// P(true Sharpe ratio > 0).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub probabilistic_sharpe: f64,
}

/// The [`LEVEL`] percentile interval of a statistic's bootstrap replicates (undefined ones
/// left out), around its actual `value`.
pub fn percentile_interval(value: f64, mut replicates: Vec<f64>) -> Interval {
    // No interval around a number that is undefined (a ratio of rounding noise).
    if value.is_nan() {
        replicates.clear();
    }
    replicates.retain(|v| !v.is_nan());
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    Interval {
        value,
        low: quantile(&replicates, tail),
        high: quantile(&replicates, 1.0 - tail),
    }
}

/// Replicate i: the Sharpe ratio and CAGR of one resampled series, accumulated as the blocks
/// are drawn (the same draws as [`super::bootstrap::block_indices`], without building the sample).
fn replicate(x: &[f64], r: &[f64], years: f64, i: usize) -> (f64, f64) {
    let n = x.len();
    let mut rng = replicate_rng(SEED, i);
    let (mut count, mut sum, mut sum2, mut growth) = (0usize, 0.0, 0.0, 1.0);
    while count < n {
        let start = rng.below(n);
        for j in 0..BLOCK.min(n - count) {
            let k = if start + j >= n {
                start + j - n
            } else {
                start + j
            };
            sum += x[k];
            sum2 += x[k] * x[k];
            growth *= 1.0 + r[k];
        }
        count += BLOCK.min(n - count);
    }
    let m = n as f64;
    let mean = sum / m;
    let var = (sum2 - sum * mean) / (m - 1.0);
    (
        super::returns::over_deviation(mean, var.sqrt()) * BARS_PER_YEAR.sqrt(),
        growth.powf(1.0 / years) - 1.0,
    )
}

/// `r` are the daily returns of the run (bars 1..), `rf` the cash returns of the same bars,
/// `years` the calendar span; `value` is the run's own (Sharpe ratio, CAGR), as its headline
/// metrics computed them (one source per number).
pub fn bootstrap(r: &[f64], rf: &[f64], years: f64, value: (f64, f64)) -> Confidence {
    let n = r.len();
    let x: Vec<f64> = r.iter().zip(rf).map(|(a, f)| a - f).collect();
    let replicates: Vec<(f64, f64)> = if n < 2 {
        vec![]
    } else {
        (0..SAMPLES)
            .into_par_iter()
            .map(|i| replicate(&x, r, years, i))
            .collect()
    };
    let interval = |value: f64, pick: fn(&(f64, f64)) -> f64| {
        percentile_interval(value, replicates.iter().map(pick).collect())
    };
    let (skew, kurt) = if n > 2 {
        moments(&x)
    } else {
        (f64::NAN, f64::NAN)
    };
    let per_bar = super::returns::over_deviation(mean(&x), stdev(&x));
    Confidence {
        settings: Settings::of("circular block bootstrap of daily returns, percentile interval"),
        sharpe: interval(value.0, |p| p.0),
        cagr: interval(value.1, |p| p.1),
        probabilistic_sharpe: psr(per_bar, 0.0, n, skew, kurt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::bootstrap::block_indices;

    /// Annualised Sharpe ratio of excess returns x.
    fn sharpe(x: &[f64]) -> f64 {
        mean(x) / stdev(x) * BARS_PER_YEAR.sqrt()
    }

    /// CAGR of the returns r over `years`.
    fn cagr(r: &[f64], years: f64) -> f64 {
        r.iter().map(|v| 1.0 + v).product::<f64>().powf(1.0 / years) - 1.0
    }

    /// An independent replicate: the same indices, statistics written out again.
    #[test]
    fn replicates_and_interval_by_hand() {
        let r: Vec<f64> = (0..300)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) / 2000.0)
            .collect();
        let rf = vec![0.0001; 300];
        let years = 300.0 / 252.0;
        let x: Vec<f64> = r.iter().map(|v| v - 0.0001).collect();
        let c = bootstrap(&r, &rf, years, (sharpe(&x), cagr(&r, years)));
        let mut sharpes = Vec::new();
        for i in 0..SAMPLES {
            let idx = block_indices(&mut replicate_rng(SEED, i), 300, BLOCK);
            let x: Vec<f64> = idx.iter().map(|&j| r[j] - 0.0001).collect();
            let m = x.iter().sum::<f64>() / 300.0;
            let sd = (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 299.0).sqrt();
            sharpes.push(m / sd * 252f64.sqrt());
        }
        sharpes.sort_by(f64::total_cmp);
        // Percentile positions 0.025 x 999 = 24.975 and 0.975 x 999 = 974.025.
        let lo = sharpes[24] + (sharpes[25] - sharpes[24]) * 0.975;
        let hi = sharpes[974] + (sharpes[975] - sharpes[974]) * 0.025;
        assert!(
            (c.sharpe.low - lo).abs() < 1e-12,
            "{} vs {lo}",
            c.sharpe.low
        );
        assert!((c.sharpe.high - hi).abs() < 1e-12);
        assert!(c.sharpe.low < c.sharpe.value && c.sharpe.value < c.sharpe.high);
        assert!(c.cagr.low < c.cagr.value && c.cagr.value < c.cagr.high);
        // Same inputs, same interval; and with one thread.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| bootstrap(&r, &rf, years, (c.sharpe.value, c.cagr.value)));
        assert_eq!(one, c);
    }
}
