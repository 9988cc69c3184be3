//! `rotor events`: an event study.

use super::{claim_dir, publish, Status};
use crate::error::Result;
use crate::{data, events, report};
use std::io::Write;
use std::path::Path;

pub struct EventsOptions<'a> {
    pub file: &'a Path,
    pub out: Option<&'a Path>,
    /// Overrides the file's `[bootstrap] samples`.
    pub samples: Option<usize>,
    /// Overrides the file's `[bootstrap] seed`.
    pub seed: Option<u64>,
    /// Write report.html.
    pub report: bool,
}

pub fn run(o: &EventsOptions, out: &mut dyn Write) -> Result<Status> {
    let text = crate::spec::read(o.file)?;
    if text
        .parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("rules") && !t.contains_key("event"))
    {
        return Err(crate::error::Error::input(crate::error::Diagnostic::new(
            o.file,
            "is a strategy file (it has [[rules]]): `rotor events` takes an event study file (with [event], see docs/events.md); run a strategy with `rotor run`",
        )));
    }
    let mut spec = events::load(o.file)?;
    if let Some(n) = o.samples {
        spec.bootstrap.samples = n;
    }
    if let Some(s) = o.seed {
        spec.bootstrap.seed = s;
    }
    let dir = claim_dir(o.out, &spec.name, "-events", &spec.strategy, &[])?;
    let panel = data::load_panel(&spec.strategy)?;
    let study = events::study(&spec, &panel)?;
    let mut text: String = spec
        .strategy
        .warnings
        .iter()
        .chain(&panel.warnings)
        .map(|w| format!("warning: {w}\n"))
        .collect();
    text.push_str(&report::events::text(&study));
    publish(
        &dir,
        "events",
        o.report,
        |tmp| report::events::write(tmp, &study),
        &text,
        out,
    )?;
    Ok(Status::Success)
}
