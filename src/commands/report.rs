//! `rotor report DIR`: rebuild `report.html` from an output folder's files, without rerunning.

use super::run::stdout_error;
use super::Status;
use crate::error::Result;
use crate::report::html;
use std::io::Write;
use std::path::Path;

pub fn run(dir: &Path, out: &mut dyn Write) -> Result<Status> {
    let page = html::render(dir)?;
    let path = dir.join(html::FILE);
    // Written beside, then renamed: a failure never leaves half a page.
    let tmp = dir.join(format!(".{}.tmp-{}", html::FILE, std::process::id()));
    std::fs::write(&tmp, page)
        .map_err(|e| crate::error::Error::io(format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path)
        .map_err(|e| crate::error::Error::io(format!("cannot replace {}", path.display()), e))?;
    writeln!(out, "report: {}", path.display()).map_err(stdout_error)?;
    Ok(Status::Success)
}
