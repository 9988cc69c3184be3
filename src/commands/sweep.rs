//! `rotor sweep`: every variant of a parameter sweep, ranked, with honest statistics.

use super::{flag_error, output_dir, publish, Status};
use crate::error::Result;
use crate::report::{self, sweep::SweepReport};
use crate::stats::Metric;
use crate::sweep::{self, Sweep};
use crate::{data, pipeline, plan, sim};
use std::io::Write;
use std::path::Path;

pub struct SweepOptions<'a> {
    pub strategy: &'a Path,
    /// `--param PATH=VALUES` flags.
    pub params: &'a [String],
    pub rank: Metric,
    pub top: usize,
    /// `--heatmap A,B` flags.
    pub heatmaps: &'a [String],
    /// Equity curves of this many best variants to write.
    pub curves: usize,
    pub out: Option<&'a Path>,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
    /// Write report.html.
    pub report: bool,
}

pub fn run(o: &SweepOptions, out: &mut dyn Write) -> Result<Status> {
    let (strategy, _) = pipeline::compile(o.strategy)?;
    let sw = sweep::build(&strategy, o.params)?;
    let axes: Vec<(usize, usize)> = o
        .heatmaps
        .iter()
        .map(|h| heatmap_axes(&sw, h))
        .collect::<Result<_>>()?;
    let dir = output_dir(o.out, &strategy.name, "-sweep")?;
    let panel = data::load_panel(&strategy)?;
    let pb = progress_bar(sw.variants.len(), o.progress);
    let started = std::time::Instant::now();
    let results = sweep::run(&strategy, &panel, &sw, &|| pb.inc(1))?;
    let elapsed = started.elapsed();
    pb.finish_and_clear();
    let order = sweep::ranking(&results, o.rank);
    let best = order[0];
    let honesty = sweep::honesty(&strategy, &panel, &sw, &results, best)?;
    let distribution = sweep::distribution(&results, o.rank, best);
    let r = SweepReport {
        strategy: &strategy.name,
        sweep: &sw,
        results: &results,
        rank_by: o.rank,
        order: &order,
        top: o.top.max(1),
        honesty: &honesty,
        distribution: &distribution,
        heatmaps: &axes,
    };
    // Only the requested best curves are recomputed and kept.
    let curves: Vec<(usize, Vec<f64>)> = order
        .iter()
        .take(o.curves)
        .map(|&i| {
            let p = plan::compile(&sweep::apply(&strategy, &sw.axes, &sw.variants[i]))?;
            Ok((i, sim::run(&panel, &p).equity))
        })
        .collect::<Result<_>>()?;
    let evals = sw.variants.len() as f64 * panel.len() as f64;
    let text = format!(
        "{}\n{} variants x {} bars in {:.1} ms ({:.0} million bar-evaluations per second)\n",
        report::sweep::summary_text(&r),
        sw.variants.len(),
        panel.len(),
        elapsed.as_secs_f64() * 1e3,
        evals / elapsed.as_secs_f64() / 1e6,
    );
    let files = |tmp: &Path| {
        report::sweep::write(tmp, &r)?;
        if !curves.is_empty() {
            let csv = report::sweep::curves_csv(&panel.dates, &curves);
            report::write_file(tmp, "top_equity.csv", &csv)?;
        }
        Ok(())
    };
    publish(&dir, o.report, files, &text, out)?;
    Ok(Status::Success)
}

/// Resolves `--heatmap a,b` to two axis indices (by name or path).
fn heatmap_axes(sw: &Sweep, spec: &str) -> Result<(usize, usize)> {
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

fn progress_bar(len: usize, show: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !show || !std::io::stderr().is_terminal() {
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
