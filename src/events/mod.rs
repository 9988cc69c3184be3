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

use crate::data::{self, Panel};
use crate::date;
use crate::error::{Diagnostics, Error, Result};
use crate::plan;
use crate::signal;
use crate::spec::reader::{Cx, Table};
use crate::spec::value::{self, Value};
use crate::spec::{self, ExprSrc, Strategy};
use crate::stats::returns::{mean, median, quantile};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// What is measured after each event.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Measure {
    /// Forward return of one asset.
    Asset(String),
    /// Forward return of `long` minus that of `short`.
    Spread { long: String, short: String },
}

/// A checked event file.
#[derive(Debug, Clone)]
pub struct EventSpec {
    pub name: String,
    pub description: String,
    pub when: ExprSrc,
    pub cooldown: usize,
    pub horizons: Vec<usize>,
    pub measure: Measure,
    pub samples: usize,
    pub block: usize,
    pub seed: u64,
    pub confidence: f64,
    /// The data part, as a strategy without rules (for loading and compiling expressions).
    pub strategy: Strategy,
}

/// Reads an event file; every problem is reported with line, column and key.
pub fn load(path: &Path) -> Result<EventSpec> {
    let text = spec::read(path)?;
    let doc = value::parse_file(path, &text)?;
    let mut cx = Cx {
        path,
        text: &text,
        diags: Diagnostics::default(),
    };
    let mut top = Table::new("", &doc, 0..text.len());
    match top.integer(&mut cx, "version", 0) {
        Some((1, _)) => {}
        Some((v, span)) => cx.err(
            &span,
            "version",
            format!("unsupported format version {v}; this rotor reads version 1"),
        ),
        None => cx.err(
            &(0..0),
            "version",
            "missing required key (expected version = 1)",
        ),
    }
    let name = top
        .req_string(&mut cx, "name")
        .map(|v| v.0)
        .unwrap_or_default();
    let description = top
        .string(&mut cx, "description")
        .map(|v| v.0)
        .unwrap_or_default();
    let start = top.date(&mut cx, "start");
    let end = top.date(&mut cx, "end");
    let params = spec::read_params(&mut cx, &mut top);
    let assets = spec::read_assets(&mut cx, &mut top);
    let series = spec::read_series(&mut cx, &mut top);
    let signals = spec::read_signals(&mut cx, &mut top);

    let mut when = None;
    let mut cooldown = 20;
    let mut horizons = vec![1, 5, 20, 60, 120, 250];
    let mut measure = None;
    match top.table(&mut cx, "event") {
        Some(mut t) => {
            when = t
                .get("when")
                .and_then(|n| spec::expr_src(&mut cx, n, "event.when"));
            if when.is_none() && t.entries.iter().all(|(k, _)| k.get_ref() != "when") {
                let span = t.span.clone();
                cx.err(
                    &span,
                    "event.when",
                    "missing required key (the event condition, e.g. \"ret(rut, 5) > 0.10\")",
                );
            }
            if let Some((v, _)) = t.integer(&mut cx, "cooldown", 0) {
                cooldown = v as usize;
            }
            if let Some(node) = t.get("horizons") {
                match node.get_ref() {
                    Value::Array(items) if !items.is_empty() => {
                        let mut hs = Vec::new();
                        for it in items {
                            match it.get_ref() {
                                Value::Integer(h) if *h >= 1 => hs.push(*h as usize),
                                other => cx.err(
                                    &it.span(),
                                    "event.horizons",
                                    format!(
                                        "expected whole numbers of bars >= 1, found {}",
                                        if let Value::Integer(h) = other {
                                            h.to_string()
                                        } else {
                                            other.type_name().to_owned()
                                        }
                                    ),
                                ),
                            }
                        }
                        hs.sort_unstable();
                        hs.dedup();
                        horizons = hs;
                    }
                    _ => cx.err(
                        &node.span(),
                        "event.horizons",
                        "expected a non-empty list of bar counts, e.g. [1, 5, 20]",
                    ),
                }
            }
            match t.get("measure") {
                Some(node) => match node.get_ref() {
                    Value::String(a) => measure = Some((Measure::Asset(a.clone()), node.span())),
                    Value::Table(_) => {
                        if let Some(mut mt) =
                            crate::spec::reader::table_of(&mut cx, node, "event.measure")
                        {
                            let long = mt.req_string(&mut cx, "long").map(|v| v.0);
                            let short = mt.req_string(&mut cx, "short").map(|v| v.0);
                            mt.finish(&mut cx, &["long", "short"]);
                            if let (Some(long), Some(short)) = (long, short) {
                                measure = Some((Measure::Spread { long, short }, node.span()));
                            }
                        }
                    }
                    other => cx.err(
                        &node.span(),
                        "event.measure",
                        format!(
                            "expected an asset name or {{ long = \"a\", short = \"b\" }}, found {}",
                            other.type_name()
                        ),
                    ),
                },
                None => {
                    let span = t.span.clone();
                    cx.err(&span, "event.measure", "missing required key (an asset name, or { long = \"a\", short = \"b\" } for a spread)");
                }
            }
            t.finish(&mut cx, &["when", "cooldown", "horizons", "measure"]);
        }
        None => cx.err(&(0..0), "event", "missing required table [event]"),
    }
    let (mut samples, mut block, mut seed, mut confidence) = (2000usize, 20usize, 42u64, 0.95f64);
    if let Some(mut t) = top.table(&mut cx, "bootstrap") {
        if let Some((v, _)) = t.integer(&mut cx, "samples", 100) {
            samples = v as usize;
        }
        if let Some((v, _)) = t.integer(&mut cx, "block", 1) {
            block = v as usize;
        }
        if let Some((v, _)) = t.integer(&mut cx, "seed", 0) {
            seed = v as u64;
        }
        if let Some((v, span)) = t.number(&mut cx, "confidence") {
            if v > 0.5 && v < 1.0 {
                confidence = v;
            } else {
                cx.err(
                    &span,
                    "bootstrap.confidence",
                    format!("expected a level between 0.5 and 1 (e.g. 0.95), found {v}"),
                );
            }
        }
        t.finish(&mut cx, &["samples", "block", "seed", "confidence"]);
    }
    top.finish(
        &mut cx,
        &[
            "version",
            "name",
            "description",
            "start",
            "end",
            "params",
            "assets",
            "series",
            "signals",
            "event",
            "bootstrap",
        ],
    );

    // Measured assets must exist.
    if let Some((m, span)) = &measure {
        let names: Vec<&str> = match m {
            Measure::Asset(a) => vec![a.as_str()],
            Measure::Spread { long, short } => vec![long.as_str(), short.as_str()],
        };
        for n in names {
            if !assets.iter().any(|a| a.name == n) {
                let known: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
                cx.err(
                    span,
                    "event.measure",
                    format!("unknown asset `{n}`; assets are: {}", known.join(", ")),
                );
            }
        }
    }
    let mut strategy =
        Strategy::data_only(path, &text, start, end, params, assets, series, signals);
    // The condition becomes the last signal, so the compiler checks and resolves it.
    if let Some(w) = &when {
        strategy.signals.push(("__event".into(), w.clone()));
    }
    let mut diags = cx.diags;
    if let Err(Error::Input(more)) = plan::compile(&strategy) {
        diags.extend(more);
    }
    diags.0.sort_by_key(|d| (d.line, d.column));
    let (Some(when), Some((measure, _))) = (when, measure) else {
        return Err(Error::Input(diags));
    };
    diags.into_result(EventSpec {
        name,
        description,
        when,
        cooldown,
        horizons,
        measure,
        samples,
        block,
        seed,
        confidence,
        strategy,
    })
}

/// The outermost function calls of the condition, with their text: what the event list shows.
fn inputs(when: &ExprSrc) -> Vec<ExprSrc> {
    fn walk(e: &crate::expr::Expr, src: &ExprSrc, out: &mut Vec<ExprSrc>) {
        use crate::expr::Expr;
        match e {
            Expr::Call(_, _, span) | Expr::Name(_, span) => {
                let text = src.text[span.clone()].to_owned();
                if !out.iter().any(|x| x.text == text) {
                    out.push(ExprSrc {
                        text,
                        span: src.span.start + span.start..src.span.start + span.end,
                        key: src.key.clone(),
                    });
                }
            }
            Expr::Neg(a, _) | Expr::Not(a, _) => walk(a, src, out),
            Expr::Binary(_, a, b, _) => {
                walk(a, src, out);
                walk(b, src, out);
            }
            Expr::Num(..) | Expr::Placeholder(..) => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(e) = crate::expr::parse(&when.text) {
        walk(&e, when, &mut out);
    }
    out
}

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub bar: usize,
    pub date: String,
    /// Values of the condition's inputs on the event bar.
    pub inputs: Vec<f64>,
    /// Forward return per horizon; None when the data end before it.
    pub forward: Vec<Option<f64>>,
}

/// Statistics of one horizon.
#[derive(Debug, Clone, Serialize)]
pub struct HorizonStats {
    pub horizon: usize,
    pub events: usize,
    /// Events whose horizon runs past the data.
    pub missing: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub hit_rate: Option<f64>,
    pub all_days: usize,
    pub all_mean: f64,
    pub all_median: f64,
    pub all_hit_rate: f64,
    /// mean - all_mean
    pub difference: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
}

/// The whole study.
#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapInfo {
    pub method: &'static str,
    pub samples: usize,
    pub block: usize,
    pub seed: u64,
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathPoint {
    pub bar: usize,
    pub events: usize,
    pub mean: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub all_days: f64,
}

/// The measured price path: a price level, or for a spread the two levels.
struct Measured {
    long: Vec<f64>,
    short: Option<Vec<f64>>,
}

impl Measured {
    fn forward(&self, t: usize, h: usize) -> Option<f64> {
        let p = &self.long;
        if t + h >= p.len() {
            return None;
        }
        let r = p[t + h] / p[t] - 1.0;
        Some(match &self.short {
            Some(q) => r - (q[t + h] / q[t] - 1.0),
            None => r,
        })
    }
}

/// SplitMix64: a small, fast, well-mixed generator; the stream depends only on the seed.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
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

/// A circular block bootstrap index sequence of length n.
fn block_indices(rng: &mut SplitMix, n: usize, block: usize) -> Vec<usize> {
    let mut idx = Vec::with_capacity(n);
    while idx.len() < n {
        let start = rng.below(n);
        for j in 0..block.min(n - idx.len()) {
            idx.push((start + j) % n);
        }
    }
    idx
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

/// Runs a study on loaded data.
pub fn study(spec: &EventSpec, panel: &Panel) -> Result<Study> {
    let mut strategy = spec.strategy.clone();
    let ins = inputs(&spec.when);
    for (i, e) in ins.iter().enumerate() {
        strategy.signals.push((format!("__input{i}"), e.clone()));
    }
    let plan = plan::compile(&strategy)?;
    // Conditions may look back before `start`: evaluated on the history, read from `start` on.
    let values = signal::eval_signals(&plan, panel);
    let w = panel.warmup;
    let k_when = spec.strategy.signals.len() - 1;
    let condition = &values[k_when][w..];
    let input_values: Vec<&[f64]> = (0..ins.len())
        .map(|i| &values[k_when + 1 + i][w..])
        .collect();
    let asset = |name: &str| {
        panel
            .asset_names
            .iter()
            .position(|a| a == name)
            .map(|i| panel.close[i].clone())
    };
    let measured = match &spec.measure {
        Measure::Asset(a) => Measured {
            long: asset(a).unwrap_or_default(),
            short: None,
        },
        Measure::Spread { long, short } => Measured {
            long: asset(long).unwrap_or_default(),
            short: asset(short),
        },
    };
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

    // Bootstrap replicates, in parallel; each from its own seeded stream, gathered in order.
    let legs: Vec<&Vec<f64>> = std::iter::once(&measured.long)
        .chain(measured.short.as_ref())
        .collect();
    let daily: Vec<Vec<f64>> = legs
        .iter()
        .map(|p| p.windows(2).map(|w| w[1] / w[0] - 1.0).collect())
        .collect();
    let replicates: Vec<Vec<f64>> = (0..spec.samples)
        .into_par_iter()
        .map(|b| {
            let mut rng = SplitMix(spec.seed ^ (b as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let idx = block_indices(&mut rng, n - 1, spec.block);
            synthetic_differences(&daily, &idx, &bars, &spec.horizons)
        })
        .collect();

    let alpha = 1.0 - spec.confidence;
    let horizons = spec
        .horizons
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
        .collect();

    // Average path after events, with an event-resampling band (events drawn with replacement).
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
            let mut rng = SplitMix(spec.seed.wrapping_add(k as u64 + 1));
            let mut means: Vec<f64> = (0..spec.samples.min(1000))
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

    Ok(Study {
        name: spec.name.clone(),
        condition: spec.when.text.clone(),
        measure: spec.measure.clone(),
        start: date::format(panel.dates[0]),
        end: date::format(panel.dates[n - 1]),
        bars: n,
        cooldown: spec.cooldown,
        condition_days,
        input_names: ins.iter().map(|e| e.text.clone()).collect(),
        events,
        horizons,
        bootstrap: BootstrapInfo {
            method: "circular block bootstrap of daily returns over the whole sample",
            samples: spec.samples,
            block: spec.block,
            seed: spec.seed,
            confidence: spec.confidence,
        },
        path,
    })
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
