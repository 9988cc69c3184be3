//! The baseline file: what it records of a run, how it is written (stable order, shortest
//! round-trip floats) and read back (every problem with its line and key).

use crate::data::load::sha256_hex;
use crate::error::line_col;
use crate::error::{Diagnostics, Result};
use crate::pipeline::Outcome;
use crate::report;
use crate::spec::reader::{table_of, Cx, Table};
use crate::spec::value::{self, Value};
use crate::stats::Metric;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// How every baseline file starts: `--bless` replaces only files that do.
pub const HEADER: &str = "# rotor baseline:";

/// Version of the baseline layout.
pub const BASELINE_SCHEMA: i64 = 1;

/// What a baseline records of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub strategy: String,
    pub engine_version: String,
    pub start: String,
    pub end: String,
    pub bars: i64,
    pub trades: i64,
    pub equity_hash: String,
    pub trades_hash: String,
    /// In [`Metric::CHECKED`] order.
    pub metrics: Vec<(Metric, f64)>,
    /// (path, sha256)
    pub inputs: Vec<(String, String)>,
    /// Per-metric overrides kept from the file.
    pub tolerances: Vec<(Metric, f64)>,
    /// The strategy's numbers in each of its regimes (`[regimes.<name>]`), when it has any.
    pub regimes: Vec<RegimeBaseline>,
}

/// One regime of a baseline: the strategy's numbers in it, by the keys of
/// [`report::regimes::checked`].
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeBaseline {
    pub name: String,
    pub metrics: Vec<(&'static str, f64)>,
    /// Where the regime's table starts in the baseline file (line, column), when read from one.
    pub at: Option<(usize, usize)>,
}

/// The baseline values of a finished run.
pub fn measure(o: &Outcome) -> Baseline {
    let p = &o.prepared;
    let s = &o.report.strategy;
    let equity: String = o
        .runs
        .strategy
        .equity
        .iter()
        .map(|v| format!("{v}\n"))
        .collect();
    let headline = s.headline();
    Baseline {
        strategy: p.strategy.name.clone(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        start: s.start.clone(),
        end: s.end.clone(),
        bars: s.bars as i64,
        trades: s.trades as i64,
        equity_hash: sha256_hex(equity.as_bytes()),
        trades_hash: sha256_hex(report::trades_csv(&p.panel, &o.runs.strategy).as_bytes()),
        metrics: Metric::CHECKED
            .iter()
            .map(|m| (*m, m.of(&headline)))
            .collect(),
        inputs: p
            .panel
            .inputs
            .iter()
            .map(|i| (i.path.display().to_string(), i.sha256.clone()))
            .collect(),
        tolerances: vec![],
        regimes: o.report.regimes.as_ref().map_or(vec![], |r| {
            r.rows
                .iter()
                .skip(1) // "all": the headline metrics above
                .map(|row| RegimeBaseline {
                    name: row.name.clone(),
                    metrics: report::regimes::checked(row),
                    at: None,
                })
                .collect()
        }),
    }
}

/// The file's layout, serialised by `toml` (quoting, escaping and float text are its own: floats
/// read back to the same bits). Tables keep the order of the lists they come from.
#[derive(Serialize)]
struct FileOut<'a> {
    schema: i64,
    strategy: &'a str,
    engine_version: &'a str,
    start: &'a str,
    end: &'a str,
    bars: i64,
    trades: i64,
    equity_hash: &'a str,
    trades_hash: &'a str,
    metrics: Finite<'a, Metric>,
    /// Absent for a strategy without regimes.
    regimes: Option<Regimes<'a>>,
    inputs: Pairs<'a, String, String>,
    tolerances: Pairs<'a, Metric>,
}

/// (key, value) pairs written as a table, in order.
struct Pairs<'a, K, V = f64>(&'a [(K, V)]);

impl<K: std::fmt::Display, V: Serialize> Serialize for Pairs<'_, K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k.to_string(), v)))
    }
}

/// A table of metrics: the finite ones as numbers, in order, then `undefined = [...]` naming
/// those that were not numbers (NaN, infinite): a baseline holds only finite numbers.
struct Finite<'a, K>(&'a [(K, f64)]);

impl<K: std::fmt::Display> Serialize for Finite<'_, K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.iter().filter(|(_, v)| v.is_finite()) {
            m.serialize_entry(&k.to_string(), v)?;
        }
        let undefined = undefined(self.0);
        if !undefined.is_empty() {
            m.serialize_entry(UNDEFINED, &undefined)?;
        }
        m.end()
    }
}

/// The key listing a table's metrics that were undefined when it was blessed.
const UNDEFINED: &str = "undefined";

/// The names of the metrics that are not finite numbers.
fn undefined<K: std::fmt::Display>(metrics: &[(K, f64)]) -> Vec<String> {
    metrics
        .iter()
        .filter(|(_, v)| !v.is_finite())
        .map(|(k, _)| k.to_string())
        .collect()
}

struct Regimes<'a>(&'a [RegimeBaseline]);

impl Serialize for Regimes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|r| (&r.name, Finite(&r.metrics))))
    }
}

impl Baseline {
    /// The metrics (`regime.metric` for a regime's) that are not finite numbers: written as
    /// `undefined`, for `--bless` to say so.
    pub fn undefined(&self) -> Vec<String> {
        let mut out = undefined(&self.metrics);
        for r in &self.regimes {
            out.extend(
                undefined(&r.metrics)
                    .into_iter()
                    .map(|m| format!("{}.{m}", r.name)),
            );
        }
        out
    }

    /// The file text: a comment header, then the values serialised by `toml`, in a stable order.
    pub fn to_toml(&self) -> Result<String> {
        let body = toml::to_string(&FileOut {
            schema: BASELINE_SCHEMA,
            strategy: &self.strategy,
            engine_version: &self.engine_version,
            start: &self.start,
            end: &self.end,
            bars: self.bars,
            trades: self.trades,
            equity_hash: &self.equity_hash,
            trades_hash: &self.trades_hash,
            metrics: Finite(&self.metrics),
            regimes: (!self.regimes.is_empty()).then_some(Regimes(&self.regimes)),
            inputs: Pairs(&self.inputs),
            tolerances: Pairs(&self.tolerances),
        })
        .map_err(|e| crate::error::Error::Other(format!("cannot write the baseline: {e}")))?;
        let mut s = String::new();
        // The name in a comment: one line, whatever it holds.
        let name: String = self.strategy.chars().filter(|c| !c.is_control()).collect();
        let _ = writeln!(s, "{HEADER} the expected results of strategy `{name}`.");
        s.push_str(
            "# Written by `rotor check --bless`; `rotor check` reruns the strategy and compares.\n",
        );
        s.push_str("# A metric passes when |now - baseline| <= tolerance x max(1, |baseline|).\n");
        s.push_str(&body);
        Ok(s)
    }

    /// Reads a baseline file; every problem is reported with its line and key.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline> {
        let doc = value::parse_file(path, text)?;
        let mut cx = Cx {
            path,
            text,
            diags: Diagnostics::default(),
        };
        let mut top = Table::new("", &doc, 0..text.len());
        let req_str = |cx: &mut Cx, top: &mut Table, key: &str| {
            top.req_string(cx, key).map(|v| v.0).unwrap_or_default()
        };
        if let Some((v, span)) = top.integer(&mut cx, "schema", 0, i64::MAX) {
            if v != BASELINE_SCHEMA {
                cx.err(
                    &span,
                    "schema",
                    format!("unsupported baseline schema {v}; this rotor reads {BASELINE_SCHEMA}"),
                );
            }
        }
        let strategy = req_str(&mut cx, &mut top, "strategy");
        let engine_version = req_str(&mut cx, &mut top, "engine_version");
        let start = req_str(&mut cx, &mut top, "start");
        let end = req_str(&mut cx, &mut top, "end");
        let int = |cx: &mut Cx, top: &mut Table, key: &str| -> i64 {
            match top.integer(cx, key, 0, i64::MAX) {
                Some(v) => v.0,
                None => {
                    if top.entries.iter().all(|(k, _)| k.get_ref() != key) {
                        let span = top.span.clone();
                        cx.err(&span, key, "missing required key (an integer)");
                    }
                    0
                }
            }
        };
        let bars = int(&mut cx, &mut top, "bars");
        let trades = int(&mut cx, &mut top, "trades");
        let equity_hash = req_str(&mut cx, &mut top, "equity_hash");
        let trades_hash = req_str(&mut cx, &mut top, "trades_hash");
        let mut metrics = Vec::new();
        match top.table(&mut cx, "metrics") {
            Some(mut t) => {
                let keys: Vec<(Metric, &str)> =
                    Metric::CHECKED.iter().map(|m| (*m, m.name())).collect();
                metrics = numbers(&mut cx, &mut t, "metrics", &keys);
                let mut names: Vec<&str> = Metric::CHECKED.iter().map(|m| m.name()).collect();
                names.push(UNDEFINED);
                t.finish(&mut cx, &names);
            }
            None => cx.err(&(0..0), "metrics", "missing required table [metrics]"),
        }
        let regimes = match top.table(&mut cx, "regimes") {
            Some(t) => read_regimes(&mut cx, &t),
            None => vec![],
        };
        let inputs = top
            .table(&mut cx, "inputs")
            .map(|t| t.strings(&mut cx, "a sha256 string"))
            .unwrap_or_default();
        let mut tolerances = Vec::new();
        if let Some(t) = top.table(&mut cx, "tolerances") {
            for (k, node) in t.entries {
                let key = format!("tolerances.{}", k.get_ref());
                let Some(m) = Metric::checked(k.get_ref()) else {
                    cx.err(
                        &k.span(),
                        &key,
                        format!(
                            "unknown metric; checked metrics are: {}",
                            Metric::names(Metric::CHECKED)
                        ),
                    );
                    continue;
                };
                match float_of(node.get_ref()) {
                    Some(v) if v >= 0.0 && v.is_finite() => tolerances.push((m, v)),
                    _ => cx.err(&node.span(), &key, "expected a finite tolerance >= 0"),
                }
            }
        }
        top.finish(
            &mut cx,
            &[
                "schema",
                "strategy",
                "engine_version",
                "start",
                "end",
                "bars",
                "trades",
                "equity_hash",
                "trades_hash",
                "metrics",
                "regimes",
                "inputs",
                "tolerances",
            ],
        );
        cx.diags.into_result(Baseline {
            strategy,
            engine_version,
            start,
            end,
            bars,
            trades,
            equity_hash,
            trades_hash,
            metrics,
            inputs,
            tolerances,
            regimes,
        })
    }
}

/// `[regimes.<name>]` tables: every key of [`report::regimes::checked_keys`], a number each.
fn read_regimes(cx: &mut Cx, t: &Table) -> Vec<RegimeBaseline> {
    let mut out = Vec::new();
    for (k, node) in t.entries {
        let path = format!("regimes.{}", k.get_ref());
        let Some(mut r) = table_of(cx, node, &path) else {
            continue;
        };
        let names = report::regimes::checked_keys();
        let keys: Vec<(&'static str, &str)> = names.iter().map(|k| (*k, *k)).collect();
        let metrics = numbers(cx, &mut r, &path, &keys);
        let mut names = names.to_vec();
        names.push(UNDEFINED);
        r.finish(cx, &names);
        let (line, column) = line_col(cx.text, k.span().start);
        out.push(RegimeBaseline {
            name: k.get_ref().clone(),
            metrics,
            at: Some((line, column)),
        });
    }
    out
}

/// The numbers of table `t` (at `path`) under each of `keys`: (what the key stands for, key).
/// Each is a finite number, or absent and named in the table's `undefined` list (then NaN);
/// anything else is reported. Unknown keys are left to the caller.
fn numbers<K: Copy>(cx: &mut Cx, t: &mut Table, path: &str, keys: &[(K, &str)]) -> Vec<(K, f64)> {
    let mut listed: Vec<String> = vec![];
    if let Some(node) = t.get(UNDEFINED) {
        let key = format!("{path}.{UNDEFINED}");
        match node.get_ref() {
            Value::Array(items) => {
                for it in items {
                    match it.get_ref() {
                        Value::String(s) if keys.iter().any(|(_, k)| k == s) => {
                            listed.push(s.clone())
                        }
                        _ => cx.err(
                            &it.span(),
                            &key,
                            "expected the name of a metric of this table",
                        ),
                    }
                }
            }
            _ => cx.err(&node.span(), &key, "expected a list of metric names"),
        }
    }
    let mut out = Vec::new();
    for (k, key) in keys {
        let is_listed = listed.iter().any(|l| l == key);
        match t.get(key) {
            Some(node) => match float_of(node.get_ref()) {
                Some(v) if v.is_finite() && !is_listed => out.push((*k, v)),
                Some(v) if v.is_finite() => cx.err(
                    &node.span(),
                    &format!("{path}.{key}"),
                    format!("a number, but also listed in `{UNDEFINED}`: keep one"),
                ),
                Some(v) => cx.err(
                    &node.span(),
                    &format!("{path}.{key}"),
                    format!("expected a finite number, found {v} (a metric that was undefined is listed in `{UNDEFINED}` instead; rerun `rotor check --bless`)"),
                ),
                None => cx.err(
                    &node.span(),
                    &format!("{path}.{key}"),
                    format!("expected a number, found {}", node.get_ref().type_name()),
                ),
            },
            None if is_listed => out.push((*k, f64::NAN)),
            None => {
                let span = t.span.clone();
                cx.err(
                    &span,
                    &format!("{path}.{key}"),
                    "missing metric (rerun `rotor check --bless` to rewrite the baseline)",
                );
            }
        }
    }
    out
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}
