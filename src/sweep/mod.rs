//! Parameter sweeps: many variants of one strategy, run in parallel.
//!
//! A `[sweep]` table (or `--param` flags) names values for parameters by their path in the
//! strategy (`params.lookback`, `execution.commission_bps`, ...); the variants are their
//! cartesian product, filtered by optional constraints. Speed comes from the design:
//!
//! * the data are loaded once and shared read-only by every variant;
//! * variants that differ only in trading parameters (costs, bands, holding period) share one
//!   group: their signals and rule decisions are computed once for the group;
//! * each variant's simulation is the engine's own loop in its lean mode (no per-bar weights or
//!   trade list), and only its headline metrics are kept, so memory does not grow with curves;
//! * groups and the variants in them spread over all cores with rayon; results are collected in
//!   variant order, so files are byte-identical whatever the number of threads.

pub mod collect;
pub mod fast;
pub mod honest;
pub mod shard;
pub mod walkforward;

pub use crate::spec::sweep::SweepPath;

use crate::data::Panel;
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::expr::{self, Expr};
use crate::plan;
use crate::signal;
use crate::sim;
use crate::spec::{ExprSrc, Strategy};
use crate::stats::{self, Headline, Metric};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

pub use crate::spec::sweep::{range_values, MAX_VARIANTS};

/// One swept parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Axis {
    /// What the axis sets.
    #[serde(skip)]
    pub target: SweepPath,
    /// Full path, e.g. `params.lookback`.
    pub path: String,
    /// Last segment, the name constraints use (`lookback`).
    pub name: String,
    pub values: Vec<f64>,
    /// Set by a `--param` flag (else by the file's `[sweep]` table), for messages.
    #[serde(skip)]
    pub flag: bool,
}

impl Axis {
    fn new(target: SweepPath, values: Vec<f64>) -> Axis {
        Axis {
            path: target.text(),
            name: target.name(),
            target,
            values,
            flag: false,
        }
    }

    /// The first value that is not valid for this axis' path, with the reason.
    fn invalid(&self) -> Option<String> {
        self.values.iter().find_map(|&x| self.target.check(x).err())
    }
}

/// The variants of a sweep, each its values in axis order, stored flat (one allocation, 8 bytes
/// a value: a million variants of two axes take 16 MB).
#[derive(Debug, Clone, Default)]
pub struct Variants {
    /// Values per variant (the number of axes).
    width: usize,
    values: Vec<f64>,
}

impl Variants {
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[f64]> {
        self.values.chunks_exact(self.width.max(1))
    }
    fn push(&mut self, v: &[f64]) {
        self.width = v.len();
        self.values.extend_from_slice(v);
    }
}

impl std::ops::Index<usize> for Variants {
    type Output = [f64];
    fn index(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// A sweep: its axes, constraints and the surviving variants (values in axis order).
#[derive(Debug, Clone)]
pub struct Sweep {
    pub axes: Vec<Axis>,
    pub constraints: Vec<String>,
    pub variants: Variants,
    /// Variants before constraints.
    pub product: usize,
}

struct Reader<'a> {
    s: &'a Strategy,
    diags: Diagnostics,
}

impl Reader<'_> {
    fn err(&mut self, span: &Range<usize>, key: &str, msg: impl Into<String>) {
        let d = self.s.diag(span, key, msg);
        self.diags.push(d);
    }
}

/// Parses a `--param PATH=SPEC` flag: `SPEC` is `a..b`, `a..b:step` or `v1,v2,...`.
pub fn parse_flag(flag: &str) -> std::result::Result<(String, Vec<f64>), String> {
    let (path, spec) = flag
        .split_once('=')
        .ok_or_else(|| format!("{flag}: expected PATH=VALUES, e.g. params.lookback=20..252:4"))?;
    let bad = |what: &str| format!("{flag}: {what}");
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|_| bad(&format!("`{t}` is not a number")))
    };
    let values = if let Some((lo, rest)) = spec.split_once("..") {
        let (hi, step) = match rest.split_once(':') {
            Some((h, s)) => (num(h)?, num(s)?),
            None => (num(rest)?, 1.0),
        };
        range_values(num(lo)?, hi, step).map_err(|m| bad(&m))?
    } else {
        spec.split(',')
            .map(num)
            .collect::<std::result::Result<Vec<_>, _>>()?
    };
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return Err(bad("expected finite numbers"));
    }
    Ok((path.trim().to_owned(), values))
}

/// Builds the sweep of a strategy: its `[sweep]` table, then `--param` flags (a flag replaces
/// the file's axis of the same path). Every problem is reported at once.
pub fn build(s: &Strategy, flags: &[String]) -> Result<Sweep> {
    let mut r = Reader {
        s,
        diags: Diagnostics::default(),
    };
    // The `[sweep]` table as spec read it, with the problems it found there.
    let table = s.sweep.clone().unwrap_or_default();
    r.diags.extend(table.problems);
    let mut axes: Vec<(Axis, Range<usize>)> = table
        .axes
        .into_iter()
        .map(|a| (Axis::new(a.target, a.values), a.span))
        .collect();
    let constraints = table.constraints;
    for f in flags {
        r.flag(f, &mut axes);
    }
    let compiled = r.constraints(&axes, &constraints);
    if axes.is_empty() && r.diags.is_empty() {
        r.diags.push(Diagnostic::new(&s.path, "nothing to sweep: add a [sweep] table (e.g. params.lookback = { range = [20, 252], step = 4 }) or --param PATH=VALUES").key("sweep"));
    }
    let product = axes
        .iter()
        .try_fold(1usize, |acc, (a, _)| acc.checked_mul(a.values.len()))
        .unwrap_or(usize::MAX);
    if product > MAX_VARIANTS {
        r.diags.push(
            Diagnostic::new(
                &s.path,
                format!("{product} variants is more than the limit of {MAX_VARIANTS}"),
            )
            .key("sweep"),
        );
    }
    if !r.diags.is_empty() {
        // In file order; flag problems (no line) after them.
        r.diags
            .0
            .sort_by_key(|d| (d.line.is_none(), d.line, d.column));
        return Err(Error::Input(r.diags));
    }
    let axes: Vec<Axis> = axes.into_iter().map(|(a, _)| a).collect();
    let variants = product_of(&axes, &compiled);
    if variants.is_empty() {
        let span = compiled.first().map(|(_, s)| s.clone()).unwrap_or(0..0);
        r.err(&span, "sweep.constraints", format!("no variant satisfies the constraints ({product} variants before them): they contradict each other or the swept values"));
        return Err(Error::Input(r.diags));
    }
    Ok(Sweep {
        constraints: constraints.into_iter().map(|(c, _)| c.text).collect(),
        axes,
        variants,
        product,
    })
}

impl Reader<'_> {
    /// A `--param` flag: replaces the file's axis of the same path in place (keeping the
    /// column order), or adds one.
    fn flag(&mut self, f: &str, axes: &mut Vec<(Axis, Range<usize>)>) {
        let axis = parse_flag(f).and_then(|(path, values)| {
            let target =
                SweepPath::parse(&self.s.params, &path).map_err(|m| format!("{f}: {m}"))?;
            let axis = Axis {
                flag: true,
                ..Axis::new(target, values)
            };
            match axis.invalid() {
                Some(m) => Err(format!("{f}: {m}")),
                None => Ok(axis),
            }
        });
        match axis {
            Ok(axis) => match axes.iter_mut().find(|(a, _)| a.path == axis.path) {
                Some((a, _)) => {
                    a.values = axis.values;
                    a.flag = true;
                }
                None => axes.push((axis, 0..0)),
            },
            Err(m) => self.diags.push(Diagnostic::new("--param", m)),
        }
    }

    /// Parses the constraints and checks their names: each must be the last segment of exactly
    /// one swept path; functions are not allowed.
    fn constraints(
        &mut self,
        axes: &[(Axis, Range<usize>)],
        constraints: &[(ExprSrc, Range<usize>)],
    ) -> Vec<(Expr, Range<usize>)> {
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, (a, _)) in axes.iter().enumerate() {
            names
                .entry(a.name.as_str())
                .and_modify(|v| *v = usize::MAX)
                .or_insert(i);
        }
        let mut compiled = Vec::new();
        for (src, span) in constraints {
            let at = |r: &Range<usize>| src.span.start + r.start..src.span.start + r.end;
            let e = match expr::parse(&src.text) {
                Ok(e) => e,
                Err(e) => {
                    let msg = format!("in constraint \"{}\": {}", src.text, e.message);
                    self.err(&at(&e.span), &src.key, msg);
                    continue;
                }
            };
            let mut used = Vec::new();
            names_in(&e, &mut used);
            let mut ok = true;
            for (n, nspan) in used {
                let problem = if n.ends_with("()") {
                    Some(format!(
                        "`{n}`: constraints compare swept values; functions are not allowed"
                    ))
                } else {
                    match names.get(n.as_str()) {
                        Some(&usize::MAX) => Some(format!(
                            "`{n}` names two swept paths; constraints need distinct last segments"
                        )),
                        Some(_) => None,
                        None => {
                            let known: Vec<&str> = names.keys().copied().collect();
                            Some(if known.is_empty() {
                                format!(
                                    "unknown name `{n}` in a constraint (nothing valid is swept)"
                                )
                            } else {
                                format!(
                                    "unknown name `{n}` in a constraint (swept parameters: {})",
                                    known.join(", ")
                                )
                            })
                        }
                    }
                };
                if let Some(msg) = problem {
                    self.err(&at(&nspan), &src.key, msg);
                    ok = false;
                }
            }
            if ok {
                compiled.push((e, span.clone()));
            }
        }
        compiled
    }
}

/// The cartesian product of the axes (first axis slowest), less the variants a constraint
/// rules out.
fn product_of(axes: &[Axis], constraints: &[(Expr, Range<usize>)]) -> Variants {
    let index: BTreeMap<&str, usize> = axes
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut variants = Variants::default();
    let mut idx = vec![0usize; axes.len()];
    'outer: loop {
        let v: Vec<f64> = idx.iter().zip(axes).map(|(&i, a)| a.values[i]).collect();
        if constraints
            .iter()
            .all(|(e, _)| constant(e, &|n| v[index[n]]) != 0.0)
        {
            variants.push(&v);
        }
        for d in (0..axes.len()).rev() {
            idx[d] += 1;
            if idx[d] < axes[d].values.len() {
                continue 'outer;
            }
            idx[d] = 0;
        }
        break;
    }
    variants
}

fn names_in(e: &Expr, out: &mut Vec<(String, Range<usize>)>) {
    match e {
        Expr::Name(n, s) => out.push((n.clone(), s.clone())),
        Expr::Neg(a, _) | Expr::Not(a, _) => names_in(a, out),
        Expr::Binary(_, a, b, _) => {
            names_in(a, out);
            names_in(b, out);
        }
        // Marked with "()" so the caller can say functions are not allowed here.
        Expr::Call(n, _, s) => out.push((format!("{n}()"), s.clone())),
        Expr::Num(..) | Expr::Placeholder(..) => {}
    }
}

/// Evaluates a constraint on one variant (names resolved by `value`).
fn constant(e: &Expr, value: &dyn Fn(&str) -> f64) -> f64 {
    match e {
        Expr::Num(v, _) => *v,
        Expr::Name(n, _) => value(n),
        Expr::Neg(a, _) => -constant(a, value),
        Expr::Not(a, _) => f64::from(u8::from(constant(a, value) == 0.0)),
        Expr::Binary(op, a, b, _) => signal::binary(*op, constant(a, value), constant(b, value)),
        Expr::Call(..) | Expr::Placeholder(..) => f64::NAN,
    }
}

/// The strategy of one variant: the swept values written into it.
pub fn apply(s: &Strategy, axes: &[Axis], values: &[f64]) -> Strategy {
    let mut v = s.clone();
    for (a, &x) in axes.iter().zip(values) {
        a.target.set(&mut v, x);
    }
    v
}

/// Runs every variant. `progress` is called once per finished variant (from any thread).
pub fn run(
    s: &Strategy,
    panel: &Panel,
    sweep: &Sweep,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Headline>> {
    let mut rows = Vec::with_capacity(sweep.variants.len());
    stream(
        s,
        panel,
        sweep,
        &mut (0..sweep.variants.len()),
        progress,
        &mut |_, chunk| {
            rows.extend_from_slice(chunk);
            Ok(())
        },
    )?;
    Ok(rows)
}

/// Where [`stream`] hands each chunk's rows: the variant ids and their headlines.
pub type Sink<'a> = dyn FnMut(&[usize], &[Headline]) -> Result<()> + 'a;

/// Variants run between two hand-overs of [`stream`]: the rows in memory at any time, and
/// the row groups of `sweep.parquet`.
pub const CHUNK: usize = 1 << 14;

/// Runs the variants `ids` in chunks of [`CHUNK`], in order, and hands each chunk's rows
/// (ids and headlines) to `sink` before running the next: memory holds one chunk, whatever
/// the number of variants.
pub fn stream(
    s: &Strategy,
    panel: &Panel,
    sweep: &Sweep,
    ids: &mut dyn Iterator<Item = usize>,
    progress: &(dyn Fn() + Sync),
    sink: &mut Sink,
) -> Result<()> {
    let tracks = fast::Tracks::new(panel);
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        chunk.extend((&mut *ids).take(CHUNK));
        if chunk.is_empty() {
            return Ok(());
        }
        let rows = for_each_variant(s, panel, sweep, &chunk, &|_, v| {
            progress();
            v.headline(&tracks)
        })?;
        sink(&chunk, &rows)?;
    }
}

/// Prepares the variants `ids` (their group's signals, decisions and calendar computed once,
/// their plan's trading fields set) and maps each with `f`; results in `ids` order.
pub fn for_each_variant<T: Send>(
    s: &Strategy,
    panel: &Panel,
    sweep: &Sweep,
    ids: &[usize],
    f: &(dyn Fn(usize, &fast::Lean) -> T + Sync),
) -> Result<Vec<T>> {
    // Group variants by their signal parameters: one signal evaluation per group.
    let signal_axes: Vec<usize> = (0..sweep.axes.len())
        .filter(|&i| sweep.axes[i].target.is_signal())
        .collect();
    let mut groups: BTreeMap<Vec<u64>, Vec<usize>> = BTreeMap::new();
    for (pos, &i) in ids.iter().enumerate() {
        let v = &sweep.variants[i];
        let key: Vec<u64> = signal_axes.iter().map(|&a| v[a].to_bits()).collect();
        groups.entry(key).or_default().push(pos);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let schedule_varies = sweep.axes.iter().any(|a| a.target == SweepPath::Every);
    // The decision calendar depends on the rebalance spec only: computed once for all groups.
    let shared_schedule = sim::schedule(&panel.dates, &s.rebalance);
    let shared_at = sim::scheduled_bars(&shared_schedule);
    let results: Vec<Result<Vec<(usize, T)>>> = groups
        .par_iter()
        .map(|members| {
            let first = apply(s, &sweep.axes, &sweep.variants[ids[members[0]]]);
            let plan =
                plan::compile(&first).map_err(|e| variant_error(e, sweep, ids[members[0]]))?;
            // With one schedule the variants read their rules on its bars only: the rules are
            // decided there (`signal::decide_at`), and the decision calendar is shared.
            let (decisions, calendar) = if schedule_varies {
                let all = signal::decide(&plan, panel, &signal::eval_signals(&plan, panel));
                (all, None)
            } else {
                let d = signal::decide_at(&plan, panel, &shared_at);
                let c = fast::Calendar::new(&d, &shared_at);
                (d, Some(c))
            };
            Ok(members
                .par_iter()
                // One plan per worker, its trading settings replaced for each variant (by the
                // conversion a strategy's own go through).
                .map_init(
                    || (plan.clone(), first.trading()),
                    |(vplan, t), &pos| {
                        let i = ids[pos];
                        // Every swept trading path is set for every variant: the worker's copy
                        // of the settings needs no reset between variants.
                        for (a, &x) in sweep.axes.iter().zip(&sweep.variants[i]) {
                            a.target.set_trading(t, x);
                        }
                        vplan.set_trading(t);
                        let vplan = &*vplan;
                        let own;
                        let (scheduled, calendar) = match &calendar {
                            Some(shared) => (&shared_schedule[..], shared),
                            None => {
                                let sched = sim::schedule(&panel.dates, &vplan.rebalance);
                                let bars = sim::scheduled_bars(&sched);
                                own = (fast::Calendar::new(&decisions, &bars), sched);
                                (&own.1[..], &own.0)
                            }
                        };
                        let lean = fast::Lean {
                            panel,
                            plan: vplan,
                            decisions: &decisions,
                            scheduled,
                            calendar,
                        };
                        (pos, f(i, &lean))
                    },
                )
                .collect())
        })
        .collect();
    let mut out: Vec<Option<T>> = (0..ids.len()).map(|_| None).collect();
    for g in results {
        for (pos, v) in g? {
            out[pos] = Some(v);
        }
    }
    Ok(out
        .into_iter()
        .map(|v| v.expect("every variant belongs to one group"))
        .collect())
}

/// A variant whose swept values make the strategy invalid (a lookback of 0, say): the
/// strategy's own messages, then one naming the variant, its values and where they were set
/// (`--param` or the `[sweep]` table).
pub fn variant_error(e: Error, sweep: &Sweep, i: usize) -> Error {
    let Error::Input(mut d) = e else {
        return e;
    };
    let values: Vec<String> = sweep
        .axes
        .iter()
        .zip(&sweep.variants[i])
        .map(|(a, x)| {
            let from = if a.flag { "--param" } else { "[sweep]" };
            format!("{}={x} from {from}", a.path)
        })
        .collect();
    let flagged = sweep.axes.iter().any(|a| a.flag);
    let file = d.0.first().map(|x| x.file.clone()).unwrap_or_default();
    let message = format!(
        "variant {i} ({}) is not a valid strategy: its values fail the checks above",
        values.join(", ")
    );
    d.push(if flagged {
        Diagnostic::new("--param", message)
    } else {
        Diagnostic::new(file, message).key("sweep")
    });
    Error::Input(d)
}

/// Variant indices from best to worst by `metric` (NaN last; ties keep variant order).
pub fn ranking(results: &[Headline], metric: Metric) -> Vec<usize> {
    let values: Vec<f64> = results.iter().map(|h| metric.of(h)).collect();
    let mut idx: Vec<usize> = (0..results.len()).collect();
    idx.sort_by(|&a, &b| metric.best_first(values[a], values[b]));
    idx
}

/// Honest statistics of the winner among all variants.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Honesty {
    pub trials: usize,
    /// Per-bar Sharpe ratio of the winner, and its skewness and kurtosis of excess returns.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sharpe_per_bar: f64,
    pub returns: usize,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub skewness: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub kurtosis: f64,
    /// Variance of the per-bar Sharpe ratios across variants.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sharpe_variance: f64,
    /// Expected best per-bar Sharpe ratio of as many unskilled trials.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub expected_max_sharpe: f64,
    /// P(true Sharpe > 0).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub probabilistic_sharpe: f64,
    /// P(true Sharpe > expected best of unskilled trials).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub deflated_sharpe: f64,
}

/// The distribution of the ranking metric over variants, and where the winner sits.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Distribution {
    pub metric: Metric,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub mean: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub stdev: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub min: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p05: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p25: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub median: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p75: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p95: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub max: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub winner: f64,
    /// (winner - mean) / stdev
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub winner_z: f64,
    /// Share of variants the winner beats or ties.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub winner_percentile: f64,
    /// The metric's finite values in [`HISTOGRAM_BINS`] bins (what the report draws).
    pub histogram: Option<stats::distribution::Histogram>,
}

/// Bins of the histogram of the ranking metric.
pub const HISTOGRAM_BINS: usize = 40;

/// The distribution of `values` (the ranking metric of every variant) and the winner's place.
pub fn distribution(values: &[f64], metric: Metric, winner: usize) -> Distribution {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let mean = stats::returns::mean(&v);
    let stdev = stats::returns::stdev(&v);
    let w = values[winner];
    let up = metric.higher_is_better() != Some(false);
    let beaten = v
        .iter()
        .filter(|x| if up { **x <= w } else { **x >= w })
        .count();
    Distribution {
        metric,
        mean,
        stdev,
        min: v.first().copied().unwrap_or(f64::NAN),
        p05: stats::returns::quantile(&v, 0.05),
        p25: stats::returns::quantile(&v, 0.25),
        median: stats::returns::quantile(&v, 0.5),
        p75: stats::returns::quantile(&v, 0.75),
        p95: stats::returns::quantile(&v, 0.95),
        max: v.last().copied().unwrap_or(f64::NAN),
        winner: w,
        winner_z: (w - mean) / stdev,
        winner_percentile: beaten as f64 / v.len().max(1) as f64,
        histogram: stats::distribution::histogram(&v, HISTOGRAM_BINS),
    }
}

/// PSR and DSR of the winner: reruns it in full to get its return moments. `sharpes` are the
/// annualised Sharpe ratios of every variant.
pub fn honesty(
    s: &Strategy,
    panel: &Panel,
    sweep: &Sweep,
    sharpes: &[f64],
    winner: usize,
) -> Result<Honesty> {
    let vs = apply(s, &sweep.axes, &sweep.variants[winner]);
    let plan = plan::compile(&vs)?;
    let run = sim::run(panel, &plan);
    let r = stats::returns::simple_returns(&run.equity);
    let ex: Vec<f64> = r
        .iter()
        .zip(&panel.cash_ret[1..])
        .map(|(a, b)| a - b)
        .collect();
    let (skew, kurt) = honest::moments(&ex);
    let per_bar = |sharpe: &f64| sharpe / crate::conventions::BARS_PER_YEAR.sqrt();
    let srs: Vec<f64> = sharpes
        .iter()
        .map(per_bar)
        .filter(|x| x.is_finite())
        .collect();
    let variance = if srs.len() > 1 {
        stats::returns::stdev(&srs).powi(2)
    } else {
        0.0
    };
    let sr = per_bar(&sharpes[winner]);
    let trials = sharpes.len();
    Ok(Honesty {
        trials,
        sharpe_per_bar: sr,
        returns: ex.len(),
        skewness: skew,
        kurtosis: kurt,
        sharpe_variance: variance,
        expected_max_sharpe: honest::expected_max_sharpe(variance, trials),
        probabilistic_sharpe: honest::psr(sr, 0.0, ex.len(), skew, kurt),
        deflated_sharpe: honest::dsr(sr, ex.len(), skew, kurt, variance, trials),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn strategy(extra: &str) -> Strategy {
        let text = format!(
            r#"version = 1
name = "t"
[params]
fast = 10
slow = 50
[assets]
a = {{ file = "a.csv", column = "close" }}
[signals]
x = "sma(a, fast) > sma(a, slow)"
[[rules]]
when = "x"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ cash = 1 }}
{extra}"#
        );
        crate::spec::parse(Path::new("s.toml"), &text).unwrap()
    }

    fn errors(s: &Strategy, flags: &[&str]) -> String {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        match build(s, &flags) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn product_and_constraints() {
        let s = strategy("[sweep]\nparams.fast = { range = [10, 30], step = 10 }\nparams.slow = [20, 40]\nexecution.commission_bps = [0, 5]\nconstraints = [\"fast < slow\"]\n");
        let sw = build(&s, &[]).unwrap();
        assert_eq!(sw.product, 12);
        // (10,20) (10,40) (20,40) (30,40) survive, times 2 commissions.
        assert_eq!(sw.variants.len(), 8);
        assert_eq!(sw.variants[0], vec![10.0, 20.0, 0.0]);
        assert_eq!(sw.variants[1], vec![10.0, 20.0, 5.0]);
        assert_eq!(sw.variants[7], vec![30.0, 40.0, 5.0]);
    }

    #[test]
    fn flags_replace_and_add_axes() {
        let s = strategy("[sweep]\nparams.fast = [5, 10]\n");
        let sw = build(
            &s,
            &[
                "params.fast=2..8:3".into(),
                "execution.slippage_bps=1,2".into(),
            ],
        )
        .unwrap();
        assert_eq!(sw.axes[0].values, vec![2.0, 5.0, 8.0]);
        assert_eq!(sw.axes[1].path, "execution.slippage_bps");
        assert_eq!(sw.variants.len(), 6);
        assert_eq!(range_values(1.0, 252.0, 4.0).unwrap().last(), Some(&249.0));
        assert_eq!(range_values(0.0, 1.0, 0.25).unwrap().len(), 5);
        assert_eq!(
            range_values(0.0, 1.0, 0.2).unwrap(),
            vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        );
        assert_eq!(
            range_values(0.1, 0.35, 0.05).unwrap(),
            vec![0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
        );
    }

    #[test]
    fn a_step_too_small_for_its_values_is_an_error() {
        let e = range_values(0.0, 1e-18, 1e-20).unwrap_err();
        assert!(e.contains("collapse to 1 distinct"), "{e}");
        assert_eq!(
            range_values(0.0, 1.0, 0.25).unwrap(),
            [0.0, 0.25, 0.5, 0.75, 1.0]
        );
    }

    #[test]
    fn bad_sweeps_are_errors_with_line_and_column() {
        let s = strategy("[sweep]\nparams.fats = [1, 2]\n");
        assert!(errors(&s, &[]).contains("s.toml:17:8: `sweep.params.fats`: no parameter `fats` in [params] (parameters: fast, slow)"), "{}", errors(&s, &[]));
        let s = strategy("[sweep]\nsignals.x.lookback = [1, 2]\n");
        assert!(errors(&s, &[]).contains("cannot sweep `signals.x.lookback`"));
        let s = strategy("[sweep]\nparams.fast = { range = [30, 10] }\n");
        let e = errors(&s, &[]);
        assert!(
            e.contains("s.toml:17:25:") && e.contains("empty range"),
            "{e}"
        );
        let s = strategy("[sweep]\nparams.fast = []\n");
        assert!(errors(&s, &[]).contains("the list is empty"));
        let s = strategy("[sweep]\nparams.fast = [10, 20]\nparams.slow = [5, 8]\nconstraints = [\"fast < slow\"]\n");
        let e = errors(&s, &[]);
        assert!(
            e.contains("s.toml:19:16:")
                && e.contains("no variant satisfies the constraints (4 variants"),
            "{e}"
        );
        let s = strategy("[sweep]\nparams.fast = [10, 20]\nconstraints = [\"fast < slwo\"]\n");
        let e = errors(&s, &[]);
        assert!(
            e.contains("s.toml:18:24:") && e.contains("unknown name `slwo`"),
            "{e}"
        );
        // Values are checked when the sweep is built, at the values' place in the file.
        let s = strategy("[sweep]\nrebalance.every = [5, 0]\nrebalance.min_hold = [1.5]\n");
        let e = errors(&s, &[]);
        assert!(e.contains("s.toml:17:19: `sweep.rebalance.every`: value 0 is not valid for rebalance.every: expected a whole number of bars from 1 to 1000000"), "{e}");
        assert!(
            e.contains("s.toml:18:22: `sweep.rebalance.min_hold`: value 1.5 is not valid"),
            "{e}"
        );
        let s = strategy("");
        let e = errors(&s, &["execution.commission_bps=-1,5"]);
        assert!(e.contains("--param: execution.commission_bps=-1,5: value -1 is not valid for execution.commission_bps: expected a number of basis points >= 0 and below 10000 (100 %)"), "{e}");
        assert!(errors(&s, &["params.fast=1..x"]).contains("`x` is not a number"));
        assert!(errors(&s, &["nonsense"]).contains("expected PATH=VALUES"));
        assert!(errors(&s, &[]).contains("nothing to sweep"));
    }

    #[test]
    fn ranking_respects_direction_and_nan() {
        let mut h: Vec<Headline> = (0..4)
            .map(|i| Headline {
                curve: stats::Curve {
                    total_return: 0.0,
                    cagr: 0.0,
                    volatility: [0.3, 0.1, 0.2, f64::NAN][i],
                    sharpe: [0.5, f64::NAN, 0.9, 0.5][i],
                    sortino: 0.0,
                    max_drawdown: 0.0,
                    calmar: 0.0,
                    ulcer_index: 0.0,
                    final_equity: 0.0,
                },
                trades: 0,
                annual_turnover: 0.0,
                total_costs: 0.0,
                time_in_market: 0.0,
            })
            .collect();
        assert_eq!(ranking(&h, Metric::Sharpe), vec![2, 0, 3, 1]);
        assert_eq!(ranking(&h, Metric::Volatility), vec![1, 2, 0, 3]);
        h.truncate(3);
        let values: Vec<f64> = h.iter().map(|x| Metric::Sharpe.of(x)).collect();
        let d = distribution(&values, Metric::Sharpe, 2);
        assert_eq!((d.winner, d.max, d.winner_percentile), (0.9, 0.9, 1.0));
    }

    /// The streaming collector keeps what a full ranking and a pass over all rows give: the
    /// best rows in order (ties in variant order, NaN last) and each heatmap cell's best value.
    #[test]
    fn collector_equals_the_full_ranking() {
        let s = strategy("[sweep]\nparams.fast = [1, 2, 3, 4]\nparams.slow = [10, 20, 30]\n");
        let sw = build(&s, &[]).unwrap();
        let n = sw.variants.len();
        let h: Vec<Headline> = (0..n)
            .map(|i| {
                let mut x = Headline {
                    curve: stats::Curve::NAN,
                    trades: 0,
                    annual_turnover: 0.0,
                    total_costs: 0.0,
                    time_in_market: 0.0,
                };
                // Ties (i % 5) and undefined values (every 7th).
                x.curve.sharpe = if i % 7 == 3 { f64::NAN } else { (i % 5) as f64 };
                x
            })
            .collect();
        for metric in [Metric::Sharpe, Metric::Volatility, Metric::Cagr] {
            let order = ranking(&h, metric);
            let mut c = collect::Collector::new(&sw, metric, 5, &[(0, 1), (1, 0)]);
            let ids: Vec<usize> = (0..n).collect();
            for (chunk, rows) in ids.chunks(5).zip(h.chunks(5)) {
                c.add(chunk, rows);
            }
            let got = c.finish();
            let best: Vec<usize> = got.best.iter().map(|(i, _)| *i).collect();
            assert_eq!(best, order[..5], "{metric}");
            // Heatmap a x b: the best value of the 1 variant in each cell (a full grid).
            for (i, v) in sw.variants.iter().enumerate() {
                let a = [1.0, 2.0, 3.0, 4.0]
                    .iter()
                    .position(|x| *x == v[0])
                    .unwrap();
                let b = [10.0, 20.0, 30.0].iter().position(|x| *x == v[1]).unwrap();
                let want = metric.of(&h[i]);
                let cell = got.grids[0][b * 4 + a];
                assert!(cell == want || (cell.is_nan() && want.is_nan()));
                let cell = got.grids[1][a * 3 + b];
                assert!(cell == want || (cell.is_nan() && want.is_nan()));
            }
        }
    }
}
