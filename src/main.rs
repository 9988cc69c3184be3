//! The `rotor` binary: parse the command line, call the library, map the result to an exit code
//! (0 success, 2 bad input or failure).

use clap::Parser;
use rotor::cli::{Cli, Command};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
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
    let result = match cli.command {
        Command::Run {
            strategies,
            out,
            no_charts,
            quiet,
            threads,
        } => {
            if let Some(n) = threads {
                // Only fails if a global pool already exists, which cannot happen this early.
                let _ = rayon::ThreadPoolBuilder::new()
                    .num_threads(n as usize)
                    .build_global();
            }
            rotor::app::run_command(&strategies, out.as_deref(), !no_charts).map(|t| {
                if quiet {
                    String::new()
                } else {
                    t
                }
            })
        }
        Command::Validate { strategies } => rotor::app::validate_command(&strategies),
        Command::Events {
            file,
            out,
            samples,
            seed,
            quiet,
            threads,
        } => {
            set_threads(threads);
            rotor::app::events_command(
                &file,
                out.as_deref(),
                samples.map(|s| s as usize),
                seed,
                quiet,
            )
        }
        Command::Sweep {
            strategy,
            params,
            rank,
            top,
            heatmap,
            curves,
            out,
            quiet,
            threads,
        } => {
            set_threads(threads);
            let options = rotor::app::SweepOptions {
                rank: &rank,
                top,
                heatmaps: &heatmap,
                curves,
                out: out.as_deref(),
                quiet,
            };
            rotor::app::sweep_command(&strategy, &params, &options)
        }
        Command::Walkforward {
            strategy,
            train,
            test,
            step,
            anchored,
            params,
            rank,
            out,
            quiet,
            threads,
        } => {
            set_threads(threads);
            let spans = rotor::app::Spans {
                train: &train,
                test: &test,
                step: step.as_deref(),
            };
            rotor::app::walkforward_command(
                &strategy,
                &params,
                &rank,
                spans,
                anchored,
                out.as_deref(),
                quiet,
            )
        }
        Command::Check {
            paths,
            baseline,
            bless,
            format,
            threads,
        } => {
            set_threads(threads);
            return finish(rotor::app::check_command(
                &paths,
                baseline.as_deref(),
                bless,
                format,
            ));
        }
    };
    finish(result.map(|text| (text, 0)))
}

fn set_threads(threads: Option<u16>) {
    if let Some(n) = threads {
        // Only fails if a global pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build_global();
    }
}

/// Prints the output and maps the outcome to an exit code.
fn finish(result: rotor::Result<(String, u8)>) -> ExitCode {
    match result {
        Ok((text, code)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::from(code)
        }
        Err(e) => {
            let msg = e.to_string();
            if msg.starts_with("error:") {
                eprintln!("{msg}");
            } else {
                eprintln!("error: {msg}");
            }
            ExitCode::from(2)
        }
    }
}
