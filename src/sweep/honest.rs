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

/// Standard normal cumulative distribution. Hart's algorithm 5666 as given by West (2005),
/// "Better approximations to cumulative normal functions": absolute error about 1e-16 near the
/// centre; beyond |x| = 7.07 (probabilities below 1e-12) the relative error is about 1e-8.
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    let tail = if a > 37.0 {
        0.0
    } else {
        let e = (-a * a / 2.0).exp();
        if a < 7.071_067_811_865_47 {
            let mut num = 3.526_249_659_989_11e-2 * a + 0.700_383_064_443_688;
            num = num * a + 6.373_962_203_531_65;
            num = num * a + 33.912_866_078_383;
            num = num * a + 112.079_291_497_871;
            num = num * a + 221.213_596_169_931;
            num = num * a + 220.206_867_912_376;
            let mut den = 8.838_834_764_831_84e-2 * a + 1.755_667_163_182_64;
            den = den * a + 16.064_177_579_207;
            den = den * a + 86.780_732_202_946_1;
            den = den * a + 296.564_248_779_674;
            den = den * a + 637.333_633_378_831;
            den = den * a + 793.826_512_519_948;
            den = den * a + 440.413_735_824_752;
            e * num / den
        } else {
            let mut b = a + 0.65;
            b = a + 4.0 / b;
            b = a + 3.0 / b;
            b = a + 2.0 / b;
            b = a + 1.0 / b;
            e / b / 2.506_628_274_631
        }
    };
    if x > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Inverse of [`norm_cdf`]: Acklam's rational approximation refined by one Halley step.
pub fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let e = norm_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Skewness and kurtosis (not excess: 3 for a normal distribution) from population moments.
pub fn moments(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in x {
        let d = v - m;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    (m3 / m2.powf(1.5), m4 / (m2 * m2))
}

/// Probabilistic Sharpe ratio: the probability that the true per-bar Sharpe ratio exceeds
/// `benchmark`, given an estimate `sr` from `n` returns with skewness `skew` and kurtosis `kurt`.
pub fn psr(sr: f64, benchmark: f64, n: usize, skew: f64, kurt: f64) -> f64 {
    let denom = (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr).sqrt();
    norm_cdf((sr - benchmark) * ((n as f64) - 1.0).sqrt() / denom)
}

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
