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

fn flag_error(flag: &str, message: String) -> Error {
    Error::input(Diagnostic::new(flag, message))
}

/// Resolves `--heatmap a,b` to two axis indices (by name or path).
fn heatmap_axes(sw: &crate::sweep::Sweep, spec: &str) -> Result<(usize, usize)> {
    let find = |n: &str| {
        sw.axes
            .iter()
            .position(|a| a.name == n.trim() || a.path == n.trim())
    };
    let parts: Vec<&str> = spec.split(',').collect();
    let names: Vec<&str> = sw.axes.iter().map(|a| a.name.as_str()).collect();
    match parts.as_slice() {
        [a, b] => match (find(a), find(b)) {
            (Some(x), Some(y)) if x != y => Ok((x, y)),
            _ => Err(flag_error(
                "--heatmap",
                format!(
                    "{spec}: expected two different swept parameters among {}",
                    names.join(", ")
                ),
            )),
        },
        _ => Err(flag_error("--heatmap", format!("{spec}: expected A,B"))),
    }
}

fn progress_bar(len: usize, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} variants {elapsed} (eta {eta})",
    ) {
        pb.set_style(style);
    }
    pb
}

/// Options of `rotor sweep`.
pub struct SweepOptions<'a> {
    pub rank: &'a str,
    pub top: usize,
    pub heatmaps: &'a [String],
    /// Equity curves of this many best variants to write.
    pub curves: usize,
    pub out: Option<&'a Path>,
    pub quiet: bool,
}

/// `rotor sweep`.
pub fn sweep_command(path: &Path, params: &[String], o: &SweepOptions) -> Result<String> {
    let (rank, top, heatmaps, out, quiet) = (o.rank, o.top, o.heatmaps, o.out, o.quiet);
    use crate::sweep;
    sweep::rank_metric(rank).map_err(|m| flag_error("--rank", m))?;
    let (strategy, _) = check(path)?;
    let sw = sweep::build(&strategy, params)?;
    let axes: Vec<(usize, usize)> = heatmaps
        .iter()
        .map(|h| heatmap_axes(&sw, h))
        .collect::<Result<_>>()?;
    let panel = data::load_panel(&strategy)?;
    let pb = progress_bar(sw.variants.len(), quiet);
    let started = std::time::Instant::now();
    let results = sweep::run(&strategy, &panel, &sw, &|| pb.inc(1))?;
    let elapsed = started.elapsed();
    pb.finish_and_clear();
    let order = sweep::ranking(&results, rank);
    let best = order[0];
    let honesty = sweep::honesty(&strategy, &panel, &sw, &results, best)?;
    let distribution = sweep::distribution(&results, rank, best);
    let r = report::sweep::SweepReport {
        strategy: &strategy.name,
        sweep: &sw,
        results: &results,
        rank_by: rank,
        order: &order,
        top: top.max(1),
        honesty: &honesty,
        distribution: &distribution,
        heatmaps: &axes,
    };
    let dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", strategy.name)));
    // Only the requested best curves are recomputed and kept.
    let curves: Vec<(usize, Vec<f64>)> = order
        .iter()
        .take(o.curves)
        .map(|&i| {
            let p = plan::compile(&sweep::apply(&strategy, &sw.axes, &sw.variants[i]))?;
            Ok((i, crate::sim::run(&panel, &p).equity))
        })
        .collect::<Result<_>>()?;
    report::write_dir_atomically(&dir, |tmp| {
        report::sweep::write(tmp, &r)?;
        if !curves.is_empty() {
            report::write_file(
                tmp,
                "top_equity.csv",
                &report::sweep::curves_csv(&panel.dates, &curves),
            )?;
        }
        Ok(())
    })?;
    if quiet {
        return Ok(String::new());
    }
    let evals = sw.variants.len() as f64 * panel.len() as f64;
    Ok(format!(
        "{}\n{} variants x {} bars in {:.1} ms ({:.0} million bar-evaluations per second)\nresults: {}\n",
        report::sweep::summary_text(&r),
        sw.variants.len(),
        panel.len(),
        elapsed.as_secs_f64() * 1e3,
        evals / elapsed.as_secs_f64() / 1e6,
        dir.display()
    ))
}

/// Window lengths of `rotor walkforward`, as given on the command line.
pub struct Spans<'a> {
    pub train: &'a str,
    pub test: &'a str,
    pub step: Option<&'a str>,
}

/// `rotor walkforward`.
pub fn walkforward_command(
    path: &Path,
    params: &[String],
    rank: &str,
    spans: Spans,
    anchored: bool,
    out: Option<&Path>,
    quiet: bool,
) -> Result<String> {
    use crate::sweep::{self, walkforward as wf};
    if !wf::RANKABLE.contains(&rank) {
        return Err(flag_error(
            "--rank",
            format!(
                "{rank}: walk-forward ranks by one of {}",
                wf::RANKABLE.join(", ")
            ),
        ));
    }
    let train = wf::parse_span(spans.train).map_err(|m| flag_error("--train", m))?;
    let test = wf::parse_span(spans.test).map_err(|m| flag_error("--test", m))?;
    let step = match spans.step {
        Some(s) => wf::parse_span(s).map_err(|m| flag_error("--step", m))?,
        None => test,
    };
    let shorter = match (step, test) {
        (wf::Span::Months(a), wf::Span::Months(b)) => a < b,
        (wf::Span::Bars(a), wf::Span::Bars(b)) => a < b,
        _ => false,
    };
    if shorter {
        return Err(flag_error(
            "--step",
            "the step must be at least the test span, so out-of-sample spans do not overlap".into(),
        ));
    }
    let (strategy, _) = check(path)?;
    let sw = sweep::build(&strategy, params)?;
    let panel = data::load_panel(&strategy)?;
    let windows = wf::windows(&panel.dates, train, test, step, anchored)
        .map_err(|m| flag_error("--train/--test/--step", m))?;
    let result = wf::run(&strategy, &panel, &sw, &windows, rank, anchored)?;
    let dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("out").join(format!("{}-walkforward", strategy.name)));
    report::write_dir_atomically(&dir, |tmp| {
        report::sweep::write_walkforward(tmp, &strategy.name, &result, &sw)
    })?;
    if quiet {
        return Ok(String::new());
    }
    Ok(format!(
        "{}results: {}\n",
        report::sweep::walkforward_text(&strategy.name, &result, &sw),
        dir.display()
    ))
}

/// `rotor events`.
pub fn events_command(
    path: &Path,
    out: Option<&Path>,
    samples: Option<usize>,
    seed: Option<u64>,
    quiet: bool,
) -> Result<String> {
    let mut spec = crate::events::load(path)?;
    if let Some(n) = samples {
        spec.samples = n;
    }
    if let Some(s) = seed {
        spec.seed = s;
    }
    let panel = data::load_panel(&spec.strategy)?;
    let study = crate::events::study(&spec, &panel)?;
    let dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("out").join(format!("{}-events", spec.name)));
    report::write_dir_atomically(&dir, |tmp| report::events::write(tmp, &study))?;
    if quiet {
        return Ok(String::new());
    }
    Ok(format!(
        "{}results: {}\n",
        report::events::text(&study),
        dir.display()
    ))
}
