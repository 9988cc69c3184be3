//! Speed of parameter sweeps (criterion). The reference workload: IWM and SPY adjusted closes
//! 2000-2026 (~6,600 bars), hold the one with the higher N-day return, decide on the last
//! trading day of each month and fill at that close, c bps per traded notional; swept over
//! N = 1..252 and c in {0, 5, 10, 20}: 1,008 backtests.
//!
//! Throughput is reported in bar-evaluations (bars x variants) per second. The comparison is a
//! plain hand-written loop for the same strategy over precomputed arrays: the practical limit.
//!
//! Run: `cargo bench --bench sweep`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rotor::{data::Panel, pipeline, sim, stats, sweep};
use std::path::Path;

const SWEEP: &str = "strategies/sweeps/iwm_spy_momentum.toml";

/// Bars that are the last trading day of their month (the data's last bar is not).
fn month_ends(panel: &Panel) -> Vec<bool> {
    let d = &panel.dates;
    (0..d.len())
        .map(|t| t + 1 < d.len() && rotor::date::to_ymd(d[t + 1]).1 != rotor::date::to_ymd(d[t]).1)
        .collect()
}

/// 1 where a's `lb`-bar return beats b's, 0 where not, -1 before the lookback fills.
fn momentum(a: &[f64], b: &[f64], lb: usize, signal: &mut [i8]) {
    for t in 0..a.len() {
        signal[t] = if t < lb {
            -1
        } else if a[t] / a[t - lb] > b[t] / b[t - lb] {
            1
        } else {
            0
        };
    }
}

/// The same strategy written directly: per lookback, the signal; per cost, one pass over the
/// bars with month-end switches at the close, then CAGR, Sharpe and max drawdown in the same pass.
fn plain_loop(panel: &Panel, lookbacks: &[usize], costs: &[f64]) -> f64 {
    let (a, b) = (&panel.close[0], &panel.close[1]);
    let n = a.len();
    let month_end = month_ends(panel);
    let mut checksum = 0.0;
    let mut signal = vec![0i8; n];
    for &lb in lookbacks {
        momentum(a, b, lb, &mut signal);
        for &c in costs {
            let (mut held, mut units, mut cash) = (-1i8, 0.0f64, 10_000.0f64);
            let (mut sum, mut sumsq, mut peak, mut mdd, mut prev) =
                (0.0, 0.0, 0.0f64, 0.0f64, 10_000.0);
            for t in 0..n {
                let px = if held == 1 { a[t] } else { b[t] };
                let mut equity = if held < 0 { cash } else { units * px };
                if month_end[t] && signal[t] >= 0 && signal[t] != held {
                    let cost = equity * c * if held < 0 { 1.0 } else { 2.0 };
                    equity -= cost;
                    held = signal[t];
                    units = equity / if held == 1 { a[t] } else { b[t] };
                    cash = 0.0;
                }
                if t > 0 {
                    let r = equity / prev - 1.0;
                    sum += r;
                    sumsq += r * r;
                }
                peak = peak.max(equity);
                mdd = mdd.min(equity / peak - 1.0);
                prev = equity;
            }
            let m = sum / (n - 1) as f64;
            let sharpe = m / ((sumsq / (n - 1) as f64 - m * m).sqrt()) * 252f64.sqrt();
            checksum += sharpe + mdd + prev;
        }
    }
    checksum
}

/// The same loop, but producing what the engine produces per variant: the equity curve, then
/// the same headline metrics (`stats::curve`) plus trades, turnover and costs.
fn plain_loop_same_outputs(panel: &Panel, lookbacks: &[usize], costs: &[f64]) -> f64 {
    let (a, b) = (&panel.close[0], &panel.close[1]);
    let n = a.len();
    let years = stats::years(&panel.dates);
    let month_end = month_ends(panel);
    let mut checksum = 0.0;
    let mut signal = vec![0i8; n];
    let mut equity = vec![0.0; n];
    for &lb in lookbacks {
        momentum(a, b, lb, &mut signal);
        for &c in costs {
            let (mut held, mut units, mut cash) = (-1i8, 0.0f64, 10_000.0f64);
            let (mut trades, mut turnover, mut paid) = (0usize, 0.0, 0.0);
            for t in 0..n {
                let px = if held == 1 { a[t] } else { b[t] };
                let mut e = if held < 0 { cash } else { units * px };
                if month_end[t] && signal[t] >= 0 && signal[t] != held {
                    let legs = if held < 0 { 1.0 } else { 2.0 };
                    let cost = e * c * legs;
                    trades += legs as usize;
                    turnover += legs;
                    paid += cost;
                    e -= cost;
                    held = signal[t];
                    units = e / if held == 1 { a[t] } else { b[t] };
                    cash = 0.0;
                }
                equity[t] = e;
            }
            let m = stats::curve(&equity, &panel.cash_ret[1..], years);
            checksum += m.sharpe + m.max_drawdown + (trades as f64) + turnover / years + paid;
        }
    }
    checksum
}

fn sweeps(c: &mut Criterion) {
    let (strategy, _) = pipeline::compile(Path::new(SWEEP)).expect("the sweep strategy loads");
    let sw = sweep::build(&strategy, &[]).expect("its sweep is valid");
    let panel = rotor::data::load_panel(&strategy).expect("its data load");
    let evals = (sw.variants.len() * panel.len()) as u64;
    assert_eq!(sw.variants.len(), 1008);

    let mut g = c.benchmark_group("sweep-1008");
    g.throughput(Throughput::Elements(evals));
    g.sample_size(20);
    g.bench_function("rotor, all threads", |b| {
        b.iter(|| sweep::run(&strategy, &panel, &sw, &|| {}).unwrap())
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("rotor, 1 thread", |b| {
        b.iter(|| one.install(|| sweep::run(&strategy, &panel, &sw, &|| {}).unwrap()))
    });
    let lookbacks: Vec<usize> = (1..=252).collect();
    let costs = [0.0, 5e-4, 10e-4, 20e-4];
    g.bench_function("plain loop, 1 thread", |b| {
        b.iter(|| plain_loop(&panel, &lookbacks, &costs))
    });
    g.bench_function("plain loop with the same outputs, 1 thread", |b| {
        b.iter(|| plain_loop_same_outputs(&panel, &lookbacks, &costs))
    });
    g.finish();

    // Where a variant's time goes: the lean simulation and the headline metrics.
    let plan = rotor::plan::compile(&strategy).unwrap();
    let signals = rotor::signal::eval_signals(&plan, &panel);
    let decisions = rotor::signal::decide(&plan, &panel, &signals);
    let scheduled = rotor::sim::schedule(&panel.dates, &plan.rebalance);
    let run = rotor::sim::simulate_with(&panel, &plan, &decisions, &scheduled, false);
    let mut g = c.benchmark_group("variant");
    g.throughput(Throughput::Elements(panel.len() as u64));
    g.bench_function("simulate (lean)", |b| {
        b.iter(|| rotor::sim::simulate_with(&panel, &plan, &decisions, &scheduled, false))
    });
    g.bench_function("headline metrics", |b| {
        b.iter(|| stats::headline(&sim::record(&panel, &run)))
    });
    g.bench_function("signals + decisions", |b| {
        b.iter(|| {
            let s = rotor::signal::eval_signals(&plan, &panel);
            rotor::signal::decide(&plan, &panel, &s)
        })
    });
    // What a sweep does instead: per group of variants, decisions on the scheduled bars and
    // the calendar of due bars; per variant, the headline metrics holding period by holding
    // period; per sweep, the assets' tracks.
    let at = rotor::sim::scheduled_bars(&scheduled);
    g.bench_function("sweep group: decisions on scheduled bars + calendar", |b| {
        b.iter(|| {
            let d = rotor::signal::decide_at(&plan, &panel, &at);
            rotor::sweep::fast::Calendar::new(&d, &at)
        })
    });
    let calendar = rotor::sweep::fast::Calendar::new(&decisions, &at);
    let tracks = rotor::sweep::fast::Tracks::new(&panel);
    let lean = rotor::sweep::fast::Lean {
        panel: &panel,
        plan: &plan,
        decisions: &decisions,
        scheduled: &scheduled,
        calendar: &calendar,
    };
    g.bench_function("sweep variant: headline by holding period", |b| {
        b.iter(|| lean.headline(&tracks))
    });
    g.bench_function("sweep: tracks of the assets", |b| {
        b.iter(|| rotor::sweep::fast::Tracks::new(&panel))
    });
    g.finish();
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
