//! `rotor sweep`: every variant of a parameter sweep, ranked, with honest statistics.

use super::{claim_dir, flag_error, publish, Status};
use crate::error::Result;
use crate::report::{self, sweep::SweepReport};
use crate::spec::Strategy;
use crate::stats::{Headline, Metric};
use crate::sweep::collect::Collector;
use crate::sweep::shard::{self, Shard};
use crate::sweep::{self, Sweep};
use crate::{data, pipeline, plan, sim};
use std::io::Write;
use std::path::Path;

pub struct SweepOptions<'a> {
    pub strategy: &'a Path,
    /// `--param PATH=VALUES` flags.
    pub params: &'a [String],
    pub outputs: Outputs<'a>,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
    /// Run one shard of the variants and write a shard folder instead of the sweep's outputs.
    pub shard: Option<ShardFlag>,
}

/// What a sweep writes, for a run on one machine and a merge of shards alike.
pub struct Outputs<'a> {
    pub rank: Metric,
    pub top: usize,
    /// `--heatmap A,B` flags.
    pub heatmaps: &'a [String],
    /// Equity curves of this many best variants to write.
    pub curves: usize,
    pub out: Option<&'a Path>,
    /// Write report.html.
    pub report: bool,
}

/// `--shard I/N`, or `--shard auto` (with `--shard-count` for schedulers that give no count).
#[derive(Debug, Clone, Copy)]
pub enum ShardFlag {
    Fixed(Shard),
    Auto { count: Option<usize> },
}

impl ShardFlag {
    fn resolve(self) -> Result<Shard> {
        match self {
            ShardFlag::Fixed(s) => Ok(s),
            ShardFlag::Auto { count } => shard::from_env(count, &|k| std::env::var(k).ok())
                .map_err(|m| flag_error("--shard", m)),
        }
    }
}

pub fn run(o: &SweepOptions, out: &mut dyn Write) -> Result<Status> {
    let (strategy, _) = pipeline::compile(o.strategy)?;
    let sw = sweep::build(&strategy, o.params)?;
    let axes = heatmaps(&sw, o.outputs.heatmaps)?;
    let shard = o.shard.map(ShardFlag::resolve).transpose()?;
    let suffix = match shard {
        Some(sh) => format!("-sweep-shard-{}-of-{}", sh.index, sh.count),
        None => "-sweep".into(),
    };
    let dir = claim_dir(o.outputs.out, &strategy.name, &suffix, &strategy, &[])?;
    let panel = data::load_panel(&strategy)?;
    if let Some(sh) = shard {
        return run_shard(o, sh, &strategy, &panel, &sw, &dir, out);
    }
    let pb = progress_bar(sw.variants.len(), o.progress);
    let started = std::time::Instant::now();
    let mut feed = |sink: &mut sweep::Sink| {
        let mut ids = 0..sw.variants.len();
        sweep::stream(&strategy, &panel, &sw, &mut ids, &|| pb.inc(1), sink)?;
        pb.finish_and_clear();
        let elapsed = started.elapsed();
        let evals = sw.variants.len() as f64 * panel.len() as f64;
        Ok(format!(
            "{} x {} in {:.1} ms ({:.0} million bar-evaluations per second)\n",
            report::count(sw.variants.len(), "variant", "variants"),
            report::count(panel.len(), "bar", "bars"),
            elapsed.as_secs_f64() * 1e3,
            evals / elapsed.as_secs_f64() / 1e6,
        ))
    };
    write_sweep(
        &strategy, &panel, &sw, &axes, &o.outputs, &dir, "sweep", &mut feed, out,
    )
}

fn heatmaps(sw: &Sweep, flags: &[String]) -> Result<Vec<(usize, usize)>> {
    flags.iter().map(|h| heatmap_axes(sw, h)).collect()
}

/// Hands every variant's row, in variant order, to the sink; returns a line for the terminal.
type Feed<'f> =
    dyn FnMut(&mut dyn FnMut(&[usize], &[Headline]) -> Result<()>) -> Result<String> + 'f;

/// Writes the sweep's folder from its rows as `feed` produces them: `sweep.csv` and
/// `sweep.parquet` as they stream by, then the ranking, the honest statistics, the heatmaps,
/// the best curves and the report. The same files from a run on one machine and from merged
/// shards.
#[allow(clippy::too_many_arguments)]
fn write_sweep(
    strategy: &Strategy,
    panel: &data::Panel,
    sw: &Sweep,
    axes: &[(usize, usize)],
    o: &Outputs,
    dir: &Path,
    command: &str,
    feed: &mut Feed,
    out: &mut dyn Write,
) -> Result<Status> {
    let mut text = String::new();
    report::folder::write_dir_atomically(dir, command, |tmp| {
        let mut rows = report::sweep::RowWriter::create(tmp, sw)?;
        let pairs = report::sweep::heatmap_pairs(sw, axes);
        let mut kept = Collector::new(sw, o.rank, o.top.max(o.curves), &pairs);
        let timing = feed(&mut |ids, hs| {
            kept.add(ids, hs);
            rows.write(ids, hs)
        })?;
        rows.finish()?;
        let c = kept.finish();
        let best = c.best[0].0;
        let honesty = sweep::honesty(strategy, panel, sw, &c.sharpes, best)?;
        let distribution = sweep::distribution(&c.values, o.rank, best);
        let r = SweepReport {
            strategy: &strategy.name,
            sweep: sw,
            rank_by: o.rank,
            best: &c.best,
            top: o.top.max(1),
            honesty: &honesty,
            distribution: &distribution,
            heatmaps: &pairs,
            grids: &c.grids,
            drawn: axes.len(),
        };
        report::sweep::write(tmp, &r)?;
        // Only the requested best curves are recomputed and kept.
        let curves: Vec<(usize, Vec<f64>)> = c
            .best
            .iter()
            .take(o.curves)
            .map(|&(i, _)| {
                let p = plan::compile(&sweep::apply(strategy, &sw.axes, &sw.variants[i]))?;
                Ok((i, sim::run(panel, &p).equity))
            })
            .collect::<Result<_>>()?;
        if !curves.is_empty() {
            let csv = report::sweep::curves_csv(&panel.dates, &curves);
            report::write_file(tmp, "top_equity.csv", &csv)?;
        }
        if o.report {
            report::html::write(tmp)?;
        }
        text = format!("{}\n{timing}", report::sweep::summary_text(&r));
        Ok(())
    })?;
    writeln!(out, "{text}results: {}", dir.display()).map_err(super::run::stdout_error)?;
    Ok(Status::Success)
}

fn inputs_of(panel: &data::Panel) -> Vec<(std::path::PathBuf, String)> {
    panel
        .inputs
        .iter()
        .map(|i| (i.path.clone(), i.sha256.clone()))
        .collect()
}

/// Runs shard I of N: the variants whose id % N == I, written with a manifest into
/// `out/<name>-sweep-shard-<I>-of-<N>/` (or `--out`).
fn run_shard(
    o: &SweepOptions,
    sh: Shard,
    strategy: &Strategy,
    panel: &data::Panel,
    sw: &Sweep,
    dir: &Path,
    out: &mut dyn Write,
) -> Result<Status> {
    let rows_here = sh.ids(sw.variants.len()).len();
    let pb = progress_bar(rows_here, o.progress);
    let mut manifest = shard::Manifest {
        schema: shard::SCHEMA.into(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        strategy_file: o.strategy.to_path_buf(),
        strategy: strategy.name.clone(),
        strategy_sha256: data::load::sha256_hex(strategy.text.as_bytes()),
        params: o.params.to_vec(),
        inputs: inputs_of(panel),
        variants: sw.variants.len(),
        shard: sh,
        rows: rows_here,
        rows_sha256: String::new(),
    };
    let text = format!(
        "shard {} of {}: {} of {}\n",
        sh.index,
        sh.count,
        rows_here,
        report::count(sw.variants.len(), "variant", "variants")
    );
    let files = |tmp: &Path| {
        // The rows stream into rows.parquet, a row group per chunk of variants.
        let mut rows = crate::data::load::ParquetStream::create(&tmp.join(shard::ROWS));
        let mut ids = sh.ids(sw.variants.len());
        sweep::stream(
            strategy,
            panel,
            sw,
            &mut ids,
            &|| pb.inc(1),
            &mut |ids, hs| rows.write(shard::columns(ids, hs)),
        )?;
        pb.finish_and_clear();
        rows.finish(shard::columns(&[], &[]))?;
        let rows_path = tmp.join(shard::ROWS);
        let written =
            crate::error::read_file(&rows_path, "shard rows file", crate::error::MAX_DATA_FILE)?;
        manifest.rows_sha256 = data::load::sha256_hex(&written);
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| crate::error::Error::Other(format!("cannot write the manifest: {e}")))?;
        report::write_file(tmp, shard::MANIFEST, &(json + "\n"))
    };
    publish(dir, "sweep", false, files, &text, out)?;
    Ok(Status::Success)
}

/// `rotor sweep merge DIR...`: checks the shards and writes the one-machine sweep's files.
pub fn merge(dirs: &[std::path::PathBuf], o: &Outputs, out: &mut dyn Write) -> Result<Status> {
    let shards: Vec<shard::Read> = dirs.iter().map(|d| shard::read(d)).collect::<Result<_>>()?;
    let (m, results) = shard::assemble(&shards)?;
    // The strategy and data must be the ones the shards ran (the winner is rerun in full).
    if m.strategy_file.is_relative() && !m.strategy_file.exists() {
        let cwd = std::env::current_dir().unwrap_or_default();
        return Err(crate::error::Error::input(crate::error::Diagnostic::new(
            dirs[0].join(shard::MANIFEST),
            format!(
                "the shards ran `rotor sweep` on {}, a path relative to the folder they ran in, and it is not in {}: run `rotor sweep merge` from the folder the shards ran in",
                m.strategy_file.display(),
                cwd.display()
            ),
        ).key("strategy_file")));
    }
    let (strategy, _) = pipeline::compile(&m.strategy_file)?;
    if data::load::sha256_hex(strategy.text.as_bytes()) != m.strategy_sha256 {
        return Err(crate::error::Error::input(crate::error::Diagnostic::new(
            &m.strategy_file,
            "the strategy file changed since the shards were run (its sha256 differs from the shards' manifest)",
        )));
    }
    let sw = sweep::build(&strategy, &m.params)?;
    let shard_dirs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let dir = claim_dir(o.out, &strategy.name, "-sweep", &strategy, &shard_dirs)?;
    let panel = data::load_panel(&strategy)?;
    if inputs_of(&panel) != m.inputs {
        return Err(crate::error::Error::input(crate::error::Diagnostic::new(
            &m.strategy_file,
            "the data files changed since the shards were run (an input's sha256 differs from the shards' manifest)",
        )));
    }
    let axes = heatmaps(&sw, o.heatmaps)?;
    // The rows in the chunks a one-machine run streams them in (the Parquet row groups).
    let ids: Vec<usize> = (0..results.len()).collect();
    let mut feed = |sink: &mut sweep::Sink| {
        for (chunk, rows) in ids.chunks(sweep::CHUNK).zip(results.chunks(sweep::CHUNK)) {
            sink(chunk, rows)?;
        }
        Ok(format!(
            "{} merged from {}\n",
            report::count(results.len(), "variant", "variants"),
            report::count(m.shard.count, "shard", "shards")
        ))
    };
    write_sweep(
        &strategy, &panel, &sw, &axes, o, &dir, "sweep", &mut feed, out,
    )
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
    // The ETA only once it means something: after a second and 2 % of the variants (the first
    // chunks include each group's signal evaluation, so an early rate is far too slow).
    let eta = |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = if s.elapsed().as_secs_f64() < 1.0 || s.fraction() < 0.02 {
            write!(w, "eta ...")
        } else {
            write!(w, "eta {}", indicatif::HumanDuration(s.eta()))
        };
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} variants {elapsed} ({steady_eta})",
    ) {
        pb.set_style(style.with_key("steady_eta", eta));
    }
    pb
}
