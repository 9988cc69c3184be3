//! `rotor report DIR`: rebuild `report.html` from an output folder's files, without rerunning.

use super::run::stdout_error;
use super::Status;
use crate::error::Result;
use crate::report::{folder, html};
use std::io::Write;
use std::path::Path;

pub fn run(dir: &Path, out: &mut dyn Write) -> Result<Status> {
    let path = dir.join(html::FILE);
    folder::write_into(dir, html::FILE, &html::render(dir)?)?;
    writeln!(out, "report: {}", path.display()).map_err(stdout_error)?;
    Ok(Status::Success)
}
