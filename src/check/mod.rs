//! `rotor check`: rerun committed strategies and compare them with stored baselines.
//!
//! A baseline (`<strategy dir>/baselines/<name>.toml` unless `--baseline DIR`) holds the
//! headline metrics, final equity, trade count, hashes of the equity curve and trade list, the
//! engine version and the sha256 of each input file. A metric passes when
//! `|now - baseline| <= tolerance x max(1, |baseline|)`; counts and hashes must match exactly.
//! Tolerances: the baseline's `[tolerances]`, else the strategy's `[check]`, else 1e-9.

use crate::app::{self, Outcome};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::report;
use crate::spec::reader::{Cx, Table};
use crate::spec::value::{self, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The metrics a baseline holds, in file order.
pub const METRICS: &[&str] = &[
    "final_equity",
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "ulcer_index",
    "annual_turnover",
    "total_costs",
    "time_in_market",
];

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
    /// In `METRICS` order.
    pub metrics: Vec<(String, f64)>,
    /// (path, sha256)
    pub inputs: Vec<(String, String)>,
    /// Per-metric overrides kept from the file.
    pub tolerances: Vec<(String, f64)>,
}

fn sha256_hex(text: &str) -> String {
    crate::data::load::hex(&Sha256::digest(text.as_bytes()))
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
    let value = |m: &str| -> f64 {
        match m {
            "final_equity" => s.final_equity,
            "total_return" => s.total_return,
            "cagr" => s.cagr,
            "volatility" => s.volatility,
            "sharpe" => s.sharpe,
            "sortino" => s.sortino,
            "max_drawdown" => s.max_drawdown.depth,
            "calmar" => s.calmar,
            "ulcer_index" => s.ulcer_index,
            "annual_turnover" => s.annual_turnover,
            "total_costs" => s.total_costs,
            "time_in_market" => s.time_in_market,
            other => unreachable!("metric {other} is in METRICS"),
        }
    };
    Baseline {
        strategy: p.strategy.name.clone(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        start: s.start.clone(),
        end: s.end.clone(),
        bars: s.bars as i64,
        trades: s.trades as i64,
        equity_hash: sha256_hex(&equity),
        trades_hash: sha256_hex(&report::trades_csv(&p.panel, &o.runs.strategy)),
        metrics: METRICS.iter().map(|m| (m.to_string(), value(m))).collect(),
        inputs: p
            .panel
            .inputs
            .iter()
            .map(|i| (i.path.display().to_string(), i.sha256.clone()))
            .collect(),
        tolerances: vec![],
    }
}

fn toml_f64(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        // Shortest text that reads back to the same bits; always with a '.' or exponent.
        let s = format!("{v:?}");
        if s.contains(['.', 'e', 'E']) {
            s
        } else {
            format!("{s}.0")
        }
    }
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Baseline {
    /// The file text: stable key order, human-readable.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# rotor baseline: the expected results of strategy `{}`.",
            self.strategy
        );
        s.push_str(
            "# Written by `rotor check --bless`; `rotor check` reruns the strategy and compares.\n",
        );
        s.push_str("# A metric passes when |now - baseline| <= tolerance x max(1, |baseline|).\n");
        let _ = writeln!(s, "schema = {BASELINE_SCHEMA}");
        let _ = writeln!(s, "strategy = {}", toml_str(&self.strategy));
        let _ = writeln!(s, "engine_version = {}", toml_str(&self.engine_version));
        let _ = writeln!(s, "start = {}", toml_str(&self.start));
        let _ = writeln!(s, "end = {}", toml_str(&self.end));
        let _ = writeln!(s, "bars = {}", self.bars);
        let _ = writeln!(s, "trades = {}", self.trades);
        let _ = writeln!(s, "equity_hash = {}", toml_str(&self.equity_hash));
        let _ = writeln!(s, "trades_hash = {}", toml_str(&self.trades_hash));
        s.push_str("\n[metrics]\n");
        for (k, v) in &self.metrics {
            let _ = writeln!(s, "{k} = {}", toml_f64(*v));
        }
        s.push_str("\n[inputs]\n");
        for (k, v) in &self.inputs {
            let _ = writeln!(s, "{} = {}", toml_str(k), toml_str(v));
        }
        s.push_str("\n[tolerances]\n");
        for (k, v) in &self.tolerances {
            let _ = writeln!(s, "{k} = {}", toml_f64(*v));
        }
        s
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
        if let Some((v, span)) = top.integer(&mut cx, "schema", 0) {
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
            match top.integer(cx, key, 0) {
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
                for m in METRICS {
                    match t.get(m) {
                        Some(node) => match float_of(node.get_ref()) {
                            Some(v) => metrics.push((m.to_string(), v)),
                            None => cx.err(
                                &node.span(),
                                &format!("metrics.{m}"),
                                format!("expected a number, found {}", node.get_ref().type_name()),
                            ),
                        },
                        None => {
                            let span = t.span.clone();
                            cx.err(&span, &format!("metrics.{m}"), "missing metric (rerun `rotor check --bless` to rewrite the baseline)");
                        }
                    }
                }
                t.finish(&mut cx, METRICS);
            }
            None => cx.err(&(0..0), "metrics", "missing required table [metrics]"),
        }
        let mut inputs = Vec::new();
        if let Some(t) = top.table(&mut cx, "inputs") {
            for (k, node) in t.entries {
                match node.get_ref() {
                    Value::String(h) => inputs.push((k.get_ref().clone(), h.clone())),
                    other => cx.err(
                        &node.span(),
                        &format!("inputs.{}", k.get_ref()),
                        format!("expected a sha256 string, found {}", other.type_name()),
                    ),
                }
            }
        }
        let mut tolerances = Vec::new();
        if let Some(t) = top.table(&mut cx, "tolerances") {
            for (k, node) in t.entries {
                let key = format!("tolerances.{}", k.get_ref());
                if !METRICS.contains(&k.get_ref().as_str()) {
                    cx.err(
                        &k.span(),
                        &key,
                        format!(
                            "unknown metric; checked metrics are: {}",
                            METRICS.join(", ")
                        ),
                    );
                    continue;
                }
                match float_of(node.get_ref()) {
                    Some(v) if v >= 0.0 => tolerances.push((k.get_ref().clone(), v)),
                    _ => cx.err(&node.span(), &key, "expected a tolerance >= 0"),
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
        })
    }
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// One compared quantity.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub baseline: String,
    pub now: String,
    pub difference: String,
    pub tolerance: String,
    pub ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Drift,
    Missing,
}

/// The comparison of one strategy with its baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub strategy: String,
    pub file: PathBuf,
    pub baseline_file: PathBuf,
    pub verdict: Verdict,
    pub rows: Vec<Row>,
    /// Inputs whose sha256 differs from the baseline's (or that are new / gone).
    pub inputs_changed: Vec<String>,
    pub engine_changed: Option<(String, String)>,
}

/// `|now - base| <= tol x max(1, |base|)`; NaN equals NaN.
pub fn within(base: f64, now: f64, tol: f64) -> bool {
    if base.is_nan() || now.is_nan() {
        return base.is_nan() && now.is_nan();
    }
    if base == now {
        return true;
    }
    (now - base).abs() <= tol * base.abs().max(1.0)
}

fn tolerance_for(metric: &str, base: &Baseline, strategy: &crate::spec::CheckSpec) -> f64 {
    base.tolerances
        .iter()
        .chain(strategy.tolerances.iter())
        .find(|(m, _)| m == metric)
        .map(|(_, t)| *t)
        .unwrap_or(strategy.tolerance)
}

/// Compares a fresh measurement with a stored baseline.
pub fn compare(now: &Baseline, base: &Baseline, spec: &crate::spec::CheckSpec) -> (Vec<Row>, bool) {
    let mut rows = Vec::new();
    let mut all_ok = true;
    for ((m, nv), (_, bv)) in now.metrics.iter().zip(&base.metrics) {
        let tol = tolerance_for(m, base, spec);
        let ok = within(*bv, *nv, tol);
        all_ok &= ok;
        rows.push(Row {
            metric: m.clone(),
            baseline: format!("{bv}"),
            now: format!("{nv}"),
            difference: if nv == bv || (nv.is_nan() && bv.is_nan()) {
                "0".into()
            } else {
                format!("{:.3e}", nv - bv)
            },
            tolerance: format!("{tol:e}"),
            ok,
        });
    }
    let mut exact = |name: &str, b: String, n: String| {
        let ok = b == n;
        all_ok &= ok;
        rows.push(Row {
            metric: name.into(),
            difference: if ok { "0".into() } else { "changed".into() },
            baseline: b,
            now: n,
            tolerance: "exact".into(),
            ok,
        });
    };
    exact("bars", base.bars.to_string(), now.bars.to_string());
    exact("trades", base.trades.to_string(), now.trades.to_string());
    if spec.hashes {
        exact(
            "equity_hash",
            base.equity_hash[..12.min(base.equity_hash.len())].to_string(),
            now.equity_hash[..12].to_string(),
        );
        exact(
            "trades_hash",
            base.trades_hash[..12.min(base.trades_hash.len())].to_string(),
            now.trades_hash[..12].to_string(),
        );
    }
    (rows, all_ok)
}

/// Strategy files named by `paths`: files as given, folders' `*.toml` files (not recursive,
/// sorted).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| Error::io(format!("cannot list {}", p.display()), e))?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::input(Diagnostic::new(
            paths.first().cloned().unwrap_or_default(),
            "no strategy files (*.toml) found",
        )));
    }
    Ok(out)
}

fn baseline_path(strategy_file: &Path, name: &str, dir: Option<&Path>) -> PathBuf {
    match dir {
        Some(d) => d.join(format!("{name}.toml")),
        None => strategy_file
            .parent()
            .unwrap_or(Path::new("."))
            .join("baselines")
            .join(format!("{name}.toml")),
    }
}

/// Runs every strategy (in parallel) and returns the outcomes, or all input errors at once.
fn run_all(paths: &[PathBuf]) -> Result<Vec<Outcome>> {
    let files = discover(paths)?;
    let mut outcomes = Vec::new();
    let mut diags = Diagnostics::default();
    for r in app::run_paths(&files) {
        match r {
            Ok(o) => outcomes.push(o),
            Err(Error::Input(d)) => diags.extend(d),
            Err(e) => return Err(e),
        }
    }
    diags.into_result(outcomes)
}

/// `rotor check`: compares every strategy with its baseline.
pub fn check(paths: &[PathBuf], baseline_dir: Option<&Path>) -> Result<Vec<Checked>> {
    let outcomes = run_all(paths)?;
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for o in &outcomes {
        let s = &o.prepared.strategy;
        let bpath = baseline_path(&s.path, &s.name, baseline_dir);
        let now = measure(o);
        let text = match std::fs::read_to_string(&bpath) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Checked {
                    strategy: s.name.clone(),
                    file: s.path.clone(),
                    baseline_file: bpath,
                    verdict: Verdict::Missing,
                    rows: vec![],
                    inputs_changed: vec![],
                    engine_changed: None,
                });
                continue;
            }
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read baseline {}", bpath.display()),
                    e,
                ))
            }
        };
        let base = match Baseline::parse(&bpath, &text) {
            Ok(b) => b,
            Err(Error::Input(d)) => {
                diags.extend(d);
                continue;
            }
            Err(e) => return Err(e),
        };
        let (rows, ok) = compare(&now, &base, &s.check);
        let mut inputs_changed = Vec::new();
        for (p, h) in &now.inputs {
            match base.inputs.iter().find(|(q, _)| q == p) {
                Some((_, bh)) if bh == h => {}
                Some(_) => inputs_changed.push(format!("{p} (sha256 differs)")),
                None => inputs_changed.push(format!("{p} (new input)")),
            }
        }
        for (p, _) in &base.inputs {
            if !now.inputs.iter().any(|(q, _)| q == p) {
                inputs_changed.push(format!("{p} (no longer read)"));
            }
        }
        out.push(Checked {
            strategy: s.name.clone(),
            file: s.path.clone(),
            baseline_file: bpath,
            verdict: if ok { Verdict::Pass } else { Verdict::Drift },
            rows,
            inputs_changed,
            engine_changed: (base.engine_version != now.engine_version)
                .then(|| (base.engine_version.clone(), now.engine_version.clone())),
        });
    }
    diags.into_result(out)
}

/// What `--bless` did to one baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blessed {
    Created,
    Updated(Vec<String>),
    Unchanged,
}

/// `rotor check --bless`: writes or rewrites every baseline; says which changed.
pub fn bless(
    paths: &[PathBuf],
    baseline_dir: Option<&Path>,
) -> Result<Vec<(String, PathBuf, Blessed)>> {
    let outcomes = run_all(paths)?;
    let mut out = Vec::new();
    for o in &outcomes {
        let s = &o.prepared.strategy;
        let bpath = baseline_path(&s.path, &s.name, baseline_dir);
        let mut now = measure(o);
        let old = std::fs::read_to_string(&bpath).ok();
        // A hand-set tolerance survives re-blessing; a broken old file is simply replaced.
        let old_base = old.as_deref().and_then(|t| Baseline::parse(&bpath, t).ok());
        if let Some(b) = &old_base {
            now.tolerances = b.tolerances.clone();
        }
        let text = now.to_toml();
        let status = match (&old, &old_base) {
            (None, _) => Blessed::Created,
            (Some(t), _) if *t == text => Blessed::Unchanged,
            (Some(_), Some(b)) => {
                let (rows, _) = compare(
                    &now,
                    b,
                    &crate::spec::CheckSpec {
                        tolerance: 0.0,
                        tolerances: vec![],
                        hashes: true,
                    },
                );
                let mut changed: Vec<String> = rows
                    .into_iter()
                    .filter(|r| !r.ok)
                    .map(|r| r.metric)
                    .collect();
                if b.inputs != now.inputs {
                    changed.push("inputs".into());
                }
                if b.engine_version != now.engine_version {
                    changed.push("engine_version".into());
                }
                Blessed::Updated(changed)
            }
            (Some(_), None) => Blessed::Updated(vec!["(unreadable old baseline)".into()]),
        };
        if status != Blessed::Unchanged {
            write_atomically(&bpath, &text)?;
        }
        out.push((s.name.clone(), bpath, status));
    }
    Ok(out)
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create folder {}", dir.display()), e))?;
    }
    let tmp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| Error::io(format!("cannot replace {}", path.display()), e))
}

/// Counts of (passed, drifted, missing).
pub fn counts(results: &[Checked]) -> (usize, usize, usize) {
    let n = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    (n(Verdict::Pass), n(Verdict::Drift), n(Verdict::Missing))
}

pub fn summary_line(results: &[Checked]) -> String {
    let (p, d, m) = counts(results);
    format!(
        "check: {} strategies: {p} passed, {d} drifted, {m} missing",
        results.len()
    )
}

fn missing_message(r: &Checked) -> String {
    format!(
        "no baseline at {}: run `rotor check --bless` to create it",
        r.baseline_file.display()
    )
}

fn notes(r: &Checked) -> Vec<String> {
    let mut v = Vec::new();
    if !r.inputs_changed.is_empty() {
        v.push(format!(
            "inputs changed since the baseline (a drift may come from new data, not code): {}",
            r.inputs_changed.join(", ")
        ));
    }
    if let Some((a, b)) = &r.engine_changed {
        v.push(format!(
            "engine version changed since the baseline: {a} -> {b}"
        ));
    }
    v
}

/// The human table.
pub fn render_human(results: &[Checked]) -> String {
    let mut s = String::new();
    let w = results
        .iter()
        .map(|r| r.strategy.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        s,
        "{:w$}  {:16} {:>24} {:>24} {:>11} {:>9}  verdict",
        "strategy", "metric", "baseline", "now", "difference", "tolerance"
    );
    for r in results {
        match r.verdict {
            Verdict::Missing => {
                let _ = writeln!(s, "{:w$}  MISSING: {}", r.strategy, missing_message(r));
            }
            _ => {
                for row in &r.rows {
                    let _ = writeln!(
                        s,
                        "{:w$}  {:16} {:>24} {:>24} {:>11} {:>9}  {}",
                        r.strategy,
                        row.metric,
                        row.baseline,
                        row.now,
                        row.difference,
                        row.tolerance,
                        if row.ok { "ok" } else { "DRIFT" }
                    );
                }
                for n in notes(r) {
                    let _ = writeln!(s, "{:w$}  note: {n}", r.strategy);
                }
            }
        }
    }
    s.push_str(&summary_line(results));
    s.push('\n');
    s
}

pub fn render_json(results: &[Checked]) -> String {
    let (passed, drifted, missing) = counts(results);
    let v = serde_json::json!({
        "schema": "rotor.check/1",
        "strategies": results,
        "summary": { "passed": passed, "drifted": drifted, "missing": missing },
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn failure_text(r: &Checked) -> (String, String) {
    match r.verdict {
        Verdict::Missing => (missing_message(r), String::new()),
        _ => {
            let drifted: Vec<&Row> = r.rows.iter().filter(|x| !x.ok).collect();
            let message = format!(
                "{} drifted: {}",
                r.strategy,
                drifted
                    .iter()
                    .map(|x| x.metric.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut body = String::new();
            for x in drifted {
                let _ = writeln!(
                    body,
                    "{}: baseline {} now {} (difference {}, tolerance {})",
                    x.metric, x.baseline, x.now, x.difference, x.tolerance
                );
            }
            for n in notes(r) {
                let _ = writeln!(body, "{n}");
            }
            (message, body)
        }
    }
}

/// JUnit XML: one test case per strategy, a failure for each that drifted or lacks a baseline.
pub fn render_junit(results: &[Checked]) -> String {
    let (_, d, m) = counts(results);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"rotor check\" tests=\"{}\" failures=\"{}\">",
        results.len(),
        d + m
    );
    let _ = writeln!(s, "  <testsuite name=\"rotor check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">", results.len(), d + m);
    for r in results {
        let _ = write!(
            s,
            "    <testcase classname=\"rotor.check\" name=\"{}\" file=\"{}\"",
            xml(&r.strategy),
            xml(&r.file.display().to_string())
        );
        if r.verdict == Verdict::Pass {
            s.push_str("/>\n");
        } else {
            let (message, body) = failure_text(r);
            let kind = if r.verdict == Verdict::Missing {
                "missing-baseline"
            } else {
                "drift"
            };
            let _ = writeln!(
                s,
                ">\n      <failure type=\"{kind}\" message=\"{}\">{}</failure>\n    </testcase>",
                xml(&message),
                xml(&body)
            );
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: an `::error` annotation per failing strategy.
pub fn render_github(results: &[Checked]) -> String {
    let mut s = String::new();
    for r in results.iter().filter(|r| r.verdict != Verdict::Pass) {
        let (message, body) = failure_text(r);
        let _ = writeln!(
            s,
            "::error file={},title={}::{}",
            gh_prop(&r.file.display().to_string()),
            gh_prop(&format!("rotor check: {}", r.strategy)),
            gh_escape(format!("{message}\n{body}").trim_end())
        );
    }
    s.push_str(&summary_line(results));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::DEFAULT_TOLERANCE;

    #[test]
    fn tolerance_edges() {
        // Relative above 1 in magnitude, absolute below.
        assert!(within(100.0, 100.0 + 1e-7, 1e-9));
        assert!(!within(100.0, 100.0 + 1.01e-7, 1e-9));
        assert!(within(0.5, 0.5 + 0.9e-9, 1e-9));
        assert!(!within(0.5, 0.5 + 1.1e-9, 1e-9));
        assert!(within(-2.0, -2.0 - 1.9e-9, 1e-9));
        assert!(!within(-2.0, -2.0 - 2.1e-9, 1e-9));
        assert!(within(f64::NAN, f64::NAN, 0.0));
        assert!(!within(f64::NAN, 1.0, 1.0));
        assert!(within(3.0, 3.0, 0.0));
    }

    fn sample() -> Baseline {
        Baseline {
            strategy: "s".into(),
            engine_version: "0.1.0".into(),
            start: "2000-01-03".into(),
            end: "2001-01-03".into(),
            bars: 250,
            trades: 12,
            equity_hash: "a".repeat(64),
            trades_hash: "b".repeat(64),
            metrics: METRICS
                .iter()
                .enumerate()
                .map(|(i, m)| (m.to_string(), 0.1 * i as f64 + 1e-17))
                .collect(),
            inputs: vec![("data/x.csv".into(), "c".repeat(64))],
            tolerances: vec![("cagr".into(), 1e-6)],
        }
    }

    #[test]
    fn round_trips_bit_exactly() {
        let mut b = sample();
        b.metrics[1].1 = f64::NAN;
        b.metrics[2].1 = 1.0 / 3.0;
        let text = b.to_toml();
        let back = Baseline::parse(Path::new("b.toml"), &text).unwrap();
        assert_eq!(back.metrics[2].1.to_bits(), b.metrics[2].1.to_bits());
        assert!(back.metrics[1].1.is_nan());
        assert_eq!(back.to_toml(), text);
    }

    #[test]
    fn hand_edited_baseline_names_line_and_key() {
        let text = sample()
            .to_toml()
            .replace("cagr = ", "cagr = \"x\" # ")
            .replace("trades = 12", "trades = 12\nextra = 1");
        let err = Baseline::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metrics.cagr`: expected a number"), "{err}");
        assert!(err.contains("`extra`: unknown key"), "{err}");
        assert!(err.contains("b.toml:11:1"), "{err}");
    }

    #[test]
    fn baseline_tolerance_overrides_strategy() {
        let base = sample();
        let mut now = sample();
        now.metrics[2].1 += 5e-7; // cagr: within the baseline's 1e-6
        now.metrics[3].1 += 5e-7; // volatility: outside the default 1e-9
        let spec = crate::spec::CheckSpec {
            tolerance: DEFAULT_TOLERANCE,
            tolerances: vec![],
            hashes: true,
        };
        let (rows, ok) = compare(&now, &base, &spec);
        assert!(!ok);
        let bad: Vec<&str> = rows
            .iter()
            .filter(|r| !r.ok)
            .map(|r| r.metric.as_str())
            .collect();
        assert_eq!(bad, ["volatility"]);
    }
}
