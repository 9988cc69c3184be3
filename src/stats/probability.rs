//! The normal distribution, sample moments and the probabilistic Sharpe ratio: shared by the
//! statistics of a run (its confidence section) and the honest statistics of sweeps.
//!
//! PSR(SR*) = Phi( (SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2) ), with SR the
//! per-bar (not annualised) Sharpe ratio of n returns, g3 their skewness and g4 their kurtosis
//! (3 for a normal distribution). Bailey & López de Prado (2012), "The Sharpe Ratio Efficient
//! Frontier", Journal of Risk 15(2).

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
