//! `rotor run`: run strategies, print their summaries, write their folders.

use super::{named_dir, output_dir, Status};
use crate::error::{Diagnostic, Error, Result};
use crate::pipeline::{self, Outcome};
use crate::report;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct RunOptions<'a> {
    pub strategies: &'a [PathBuf],
    /// With one strategy, its folder; with several, the folder of their folders.
    pub out: Option<&'a Path>,
    pub files: report::Outputs,
}

pub fn run(o: &RunOptions, out: &mut dyn Write) -> Result<Status> {
    let outcomes: Vec<Outcome> = pipeline::run_paths(o.strategies)
        .into_iter()
        .collect::<Result<_>>()?;
    // Two strategies with one name would write into one folder.
    for (i, a) in outcomes.iter().enumerate() {
        if let Some(b) = outcomes[..i]
            .iter()
            .find(|b| b.prepared.strategy.name == a.prepared.strategy.name)
        {
            return Err(Error::input(Diagnostic::new(&a.prepared.strategy.path, format!(
                "strategy name `{}` is also used by {}; names must differ (they name the output folders)",
                a.prepared.strategy.name, b.prepared.strategy.path.display())).key("name")));
        }
    }
    let several = outcomes.len() > 1;
    for r in &outcomes {
        let p = &r.prepared;
        let dir = match o.out {
            Some(parent) if several => named_dir(parent, &p.strategy.name, "")?,
            _ => output_dir(o.out, &p.strategy.name, "")?,
        };
        report::write_outputs(&dir, &p.strategy, &p.panel, &r.runs, &r.report, o.files)?;
        let summary = report::summary(&p.strategy, &p.panel, &r.runs, &r.report);
        write!(out, "{summary}\nresults: {}\n\n", dir.display()).map_err(stdout_error)?;
    }
    Ok(Status::Success)
}

/// A failed write to the terminal (a closed pipe): not the user's input, still exit code 2.
pub(crate) fn stdout_error(e: std::io::Error) -> Error {
    Error::io("cannot write to standard output", e)
}
