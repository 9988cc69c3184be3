//! Outputs of `rotor events`.

use super::{num, pct, write_file};
use crate::error::Result;
use crate::events::Study;
use crate::plot;
use std::fmt::Write as _;
use std::path::Path;

fn pct_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), pct)
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// `events.csv`: one row per event: date, the condition's inputs, forward returns (empty when
/// the data end before the horizon).
pub fn events_csv(s: &Study) -> String {
    let mut head = vec!["date".to_string()];
    head.extend(s.input_names.iter().cloned());
    head.extend(s.horizons.iter().map(|h| format!("fwd_{}", h.horizon)));
    let mut c = super::csv::Csv::text(head);
    for e in &s.events {
        let mut row = vec![e.date.clone()];
        row.extend(e.inputs.iter().map(|v| num(*v)));
        row.extend(e.forward.iter().map(|f| opt(*f)));
        c.put(row);
    }
    c.into_string()
}

/// The schema of an event study's `summary.json`.
pub const EVENTS_SCHEMA: &str = "rotor.events/1";

/// `summary.json` of `rotor events` (schema [`EVENTS_SCHEMA`]): written and read back (by the
/// report) with this one type.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EventsSummary {
    pub schema: String,
    pub engine: super::EngineInfo,
    pub study: Study,
}

pub fn summary_json(s: &Study) -> String {
    let v = EventsSummary {
        schema: EVENTS_SCHEMA.into(),
        engine: super::EngineInfo::this(),
        study: s.clone(),
    };
    let mut t = serde_json::to_string_pretty(&v).unwrap_or_default();
    t.push('\n');
    t
}

/// Writes events.csv, summary.json and the path chart into `dir`.
pub fn write(dir: &Path, s: &Study) -> Result<()> {
    write_file(dir, "events.csv", &events_csv(s))?;
    write_file(dir, "summary.json", &summary_json(s))?;
    let title = format!("{}: {} ({} events)", s.name, s.condition, s.events.len());
    let p = plot::EventPath {
        title: &title,
        events: s
            .path
            .iter()
            .filter_map(|p| Some((p.bar, p.mean?, p.low?, p.high?)))
            .collect(),
        all_days: s
            .path
            .iter()
            .filter(|p| p.all_days.is_finite())
            .map(|p| (p.bar, p.all_days))
            .collect(),
    };
    plot::write_event_path(dir, "path", &p)
}

/// The terminal report: every event, then the statistics per horizon.
pub fn text(s: &Study) -> String {
    let mut out = String::new();
    let measure = match &s.measure {
        crate::events::Measure::Asset(a) => format!("forward return of {a}"),
        crate::events::Measure::Spread { long, short } => {
            format!("forward return of {long} minus {short}")
        }
    };
    let _ = writeln!(out, "{}: {}", s.name, s.condition);
    let _ = writeln!(
        out,
        "{} to {} ({}): the condition held on {}; {} with a cooldown of {}. Measured: {measure}.\n",
        s.start,
        s.end,
        super::count(s.bars, "bar", "bars"),
        super::count(s.condition_days, "day", "days"),
        super::count(s.events.len(), "event", "events"),
        super::count(s.cooldown, "bar", "bars")
    );
    let _ = write!(out, "{:10}", "date");
    for n in &s.input_names {
        let _ = write!(out, "  {n:>14}");
    }
    for h in &s.horizons {
        let _ = write!(out, "  {:>8}", format!("+{}", h.horizon));
    }
    out.push('\n');
    for e in &s.events {
        let _ = write!(out, "{:10}", e.date);
        for v in &e.inputs {
            let _ = write!(out, "  {:>14}", format!("{v:.4}"));
        }
        for f in &e.forward {
            let _ = write!(out, "  {:>8}", pct_opt(*f));
        }
        out.push('\n');
    }
    let b = &s.bootstrap;
    let _ = writeln!(
        out,
        "\n{:>7} {:>6} {:>7} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>9} {:>20} {:>7}",
        "horizon",
        "events",
        "missing",
        "mean",
        "median",
        "hit",
        "all mean",
        "all med",
        "all hit",
        "diff",
        format!("{:.0}% interval", b.settings.confidence * 100.0),
        "p"
    );
    for h in &s.horizons {
        let _ = writeln!(
            out,
            "{:>7} {:>6} {:>7} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>9} {:>20} {:>7}",
            h.horizon,
            h.events,
            h.missing,
            pct_opt(h.mean),
            pct_opt(h.median),
            pct_opt(h.hit_rate),
            pct_opt(Some(h.all_mean)),
            pct_opt(Some(h.all_median)),
            pct_opt(Some(h.all_hit_rate)),
            pct_opt(h.difference),
            match (h.ci_low, h.ci_high) {
                (Some(a), Some(c)) => format!("[{}, {}]", pct_opt(Some(a)), pct_opt(Some(c))),
                _ => "n/a".into(),
            },
            h.p_value.map_or_else(|| "n/a".into(), super::p_text)
        );
    }
    let _ = writeln!(
        out,
        "\nInterval and p-value: {} ({} samples, blocks of {} bars, seed {}); the interval is for the difference of means, the p-value two-sided for no difference.",
        b.method, b.settings.samples, b.settings.block, b.settings.seed
    );
    out
}
