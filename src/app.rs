//! The commands, as library calls: load and check (spec, plan, data), run, report.

use crate::data::{self, Panel};
use crate::error::{Diagnostic, Error, Result};
use crate::plan::{self, Plan};
use crate::report::{self, Report};
use crate::sim::{self, Runs};
use crate::spec::{self, Strategy};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A strategy with its compiled plan and its aligned data: everything a run needs.
pub struct Prepared {
    pub strategy: Strategy,
    pub plan: Plan,
    pub panel: Panel,
}

/// Reads, checks and compiles a strategy and loads its data. Every check `validate` makes.
pub fn prepare(path: &Path) -> Result<Prepared> {
    let (strategy, plan) = check(path)?;
    let panel = data::load_panel(&strategy)?;
    Ok(Prepared {
        strategy,
        plan,
        panel,
    })
}

/// Reads and compiles a strategy file, reporting the problems of both stages together.
pub fn check(path: &Path) -> Result<(Strategy, Plan)> {
    let text = spec::read(path)?;
    let (strategy, mut diags) = spec::parse_partial(path, &text)?;
    match plan::compile(&strategy) {
        Ok(plan) if diags.is_empty() => Ok((strategy, plan)),
        Ok(_) => Err(Error::Input(diags)),
        Err(Error::Input(more)) => {
            diags.extend(more);
            // In file order, whichever stage found them.
            diags.0.sort_by_key(|d| (d.line, d.column));
            Err(Error::Input(diags))
        }
        Err(e) => Err(e),
    }
}

/// The outcome of one strategy's run.
pub struct Outcome {
    pub prepared: Prepared,
    pub runs: Runs,
    pub report: Report,
}

pub fn run_prepared(prepared: Prepared) -> Outcome {
    let runs = sim::run_with_benchmarks(&prepared.panel, &prepared.plan);
    let report = report::build(&prepared.panel, &runs);
    Outcome {
        prepared,
        runs,
        report,
    }
}

/// Prepares and runs several strategies in parallel; results in input order.
pub fn run_paths(paths: &[PathBuf]) -> Vec<Result<Outcome>> {
    paths
        .par_iter()
        .map(|p| prepare(p).map(run_prepared))
        .collect()
}

/// Where a strategy's results go.
pub fn out_dir(out: Option<&Path>, name: &str, several: bool) -> PathBuf {
    match out {
        Some(dir) if several => dir.join(name),
        Some(dir) => dir.to_path_buf(),
        None => Path::new("out").join(name),
    }
}

/// `rotor run`: returns the text to print on success.
pub fn run_command(paths: &[PathBuf], out: Option<&Path>, charts: bool) -> Result<String> {
    let outcomes: Vec<Outcome> = run_paths(paths).into_iter().collect::<Result<_>>()?;
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
    let mut text = String::new();
    for o in &outcomes {
        let p = &o.prepared;
        let dir = out_dir(out, &p.strategy.name, several);
        report::write_outputs(&dir, &p.strategy, &p.panel, &o.runs, &o.report, charts)?;
        text.push_str(&report::summary(&p.strategy, &p.panel, &o.runs, &o.report));
        text.push_str(&format!("\nresults: {}\n\n", dir.display()));
    }
    Ok(text)
}

/// `rotor validate`: every check, no run.
pub fn validate_command(paths: &[PathBuf]) -> Result<String> {
    let mut text = String::new();
    let mut errors = crate::error::Diagnostics::default();
    let mut other = None;
    for p in paths {
        match prepare(p) {
            Ok(pr) => text.push_str(&format!(
                "ok: {} ({}): {} assets, {} bars from {} to {}\n",
                p.display(),
                pr.strategy.name,
                pr.panel.asset_names.len(),
                pr.panel.len(),
                crate::date::format(pr.panel.dates[0]),
                crate::date::format(pr.panel.dates[pr.panel.len() - 1])
            )),
            Err(Error::Input(d)) => errors.extend(d),
            Err(e) => other = Some(e),
        }
    }
    if let Some(e) = other {
        return Err(e);
    }
    errors.into_result(text)
}

/// `rotor check`: the text to print and the exit code (0 all within tolerance, 1 drift or
/// missing baseline).
pub fn check_command(
    paths: &[PathBuf],
    baseline: Option<&Path>,
    bless: bool,
    format: crate::cli::Format,
) -> Result<(String, u8)> {
    use crate::check;
    use crate::cli::Format;
    if bless {
        let mut text = String::new();
        for (name, path, status) in check::bless(paths, baseline)? {
            let what = match status {
                check::Blessed::Created => "created".to_owned(),
                check::Blessed::Unchanged => "unchanged".to_owned(),
                check::Blessed::Updated(changed) => {
                    format!("updated ({} changed)", changed.join(", "))
                }
            };
            text.push_str(&format!("{name}: {what}: {}\n", path.display()));
        }
        return Ok((text, 0));
    }
    let results = check::check(paths, baseline)?;
    let text = match format {
        Format::Human => check::render_human(&results),
        Format::Json => check::render_json(&results),
        Format::Junit => check::render_junit(&results),
        Format::Github => check::render_github(&results),
    };
    let (_, drifted, missing) = check::counts(&results);
    Ok((text, u8::from(drifted + missing > 0)))
}
