//! Statistics that are honest about multiple testing: the probabilistic Sharpe ratio and the
//! deflated Sharpe ratio of Bailey and López de Prado.
//!
//! * PSR(SR*) = Phi( (SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2) ), with SR the
//!   per-bar (not annualised) Sharpe ratio of n returns, g3 their skewness and g4 their
//!   kurtosis (3 for a normal distribution). Bailey & López de Prado (2012), "The Sharpe Ratio
//!   Efficient Frontier", Journal of Risk 15(2).
//! * DSR = PSR(SR0), with SR0 the Sharpe ratio the best of N unskilled trials would reach:
//!   SR0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))), V the variance of
//!   the per-bar Sharpe ratios across the N trials and gamma the Euler-Mascheroni constant.
//!   Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", Journal of Portfolio
//!   Management 40(5).

/// The Euler-Mascheroni constant.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

pub use crate::stats::probability::{moments, norm_cdf, norm_ppf, psr};

/// The per-bar Sharpe ratio the best of `trials` unskilled strategies is expected to reach when
/// their Sharpe ratios vary with `variance` (per-bar units).
pub fn expected_max_sharpe(variance: f64, trials: usize) -> f64 {
    if trials < 2 {
        return 0.0;
    }
    let n = trials as f64;
    variance.sqrt()
        * ((1.0 - EULER_GAMMA) * norm_ppf(1.0 - 1.0 / n)
            + EULER_GAMMA * norm_ppf(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// Deflated Sharpe ratio: PSR against the expected maximum of `trials` unskilled trials.
pub fn dsr(sr: f64, n: usize, skew: f64, kurt: f64, variance: f64, trials: usize) -> f64 {
    psr(sr, expected_max_sharpe(variance, trials), n, skew, kurt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_distribution_reference_values() {
        // Reference values: 0.5 erfc(-x / sqrt 2) and statistics.NormalDist().inv_cdf (Python).
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((norm_cdf(1.96) - 0.975_002_104_851_779_5).abs() < 1e-14);
        assert!((norm_cdf(-1.0) - 0.158_655_253_931_457_07).abs() < 1e-14);
        // Beyond |x| = 7.07 the continued fraction is accurate to about 1e-8, relative.
        assert!((norm_cdf(-8.0) / 6.220_960_574_271_819e-16 - 1.0).abs() < 1e-8);
        assert!((norm_ppf(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((norm_ppf(0.99) - 2.326_347_874_040_840_8).abs() < 1e-12);
        assert!((norm_ppf(0.01) + 2.326_347_874_040_840_8).abs() < 1e-12);
        assert!((norm_ppf(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
        for i in 1..100 {
            let p = i as f64 / 100.0;
            assert!((norm_cdf(norm_ppf(p)) - p).abs() < 1e-14);
        }
    }

    #[test]
    fn deflated_sharpe_worked_example() {
        // Bailey & López de Prado (2014), section "A numerical example": N = 100 trials whose
        // annualised Sharpe ratios have variance 0.5, the best has SR 2.5 (annualised) over
        // T = 1250 daily returns with skewness -3 and kurtosis 10 (250 days a year).
        // The paper reports SR0 = 0.1132 (per day) and DSR = 0.9004.
        let sr = 2.5 / 250f64.sqrt();
        let v = 0.5 / 250.0;
        let sr0 = expected_max_sharpe(v, 100);
        assert!((sr0 - 0.1132).abs() < 5e-5, "{sr0}");
        let d = dsr(sr, 1250, -3.0, 10.0, v, 100);
        assert!((d - 0.9004).abs() < 5e-4, "{d}");
        // Independently: the z-score written out.
        let z = (sr - sr0) * 1249f64.sqrt() / (1.0 + 3.0 * sr + 9.0 / 4.0 * sr * sr).sqrt();
        assert!((d - norm_cdf(z)).abs() < 1e-15);
    }

    #[test]
    fn psr_of_normal_returns_against_zero() {
        // With skew 0 and kurtosis 3, PSR(0) = Phi(SR sqrt(n-1) / sqrt(1 + SR^2 / 2)).
        let (sr, n) = (0.05, 1000);
        let want = norm_cdf(sr * 999f64.sqrt() / (1.0 + sr * sr / 2.0).sqrt());
        assert_eq!(psr(sr, 0.0, n, 0.0, 3.0), want);
        assert!(psr(sr, 0.0, n, 0.0, 3.0) > 0.94);
        // One trial: nothing to deflate.
        assert_eq!(dsr(sr, n, 0.0, 3.0, 0.01, 1), psr(sr, 0.0, n, 0.0, 3.0));
    }

    #[test]
    fn moments_of_a_known_sample() {
        let (s, k) = moments(&[1.0, 2.0, 3.0, 4.0]);
        assert!(s.abs() < 1e-15);
        // m2 = 1.25, m4 = (2*5.0625 + 2*0.0625)/4 = 2.5625 -> 1.64
        assert!((k - 1.64).abs() < 1e-12);
    }
}
