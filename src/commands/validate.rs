//! `rotor validate`: every check `run` makes, without running.

use super::run::stdout_error;
use super::Status;
use crate::date;
use crate::error::{Diagnostics, Error, Result};
use crate::pipeline;
use crate::report::{self, regimes};
use std::io::Write;
use std::path::PathBuf;

pub fn validate(paths: &[PathBuf], out: &mut dyn Write) -> Result<Status> {
    let mut errors = Diagnostics::default();
    let mut lines = Vec::new();
    for p in paths {
        if crate::spec::FileKind::of_file(p) == crate::spec::FileKind::Events {
            // An event study: every check `rotor events` makes before it measures anything.
            match crate::events::load(p)
                .and_then(|e| Ok((crate::data::load_panel(&e.strategy)?, e)))
            {
                Ok((panel, e)) => {
                    lines.push(format!(
                        "ok: {} ({}): event study, {}, {} from {} to {}",
                        p.display(),
                        e.name,
                        report::count(panel.asset_names.len(), "asset", "assets"),
                        report::count(panel.len(), "bar", "bars"),
                        date::format(panel.dates[0]),
                        date::format(panel.dates[panel.len() - 1]),
                    ));
                    lines.extend(
                        report::warning_lines(&e.strategy, &panel)
                            .lines()
                            .map(String::from),
                    );
                }
                Err(Error::Input(d)) => errors.extend(d),
                Err(e) => return Err(e),
            }
            continue;
        }
        match pipeline::prepare(p) {
            Ok(pr) => {
                lines.push(format!(
                    "ok: {} ({}): {}, {} from {} to {}, {}",
                    p.display(),
                    pr.strategy.name,
                    report::count(pr.panel.asset_names.len(), "asset", "assets"),
                    report::count(pr.panel.len(), "bar", "bars"),
                    date::format(pr.panel.dates[0]),
                    date::format(pr.panel.dates[pr.panel.len() - 1]),
                    report::count(pr.panel.warmup, "warm-up bar", "warm-up bars")
                ));
                lines.extend(
                    report::warning_lines(&pr.strategy, &pr.panel)
                        .lines()
                        .map(String::from),
                );
                for c in report::synthetic_checks(&pr.panel) {
                    lines.push(format!("  {}", report::synthetic_line(&c)));
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
