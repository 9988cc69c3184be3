//! Sweeps stream their rows to the files: the files of a sweep larger than a chunk equal the
//! rows computed in memory, and the process's peak memory stays bounded. One test binary of its
//! own, so the peak memory of the child processes is this sweep's.

mod common;

use common::*;
use rotor::stats::Metric;
use std::path::{Path, PathBuf};

const BARS: usize = 120;

/// Two assets, and a daily momentum switch between them swept over `lookbacks` x `costs`.
fn setup(dir: &Path, lookbacks: usize, costs: usize) -> PathBuf {
    let dates = weekdays(BARS);
    let mut rng = Lcg(3);
    let (mut a, mut b) = (vec![100.0], vec![100.0]);
    for _ in 1..BARS {
        a.push(a.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
        b.push(b.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
    }
    let pa = write(dir, "a.csv", &csv(&dates, &[("close", &a)]));
    let pb = write(dir, "b.csv", &csv(&dates, &[("close", &b)]));
    write(
        dir,
        "s.toml",
        &format!(
            r#"version = 1
name = "stream"
[params]
lookback = 5
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[signals]
edge = "ret(a, lookback) - ret(b, lookback)"
[[rules]]
when = "edge > 0"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ b = 1 }}
[execution]
fill = "next_close"
[sweep]
params.lookback = {{ range = [1, {lookbacks}] }}
execution.commission_bps = {{ range = [0, {}], step = 0.01 }}
"#,
            lit(&pa),
            lit(&pb),
            (costs - 1) as f64 / 100.0
        ),
    )
}

/// The largest resident set of the children this process waited for, in bytes.
#[allow(unsafe_code)]
fn children_peak_rss() -> u64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    u.ru_maxrss as u64 * 1024
}

fn sweep(s: &Path, out: &Path) {
    let o = rotor(&[
        "--quiet",
        "sweep",
        s.to_str().unwrap(),
        "--heatmap",
        "lookback,commission_bps",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// 100 lookbacks x 1,500 costs = 150,000 variants, three chunks: the streamed CSV and Parquet
/// rows equal the rows computed in memory, and the winner is the in-memory ranking's.
#[test]
fn streamed_files_equal_the_rows_computed_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path(), 100, 1500);
    let out = dir.path().join("out");
    sweep(&s, &out);
    assert!(
        children_peak_rss() < 200 << 20,
        "peak {} MB",
        children_peak_rss() >> 20
    );

    let strategy = rotor::spec::load(&s).unwrap();
    let sw = rotor::sweep::build(&strategy, &[]).unwrap();
    assert_eq!(sw.variants.len(), 150_000);
    assert!(sw.variants.len() > 2 * rotor::sweep::CHUNK);
    let panel = rotor::data::load_panel(&strategy).unwrap();
    let rows = rotor::sweep::run(&strategy, &panel, &sw, &|| {}).unwrap();

    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("variant,params.lookback,execution.commission_bps,total_return"));
    let mut n = 0;
    for (i, line) in lines.enumerate() {
        let v = &sw.variants[i];
        let mut want = format!("{i},{},{}", num(v[0]), num(v[1]));
        for m in Metric::ALL {
            want.push(',');
            want.push_str(&num(m.of(&rows[i])));
        }
        assert_eq!(line, want, "row {i}");
        n += 1;
    }
    assert_eq!(n, rows.len());

    let pq = rotor::data::load::Frame::read(&out.join("sweep.parquet")).unwrap();
    let ids = pq.metric_values("variant").unwrap();
    let sharpe = pq.metric_values("sharpe").unwrap();
    let trades = pq.metric_values("trades").unwrap();
    assert_eq!(ids.len(), rows.len());
    for (i, h) in rows.iter().enumerate() {
        assert_eq!(ids[i], i as f64);
        assert!(sharpe[i] == h.curve.sharpe || (sharpe[i].is_nan() && h.curve.sharpe.is_nan()));
        assert_eq!(trades[i], h.trades as f64);
    }

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let order = rotor::sweep::ranking(&rows, Metric::Sharpe);
    assert_eq!(summary["best"]["variant"], order[0]);
    let top: Vec<u64> = summary["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["variant"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = order[..10].iter().map(|&i| i as u64).collect();
    assert_eq!(top, want);
    assert_eq!(summary["honesty"]["trials"], 150_000);
}

/// 2,000,000 variants (100 lookbacks x 20,000 costs) in bounded memory. Slow in a debug build:
/// `cargo test --release --test stream -- --ignored` (the README states the figure).
#[test]
#[ignore]
fn two_million_variants_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path(), 100, 20_000);
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    sweep(&s, &out);
    let peak = children_peak_rss();
    eprintln!(
        "2,000,000 variants: {:.1} s, peak resident memory {} MB",
        started.elapsed().as_secs_f64(),
        peak >> 20
    );
    assert!(peak < 200 << 20, "peak {} MB", peak >> 20);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2_000_001);
}
