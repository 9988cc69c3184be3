//! The shape of a return distribution: moments and tail risk.

use super::probability::moments;
use super::returns::{mean, quantile, stdev};
use serde::Serialize;

/// Of a set of returns (daily or monthly).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Distribution {
    pub observations: usize,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub stdev: f64,
    /// Skewness from population moments: m3 / m2^1.5.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub skew: f64,
    /// Excess kurtosis from population moments: m4 / m2^2 - 3 (0 for a normal distribution).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub kurtosis: f64,
    /// Historical value at risk, 95 %: the 5th percentile of the returns (a return, usually
    /// negative; linear interpolation between order statistics).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub var_95: f64,
    /// Conditional value at risk (expected shortfall), 95 %: the mean of the returns at or
    /// below `var_95`.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub cvar_95: f64,
}

pub fn of(returns: &[f64]) -> Distribution {
    let mut sorted: Vec<f64> = returns.iter().copied().filter(|r| !r.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let var = quantile(&sorted, 0.05);
    let tail: Vec<f64> = sorted.iter().copied().take_while(|r| *r <= var).collect();
    let (skew, kurt) = if sorted.len() > 2 {
        moments(&sorted)
    } else {
        (f64::NAN, f64::NAN)
    };
    Distribution {
        observations: sorted.len(),
        mean: mean(&sorted),
        stdev: stdev(&sorted),
        skew,
        kurtosis: kurt - 3.0,
        var_95: var,
        cvar_95: mean(&tail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_sample_by_hand() {
        // 21 returns: -10, -9, ..., 10 percent.
        let r: Vec<f64> = (-10..=10).map(|i| i as f64 / 100.0).collect();
        let d = of(&r);
        assert_eq!(d.observations, 21);
        assert!(d.mean.abs() < 1e-15);
        // Symmetric: no skew. Uniform-like: excess kurtosis of the discrete uniform on 21
        // points is -6(n^2 + 1) / (5(n^2 - 1)) = -6 x 442 / (5 x 440).
        assert!(d.skew.abs() < 1e-12);
        assert!((d.kurtosis - (-6.0 * 442.0 / 2200.0)).abs() < 1e-12);
        // 5th percentile: position 0.05 x 20 = 1, the second smallest, -9 %.
        assert!((d.var_95 + 0.09).abs() < 1e-15);
        // The returns at or below it: -10 % and -9 %.
        assert!((d.cvar_95 + 0.095).abs() < 1e-15);
        // Sample standard deviation: sqrt(sum i^2 / 20) / 100 = sqrt(770 / 20) / 100.
        assert!((d.stdev - (770.0f64 / 20.0).sqrt() / 100.0).abs() < 1e-15);
    }

    #[test]
    fn skew_of_a_one_sided_sample() {
        // Returns 0, 0, 0, 1: m2 = 3/16, m3 = 3/32 -> skew = (3/32) / (3/16)^1.5.
        let d = of(&[0.0, 0.0, 0.0, 1.0]);
        let want = (3.0 / 32.0) / (3.0f64 / 16.0).powf(1.5);
        assert!((d.skew - want).abs() < 1e-12);
        // m4 = 39/256 (three at -1/4, one at 3/4): kurtosis = m4 / m2^2 - 3.
        let m4 = (3.0 * 0.25f64.powi(4) + 0.75f64.powi(4)) / 4.0;
        assert!((d.kurtosis - (m4 / (3.0f64 / 16.0).powi(2) - 3.0)).abs() < 1e-12);
    }
}

/// Counts of values in equal bins between their smallest and largest finite value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    /// Width of a bin (1 when all values are equal).
    pub width: f64,
    pub counts: Vec<usize>,
}

/// The histogram of the finite `values` in `bins` bins; `None` without a finite value.
pub fn histogram(values: &[f64], bins: usize) -> Option<Histogram> {
    let (mut lo, mut hi, mut any) = (f64::INFINITY, f64::NEG_INFINITY, false);
    for &x in values.iter().filter(|v| v.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
        any = true;
    }
    if !any || bins == 0 {
        return None;
    }
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &x in values.iter().filter(|v| v.is_finite()) {
        counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
    }
    Some(Histogram {
        lo,
        hi,
        width,
        counts,
    })
}
