//! Event studies: "the Russell rose 3% on a day the S&P fell: how often, and what came next?"
//!
//! An event file (documented in `docs/events.md`) names its data like a strategy (`[assets]`,
//! `[series]`, `[params]`, `[signals]`) and an `[event]`: a condition in the strategy expression
//! language, a cooldown, horizons and what to measure (an asset's forward return or the spread
//! between two). For each horizon h the forward return after an event on bar t is
//! `P[t+h] / P[t] - 1` (entered at the close of the event bar, when the condition is known);
//! events too close to the end of the data for a horizon are reported as missing, not zero.
//!
//! Statistics per horizon: count, mean, median and hit rate of the event forward returns, the
//! same over all days (the unconditional baseline), and the difference of means with a
//! confidence interval and p-value from a circular block bootstrap over the whole sample: the
//! daily returns are resampled in blocks (which keeps their short-range dependence and, for a
//! spread, the co-movement of the two assets), forward returns are recomputed on the synthetic
//! series at the actual event dates, and that gives the distribution of the difference when the
//! event dates carry no information. Seeded and reproducible whatever the number of threads.

pub mod file;

pub use file::{load, Bootstrap, EventSpec, Measure};

use crate::data::{self, Panel};
use crate::date;
use crate::error::Result;
use crate::plan;
use crate::signal;
use crate::stats::bootstrap::{block_indices, replicate_rng, SplitMix};
use crate::stats::returns::{mean, median, quantile};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// One event.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Event {
    pub bar: usize,
    pub date: String,
    /// Values of the condition's inputs on the event bar.
    #[serde(deserialize_with = "crate::stats::vec_f64_or_nan")]
    pub inputs: Vec<f64>,
    /// Forward return per horizon; None when the data end before it.
    pub forward: Vec<Option<f64>>,
}

/// Statistics of one horizon.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct HorizonStats {
    pub horizon: usize,
    pub events: usize,
    /// Events whose horizon runs past the data.
    pub missing: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub hit_rate: Option<f64>,
    pub all_days: usize,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub all_mean: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub all_median: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub all_hit_rate: f64,
    /// mean - all_mean
    pub difference: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
}

/// The whole study.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Study {
    pub name: String,
    pub condition: String,
    pub measure: Measure,
    pub start: String,
    pub end: String,
    pub bars: usize,
    pub cooldown: usize,
    /// Bars on which the condition held (before the cooldown).
    pub condition_days: usize,
    pub input_names: Vec<String>,
    pub events: Vec<Event>,
    pub horizons: Vec<HorizonStats>,
    pub bootstrap: BootstrapInfo,
    /// Average cumulative path after events (k = 0..=max horizon), its band, and all days'.
    pub path: Vec<PathPoint>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BootstrapInfo {
    pub method: String,
    /// The settings used (written beside `method` in `summary.json`).
    #[serde(flatten)]
    pub settings: Bootstrap,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PathPoint {
    pub bar: usize,
    pub events: usize,
    pub mean: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub all_days: f64,
}

/// The measured price path: a price level, or for a spread the two levels.
struct Measured {
    long: Vec<f64>,
    short: Option<Vec<f64>>,
}

impl Measured {
    /// The measured asset's (or spread legs') total-return levels on the run's bars.
    fn of(spec: &EventSpec, panel: &Panel) -> Measured {
        let asset = |name: &str| {
            panel
                .asset_names
                .iter()
                .position(|a| a == name)
                .map(|i| panel.close[i].clone())
        };
        match &spec.measure {
            Measure::Asset(a) => Measured {
                long: asset(a).unwrap_or_default(),
                short: None,
            },
            Measure::Spread { long, short } => Measured {
                long: asset(long).unwrap_or_default(),
                short: asset(short),
            },
        }
    }

    fn forward(&self, t: usize, h: usize) -> Option<f64> {
        let p = &self.long;
        if t + h >= p.len() {
            return None;
        }
        let r = p[t + h] / p[t] - 1.0;
        Some(match &self.short {
            Some(q) => {
                let s = q[t + h] / q[t] - 1.0;
                // Two legs that returned the same (the same daily returns compounded into two
                // levels) differ by rounding only: their spread is zero, not a hit or a miss.
                // The tolerance is the noise floor of a daily return for each bar compounded.
                let noise =
                    crate::stats::returns::NOISE_FLOOR * h as f64 * (1.0 + r.abs().max(s.abs()));
                if (r - s).abs() <= noise {
                    0.0
                } else {
                    r - s
                }
            }
            None => r,
        })
    }
}

/// Event bars: where the condition is true, at least `cooldown` bars after the previous event.
pub fn select_events(condition: &[f64], cooldown: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for (t, v) in condition.iter().enumerate() {
        if !v.is_nan() && *v != 0.0 && out.last().is_none_or(|&l| t - l > cooldown) {
            out.push(t);
        }
    }
    out
}

/// The difference of means (events minus all days) per horizon on one synthetic series.
fn synthetic_differences(
    daily: &[Vec<f64>],
    idx: &[usize],
    events: &[usize],
    horizons: &[usize],
) -> Vec<f64> {
    let n = idx.len() + 1;
    // Rebuild price levels from resampled daily returns (same indices for every leg).
    let levels: Vec<Vec<f64>> = daily
        .iter()
        .map(|r| {
            let mut p = Vec::with_capacity(n);
            p.push(1.0);
            for &i in idx {
                let last = p[p.len() - 1];
                p.push(last * (1.0 + r[i]));
            }
            p
        })
        .collect();
    let m = Measured {
        long: levels[0].clone(),
        short: levels.get(1).cloned(),
    };
    horizons
        .iter()
        .map(|&h| {
            let ev: Vec<f64> = events.iter().filter_map(|&t| m.forward(t, h)).collect();
            let all: Vec<f64> = (0..n).filter_map(|t| m.forward(t, h)).collect();
            if ev.is_empty() || all.is_empty() {
                f64::NAN
            } else {
                mean(&ev) - mean(&all)
            }
        })
        .collect()
}

/// Runs a study on loaded data: the events, their forward returns, per-horizon statistics
/// against all days with bootstrap intervals, and the average path after events.
pub fn study(spec: &EventSpec, panel: &Panel) -> Result<Study> {
    // A horizon is at most the bars the data have (a longer one measures nothing, and its
    // bootstrap paths would be as long).
    let too_long = spec.horizons.iter().find(|h| **h >= panel.len());
    if let (Some(h), Some(span)) = (too_long, &spec.horizons_span) {
        return Err(crate::error::Error::input(spec.strategy.diag(
            span,
            "event.horizons",
            format!(
                "a horizon of {h} bars is not shorter than the data ({} bars from {} to {})",
                panel.len(),
                crate::date::format(panel.dates[0]),
                crate::date::format(panel.dates[panel.len() - 1])
            ),
        )));
    }
    let plan = plan::compile_with(&spec.strategy, &spec.expressions())?;
    // The condition may look back before `start`: evaluated on the history, read from `start` on.
    let signals = signal::eval_signals(&plan, panel);
    let values = signal::eval_extra(&plan, panel, &signals);
    let (condition, input_values) = (&values[0], &values[1..]);
    let measured = Measured::of(spec, panel);
    let n = panel.len();
    let condition_days = condition
        .iter()
        .filter(|v| !v.is_nan() && **v != 0.0)
        .count();
    let bars = select_events(condition, spec.cooldown);
    let events: Vec<Event> = bars
        .iter()
        .map(|&t| Event {
            bar: t,
            date: date::format(panel.dates[t]),
            inputs: input_values.iter().map(|v| v[t]).collect(),
            forward: spec
                .horizons
                .iter()
                .map(|&h| measured.forward(t, h))
                .collect(),
        })
        .collect();
    let replicates = bootstrap_replicates(spec, &measured, &bars, n);
    let horizons = horizon_stats(spec, &measured, &events, &replicates, n);
    let path = average_path(spec, &measured, &bars, n);
    Ok(Study {
        name: spec.name.clone(),
        condition: spec.when.text.clone(),
        measure: spec.measure.clone(),
        start: date::format(panel.dates[0]),
        end: date::format(panel.dates[n - 1]),
        bars: n,
        cooldown: spec.cooldown,
        condition_days,
        input_names: spec.inputs.iter().map(|e| e.text.clone()).collect(),
        events,
        horizons,
        bootstrap: BootstrapInfo {
            method: "circular block bootstrap of daily returns over the whole sample".into(),
            settings: spec.bootstrap.clone(),
        },
        path,
    })
}

/// Block-bootstrap replicates of the event-minus-all-days difference per horizon, in
/// parallel; each from its own seeded stream, gathered in order (thread-count independent).
fn bootstrap_replicates(
    spec: &EventSpec,
    measured: &Measured,
    bars: &[usize],
    n: usize,
) -> Vec<Vec<f64>> {
    let legs: Vec<&Vec<f64>> = std::iter::once(&measured.long)
        .chain(measured.short.as_ref())
        .collect();
    let daily: Vec<Vec<f64>> = legs
        .iter()
        .map(|p| p.windows(2).map(|w| w[1] / w[0] - 1.0).collect())
        .collect();
    let b = &spec.bootstrap;
    (0..b.samples)
        .into_par_iter()
        .map(|i| {
            let mut rng = replicate_rng(b.seed, i);
            let idx = block_indices(&mut rng, n - 1, b.block);
            synthetic_differences(&daily, &idx, bars, &spec.horizons)
        })
        .collect()
}

/// Per horizon: the events' forward returns against all days, the difference of means with its
/// basic-bootstrap interval and p-value.
fn horizon_stats(
    spec: &EventSpec,
    measured: &Measured,
    events: &[Event],
    replicates: &[Vec<f64>],
    n: usize,
) -> Vec<HorizonStats> {
    let alpha = 1.0 - spec.bootstrap.confidence;
    spec.horizons
        .iter()
        .enumerate()
        .map(|(j, &h)| {
            let ev: Vec<f64> = events.iter().filter_map(|e| e.forward[j]).collect();
            let all: Vec<f64> = (0..n).filter_map(|t| measured.forward(t, h)).collect();
            let (all_mean, all_median) = (mean(&all), median(&all));
            let all_hit = all.iter().filter(|v| **v > 0.0).count() as f64 / all.len() as f64;
            let known = !ev.is_empty();
            let m = known.then(|| mean(&ev));
            let diff = m.map(|m| m - all_mean);
            let mut null: Vec<f64> = replicates
                .iter()
                .map(|r| r[j])
                .filter(|v| !v.is_nan())
                .collect();
            null.sort_by(f64::total_cmp);
            let (ci_low, ci_high, p) = match (diff, null.is_empty()) {
                (Some(d), false) => {
                    // Basic bootstrap interval: the observed difference minus the null's spread.
                    let lo = d - quantile(&null, 1.0 - alpha / 2.0);
                    let hi = d - quantile(&null, alpha / 2.0);
                    let extreme = null.iter().filter(|x| x.abs() >= d.abs()).count();
                    (
                        Some(lo),
                        Some(hi),
                        Some((1 + extreme) as f64 / (1 + null.len()) as f64),
                    )
                }
                _ => (None, None, None),
            };
            HorizonStats {
                horizon: h,
                events: ev.len(),
                missing: events.len() - ev.len(),
                mean: m,
                median: known.then(|| median(&ev)),
                hit_rate: known
                    .then(|| ev.iter().filter(|v| **v > 0.0).count() as f64 / ev.len() as f64),
                all_days: all.len(),
                all_mean,
                all_median,
                all_hit_rate: all_hit,
                difference: diff,
                ci_low,
                ci_high,
                p_value: p,
            }
        })
        .collect()
}

/// The average path after events, with an event-resampling band (events drawn with
/// replacement), and the all-days mean at each step.
fn average_path(spec: &EventSpec, measured: &Measured, bars: &[usize], n: usize) -> Vec<PathPoint> {
    let alpha = 1.0 - spec.bootstrap.confidence;
    let max_h = spec.horizons.iter().copied().max().unwrap_or(1);
    let mut path = Vec::with_capacity(max_h + 1);
    for k in 0..=max_h {
        let ev: Vec<f64> = bars
            .iter()
            .filter_map(|&t| measured.forward(t, k))
            .collect();
        let all: Vec<f64> = (0..n).filter_map(|t| measured.forward(t, k)).collect();
        let (m, lo, hi) = if ev.is_empty() {
            (None, None, None)
        } else {
            let mut rng = SplitMix(spec.bootstrap.seed.wrapping_add(k as u64 + 1));
            let mut means: Vec<f64> = (0..spec.bootstrap.samples.min(1000))
                .map(|_| {
                    (0..ev.len()).map(|_| ev[rng.below(ev.len())]).sum::<f64>() / ev.len() as f64
                })
                .collect();
            means.sort_by(f64::total_cmp);
            (
                Some(mean(&ev)),
                Some(quantile(&means, alpha / 2.0)),
                Some(quantile(&means, 1.0 - alpha / 2.0)),
            )
        };
        path.push(PathPoint {
            bar: k,
            events: ev.len(),
            mean: m,
            low: lo,
            high: hi,
            all_days: if all.is_empty() { f64::NAN } else { mean(&all) },
        });
    }

    path
}

/// Loads an event file and its data and runs the study.
pub fn run_file(path: &Path) -> Result<Study> {
    let spec = load(path)?;
    let panel = data::load_panel(&spec.strategy)?;
    study(&spec, &panel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_skips_events_too_close_to_the_last() {
        let c = [0.0, 1.0, 1.0, 0.0, 1.0, f64::NAN, 0.0, 1.0, 1.0];
        assert_eq!(select_events(&c, 0), vec![1, 2, 4, 7, 8]);
        assert_eq!(select_events(&c, 2), vec![1, 4, 7]);
        assert_eq!(select_events(&c, 5), vec![1, 7]);
    }

    #[test]
    fn forward_returns_and_missing_horizons() {
        let m = Measured {
            long: vec![100.0, 110.0, 99.0, 120.0],
            short: Some(vec![50.0, 50.0, 55.0, 60.0]),
        };
        assert_eq!(m.forward(0, 3), Some(0.2 - 0.2));
        assert!((m.forward(1, 1).unwrap() - (99.0 / 110.0 - 1.0 - 0.1)).abs() < 1e-15);
        assert_eq!(m.forward(1, 3), None);
    }

    #[test]
    fn a_spread_of_equal_returns_is_zero() {
        // Two levels compounding the same daily returns from different starting values: their
        // ratios differ by rounding on some days, but the spread is exactly zero on every day.
        let rets: Vec<f64> = (0..500).map(|i| 0.013 * ((i as f64) * 0.7).sin()).collect();
        let level = |start: f64| {
            let mut v = vec![start];
            for r in &rets {
                v.push(v[v.len() - 1] * (1.0 + r));
            }
            v
        };
        let m = Measured {
            long: level(100.0),
            short: Some(level(37.3)),
        };
        let naive = (0..500)
            .filter(|&t| {
                let (p, q) = (&m.long, m.short.as_ref().unwrap());
                (p[t + 1] / p[t] - 1.0) - (q[t + 1] / q[t] - 1.0) != 0.0
            })
            .count();
        assert!(naive > 0, "the residue this test is about");
        for h in [1, 5, 20, 250] {
            for t in 0..500 - h {
                assert_eq!(m.forward(t, h), Some(0.0), "t {t} h {h}");
            }
        }
        // A real difference stays.
        let mut short = level(37.3);
        short[10] *= 1.0 + 1e-9;
        let m = Measured {
            long: level(100.0),
            short: Some(short),
        };
        assert!(m.forward(9, 1).unwrap() != 0.0);
    }

    #[test]
    fn generator_is_reproducible_and_uniform_enough() {
        let mut a = SplitMix(7);
        let mut b = SplitMix(7);
        let xs: Vec<usize> = (0..1000).map(|_| a.below(10)).collect();
        assert_eq!(xs, (0..1000).map(|_| b.below(10)).collect::<Vec<_>>());
        for d in 0..10 {
            let c = xs.iter().filter(|x| **x == d).count();
            assert!((60..140).contains(&c), "{d}: {c}");
        }
        let idx = block_indices(&mut SplitMix(1), 10, 4);
        assert_eq!(idx.len(), 10);
        assert!(idx.windows(2).take(3).all(|w| w[1] == (w[0] + 1) % 10));
    }
}
