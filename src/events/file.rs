//! The event file: the sections it shares with strategies (read by [`crate::spec::common`], with
//! the same checks of names and namespace), plus `[event]` and `[bootstrap]`.

use crate::error::{Error, Result};
use crate::plan;
use crate::spec::common::{expr_src, read_common, COMMON_KEYS};
use crate::spec::reader::{table_of, Cx, Table};
use crate::spec::value::{self, Node, Value};
use crate::spec::{self, AssetSpec, ExprSrc, Strategy};
use serde::Serialize;
use std::ops::Range;
use std::path::Path;

/// What is measured after each event.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Measure {
    /// Forward return of one asset.
    Asset(String),
    /// Forward return of `long` minus that of `short`.
    Spread { long: String, short: String },
}

/// `[bootstrap]`: how the intervals and p-values are drawn.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Bootstrap {
    pub samples: usize,
    pub block: usize,
    pub seed: u64,
    pub confidence: f64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            samples: 2000,
            block: 20,
            seed: 42,
            confidence: 0.95,
        }
    }
}

/// Bars between events, and forward horizons, when `[event]` does not say.
pub const DEFAULT_COOLDOWN: usize = 20;
/// The most bootstrap samples a study may draw (`[bootstrap] samples`, `--samples`): 100,000
/// (the default is 2,000; each sample replays every event on a resampled history).
pub const MAX_SAMPLES: usize = 100_000;
pub const DEFAULT_HORIZONS: [usize; 6] = [1, 5, 20, 60, 120, 250];

/// A checked event file.
#[derive(Debug, Clone)]
pub struct EventSpec {
    pub name: String,
    pub description: String,
    pub when: ExprSrc,
    /// The outermost calls and names of the condition: the values the event list shows.
    pub inputs: Vec<ExprSrc>,
    pub cooldown: usize,
    pub horizons: Vec<usize>,
    /// Where `horizons` is written, for messages; `None` when the defaults apply (those longer
    /// than the data are then left out).
    pub horizons_span: Option<Range<usize>>,
    pub measure: Measure,
    pub bootstrap: Bootstrap,
    /// The data part, as a strategy without rules (for loading and compiling expressions).
    pub strategy: Strategy,
}

impl EventSpec {
    /// The condition and its inputs: the plan's extra expressions, in this order.
    pub fn expressions(&self) -> Vec<ExprSrc> {
        std::iter::once(self.when.clone())
            .chain(self.inputs.iter().cloned())
            .collect()
    }
}

/// Reads an event file; every problem is reported with line, column and key.
pub fn load(path: &Path) -> Result<EventSpec> {
    let text = spec::read(path)?;
    let doc = value::parse_file(path, &text)?;
    let has = |key: &str| doc.iter().any(|(k, _)| k.get_ref() == key);
    if has("rules") && !has("event") {
        return Err(Error::input(crate::error::Diagnostic::new(
            path,
            "is a strategy file (it has [[rules]]): `rotor events` takes an event study file (with [event], see docs/events.md); run a strategy with `rotor run`",
        )));
    }
    let mut cx = Cx {
        path,
        text: &text,
        diags: Default::default(),
    };
    let mut top = Table::new("", &doc, 0..text.len());
    let common = read_common(&mut cx, &mut top);
    let event = read_event(&mut cx, &mut top);
    let bootstrap = read_bootstrap(&mut cx, &mut top);
    let mut allowed = COMMON_KEYS.to_vec();
    allowed.extend(["event", "bootstrap"]);
    top.finish(&mut cx, &allowed);
    if let Some((m, span)) = &event.measure {
        check_measure(&mut cx, m, span, &common.assets);
    }
    let (name, description) = (common.name.clone(), common.description.clone());
    let strategy = Strategy::from_common(path, &text, common);
    let inputs = event.when.as_ref().map(inputs_of).unwrap_or_default();
    // The condition is compiled with the data sections, so its names are checked and resolved
    // in the same namespace; problems of both stages are reported together, in file order.
    // (Its inputs are parts of it: compiled with it when the study runs.)
    let mut diags = cx.diags;
    let extra: Vec<ExprSrc> = event.when.iter().cloned().collect();
    if let Err(Error::Input(more)) = plan::compile_with(&strategy, &extra) {
        diags.extend(more);
    }
    diags.0.sort_by_key(|d| (d.line, d.column));
    let (Some(when), Some((measure, _))) = (event.when, event.measure) else {
        return Err(Error::Input(diags));
    };
    // Assets and series nothing uses (the condition, the measured assets) are left out with a
    // warning, as in a strategy: they cannot limit the calendar.
    let strategy = match (diags.is_empty(), plan::compile_with(&strategy, &extra)) {
        (true, Ok(plan)) => {
            let measured: Vec<usize> = match &measure {
                Measure::Asset(a) => vec![a.as_str()],
                Measure::Spread { long, short } => vec![long.as_str(), short.as_str()],
            }
            .into_iter()
            .filter_map(|n| strategy.assets.iter().position(|a| a.name == n))
            .collect();
            plan::prune(&strategy, &plan, &measured).unwrap_or(strategy)
        }
        _ => strategy,
    };
    diags.into_result(EventSpec {
        name,
        description,
        when,
        inputs,
        cooldown: event.cooldown,
        horizons: event.horizons,
        horizons_span: event.horizons_span,
        measure,
        bootstrap,
        strategy,
    })
}

/// `[event]` as read (a missing condition or measure is reported, and left `None`).
struct EventTable {
    when: Option<ExprSrc>,
    cooldown: usize,
    horizons: Vec<usize>,
    horizons_span: Option<Range<usize>>,
    measure: Option<(Measure, Range<usize>)>,
}

fn read_event(cx: &mut Cx, top: &mut Table) -> EventTable {
    let mut e = EventTable {
        when: None,
        cooldown: DEFAULT_COOLDOWN,
        horizons: DEFAULT_HORIZONS.to_vec(),
        horizons_span: None,
        measure: None,
    };
    let Some(mut t) = top.table(cx, "event") else {
        cx.err(&(0..0), "event", "missing required table [event]");
        return e;
    };
    e.when = t.get("when").and_then(|n| expr_src(cx, n, "event.when"));
    if e.when.is_none() && t.entries.iter().all(|(k, _)| k.get_ref() != "when") {
        let span = t.span.clone();
        cx.err(
            &span,
            "event.when",
            "missing required key (the event condition, e.g. \"ret(rut, 5) > 0.10\")",
        );
    }
    if let Some((v, _)) = t.integer(cx, "cooldown", 0, spec::MAX_BARS) {
        e.cooldown = v as usize;
    }
    if let Some(node) = t.get("horizons") {
        e.horizons_span = Some(node.span());
        if let Some(hs) = read_horizons(cx, node) {
            e.horizons = hs;
        }
    }
    match t.get("measure") {
        Some(node) => e.measure = read_measure(cx, node),
        None => {
            let span = t.span.clone();
            cx.err(&span, "event.measure", "missing required key (an asset name, or { long = \"a\", short = \"b\" } for a spread)");
        }
    }
    t.finish(cx, &["when", "cooldown", "horizons", "measure"]);
    e
}

fn read_horizons(cx: &mut Cx, node: &Node) -> Option<Vec<usize>> {
    let Value::Array(items) = node.get_ref() else {
        cx.err(
            &node.span(),
            "event.horizons",
            "expected a non-empty list of bar counts, e.g. [1, 5, 20]",
        );
        return None;
    };
    if items.is_empty() {
        cx.err(
            &node.span(),
            "event.horizons",
            "expected a non-empty list of bar counts, e.g. [1, 5, 20]",
        );
        return None;
    }
    let mut hs = Vec::new();
    for it in items {
        match it.get_ref() {
            Value::Integer(h) if (1..=spec::MAX_BARS).contains(h) => hs.push(*h as usize),
            other => {
                let found = match other {
                    Value::Integer(h) => h.to_string(),
                    o => o.type_name().to_owned(),
                };
                cx.err(
                    &it.span(),
                    "event.horizons",
                    format!(
                        "expected whole numbers of bars from 1 to {}, found {found}",
                        spec::MAX_BARS
                    ),
                );
            }
        }
    }
    hs.sort_unstable();
    hs.dedup();
    Some(hs)
}

fn read_measure(cx: &mut Cx, node: &Node) -> Option<(Measure, Range<usize>)> {
    match node.get_ref() {
        Value::String(a) => Some((Measure::Asset(a.clone()), node.span())),
        Value::Table(_) => {
            let mut mt = table_of(cx, node, "event.measure")?;
            let long = mt.req_string(cx, "long").map(|v| v.0);
            let short = mt.req_string(cx, "short").map(|v| v.0);
            mt.finish(cx, &["long", "short"]);
            Some((
                Measure::Spread {
                    long: long?,
                    short: short?,
                },
                node.span(),
            ))
        }
        other => {
            cx.err(
                &node.span(),
                "event.measure",
                format!(
                    "expected an asset name or {{ long = \"a\", short = \"b\" }}, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// Measured assets must be traded assets of the file.
fn check_measure(cx: &mut Cx, m: &Measure, span: &Range<usize>, assets: &[AssetSpec]) {
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

fn read_bootstrap(cx: &mut Cx, top: &mut Table) -> Bootstrap {
    let mut b = Bootstrap::default();
    let Some(mut t) = top.table(cx, "bootstrap") else {
        return b;
    };
    if let Some((v, _)) = t.integer(cx, "samples", 100, MAX_SAMPLES as i64) {
        b.samples = v as usize;
    }
    if let Some((v, _)) = t.integer(cx, "block", 1, spec::MAX_BARS) {
        b.block = v as usize;
    }
    if let Some((v, _)) = t.integer(cx, "seed", 0, i64::MAX) {
        b.seed = v as u64;
    }
    if let Some((v, span)) = t.number(cx, "confidence") {
        if v > 0.5 && v < 1.0 {
            b.confidence = v;
        } else {
            cx.err(
                &span,
                "bootstrap.confidence",
                format!("expected a level between 0.5 and 1 (e.g. 0.95), found {v}"),
            );
        }
    }
    t.finish(cx, &["samples", "block", "seed", "confidence"]);
    b
}

/// The outermost function calls and names of the condition, with their text: what the event
/// list shows.
fn inputs_of(when: &ExprSrc) -> Vec<ExprSrc> {
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
