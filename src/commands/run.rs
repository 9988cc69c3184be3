//! `rotor run`: run strategies, print their summaries, write their folders.

use super::{claim_dir, named_dir, Status};
use crate::error::{Error, Result};
use crate::pipeline::{self, Outcome};
use crate::report::{self, folder};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct RunOptions<'a> {
    pub strategies: &'a [PathBuf],
    /// With one strategy, its folder; with several, the folder of their folders.
    pub out: Option<&'a Path>,
    pub files: report::Outputs,
}

pub fn run(o: &RunOptions, out: &mut dyn Write) -> Result<Status> {
    // Every strategy read and checked, and every output folder claimed, before any data loads.
    let compiled: Vec<_> = o
        .strategies
        .iter()
        .map(|p| pipeline::compile(p))
        .collect::<Result<_>>()?;
    // Two strategies with one name would write into one folder.
    pipeline::same_names(compiled.iter().map(|(s, _)| s), "the output folders").into_result(())?;
    let several = compiled.len() > 1;
    let mut dirs = Vec::with_capacity(compiled.len());
    for (s, _) in &compiled {
        let dir = match o.out {
            Some(parent) if several => {
                // The folder of folders gets the same refusals (the working folder, a folder
                // holding an input), then each strategy's own folder.
                folder::check_parent(parent, &s.input_files())?;
                let dir = named_dir(parent, &s.name, "")?;
                folder::check(&dir, &s.input_files())?;
                dir
            }
            _ => claim_dir(o.out, &s.name, "", s, &[])?,
        };
        dirs.push(dir);
    }
    let outcomes: Vec<Outcome> = pipeline::run_compiled(compiled)
        .into_iter()
        .collect::<Result<_>>()?;
    for (r, dir) in outcomes.iter().zip(&dirs) {
        let p = &r.prepared;
        report::write_outputs(dir, &p.strategy, &p.panel, &r.runs, &r.report, o.files)?;
        let summary = report::summary(&p.strategy, &p.panel, &r.runs, &r.report);
        write!(out, "{summary}\nresults: {}\n\n", dir.display()).map_err(stdout_error)?;
    }
    Ok(Status::Success)
}

/// A failed write to the terminal (a closed pipe): not the user's input, still exit code 2.
pub(crate) fn stdout_error(e: std::io::Error) -> Error {
    Error::io("cannot write to standard output", e)
}
