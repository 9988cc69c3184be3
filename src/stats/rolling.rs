//! Rolling-window statistics of daily returns, for the report's charts: over the last `w` bars
//! ending at bar t, the return, the annualised volatility and Sharpe ratio, and the beta to a
//! benchmark. Value t is unknown (NaN) until the window is full (t >= w).

use crate::signal::BARS_PER_YEAR;

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
    for t in w..n {
        // Two passes over the window's returns (bars t-w+1 ..= t): means, then deviations.
        let bars = t + 1 - w..=t;
        let (mut sr, mut sx, mut sb) = (0.0, 0.0, 0.0);
        for u in bars.clone() {
            let r = ret_of(equity, u);
            sr += r;
            sx += r - rf[u];
            if let Some(b) = bench {
                sb += ret_of(b, u) - rf[u];
            }
        }
        let (mr, mx, mb) = (sr / m, sx / m, sb / m);
        let (mut vr, mut vx, mut vb, mut cxb) = (0.0, 0.0, 0.0, 0.0);
        for u in bars {
            let r = ret_of(equity, u);
            let x = r - rf[u] - mx;
            vr += (r - mr) * (r - mr);
            vx += x * x;
            if let Some(b) = bench {
                let y = ret_of(b, u) - rf[u] - mb;
                vb += y * y;
                cxb += x * y;
            }
        }
        out.ret[t] = equity[t] / equity[t - w] - 1.0;
        out.vol[t] = (vr / (m - 1.0)).sqrt() * annual;
        out.sharpe[t] = mx / (vx / (m - 1.0)).sqrt() * annual;
        if let Some(beta) = out.beta.as_mut() {
            beta[t] = cxb / vb;
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
