//! The commands, as library calls: one file per command. Each takes its options, already typed
//! (the binary's command line resolves them), and a writer for what the user reads; it returns
//! a [`Status`] that the binary maps to the exit code, or an error (exit code 2).

pub mod check;
pub mod events;
pub mod report;
pub mod run;
pub mod sweep;
pub mod validate;
pub mod walkforward;

use crate::error::{Diagnostic, Error, Result};
use crate::spec;
use std::path::{Path, PathBuf};

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Success,
    /// Exit code 1: the command ran, and its answer is "no" (`rotor check`: a result drifted
    /// or a baseline is missing).
    Failure,
}

/// The folder a name read from a file gives: `out/<name><suffix>`, or `<dir>/<name><suffix>`
/// under `--out DIR` for several results. Readers already refuse names that are not plain
/// folder names; this checks again, so that nothing read from a file can point a write outside
/// the output folder (only `--out` chooses where results go).
pub fn named_dir(parent: &Path, name: &str, suffix: &str) -> Result<PathBuf> {
    let folder = format!("{name}{suffix}");
    if !spec::is_folder_name(&folder) {
        return Err(Error::input(
            Diagnostic::new(&folder, "not a plain folder name: refusing to write there")
                .key("name"),
        ));
    }
    Ok(parent.join(folder))
}

/// `--out DIR` when given, else `out/<name><suffix>`.
pub fn output_dir(out: Option<&Path>, name: &str, suffix: &str) -> Result<PathBuf> {
    match out {
        Some(dir) => Ok(dir.to_path_buf()),
        None => named_dir(Path::new("out"), name, suffix),
    }
}

/// The output folder of a command that reads `strategy` (and `more` inputs), checked before
/// any work: `--out` (or `out/<name><suffix>`) must be a folder rotor may replace (see
/// [`crate::report::folder`]).
pub fn claim_dir(
    out: Option<&Path>,
    name: &str,
    suffix: &str,
    strategy: &spec::Strategy,
    more: &[&Path],
) -> Result<PathBuf> {
    let dir = output_dir(out, name, suffix)?;
    let mut inputs = strategy.input_files();
    inputs.extend_from_slice(more);
    crate::report::folder::check(&dir, &inputs)?;
    Ok(dir)
}

/// Writes a command's folder atomically (its files, then `report.html` built from them unless
/// `report` is false), then prints the command's text and where the results are.
pub(crate) fn publish(
    dir: &Path,
    command: &str,
    report: bool,
    files: impl FnOnce(&Path) -> Result<()>,
    text: &str,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    crate::report::folder::write_dir_atomically(dir, command, |tmp| {
        files(tmp)?;
        if report {
            crate::report::html::write(tmp)?;
        }
        Ok(())
    })?;
    writeln!(out, "{text}results: {}", dir.display()).map_err(run::stdout_error)
}

/// An error in a command-line flag.
pub(crate) fn flag_error(flag: &str, message: String) -> Error {
    Error::input(Diagnostic::new(flag, message))
}
