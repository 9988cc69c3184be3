//! `rotor check`: compare strategies with their baselines, or bless them.

use super::run::stdout_error;
use super::Status;
use crate::check::{self, Blessed, Format};
use crate::error::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct CheckOptions<'a> {
    pub paths: &'a [PathBuf],
    pub baseline: Option<&'a Path>,
    pub bless: bool,
    pub format: Format,
    /// Only the strategies of this shard (position in sorted discovery order % N == I).
    pub shard: Option<crate::sweep::shard::Shard>,
}

/// Success when every strategy is within tolerance (or after blessing), Failure when one
/// drifted or has no baseline.
pub fn check(o: &CheckOptions, out: &mut dyn Write) -> Result<Status> {
    // Event study files in a checked folder are skipped with a note (JSON and JUnit documents
    // hold only the checked strategies).
    // Folders are listed (and their files' kinds read) once; the strategies found are passed
    // on as files.
    let (files, skipped) = check::discover(o.paths)?;
    for f in &skipped {
        let why = "skipped: an event study file (`rotor check` reruns strategies)";
        let line = match o.format {
            Format::Human => format!("note: {}: {why}", f.display()),
            Format::Github => format!("::notice file={}::{why}", f.display()),
            Format::Json | Format::Junit => continue,
        };
        writeln!(out, "{line}").map_err(stdout_error)?;
    }
    let paths: Vec<PathBuf> = match o.shard {
        Some(sh) => files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| sh.has(*i))
            .map(|(_, p)| p)
            .collect(),
        None => files,
    };
    let paths = &paths[..];
    if o.bless && !paths.is_empty() {
        for (name, path, status, undefined) in check::bless(paths, o.baseline)? {
            let what = match status {
                Blessed::Created => "created".to_owned(),
                Blessed::Unchanged => "unchanged".to_owned(),
                Blessed::Updated(changed) if changed.is_empty() => {
                    "updated (the file's text only: no value changed)".to_owned()
                }
                Blessed::Updated(changed) => format!("updated ({} changed)", changed.join(", ")),
            };
            writeln!(out, "{name}: {what}: {}", path.display()).map_err(stdout_error)?;
            if !undefined.is_empty() {
                writeln!(
                    out,
                    "{name}: not numbers, written as `undefined` (checked to stay undefined): {}",
                    undefined.join(", ")
                )
                .map_err(stdout_error)?;
            }
        }
        return Ok(Status::Success);
    }
    if o.bless {
        return Ok(Status::Success);
    }
    // A shard with no strategies (more shards than strategies) checks nothing and passes.
    let results = if paths.is_empty() {
        vec![]
    } else {
        check::check(paths, o.baseline)?
    };
    o.format
        .renderer()
        .render(&results, out)
        .map_err(stdout_error)?;
    let (_, drifted, missing) = check::counts(&results);
    Ok(if drifted + missing > 0 {
        Status::Failure
    } else {
        Status::Success
    })
}
