//! Rolling-window statistics of daily returns, for the report's charts: over the last `w` bars
//! ending at bar t, the return, the annualised volatility and Sharpe ratio, and the beta to a
//! benchmark. Value t is unknown (NaN) until the window is full (t >= w).

use crate::conventions::BARS_PER_YEAR;

#[derive(Debug, Clone, PartialEq)]
pub struct Rolling {
    pub window: usize,
    /// E_t / E_{t-w} - 1
    pub ret: Vec<f64>,
    /// stdev(r over the window) x sqrt(252)
    pub vol: Vec<f64>,
    /// mean(r - rf) / stdev(r - rf) x sqrt(252) over the window
    pub sharpe: Vec<f64>,
    /// cov(r - rf, b - rf) / var(b - rf) over the window, against the benchmark
    pub beta: Option<Vec<f64>>,
}

/// `equity` and `bench` are levels on the same bars; `rf[t]` is the cash return of bar t
/// (`rf[0]` unused).
pub fn rolling(equity: &[f64], rf: &[f64], bench: Option<&[f64]>, w: usize) -> Rolling {
    let n = equity.len();
    let ret_of = |e: &[f64], t: usize| e[t] / e[t - 1] - 1.0;
    let mut out = Rolling {
        window: w,
        ret: vec![f64::NAN; n],
        vol: vec![f64::NAN; n],
        sharpe: vec![f64::NAN; n],
        beta: bench.map(|_| vec![f64::NAN; n]),
    };
    if w < 2 {
        return out;
    }
    let annual = BARS_PER_YEAR.sqrt();
    let m = w as f64;
    // Sliding sums over the window's returns (bars t-w+1 ..= t): O(n) for any window. Daily
    // returns are small and a window holds at most a few hundred, so the sums lose nothing a
    // chart could show (the test checks them against direct two-pass values to 1e-9).
    let r: Vec<f64> = (0..n)
        .map(|t| if t == 0 { 0.0 } else { ret_of(equity, t) })
        .collect();
    let x: Vec<f64> = (0..n).map(|t| r[t] - rf[t]).collect();
    let y: Vec<f64> = match bench {
        Some(b) => (0..n)
            .map(|t| if t == 0 { 0.0 } else { ret_of(b, t) - rf[t] })
            .collect(),
        None => vec![0.0; n],
    };
    let (mut sr, mut sr2, mut sx, mut sx2, mut sy, mut sy2, mut sxy) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for t in 1..n {
        sr += r[t];
        sr2 += r[t] * r[t];
        sx += x[t];
        sx2 += x[t] * x[t];
        sy += y[t];
        sy2 += y[t] * y[t];
        sxy += x[t] * y[t];
        if t > w {
            let u = t - w;
            sr -= r[u];
            sr2 -= r[u] * r[u];
            sx -= x[u];
            sx2 -= x[u] * x[u];
            sy -= y[u];
            sy2 -= y[u] * y[u];
            sxy -= x[u] * y[u];
        }
        if t < w {
            continue;
        }
        let var = |s: f64, s2: f64| ((s2 - s * s / m) / (m - 1.0)).max(0.0);
        out.ret[t] = equity[t] / equity[t - w] - 1.0;
        out.vol[t] = var(sr, sr2).sqrt() * annual;
        out.sharpe[t] = super::returns::over_deviation(sx / m, var(sx, sx2).sqrt()) * annual;
        if let Some(beta) = out.beta.as_mut() {
            beta[t] = (sxy - sx * sy / m) / (sy2 - sy * sy / m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::returns::{mean, stdev};

    #[test]
    fn windows_against_a_direct_computation() {
        let e = [100.0, 102.0, 101.0, 104.0, 103.0, 107.0];
        let b = [50.0, 50.5, 50.0, 51.0, 51.5, 52.0];
        let rf = [0.0, 0.001, 0.001, 0.0, 0.002, 0.001];
        let roll = rolling(&e, &rf, Some(&b), 3);
        assert!(roll.ret[2].is_nan() && roll.sharpe[2].is_nan());
        for t in 3..6 {
            let r: Vec<f64> = (t - 2..=t).map(|u| e[u] / e[u - 1] - 1.0).collect();
            let x: Vec<f64> = (t - 2..=t).map(|u| e[u] / e[u - 1] - 1.0 - rf[u]).collect();
            let y: Vec<f64> = (t - 2..=t).map(|u| b[u] / b[u - 1] - 1.0 - rf[u]).collect();
            let (mx, my) = (mean(&x), mean(&y));
            let cov: f64 = x
                .iter()
                .zip(&y)
                .map(|(p, q)| (p - mx) * (q - my))
                .sum::<f64>()
                / 2.0;
            let var: f64 = y.iter().map(|q| (q - my) * (q - my)).sum::<f64>() / 2.0;
            assert!((roll.ret[t] - (e[t] / e[t - 3] - 1.0)).abs() < 1e-15);
            assert!((roll.vol[t] - stdev(&r) * 252f64.sqrt()).abs() < 1e-12);
            assert!((roll.sharpe[t] - mx / stdev(&x) * 252f64.sqrt()).abs() < 1e-9);
            assert!((roll.beta.as_ref().unwrap()[t] - cov / var).abs() < 1e-9);
        }
    }
}
