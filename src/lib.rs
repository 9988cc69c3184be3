//! rotor: a backtesting engine for small-cap / large-cap rotation strategies.
//!
//! # Layout
//! Data flows one way:
//! `strategy.toml -> spec::Strategy -> plan::Plan -> (data::Panel) -> sim -> RunResult -> stats -> report/plot`.
//!
//! * [`spec`]: the TOML file as written, with spans; validation that reports every problem.
//! * [`expr`]: the expression language of signals and rules (parser, function list).
//! * [`plan`]: names resolved to dense ids, expressions checked; what the engine runs.
//! * [`data`]: the only user of polars: load CSV/Parquet, validate, align on one calendar.
//! * [`signal`]: causal evaluation of expressions over the calendar; rules to target weights.
//! * [`sim`]: the event loop (fills, costs, cash, financing); parallel runs with rayon.
//! * [`conventions`]: bars a year, days a year, the cash day count (a leaf).
//! * [`stats`]: one function per metric on plain slices ([`stats::Record`]), formulas in doc
//!   comments and `docs/metrics.md`; it imports nothing above [`date`] and [`conventions`]
//!   (the simulator's adapter is [`sim::record`]).
//! * [`plot`], [`report`]: charts, files, and the terminal summary.
//! * [`check`]: baselines and regression checks for CI (`rotor check`).
//! * [`sweep`]: parameter sweeps, probabilistic/deflated Sharpe, walk-forward tests.
//! * [`events`]: event studies with a block bootstrap.
//! * [`pipeline`]: one backtest from file to report, shared by every command that runs one.
//! * [`commands`]: the commands as library calls, one file each, writing to a writer and
//!   returning a status; the binary (`main.rs`, `cli.rs`: clap) parses flags, sets up threads
//!   and maps the status to an exit code. The library does not know clap.
//!
//! The simulator never sees a ticker string, a TOML table or a DataFrame. The modules form
//! layers, each importing only from those below it; `tests/layers.rs` lists them and fails on
//! an import that breaks them.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod check;
pub mod commands;
pub mod conventions;
pub mod data;
pub mod date;
pub mod error;
pub mod events;
pub mod expr;
pub mod pipeline;
pub mod plan;
pub mod plot;
pub mod report;
pub mod signal;
pub mod sim;
pub mod spec;
pub mod stats;
pub mod sweep;

pub use error::{Error, Result};
