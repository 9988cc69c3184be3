//! The four output formats of `rotor check`, one renderer each, writing to a [`Write`].

use super::compare::{Checked, Row, Verdict};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Output formats of `rotor check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people.
    Human,
    /// One JSON document (schema `rotor.check/1`).
    Json,
    /// JUnit XML, one test case per strategy.
    Junit,
    /// GitHub Actions annotations (`::error file=...`).
    Github,
}

/// Writes check results in one format.
pub trait Render {
    fn render(&self, results: &[Checked], out: &mut dyn Write) -> io::Result<()>;
}

impl Format {
    pub fn renderer(self) -> &'static dyn Render {
        match self {
            Format::Human => &Human,
            Format::Json => &Json,
            Format::Junit => &Junit,
            Format::Github => &Github,
        }
    }
}

pub struct Human;
pub struct Json;
pub struct Junit;
pub struct Github;

/// Counts of (passed, drifted, missing).
pub fn counts(results: &[Checked]) -> (usize, usize, usize) {
    let n = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    (n(Verdict::Pass), n(Verdict::Drift), n(Verdict::Missing))
}

pub fn summary_line(results: &[Checked]) -> String {
    let (p, d, m) = counts(results);
    format!(
        "check: {}: {p} passed, {d} drifted, {m} missing",
        crate::report::count(results.len(), "strategy", "strategies")
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

impl Render for Human {
    /// A table: one row per compared quantity, notes, then the summary line.
    fn render(&self, results: &[Checked], out: &mut dyn Write) -> io::Result<()> {
        let w = results
            .iter()
            .map(|r| r.strategy.len())
            .max()
            .unwrap_or(8)
            .max(8);
        writeln!(
            out,
            "{:w$}  {:16} {:>24} {:>24} {:>11} {:>9}  verdict",
            "strategy", "metric", "baseline", "now", "difference", "tolerance"
        )?;
        for r in results {
            if r.verdict == Verdict::Missing {
                writeln!(out, "{:w$}  MISSING: {}", r.strategy, missing_message(r))?;
                continue;
            }
            for row in &r.rows {
                writeln!(
                    out,
                    "{:w$}  {:16} {:>24} {:>24} {:>11} {:>9}  {}",
                    r.strategy,
                    row.metric,
                    row.baseline,
                    row.now,
                    row.difference,
                    row.tolerance,
                    if row.ok { "ok" } else { "DRIFT" }
                )?;
            }
            for n in notes(r) {
                writeln!(out, "{:w$}  note: {n}", r.strategy)?;
            }
        }
        writeln!(out, "{}", summary_line(results))
    }
}

impl Render for Json {
    fn render(&self, results: &[Checked], out: &mut dyn Write) -> io::Result<()> {
        let (passed, drifted, missing) = counts(results);
        let v = serde_json::json!({
            "schema": "rotor.check/1",
            "strategies": results,
            "summary": { "passed": passed, "drifted": drifted, "missing": missing },
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)
    }
}

fn xml(s: &str) -> String {
    crate::report::xml_escape(s)
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

impl Render for Junit {
    /// One test case per strategy, a failure for each that drifted or lacks a baseline.
    fn render(&self, results: &[Checked], out: &mut dyn Write) -> io::Result<()> {
        let (_, d, m) = counts(results);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"rotor check\" tests=\"{}\" failures=\"{}\">",
            results.len(),
            d + m
        )?;
        writeln!(out, "  <testsuite name=\"rotor check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">", results.len(), d + m)?;
        for r in results {
            write!(
                out,
                "    <testcase classname=\"rotor.check\" name=\"{}\" file=\"{}\"",
                xml(&r.strategy),
                xml(&r.file.display().to_string())
            )?;
            if r.verdict == Verdict::Pass {
                writeln!(out, "/>")?;
                continue;
            }
            let (message, body) = failure_text(r);
            let kind = if r.verdict == Verdict::Missing {
                "missing-baseline"
            } else {
                "drift"
            };
            writeln!(
                out,
                ">\n      <failure type=\"{kind}\" message=\"{}\">{}</failure>\n    </testcase>",
                xml(&message),
                xml(&body)
            )?;
        }
        writeln!(out, "  </testsuite>\n</testsuites>")
    }
}

fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

impl Render for Github {
    /// Workflow commands: an `::error` annotation per failing strategy, then the summary line.
    fn render(&self, results: &[Checked], out: &mut dyn Write) -> io::Result<()> {
        for r in results.iter().filter(|r| r.verdict != Verdict::Pass) {
            let (message, body) = failure_text(r);
            writeln!(
                out,
                "::error file={},title={}::{}",
                gh_prop(&r.file.display().to_string()),
                gh_prop(&format!("rotor check: {}", r.strategy)),
                gh_escape(format!("{message}\n{body}").trim_end())
            )?;
        }
        writeln!(out, "{}", summary_line(results))
    }
}
