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
    let mut text = report::warning_lines(&spec.strategy, &panel);
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
