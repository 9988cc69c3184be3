//! Metrics of a strategy against a benchmark, from their bar returns r (strategy), b (benchmark)
//! and the cash return rf of each bar. Annualisation uses 252 bars per year.

use super::returns::{mean, stdev};
use crate::conventions::BARS_PER_YEAR;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Relative {
    pub benchmark: String,
    /// beta = cov(r - rf, b - rf) / var(b - rf)
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub beta: f64,
    /// Annualised alpha = (mean(r - rf) - beta x mean(b - rf)) x 252
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub alpha: f64,
    /// Pearson correlation of r and b
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub correlation: f64,
    /// Tracking error = stdev(r - b) x sqrt(252)
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub tracking_error: f64,
    /// Information ratio = mean(r - b) x 252 / tracking error
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub information_ratio: f64,
    /// Up capture = mean(r on bars with b > 0) / mean(b on those bars)
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub up_capture: f64,
    /// Down capture = mean(r on bars with b < 0) / mean(b on those bars)
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub down_capture: f64,
}

/// Sample covariance: sum (x - mean x)(y - mean y) / (n - 1).
pub fn cov(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (x.len() - 1) as f64
}

pub fn relative(name: &str, r: &[f64], b: &[f64], rf: &[f64]) -> Relative {
    let er: Vec<f64> = r.iter().zip(rf).map(|(x, f)| x - f).collect();
    let eb: Vec<f64> = b.iter().zip(rf).map(|(x, f)| x - f).collect();
    let beta = cov(&er, &eb) / cov(&eb, &eb);
    let alpha = (mean(&er) - beta * mean(&eb)) * BARS_PER_YEAR;
    let correlation = cov(r, b) / (stdev(r) * stdev(b));
    let active: Vec<f64> = r.iter().zip(b).map(|(x, y)| x - y).collect();
    let tracking_error = stdev(&active) * BARS_PER_YEAR.sqrt();
    // Undefined when the active returns are rounding residue (a strategy against itself).
    let information_ratio = if stdev(&active) > super::returns::NOISE_FLOOR {
        mean(&active) * BARS_PER_YEAR / tracking_error
    } else {
        f64::NAN
    };
    let capture = |up: bool| {
        let (mut sr, mut sb, mut n) = (0.0, 0.0, 0usize);
        for (x, y) in r.iter().zip(b) {
            if (up && *y > 0.0) || (!up && *y < 0.0) {
                sr += x;
                sb += y;
                n += 1;
            }
        }
        if n == 0 {
            f64::NAN
        } else {
            sr / sb
        }
    };
    Relative {
        benchmark: name.to_owned(),
        beta,
        alpha,
        correlation,
        tracking_error,
        information_ratio,
        up_capture: capture(true),
        down_capture: capture(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twice_the_benchmark() {
        // r = 2b exactly: beta 2, alpha 0, correlation 1, captures 2.
        let b = [0.01, -0.02, 0.015, -0.005, 0.0];
        let r: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
        let rf = [0.0; 5];
        let rel = relative("b", &r, &b, &rf);
        assert!((rel.beta - 2.0).abs() < 1e-12);
        assert!(rel.alpha.abs() < 1e-12);
        assert!((rel.correlation - 1.0).abs() < 1e-12);
        assert!((rel.up_capture - 2.0).abs() < 1e-12);
        assert!((rel.down_capture - 2.0).abs() < 1e-12);
        // Active return = b: TE = stdev(b) sqrt(252), IR = mean(b) 252 / TE.
        let te = stdev(&b) * 252f64.sqrt();
        assert!((rel.tracking_error - te).abs() < 1e-12);
        assert!((rel.information_ratio - mean(&b) * 252.0 / te).abs() < 1e-9);
    }

    #[test]
    fn alpha_of_a_constant_edge() {
        // r = b + 0.001 each bar with rf = 0: beta 1, alpha 0.252 a year.
        let b = [0.01, -0.02, 0.015, -0.005];
        let r: Vec<f64> = b.iter().map(|x| x + 0.001).collect();
        let rel = relative("b", &r, &b, &[0.0; 4]);
        assert!((rel.beta - 1.0).abs() < 1e-12);
        assert!((rel.alpha - 0.252).abs() < 1e-12);
    }
}
