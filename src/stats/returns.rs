//! Return and risk metrics of one equity curve.
//!
//! Conventions (also in `docs/metrics.md`): a bar is a trading day; `r_t = E_t / E_{t-1} - 1`
//! for t = 1..n-1; annualisation uses 252 bars per year for volatility-type numbers and
//! calendar time (days / 365.25) for compound growth; standard deviations are sample (n - 1).

use crate::conventions::BARS_PER_YEAR;

/// The smallest deviation of daily returns that is not rounding residue: 16 x f64::EPSILON
/// (3.6e-15 a bar, 5.6e-14 a year annualised).
///
/// A daily return is computed from a growth factor, `E_t / E_(t-1) - 1`, whose rounding error is
/// of the order of the machine epsilon relative to the factor (about 1), so returns that are
/// equal in exact arithmetic (cash held against the cash rate, a strategy held against its own
/// benchmark) differ by up to a few epsilon. A ratio divided by a deviation at or below this
/// floor (Sharpe, Sortino, information ratio, their rolling and regime versions, the bootstrap
/// intervals and the PSR built on them) is undefined (`null`, "n/a"), not a number made of
/// rounding noise. See docs/metrics.md.
pub const NOISE_FLOOR: f64 = 16.0 * f64::EPSILON;

/// `num / dev`, or NaN when the deviation `dev` is not above [`NOISE_FLOOR`] (or is undefined).
pub fn over_deviation(num: f64, dev: f64) -> f64 {
    if dev > NOISE_FLOOR {
        num / dev
    } else {
        f64::NAN
    }
}

/// Simple returns between consecutive equity values.
pub fn simple_returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Linear-interpolation quantile of sorted values (q in [0, 1]); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Median: the middle value, or the mean of the two middle values.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Sample standard deviation: sqrt( sum (x - mean)^2 / (n - 1) ).
pub fn stdev(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Total return: E_end / E_0 - 1.
pub fn total_return(equity: &[f64]) -> f64 {
    equity[equity.len() - 1] / equity[0] - 1.0
}

/// Compound annual growth rate: (E_end / E_0)^(1 / years) - 1, years = calendar days / 365.25.
pub fn cagr(equity: &[f64], years: f64) -> f64 {
    (equity[equity.len() - 1] / equity[0]).powf(1.0 / years) - 1.0
}

/// Annualised volatility: stdev(r) x sqrt(252).
pub fn annual_volatility(r: &[f64]) -> f64 {
    stdev(r) * BARS_PER_YEAR.sqrt()
}

/// Sharpe ratio: mean(r - rf) / stdev(r - rf) x sqrt(252), with rf the cash return of each bar.
pub fn sharpe(r: &[f64], rf: &[f64]) -> f64 {
    let ex: Vec<f64> = r.iter().zip(rf).map(|(a, b)| a - b).collect();
    over_deviation(mean(&ex), stdev(&ex)) * BARS_PER_YEAR.sqrt()
}

/// Sortino ratio: mean(r - rf) / DD x sqrt(252), with downside deviation
/// DD = sqrt( mean( min(r - rf, 0)^2 ) ) over all bars.
pub fn sortino(r: &[f64], rf: &[f64]) -> f64 {
    let ex: Vec<f64> = r.iter().zip(rf).map(|(a, b)| a - b).collect();
    let dd = (ex.iter().map(|v| v.min(0.0).powi(2)).sum::<f64>() / ex.len() as f64).sqrt();
    over_deviation(mean(&ex), dd) * BARS_PER_YEAR.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_medians() {
        let v = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 8.0);
        assert_eq!(quantile(&v, 0.5), 3.0); // halfway between 2 and 4
        assert_eq!(quantile(&v, 0.25), 1.75); // position 0.75 between 1 and 2
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(median(&[4.0, 1.0, 2.0, 8.0]), 3.0);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
    }

    #[test]
    fn hand_computed() {
        let e = [100.0, 110.0, 99.0, 108.9];
        let r = simple_returns(&e);
        assert!(
            (r[0] - 0.1).abs() < 1e-15 && (r[1] + 0.1).abs() < 1e-15 && (r[2] - 0.1).abs() < 1e-12
        );
        assert!((total_return(&e) - 0.089).abs() < 1e-12);
        // 1.089 over 2 years -> sqrt(1.089) - 1.
        assert!((cagr(&e, 2.0) - (1.089f64.sqrt() - 1.0)).abs() < 1e-15);
        // mean 1/30, deviations 2/30, -4/30, 2/30 -> var = (4+16+4)/900/2 = 24/1800
        let sd = (24.0f64 / 1800.0).sqrt();
        assert!((stdev(&r) - sd).abs() < 1e-12);
        assert!((annual_volatility(&r) - sd * 252f64.sqrt()).abs() < 1e-12);
        let rf = [0.0; 3];
        assert!((sharpe(&r, &rf) - (1.0 / 30.0) / sd * 252f64.sqrt()).abs() < 1e-9);
        // Downside: only -0.1 -> sqrt(0.01 / 3).
        let dd = (0.01f64 / 3.0).sqrt();
        assert!((sortino(&r, &rf) - (1.0 / 30.0) / dd * 252f64.sqrt()).abs() < 1e-9);
        // Excess over a constant rf shifts the mean only.
        let rf = [0.01; 3];
        assert!((sharpe(&r, &rf) - (1.0 / 30.0 - 0.01) / sd * 252f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn cash_against_its_own_rate_is_undefined_not_noise() {
        // Cash compounding at a varying rate: the equity's returns equal the rate in exact
        // arithmetic and differ from it by rounding only.
        let rates: Vec<f64> = (0..500)
            .map(|i| 1e-4 * (1.0 + (i as f64 * 0.37).sin()))
            .collect();
        let mut e = vec![10_000.0];
        for q in &rates {
            e.push(e[e.len() - 1] * (1.0 + q));
        }
        let r = simple_returns(&e);
        let ex: Vec<f64> = r.iter().zip(&rates).map(|(a, b)| a - b).collect();
        assert!(
            ex.iter().any(|x| *x != 0.0),
            "the residue this test is about"
        );
        assert!(ex.iter().all(|x| x.abs() < 1e-15));
        assert!(sharpe(&r, &rates).is_nan());
        assert!(sortino(&r, &rates).is_nan());
        // One real move above the floor makes it defined again.
        let mut r2 = r.clone();
        r2[7] += 1e-6;
        assert!(sharpe(&r2, &rates).is_finite());
    }
}
