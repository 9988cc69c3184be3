//! The command line, as clap sees it (part of the binary: the library knows nothing of clap).
//! Flags shared by every command are declared once ([`Shared`]) and flattened into each; values
//! are typed at the edge (`--rank` is a [`Metric`], `--format` a check [`Format`]).

use clap::{Args, Parser, Subcommand};
use rotor::check::Format;
use rotor::commands::sweep::ShardFlag;
use rotor::stats::Metric;
use std::path::PathBuf;

/// rotor: backtest small-cap / large-cap rotation strategies written in TOML on real history.
///
/// A strategy file names its data (assets, auxiliary series, a cash rate), its signals, its
/// rules, how often it rebalances and how it trades. See docs/strategy-format.md.
#[derive(Debug, Parser)]
#[command(name = "rotor", version, about, long_about, propagate_version = true)]
#[command(
    after_help = "Examples:\n  rotor run strategies/small_large_momentum.toml\n  rotor run strategies/*.toml --out results\n  rotor validate strategies/iwm_trend_filter.toml\n  rotor check strategies --format junit > rotor-check.xml\n  rotor sweep strategies/sweeps/iwm_spy_momentum.toml --heatmap lookback,commission_bps\n  rotor walkforward strategies/sweeps/iwm_spy_momentum.toml --train 10y --test 2y\n  rotor events strategies/events/russell_up_sp_down.toml\n\nExit codes: 0 success; 1 (check only) a result drifted or a baseline is missing; 2 bad input\nor failure (the message on stderr names the file, line and key)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub shared: Shared,
}

/// `rotor sweep merge`.
#[derive(Debug, Subcommand)]
pub enum SweepAction {
    /// Merge the shard folders of one sweep into the files a one-machine run writes.
    ///
    /// Checks that the shards are of one strategy, data, grid and rotor version, that shards
    /// 0..N-1 are each given once and that their variants cover the grid exactly; reruns the
    /// winner from the strategy file (which must be unchanged) for its honest statistics.
    Merge {
        /// Shard folders written by `rotor sweep --shard`.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        outputs: SweepOutputs,
    },
}

/// What a sweep writes: for `rotor sweep` and `rotor sweep merge` alike.
#[derive(Debug, Args)]
pub struct SweepOutputs {
    /// Metric to rank by: total_return, cagr, volatility, sharpe, sortino, max_drawdown,
    /// calmar, ulcer_index, annual_turnover, total_costs, final_equity.
    #[arg(long, default_value = "sharpe", value_parser = rankable)]
    pub rank: Metric,
    /// How many of the best variants to print and keep in summary.json.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Draw a heatmap of the ranking metric over two swept parameters: --heatmap a,b
    /// (names or paths; repeatable).
    #[arg(long, value_name = "A,B")]
    pub heatmap: Vec<String>,
    /// Also write the equity curves of the N best variants (top_equity.csv), at most 1000; only
    /// these curves are kept, whatever the number of variants.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub curves: u16,
    #[arg(long, value_name = "DIR", help = OUT_HELP)]
    pub out: Option<PathBuf>,
    /// Skip report.html.
    #[arg(long)]
    pub no_report: bool,
}

/// What `--out` does, for every command that writes a folder (docs/output.md says the same).
const OUT_HELP: &str = "Output folder (default: out/<name>-<command>/). It is written whole beside DIR, then swapped in. An existing DIR is replaced only if rotor wrote it: its rotor-manifest.json lists every file in it. A DIR holding any other file, a file, the working folder, or a folder holding the strategy or a data file is refused (exit 2) before any work";

const RUN_OUT_HELP: &str = "Output folder. With one strategy, results go here (default: out/<name>/); with several, into DIR/<name>/. Each folder is written whole beside it, then swapped in. An existing folder is replaced only if rotor wrote it: its rotor-manifest.json lists every file in it. A folder holding any other file, a file, the working folder, or a folder holding the strategy or a data file is refused (exit 2) before any work";

/// `--shard I/N` or `auto` (its count, for schedulers that give none, is `--shard-count`).
fn shard_flag(s: &str) -> Result<ShardFlag, String> {
    if s == "auto" {
        return Ok(ShardFlag::Auto { count: None });
    }
    rotor::sweep::shard::parse(s).map(ShardFlag::Fixed)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one or more strategies, print a summary and write results.
    ///
    /// For each strategy, writes stats.json, equity.csv, weights.csv, trades.csv and the charts
    /// equity/drawdown/allocation (.png and .svg) into out/<name>/ (or --out). Several strategies
    /// run in parallel; summaries are printed in the order given.
    Run {
        /// Strategy files (TOML).
        #[arg(required = true, value_name = "STRATEGY.toml")]
        strategies: Vec<PathBuf>,
        #[arg(long, value_name = "DIR", help = RUN_OUT_HELP)]
        out: Option<PathBuf>,
        /// Skip the PNG and SVG charts (report.html is still written).
        #[arg(long)]
        no_charts: bool,
        /// Skip report.html.
        #[arg(long)]
        no_report: bool,
    },
    /// Rerun strategies and compare them with their stored baselines (for CI).
    ///
    /// Exit code 0 when every strategy is within tolerance, 1 when any drifted or has no
    /// baseline, 2 on bad input. Baselines live in <strategy dir>/baselines/<name>.toml unless
    /// --baseline is given; `--bless` writes them (never run it automatically in CI).
    Check {
        /// Strategy files, or folders whose *.toml files are strategies.
        #[arg(value_name = "PATH", default_value = "strategies")]
        paths: Vec<PathBuf>,
        /// Folder of baselines (default: baselines/ beside each strategy).
        #[arg(long, value_name = "DIR")]
        baseline: Option<PathBuf>,
        /// Write or update the baselines from this run, and say which changed.
        #[arg(long)]
        bless: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Check only shard I of N of the strategies found (0-based, in sorted path order:
        /// the strategies whose position % N == I), e.g. one CI matrix job each.
        #[arg(long, value_name = "I/N", value_parser = check_shard)]
        shard: Option<rotor::sweep::shard::Shard>,
    },
    /// Run every variant of a parameter sweep in parallel and rank them.
    ///
    /// Variants come from the strategy's [sweep] table and --param flags (cartesian product,
    /// filtered by constraints). Writes sweep.csv, sweep.parquet (one row per variant: its
    /// parameters and headline metrics), summary.json (best variants, probabilistic and deflated
    /// Sharpe ratio of the winner) and heatmaps into out/<name>-sweep/ (or --out).
    /// With --shard I/N, runs only the variants whose id % N == I and writes a shard folder;
    /// `rotor sweep merge DIR...` then writes the sweep's files from all shards (docs/scale.md).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        action: Option<SweepAction>,
        /// A strategy file with a [sweep] table (or give --param).
        #[arg(value_name = "STRATEGY.toml", required = true)]
        strategy: Option<PathBuf>,
        /// A swept parameter: PATH=LOW..HIGH[:STEP] or PATH=V1,V2,... (repeatable), e.g.
        /// params.lookback=20..252:4 or execution.commission_bps=0,5,10,20.
        #[arg(long = "param", value_name = "PATH=VALUES")]
        params: Vec<String>,
        #[command(flatten)]
        outputs: SweepOutputs,
        /// Run only shard I of N (0-based: the variants whose id % N == I) and write a shard
        /// folder, out/<name>-sweep-shard-I-of-N/ (or --out). `auto` reads the index and count
        /// from the scheduler: JOB_COMPLETION_INDEX (Kubernetes, with --shard-count),
        /// SLURM_ARRAY_TASK_ID/COUNT, AWS_BATCH_JOB_ARRAY_INDEX/SIZE, CI_NODE_INDEX/TOTAL.
        #[arg(long, value_name = "I/N|auto", value_parser = shard_flag)]
        shard: Option<ShardFlag>,
        /// The number of shards, for --shard auto under a scheduler that gives only the index
        /// (a Kubernetes Indexed Job: its completions).
        #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u64).range(1..))]
        shard_count: Option<u64>,
    },
    /// Walk-forward test: pick the best variant on each training span, run it on the next span.
    ///
    /// Stitches the out-of-sample spans into one equity curve, reports it and the in-sample vs
    /// out-of-sample degradation. Writes windows.csv, oos_equity.csv, summary.json and a chart into
    /// out/<name>-walkforward/ (or --out).
    Walkforward {
        /// A strategy file with a [sweep] table (or give --param).
        #[arg(value_name = "STRATEGY.toml")]
        strategy: PathBuf,
        /// Training span: 10y, 18m or 2520b (bars).
        #[arg(long, value_name = "SPAN")]
        train: String,
        /// Test span that follows each training span.
        #[arg(long, value_name = "SPAN")]
        test: String,
        /// Step between windows (default: the test span; at least the test span).
        #[arg(long, value_name = "SPAN")]
        step: Option<String>,
        /// Keep the training start at the first bar (growing training spans).
        #[arg(long)]
        anchored: bool,
        /// A swept parameter, as for `rotor sweep` (repeatable).
        #[arg(long = "param", value_name = "PATH=VALUES")]
        params: Vec<String>,
        /// Metric that picks the variant: total_return, cagr, volatility, sharpe, sortino,
        /// max_drawdown, calmar, ulcer_index.
        #[arg(long, default_value = "sharpe", value_parser = on_windows)]
        rank: Metric,
        #[arg(long, value_name = "DIR", help = OUT_HELP)]
        out: Option<PathBuf>,
        /// Skip report.html.
        #[arg(long)]
        no_report: bool,
    },
    /// Run an event study: when did a condition hold, and what came next?
    ///
    /// Lists every event with the condition's inputs, then per horizon the mean, median and hit
    /// rate of forward returns after events against all days, with a block-bootstrap interval
    /// and p-value. Writes events.csv, summary.json and path.png/.svg into out/<name>-events/
    /// (or --out). See docs/events.md.
    Events {
        /// The event study file (see strategies/events/).
        #[arg(value_name = "EVENTS.toml")]
        file: PathBuf,
        #[arg(long, value_name = "DIR", help = OUT_HELP)]
        out: Option<PathBuf>,
        /// Skip report.html.
        #[arg(long)]
        no_report: bool,
        /// Bootstrap samples, from 100 to 100000 (overrides the file's [bootstrap] samples).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(100..=100_000))]
        samples: Option<u32>,
        /// Bootstrap seed (overrides the file's).
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
    },
    /// Rebuild report.html from an output folder's files, without rerunning anything.
    ///
    /// Works on the folders of `run`, `sweep`, `walkforward` and `events` (a CI artifact, say).
    Report {
        /// The output folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Check strategy files and their data completely, without running them.
    Validate {
        /// Strategy files (TOML).
        #[arg(required = true, value_name = "STRATEGY.toml")]
        strategies: Vec<PathBuf>,
    },
}

/// Flags every command takes (before or after the command's name).
#[derive(Debug, Args)]
pub struct Shared {
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Worker threads, from 1 to 8 x the cores (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Output formats of `rotor check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// A table for people.
    Human,
    /// One JSON document.
    Json,
    /// JUnit XML, one test case per strategy.
    Junit,
    /// GitHub Actions annotations (`::error file=...`).
    Github,
}

impl From<CheckFormat> for Format {
    fn from(f: CheckFormat) -> Format {
        match f {
            CheckFormat::Human => Format::Human,
            CheckFormat::Json => Format::Json,
            CheckFormat::Junit => Format::Junit,
            CheckFormat::Github => Format::Github,
        }
    }
}

fn check_shard(s: &str) -> Result<rotor::sweep::shard::Shard, String> {
    rotor::sweep::shard::parse(s)
}

/// `--rank` of a sweep: a metric with a better direction.
fn rankable(s: &str) -> Result<Metric, String> {
    Metric::from_name(s)
        .filter(|m| m.higher_is_better().is_some())
        .ok_or_else(|| format!("expected one of {}", Metric::names(Metric::rankable())))
}

/// `--rank` of a walk-forward: a metric of an equity curve's window.
fn on_windows(s: &str) -> Result<Metric, String> {
    let ok = || Metric::ALL.into_iter().filter(|m| m.on_windows());
    Metric::from_name(s)
        .filter(|m| m.on_windows())
        .ok_or_else(|| format!("expected one of {}", Metric::names(ok())))
}
