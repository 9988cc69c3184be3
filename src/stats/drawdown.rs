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

/// One drawdown: from a peak (the last bar at the running maximum before the decline) to the
/// first bar back at or above the peak's value. A drawdown still open on the last bar is not
/// recovered, and its length runs to the last bar.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub peak: String,
    pub trough: String,
    /// `None`: not recovered by the last bar.
    pub recovery: Option<String>,
    /// trough / peak - 1 (negative).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub depth: f64,
    /// Calendar days from the peak to the trough.
    pub days_to_trough: i64,
    /// Calendar days from the peak to the recovery, or to the last bar when not recovered.
    pub days_to_recovery: i64,
    pub bars_to_trough: usize,
    pub bars_to_recovery: usize,
}

/// The `count` deepest drawdowns, deepest first (ties: the earlier first).
pub fn worst(equity: &[f64], dates: &[Date], count: usize) -> Vec<Period> {
    let fmt = |t: usize| crate::date::format(dates[t]);
    let last = equity.len() - 1;
    let close = |peak: usize, trough: usize, recovery: Option<usize>| {
        let end = recovery.unwrap_or(last);
        Period {
            peak: fmt(peak),
            trough: fmt(trough),
            recovery: recovery.map(fmt),
            depth: equity[trough] / equity[peak] - 1.0,
            days_to_trough: (dates[trough] - dates[peak]) as i64,
            days_to_recovery: (dates[end] - dates[peak]) as i64,
            bars_to_trough: trough - peak,
            bars_to_recovery: end - peak,
        }
    };
    let mut out = Vec::new();
    let mut peak = 0;
    let mut trough: Option<usize> = None;
    for t in 1..equity.len() {
        if equity[t] >= equity[peak] {
            if let Some(tr) = trough.take() {
                out.push(close(peak, tr, Some(t)));
            }
            peak = t;
        } else if trough.is_none_or(|tr| equity[t] < equity[tr]) {
            trough = Some(t);
        }
    }
    if let Some(tr) = trough {
        out.push(close(peak, tr, None));
    }
    out.sort_by(|a, b| a.depth.total_cmp(&b.depth));
    out.truncate(count);
    out
}

#[cfg(test)]
mod period_tests {
    use super::*;

    #[test]
    fn drawdowns_by_hand_including_one_never_recovered() {
        let dates: Vec<Date> = (0..9).map(|i| 1000 + 2 * i).collect();
        // Peak 100 at bar 0, trough 80 (bar 2), recovered at bar 3 (100 again: at or above);
        // peak 110 at bar 4 (then 110 again at bar 5: the later one is the peak), trough 66
        // at bar 7, still under water at the end (bar 8).
        let e = [100.0, 90.0, 80.0, 100.0, 110.0, 110.0, 99.0, 66.0, 77.0];
        let w = worst(&e, &dates, 10);
        assert_eq!(w.len(), 2);
        let deep = &w[0];
        assert!((deep.depth - (66.0 / 110.0 - 1.0)).abs() < 1e-15);
        assert_eq!(deep.peak, crate::date::format(1010));
        assert_eq!(deep.trough, crate::date::format(1014));
        assert_eq!(deep.recovery, None);
        assert_eq!((deep.days_to_trough, deep.days_to_recovery), (4, 6));
        assert_eq!((deep.bars_to_trough, deep.bars_to_recovery), (2, 3));
        let first = &w[1];
        assert!((first.depth + 0.2).abs() < 1e-15);
        assert_eq!(first.recovery, Some(crate::date::format(1006)));
        assert_eq!((first.days_to_trough, first.days_to_recovery), (4, 6));
        assert_eq!(worst(&e, &dates, 1).len(), 1);
        // No drawdown at all.
        assert!(worst(&[1.0, 2.0, 3.0], &dates[..3], 5).is_empty());
    }
}
