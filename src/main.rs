//! The `rotor` binary: parse the command line, set up the thread pool, call the command, map
//! its outcome to an exit code (0 success, 1 `check` found a drift or a missing baseline,
//! 2 bad input or failure).

mod cli;

use clap::Parser;
use cli::{Cli, Command};
use rotor::commands::{self, Status};
use std::io::Write;
use std::process::ExitCode;

/// Stack of the command's thread and of every worker: expression trees are at most
/// `rotor::expr::MAX_DEPTH` levels deep and named signals at most `rotor::plan::MAX_INLINED`
/// levels once substituted, which this holds with a wide margin (it is reserved address space,
/// not memory used).
const STACK: usize = 64 << 20;

/// Set in the environment of the child process that decodes a Parquet file for
/// [`parquet_probe`]; the child reads the file's bytes from stdin.
const PROBE_ENV: &str = "ROTOR_INTERNAL_PARQUET_PROBE";

fn main() -> ExitCode {
    if std::env::var_os(PROBE_ENV).is_some() {
        return decode_parquet_from_stdin();
    }
    rotor::data::load::set_parquet_probe(parquet_probe);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Interrupted (Ctrl-C, or a scheduler's SIGTERM): no temporary output folder is left behind.
    let _ = ctrlc::set_handler(|| {
        rotor::report::folder::clean_up_pending();
        std::process::exit(130);
    });
    // One pool for the whole run, with room for deep (bounded) expression trees on every
    // worker; a pool that cannot start (too many threads for the memory limit) is an error.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cli.shared.threads.map_or(cores, |n| n as usize);
    if threads > 8 * cores {
        eprintln!(
            "error: --threads: {threads} is more than 8 x the {cores} cores of this machine ({}); results do not depend on the thread count",
            8 * cores
        );
        return ExitCode::from(2);
    }
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(STACK)
        .build_global()
    {
        eprintln!("error: --threads: cannot start {threads} worker threads: {e}");
        return ExitCode::from(2);
    }
    // The command runs on a thread with a large stack, as the workers do (see `STACK`).
    let quiet = cli.shared.quiet;
    let command = cli.command;
    let result = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let mut sink = std::io::sink();
            let out: &mut dyn Write = if quiet { &mut sink } else { &mut lock };
            let result = dispatch(command, quiet, out);
            let _ = out.flush();
            result
        })
        .map_err(|e| rotor::Error::io("cannot start the command's thread", e))
        .and_then(|h| {
            h.join()
                .unwrap_or_else(|_| Err(rotor::Error::Other("internal error (see above)".into())))
        });
    match result {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failure) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{}", e.user_message());
            ExitCode::from(2)
        }
    }
}

/// The child's side of [`parquet_probe`]: exit 0 when the bytes on stdin decode, 2 with
/// polars' message on stderr when they do not (and whatever a crash of the decoder does).
fn decode_parquet_from_stdin() -> ExitCode {
    use std::io::Read;
    let mut bytes = vec![];
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprint!("cannot read the file's bytes from the parent process: {e}");
        return ExitCode::from(2);
    }
    match rotor::data::load::decode_parquet(bytes) {
        Ok(_) => ExitCode::SUCCESS,
        Err(why) => {
            eprint!("{why}");
            ExitCode::from(2)
        }
    }
}

/// Decodes a Parquet data file in a child process (this binary again) before rotor decodes it
/// itself: polars aborts on some damaged files instead of returning an error, and a child's
/// abort is a message here, not the end of the run. A file that decodes in the child decodes
/// the same way here (the decoding depends on nothing but the bytes); one that fails there is
/// not decoded here at all (polars decodes columns in parallel, so whether a damaged column is
/// reached before another column's error ends the read would vary from run to run).
fn parquet_probe(bytes: &[u8]) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let failed = |e: std::io::Error| format!("cannot start a process to read it: {e}");
    let exe = std::env::current_exe().map_err(failed)?;
    let mut child = Command::new(exe)
        .env(PROBE_ENV, "1")
        // One decoding thread: the same file fails the same way (the same message) every run.
        .env("POLARS_MAX_THREADS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from a thread while the child's stderr is read, so neither side waits on a full
    // pipe; a child that stops reading (it crashed) ends the write with an error, ignored.
    let out = std::thread::scope(|s| {
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        child.wait_with_output()
    })
    .map_err(failed)?;
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&out.status);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    match (out.status.code(), signal) {
        (Some(0), _) => Ok(()),
        (Some(2), _) if !out.stderr.is_empty() => {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
        // Ctrl-C or a scheduler's SIGTERM reached the child too: not the file's fault.
        (_, Some(2 | 15)) => Err("interrupted while reading it".into()),
        // The signal by number, not the status's text (which adds "core dumped" or not, as
        // the machine's core limit says): the same file, the same message.
        (_, Some(sig)) => Err(format!(
            "a damaged Parquet file: its reader stopped on it (signal {sig})"
        )),
        (code, None) => Err(format!(
            "the process reading it failed (exit code {})",
            code.map_or("unknown".into(), |c| c.to_string())
        )),
    }
}

fn dispatch(command: Command, quiet: bool, out: &mut dyn Write) -> rotor::Result<Status> {
    match command {
        Command::Run {
            strategies,
            out: dir,
            no_charts,
            no_report,
        } => commands::run::run(
            &commands::run::RunOptions {
                strategies: &strategies,
                out: dir.as_deref(),
                files: rotor::report::Outputs {
                    charts: !no_charts,
                    report: !no_report,
                },
            },
            out,
        ),
        Command::Validate { strategies } => commands::validate::validate(&strategies, out),
        Command::Report { dir } => commands::report::run(&dir, out),
        Command::Check {
            paths,
            baseline,
            bless,
            format,
            shard,
        } => commands::check::check(
            &commands::check::CheckOptions {
                paths: &paths,
                baseline: baseline.as_deref(),
                bless,
                format: format.into(),
                shard,
            },
            out,
        ),
        Command::Sweep {
            action: Some(cli::SweepAction::Merge { dirs, outputs }),
            ..
        } => commands::sweep::merge(&dirs, &sweep_outputs(&outputs), out),
        Command::Sweep {
            action: None,
            strategy,
            params,
            outputs,
            shard,
            shard_count,
        } => commands::sweep::run(
            &commands::sweep::SweepOptions {
                // clap requires the strategy when there is no subcommand.
                strategy: strategy.as_deref().unwrap_or(std::path::Path::new("")),
                params: &params,
                outputs: sweep_outputs(&outputs),
                progress: !quiet,
                shard: shard.map(|s| match s {
                    commands::sweep::ShardFlag::Auto { .. } => commands::sweep::ShardFlag::Auto {
                        count: shard_count.map(|n| n as usize),
                    },
                    fixed => fixed,
                }),
            },
            out,
        ),
        Command::Walkforward {
            strategy,
            train,
            test,
            step,
            anchored,
            params,
            rank,
            out: dir,
            no_report,
        } => commands::walkforward::run(
            &commands::walkforward::WalkforwardOptions {
                strategy: &strategy,
                params: &params,
                rank,
                train: &train,
                test: &test,
                step: step.as_deref(),
                anchored,
                out: dir.as_deref(),
                report: !no_report,
            },
            out,
        ),
        Command::Events {
            file,
            out: dir,
            samples,
            seed,
            no_report,
        } => commands::events::run(
            &commands::events::EventsOptions {
                file: &file,
                out: dir.as_deref(),
                samples: samples.map(|s| s as usize),
                seed,
                report: !no_report,
            },
            out,
        ),
    }
}

fn sweep_outputs(o: &cli::SweepOutputs) -> commands::sweep::Outputs<'_> {
    commands::sweep::Outputs {
        rank: o.rank,
        top: o.top,
        heatmaps: &o.heatmap,
        curves: o.curves as usize,
        out: o.out.as_deref(),
        report: !o.no_report,
    }
}
