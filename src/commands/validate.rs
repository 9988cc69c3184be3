//! `rotor validate`: every check `run` makes, without running.

use super::run::stdout_error;
use super::Status;
use crate::date;
use crate::error::{Diagnostics, Error, Result};
use crate::pipeline;
use crate::report::regimes;
use std::io::Write;
use std::path::PathBuf;

pub fn validate(paths: &[PathBuf], out: &mut dyn Write) -> Result<Status> {
    let mut errors = Diagnostics::default();
    let mut lines = Vec::new();
    for p in paths {
        match pipeline::prepare(p) {
            Ok(pr) => {
                lines.push(format!(
                    "ok: {} ({}): {} assets, {} bars from {} to {}, {} warm-up bars",
                    p.display(),
                    pr.strategy.name,
                    pr.panel.asset_names.len(),
                    pr.panel.len(),
                    date::format(pr.panel.dates[0]),
                    date::format(pr.panel.dates[pr.panel.len() - 1]),
                    pr.panel.warmup
                ));
                for c in &pr.panel.synthetic {
                    lines.push(format!("  {}", c.line()));
                }
                if !pr.plan.regimes.is_empty() {
                    let signals = crate::signal::eval_signals(&pr.plan, &pr.panel);
                    let held = pipeline::regimes_held(&pr, &signals);
                    for w in regimes::warnings(&pr.strategy, &pr.panel, &held) {
                        lines.push(format!("warning: {w}"));
                    }
                }
            }
            Err(Error::Input(d)) => errors.extend(d),
            Err(e) => return Err(e),
        }
    }
    errors.into_result(())?;
    for l in lines {
        writeln!(out, "{l}").map_err(stdout_error)?;
    }
    Ok(Status::Success)
}
