//! Walk-forward testing: in each window, pick the best variant on the training span, run it on
//! the following test span, and stitch the test spans into one out-of-sample equity curve.
//!
//! Every variant is simulated once over the whole calendar; a window's metric is computed on the
//! slice of its equity curve. That is the same as running the variant from the start of the data
//! and looking at the window: decisions only ever use data up to their bar, so the training
//! choice cannot see the test span. The out-of-sample span of a window is the chosen variant's
//! own run over it (its position carried in from its own history; switching costs between
//! variants are not charged).

use super::{apply, for_each_variant, Sweep};
use crate::data::Panel;
use crate::date::{self, Date};
use crate::error::{Diagnostic, Error, Result};
use crate::plan;
use crate::sim;
use crate::spec::Strategy;
use crate::stats::{self, Curve, Metric};
use serde::Serialize;
use std::ops::Range;

/// A window length: calendar months (years are 12 months) or bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Months(u32),
    Bars(usize),
}

/// Parses `10y`, `18m` or `252b` (bars).
pub fn parse_span(text: &str) -> std::result::Result<Span, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let n: u32 = num
        .parse()
        .map_err(|_| format!("`{text}`: expected a length like 10y, 18m or 252b"))?;
    if n == 0 {
        return Err(format!("`{text}`: a length must be positive"));
    }
    // Bounded where read: 1,000 years, so month arithmetic and dates stay in range.
    let max = match unit {
        "y" => 1_000,
        "m" => 12_000,
        "b" => crate::spec::MAX_BARS as u32,
        _ => u32::MAX,
    };
    if n > max {
        return Err(format!("`{text}`: at most {max}{unit}"));
    }
    match unit {
        "y" => Ok(Span::Months(n * 12)),
        "m" => Ok(Span::Months(n)),
        "b" => Ok(Span::Bars(n as usize)),
        _ => Err(format!(
            "`{text}`: expected a unit y (years), m (months) or b (bars)"
        )),
    }
}

/// `d` plus `months` calendar months, the day clamped to the month's length.
pub fn add_months(d: Date, months: u32) -> Date {
    let (y, m, day) = date::to_ymd(d);
    let total = y * 12 + (m as i32 - 1) + months as i32;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    // The day clamped to the month's length (28 is always valid).
    let dd = (28..=day.max(28))
        .rev()
        .find(|dd| date::parse(&format!("{ny:04}-{nm:02}-{dd:02}")).is_some())
        .unwrap_or(28)
        .min(day);
    date::from_ymd(ny, nm, dd)
}

/// One walk-forward window, as bar ranges `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub train: Range<usize>,
    pub test: Range<usize>,
}

/// The windows over a calendar. Window k trains on `[s_k, s_k + train)` and tests on the
/// `test` that follows, with `s_k = start + k x step` (rolling) or `s_k = start` and the
/// training end moving by `step` (anchored). Only complete test spans are kept: the data must
/// reach the end of the test span, allowing for a weekend and a holiday (a test span ending up
/// to 4 calendar days after the last bar is complete: no trading day of it is missing).
pub fn windows(
    dates: &[Date],
    train: Span,
    test: Span,
    step: Span,
    anchored: bool,
) -> std::result::Result<Vec<Window>, String> {
    let n = dates.len();
    let bar_at = |d: Date| dates.partition_point(|x| *x < d);
    let mut out = Vec::new();
    match (train, test, step) {
        (Span::Bars(tr), Span::Bars(te), Span::Bars(st)) => {
            for k in 0.. {
                let train_end = tr + k * st;
                let train_start = if anchored { 0 } else { k * st };
                let test_end = train_end + te;
                if test_end > n {
                    break;
                }
                out.push(Window {
                    train: train_start..train_end,
                    test: train_end..test_end,
                });
            }
        }
        (Span::Months(tr), Span::Months(te), Span::Months(st)) => {
            let origin = dates[0];
            for k in 0u32.. {
                let train_start = if anchored {
                    origin
                } else {
                    add_months(origin, k * st)
                };
                let train_end = add_months(origin, tr + k * st);
                let test_end = add_months(train_end, te);
                if test_end > dates[n - 1] + 4 {
                    break;
                }
                out.push(Window {
                    train: bar_at(train_start)..bar_at(train_end),
                    test: bar_at(train_end)..bar_at(test_end),
                });
            }
        }
        _ => {
            return Err(
                "--train, --test and --step must all be calendar lengths (y, m) or all bars (b)"
                    .into(),
            )
        }
    }
    out.retain(|w| w.train.len() >= 2 && !w.test.is_empty());
    Ok(out)
}

/// The chosen variant and its metrics in one window.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct WindowResult {
    pub train_start: String,
    pub train_end: String,
    pub test_start: String,
    pub test_end: String,
    pub variant: usize,
    #[serde(deserialize_with = "crate::stats::vec_f64_or_nan")]
    pub params: Vec<f64>,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub train_metric: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub test_metric: f64,
}

/// The whole walk-forward result.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct WalkForward {
    pub metric: Metric,
    pub anchored: bool,
    pub windows: Vec<WindowResult>,
    /// Dates of the stitched out-of-sample curve (the bar before the first test bar, then every
    /// test bar).
    #[serde(skip)]
    pub dates: Vec<Date>,
    #[serde(skip)]
    pub equity: Vec<f64>,
    pub out_of_sample: Curve,
    /// Mean of the chosen variants' training-span metric.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub in_sample_mean: f64,
    /// Mean of their test-span metric.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub out_of_sample_mean: f64,
    /// out_of_sample_mean / in_sample_mean.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub degradation_ratio: f64,
}

/// Curve metrics of equity[a..b] (the first value is the base), with the cash returns of the
/// bars after it.
fn slice_curve(panel: &Panel, equity: &[f64], r: Range<usize>) -> Curve {
    let years = crate::conventions::years_between(panel.dates[r.start], panel.dates[r.end - 1]);
    stats::curve(
        &equity[r.clone()],
        &panel.cash_ret[r.start + 1..r.end],
        years,
    )
}

/// Runs the walk-forward over `windows`, ranking variants by `metric`.
pub fn run(
    s: &Strategy,
    panel: &Panel,
    sweep: &Sweep,
    windows: &[Window],
    metric: Metric,
    anchored: bool,
) -> Result<WalkForward> {
    if windows.is_empty() {
        return Err(Error::input(Diagnostic::new(
            "--train/--test",
            format!(
                "no complete walk-forward window fits in {} to {}: shorten --train or --test",
                date::format(panel.dates[0]),
                date::format(panel.dates[panel.len() - 1])
            ),
        )));
    }
    let at = |c: Curve| metric.of_curve(&c).unwrap_or(f64::NAN);
    // (train, test) metric of every variant in every window.
    let ids: Vec<usize> = (0..sweep.variants.len()).collect();
    let per_variant: Vec<Vec<(f64, f64)>> = for_each_variant(s, panel, sweep, &ids, &|_, v| {
        let r = v.run();
        // A variant ruined by the end of a span has no metric there (its frozen equity would
        // look like a flat, riskless curve afterwards): it cannot be chosen on that span.
        let alive = |end: usize| r.ruined.is_none_or(|rb| rb >= end);
        windows
            .iter()
            .map(|w| {
                let tr = if alive(w.train.end) {
                    at(slice_curve(panel, &r.equity, w.train.clone()))
                } else {
                    f64::NAN
                };
                let te = if alive(w.test.end) {
                    at(slice_curve(panel, &r.equity, w.test.start - 1..w.test.end))
                } else {
                    f64::NAN
                };
                (tr, te)
            })
            .collect()
    })?;
    let better = |a: f64, b: f64| metric.best_first(a, b) == std::cmp::Ordering::Less;
    let mut results = Vec::new();
    let mut dates = vec![panel.dates[windows[0].test.start - 1]];
    let mut equity = vec![s.initial_capital];
    let mut cash = vec![0.0];
    let mut runs: Vec<(usize, Vec<f64>)> = Vec::new();
    for (k, w) in windows.iter().enumerate() {
        // Ties go to the variant listed first.
        let mut best = 0;
        for v in 1..per_variant.len() {
            if better(per_variant[v][k].0, per_variant[best][k].0) {
                best = v;
            }
        }
        if !runs.iter().any(|(v, _)| *v == best) {
            let plan = plan::compile(&apply(s, &sweep.axes, &sweep.variants[best]))?;
            let r = sim::run(panel, &plan);
            runs.push((best, r.equity));
        }
        let eq = &runs
            .iter()
            .find(|(v, _)| *v == best)
            .expect("just inserted")
            .1;
        for t in w.test.clone() {
            let last = *equity.last().expect("starts with the initial capital");
            // Ruined out of sample: the chained curve stays where it fell.
            equity.push(if last <= 0.0 {
                last
            } else {
                last * eq[t] / eq[t - 1]
            });
            dates.push(panel.dates[t]);
            cash.push(panel.cash_ret[t]);
        }
        results.push(WindowResult {
            train_start: date::format(panel.dates[w.train.start]),
            train_end: date::format(panel.dates[w.train.end - 1]),
            test_start: date::format(panel.dates[w.test.start]),
            test_end: date::format(panel.dates[w.test.end - 1]),
            variant: best,
            params: sweep.variants[best].to_vec(),
            train_metric: per_variant[best][k].0,
            test_metric: per_variant[best][k].1,
        });
    }
    let years = crate::conventions::years_between(dates[0], dates[dates.len() - 1]);
    let oos = stats::curve(&equity, &cash[1..], years);
    let is_mean = stats::returns::mean(&results.iter().map(|r| r.train_metric).collect::<Vec<_>>());
    let oos_mean = stats::returns::mean(&results.iter().map(|r| r.test_metric).collect::<Vec<_>>());
    Ok(WalkForward {
        metric,
        anchored,
        windows: results,
        dates,
        equity,
        out_of_sample: oos,
        in_sample_mean: is_mean,
        out_of_sample_mean: oos_mean,
        degradation_ratio: oos_mean / is_mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::from_ymd;

    /// Weekdays from 2000-01-03 to 2004-12-31.
    fn calendar() -> Vec<Date> {
        (from_ymd(2000, 1, 3)..=from_ymd(2004, 12, 31))
            .filter(|d| date::weekday(*d) <= 5)
            .collect()
    }

    fn bar(dates: &[Date], y: i32, m: u32, d: u32) -> usize {
        // First bar on or after the date, found by a plain scan.
        dates.iter().position(|x| *x >= from_ymd(y, m, d)).unwrap()
    }

    #[test]
    fn spans_and_months() {
        assert_eq!(parse_span("10y"), Ok(Span::Months(120)));
        // Bounded: no overflow of n x 12, no date past year 9999.
        assert!(parse_span("8000y").unwrap_err().contains("at most 1000y"));
        assert!(parse_span("357913942y")
            .unwrap_err()
            .contains("at most 1000y"));
        assert!(parse_span("2000000b").is_err());
        assert_eq!(parse_span("1000y"), Ok(Span::Months(12_000)));
        assert_eq!(
            add_months(date::from_ymd(2024, 1, 31), 1),
            date::from_ymd(2024, 2, 29)
        );
        assert_eq!(parse_span("18m"), Ok(Span::Months(18)));
        assert_eq!(parse_span("252b"), Ok(Span::Bars(252)));
        assert!(parse_span("2w").is_err() && parse_span("0y").is_err() && parse_span("y").is_err());
        assert_eq!(add_months(from_ymd(2020, 1, 31), 1), from_ymd(2020, 2, 29));
        assert_eq!(add_months(from_ymd(2019, 11, 30), 3), from_ymd(2020, 2, 29));
        assert_eq!(add_months(from_ymd(2000, 1, 3), 24), from_ymd(2002, 1, 3));
    }

    #[test]
    fn rolling_calendar_windows() {
        let d = calendar();
        let w = windows(
            &d,
            Span::Months(24),
            Span::Months(12),
            Span::Months(12),
            false,
        )
        .unwrap();
        // Tests 2002, 2003, 2004 (the last ends 2005-01-03, one day after the data: complete).
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].train, 0..bar(&d, 2002, 1, 3));
        assert_eq!(w[0].test, bar(&d, 2002, 1, 3)..bar(&d, 2003, 1, 3));
        assert_eq!(w[1].train, bar(&d, 2001, 1, 3)..bar(&d, 2003, 1, 3));
        assert_eq!(w[2].test, bar(&d, 2004, 1, 3)..d.len());
        // Test spans tile the out-of-sample period without gaps or overlaps.
        assert!(w.windows(2).all(|p| p[0].test.end == p[1].test.start));
    }

    #[test]
    fn anchored_calendar_windows() {
        let d = calendar();
        let w = windows(&d, Span::Months(24), Span::Months(6), Span::Months(6), true).unwrap();
        assert_eq!(w.len(), 6);
        assert!(w.iter().all(|x| x.train.start == 0));
        assert_eq!(w[3].train.end, bar(&d, 2003, 7, 3));
        assert_eq!(w[5].test, bar(&d, 2004, 7, 3)..d.len());
    }

    #[test]
    fn bar_windows_and_incomplete_tails() {
        let d = calendar();
        let n = d.len(); // 1305 weekdays
        let w = windows(&d, Span::Bars(500), Span::Bars(250), Span::Bars(250), false).unwrap();
        assert_eq!(n, 1305);
        assert_eq!(
            w,
            vec![
                Window {
                    train: 0..500,
                    test: 500..750
                },
                Window {
                    train: 250..750,
                    test: 750..1000
                },
                Window {
                    train: 500..1000,
                    test: 1000..1250
                }
            ]
        );
        let a = windows(&d, Span::Bars(500), Span::Bars(400), Span::Bars(400), true).unwrap();
        assert_eq!(
            a,
            vec![
                Window {
                    train: 0..500,
                    test: 500..900
                },
                Window {
                    train: 0..900,
                    test: 900..1300
                }
            ]
        );
        assert!(windows(&d, Span::Months(12), Span::Bars(10), Span::Bars(10), false).is_err());
    }
}
