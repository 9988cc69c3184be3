//! Drawdown metrics. The drawdown at bar t is dd_t = E_t / max(E_0..E_t) - 1 (zero or negative).

use crate::date::Date;

pub fn series(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            e / peak - 1.0
        })
        .collect()
}

/// The deepest drawdown: its depth, the bars of its peak and trough, and of the recovery (the
/// first bar after the trough back at or above the peak value), if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxDrawdown {
    pub depth: f64,
    pub peak: usize,
    pub trough: usize,
    pub recovery: Option<usize>,
}

pub fn max_drawdown(equity: &[f64]) -> MaxDrawdown {
    let dd = series(equity);
    let mut trough = 0;
    for (t, d) in dd.iter().enumerate() {
        if *d < dd[trough] {
            trough = t;
        }
    }
    // The peak is the last bar at the running maximum before the trough.
    let peak_value = equity[..=trough]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let peak = (0..=trough)
        .rev()
        .find(|&t| equity[t] == peak_value)
        .unwrap_or(0);
    let recovery = (trough + 1..equity.len()).find(|&t| equity[t] >= peak_value);
    MaxDrawdown {
        depth: dd[trough],
        peak,
        trough,
        recovery,
    }
}

/// Duration of a drawdown in calendar days, from its peak to its recovery (or to the last bar
/// when it has not recovered).
pub fn duration_days(m: &MaxDrawdown, dates: &[Date]) -> i64 {
    let end = m.recovery.unwrap_or(dates.len() - 1);
    (dates[end] - dates[m.peak]) as i64
}

/// Ulcer index: sqrt( mean( dd_t^2 ) ), as a fraction (multiply by 100 for the percent form).
pub fn ulcer_index(equity: &[f64]) -> f64 {
    let dd = series(equity);
    (dd.iter().map(|d| d * d).sum::<f64>() / dd.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let e = [100.0, 120.0, 90.0, 96.0, 120.0, 130.0, 117.0];
        let m = max_drawdown(&e);
        assert_eq!(
            m,
            MaxDrawdown {
                depth: -0.25,
                peak: 1,
                trough: 2,
                recovery: Some(4)
            }
        );
        let dd = [0.0, 0.0, -0.25, -0.2, 0.0, 0.0, -0.1];
        let ui = (dd.iter().map(|d: &f64| d * d).sum::<f64>() / 7.0).sqrt();
        assert!((ulcer_index(&e) - ui).abs() < 1e-15);
        let dates: Vec<i32> = (0..7).map(|i| i * 2).collect();
        assert_eq!(duration_days(&m, &dates), 6);
        let never = max_drawdown(&[1.0, 2.0, 1.0, 1.5]);
        assert_eq!(never.recovery, None);
        assert_eq!(duration_days(&never, &[0, 1, 2, 10]), 9);
    }
}
