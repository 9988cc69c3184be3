//! Speed of the engine (criterion). Inputs are built outside the timed sections.
//!
//! * `simulate/small-large-momentum`: the simulation of one run of the default strategy over
//!   the full French history (~25,700 bars) with data loaded and signals evaluated (the event loop).
//! * `run/small-large-momentum`: signals + rules + simulation, data already loaded.
//! * `process/rotor-run`: the whole `rotor run` command (load, run, stats, CSV/JSON, charts,
//!   report.html), as a child process of the optimised binary; `process/rotor-run --no-report`
//!   the same without the report: the difference is what the report adds.
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

    // Cargo builds the binary with the bench profile (optimised) for benchmarks.
    let exe = env!("CARGO_BIN_EXE_rotor");
    let out = std::env::temp_dir().join("rotor-bench-out");
    let mut g = c.benchmark_group("process");
    g.sample_size(10);
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
