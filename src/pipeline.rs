//! One backtest from file to report, the path every command that runs strategies shares:
//! read and check the strategy (spec, then plan), load its data, run it with its benchmarks,
//! compute its statistics.

use crate::data::{self, Panel};
use crate::error::{Error, Result};
use crate::plan::{self, Plan};
use crate::report::{self, Report};
use crate::signal;
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
    let (strategy, plan) = compile(path)?;
    load(strategy, plan)
}

/// Loads the data of a compiled strategy.
pub fn load(strategy: Strategy, plan: Plan) -> Result<Prepared> {
    let panel = data::load_panel(&strategy)?;
    Ok(Prepared {
        strategy,
        plan,
        panel,
    })
}

/// Reads and compiles a strategy file, reporting the problems of both stages together.
pub fn compile(path: &Path) -> Result<(Strategy, Plan)> {
    let text = spec::read(path)?;
    let (strategy, mut diags) = spec::parse_partial(path, &text)?;
    match plan::compile(&strategy) {
        Ok(plan) if diags.is_empty() => {
            // Unused assets and series are left out (with a warning) before any data loads.
            return match plan::prune(&strategy, &plan, &[]) {
                None => Ok((strategy, plan)),
                Some(pruned) => {
                    let plan = plan::compile(&pruned)?;
                    Ok((pruned, plan))
                }
            };
        }
        Ok(_) => {}
        Err(Error::Input(more)) => diags.extend(more),
        Err(e) => return Err(e),
    }
    // In file order, whichever stage found them.
    diags.0.sort_by_key(|d| (d.line, d.column));
    Err(Error::Input(diags))
}

/// The outcome of one strategy's run.
pub struct Outcome {
    pub prepared: Prepared,
    pub runs: Runs,
    pub report: Report,
}

pub fn run_prepared(prepared: Prepared) -> Outcome {
    // Signals once: for the rules and for the regimes.
    let signals = signal::eval_signals(&prepared.plan, &prepared.panel);
    let runs = sim::run_with_benchmarks(&prepared.panel, &prepared.plan, &signals);
    let report = report::build(&prepared.panel, &runs, regimes_held(&prepared, &signals));
    Outcome {
        prepared,
        runs,
        report,
    }
}

/// Which of the strategy's regimes held at each close of the run (`signals` as
/// [`signal::eval_signals`] returns them).
pub fn regimes_held(p: &Prepared, signals: &[Vec<f64>]) -> report::regimes::Held {
    let held = signal::eval_regimes(&p.plan, &p.panel, signals);
    p.strategy
        .regimes
        .iter()
        .zip(held)
        .map(|((name, src), h)| (name.clone(), src.text.clone(), h))
        .collect()
}

/// Loads and runs several compiled strategies in parallel; results in input order.
pub fn run_compiled(compiled: Vec<(Strategy, Plan)>) -> Vec<Result<Outcome>> {
    compiled
        .into_par_iter()
        .map(|(s, p)| load(s, p).map(run_prepared))
        .collect()
}

/// Strategies sharing a name (compared case-insensitively: `Fast/` and `fast/` are one folder on
/// macOS and Windows), each reported after the first; `what` says what the names name.
pub fn same_names<'a>(
    strategies: impl IntoIterator<Item = &'a Strategy>,
    what: &str,
) -> crate::error::Diagnostics {
    let mut seen: Vec<&Strategy> = vec![];
    let mut diags = crate::error::Diagnostics::default();
    for a in strategies {
        if let Some(b) = seen.iter().find(|b| b.name.eq_ignore_ascii_case(&a.name)) {
            diags.push(
                crate::error::Diagnostic::new(
                    &a.path,
                    format!(
                        "strategy name `{}` is also used by {}; names must differ (they name {what})",
                        a.name,
                        b.path.display()
                    ),
                )
                .key("name"),
            );
        }
        seen.push(a);
    }
    diags
}

/// Prepares and runs several strategies in parallel; results in input order.
pub fn run_paths(paths: &[PathBuf]) -> Vec<Result<Outcome>> {
    paths
        .par_iter()
        .map(|p| prepare(p).map(run_prepared))
        .collect()
}
