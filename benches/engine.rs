//! Speed of the engine (criterion). Inputs are built outside the timed sections.
//!
//! * `simulate/small-large-momentum`: the simulation of one run of the default strategy over
//!   the full French history (~25,700 bars) with data loaded and signals evaluated (the event loop).
//! * `run/small-large-momentum`: signals + rules + simulation, data already loaded.
//! * `stats/small-large-momentum`: all statistics of that run; `stats/bootstrap` the
//!   1,000-replicate block bootstrap of its Sharpe ratio and CAGR alone.
//! * `process/rotor-validate`: the whole `rotor validate` command of the default strategy (read
//!   and check the strategy and its data); `process/rotor-run`: the whole `rotor run` command
//!   (load, run, stats, CSV/JSON, charts, report.html), as a child process of the optimised
//!   binary; `process/rotor-run --no-report` the same without the report: the differences are
//!   what running and the report add to loading.
//! * `report/render`: building report.html from the default strategy's output folder (reading
//!   its files, rolling windows, charts, page).
//!
//! Run: `cargo bench --bench engine`. Throughput is reported in bars per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rotor::{pipeline, signal, sim};
use std::path::Path;
use std::process::Command;

const DEFAULT: &str = "strategies/small_large_momentum.toml";

fn engine(c: &mut Criterion) {
    let p = pipeline::prepare(Path::new(DEFAULT)).expect("the default strategy loads");
    let bars = p.panel.len() as u64;
    let signals = signal::eval_signals(&p.plan, &p.panel);
    let decisions = signal::decide(&p.plan, &p.panel, &signals);

    let mut g = c.benchmark_group("simulate");
    g.throughput(Throughput::Elements(bars));
    g.bench_function("small-large-momentum", |b| {
        b.iter(|| sim::simulate(&p.panel, &p.plan, &decisions))
    });
    g.finish();

    let mut g = c.benchmark_group("run");
    g.throughput(Throughput::Elements(bars));
    g.bench_function("small-large-momentum", |b| {
        b.iter(|| sim::run(&p.panel, &p.plan))
    });
    g.finish();

    // The statistics of one run (the headline, tables and the 1,000-replicate bootstrap of
    // the Sharpe ratio and CAGR), and the bootstrap alone.
    let run = sim::run(&p.panel, &p.plan);
    let mut g = c.benchmark_group("stats");
    g.sample_size(20);
    g.bench_function("small-large-momentum", |b| {
        b.iter(|| sim::statistics(&p.panel, &run, &[]))
    });
    let r = rotor::stats::returns::simple_returns(&run.equity);
    let years = rotor::stats::years(&p.panel.dates);
    g.bench_function("bootstrap", |b| {
        b.iter(|| {
            rotor::stats::confidence::bootstrap(&r, &p.panel.cash_ret[1..], years, (0.5, 0.1))
        })
    });
    g.finish();

    // Cargo builds the binary with the bench profile (optimised) for benchmarks.
    let exe = env!("CARGO_BIN_EXE_rotor");
    let out = std::env::temp_dir().join("rotor-bench-out");
    let mut g = c.benchmark_group("process");
    g.sample_size(10);
    // What `rotor run` costs beyond loading and checking its data: `validate` of the same file
    // does all of that and nothing else (issue 20: the whole run at most 2.5 x validate).
    g.bench_function("rotor-validate", |b| {
        b.iter(|| {
            let s = Command::new(exe)
                .args(["validate", "--quiet", DEFAULT])
                .status()
                .expect("rotor runs");
            assert!(s.success());
        })
    });
    for (name, extra) in [
        ("rotor-run", None),
        ("rotor-run --no-report", Some("--no-report")),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let s = Command::new(exe)
                    .args(["run", "--quiet", DEFAULT, "--out"])
                    .arg(&out)
                    .args(extra)
                    .status()
                    .expect("rotor runs");
                assert!(s.success());
            })
        });
    }
    g.finish();

    // The folder the last run wrote (with its report) is the report's input.
    let s = Command::new(exe)
        .args(["run", "--quiet", "--no-charts", DEFAULT, "--out"])
        .arg(&out)
        .status()
        .expect("rotor runs");
    assert!(s.success());
    let mut g = c.benchmark_group("report");
    g.sample_size(20);
    g.bench_function("render", |b| {
        b.iter(|| rotor::report::html::render(&out).expect("the report builds"))
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
