//! Damaged inputs to every command: a seeded generator cuts, inserts, repeats and rewrites
//! parts of a valid strategy (with a sweep and regimes), event study, baseline and shard
//! folder, and each command must answer with exit code 0 (or 1 for `check`) or 2, a message
//! and no panic, abort or stack overflow, within a time bound.
//!
//! `cargo test` runs 24 cases of each file kind; `ROTOR_FUZZ_CASES=500 cargo test --test fuzz`
//! runs more (`ROTOR_FUZZ_SEED` picks another sequence).

mod common;

use common::{csv, weekdays, write, Lcg};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

fn cases() -> usize {
    std::env::var("ROTOR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

fn seed() -> u64 {
    std::env::var("ROTOR_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261202)
}

/// Runs rotor in `dir` and checks the answer; returns the exit code.
fn answer(dir: &Path, args: &[&str], what: &str) -> i32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("{what}: rotor {args:?} ran for more than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "{what}: rotor {args:?} ended with {:?}: {err}",
        o.status
    );
    for bad in ["panicked", "overflowed", "RUST_BACKTRACE", "internal error"] {
        assert!(!err.contains(bad), "{what}: rotor {args:?}: {err}");
    }
    if code == Some(2) {
        assert!(err.starts_with("error: "), "{what}: rotor {args:?}: {err}");
        assert!(err.len() < 20_000, "{what}: a {} byte message", err.len());
    }
    code.unwrap_or(-1)
}

/// Text pieces that mean something to TOML or to rotor's readers.
const PIECES: [&str; 24] = [
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    "\n",
    "#",
    ".",
    "-",
    "0",
    "1e308",
    "-1",
    "99999999999999999999",
    "nan",
    "inf",
    "(",
    ")",
    "not ",
    "ret(",
    "[[rules]]",
    "\u{0}",
];

/// One random change to `text`: a cut, an insertion, a repeated or dropped line, a number
/// replaced by an extreme one.
fn damage(text: &str, rng: &mut Lcg) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |rng: &mut Lcg| (rng.next() * chars.len() as f64) as usize;
    let lines: Vec<&str> = text.lines().collect();
    let line = |rng: &mut Lcg| (rng.next() * lines.len() as f64) as usize;
    match (rng.next() * 6.0) as usize {
        0 => {
            let (a, b) = (at(rng), at(rng));
            let (a, b) = (a.min(b), a.max(b).min(a.min(b) + 40));
            chars[..a].iter().chain(&chars[b..]).collect()
        }
        1 => {
            let i = at(rng);
            let piece = PIECES[(rng.next() * PIECES.len() as f64) as usize];
            let mut s: String = chars[..i].iter().collect();
            s.push_str(piece);
            s.extend(&chars[i..]);
            s
        }
        2 => {
            let i = line(rng);
            let mut l = lines.clone();
            l.insert(i, lines[i]);
            l.join("\n")
        }
        3 => {
            let i = line(rng);
            let mut l = lines.clone();
            l.remove(i);
            l.join("\n")
        }
        4 => {
            // A number replaced by an extreme value.
            let extremes = [
                "0",
                "-1",
                "1e308",
                "-1e308",
                "9223372036854775807",
                "0.0000001",
                "1e-300",
                "1000000000000",
            ];
            let e = extremes[(rng.next() * extremes.len() as f64) as usize];
            let mut out = String::new();
            let mut replaced = false;
            let start = at(rng);
            let mut i = 0;
            while i < chars.len() {
                if !replaced && i >= start && chars[i].is_ascii_digit() {
                    out.push_str(e);
                    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                        i += 1;
                    }
                    replaced = true;
                    continue;
                }
                out.push(chars[i]);
                i += 1;
            }
            out
        }
        _ => {
            let (i, j) = (line(rng), line(rng));
            let mut l = lines.clone();
            l.swap(i, j);
            l.join("\n")
        }
    }
}

fn setup(dir: &Path) {
    let dates = weekdays(400);
    let mut rng = Lcg(5);
    let (a, b) = (
        common::walk(&mut rng, 100.0, dates.len()),
        common::walk(&mut rng, 50.0, dates.len()),
    );
    let rate: Vec<f64> = (0..dates.len())
        .map(|i| 2.0 + (i as f64 / 50.0).sin())
        .collect();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    write(
        &dir.join("data"),
        "a.csv",
        &csv(&dates, &[("close", &a), ("open", &a)]),
    );
    write(
        &dir.join("data"),
        "b.csv",
        &csv(&dates, &[("close", &b), ("open", &b)]),
    );
    write(
        &dir.join("data"),
        "rate.csv",
        &csv(&dates, &[("value", &rate)]),
    );
}

const STRATEGY: &str = r#"version = 1
name = "fz"
start = "2020-03-02"
[params]
lb = 20
[assets]
a = { file = "data/a.csv", column = "close", open = "open" }
b = { file = "data/b.csv", column = "close", open = "open" }
[series]
r = { file = "data/rate.csv", column = "value", lag_days = 1 }
[cash]
rate = { file = "data/rate.csv", column = "value", kind = "rate" }
[signals]
edge = "ret(a, lb) - ret(b, lb)"
calm = "vol(a, 20) < 0.4 and r < 3"
[[rules]]
when = "edge > 0 and calm"
weights = { a = 1 }
[[rules]]
otherwise = true
weights = { b = 0.5, a = 0.5 }
[rebalance]
schedule = "month-end"
[execution]
commission_bps = 5
[benchmarks]
half = { weights = { a = 0.5, b = 0.5 }, rebalance = "monthly" }
[regimes]
up = "ret(a, 60) > 0"
[sweep]
params.lb = { range = [10, 40], step = 10 }
execution.commission_bps = [0, 5]
"#;

const EVENTS: &str = r#"version = 1
name = "fz-events"
[assets]
a = { file = "data/a.csv", column = "close" }
b = { file = "data/b.csv", column = "close" }
[event]
when = "ret(a, 5) > 0.03"
cooldown = 5
horizons = [1, 5, 20]
measure = { long = "a", short = "b" }
[bootstrap]
samples = 100
block = 5
seed = 1
"#;

#[test]
fn damaged_strategies_get_an_answer() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    write(d.path(), "s.toml", STRATEGY);
    assert_eq!(
        answer(d.path(), &["validate", "s.toml"], "the valid strategy"),
        0
    );
    let mut rng = Lcg(seed());
    for k in 0..cases() {
        let mut text = STRATEGY.to_string();
        for _ in 0..1 + (rng.next() * 3.0) as usize {
            text = damage(&text, &mut rng);
        }
        write(d.path(), "s.toml", &text);
        let what = format!("strategy case {k}:\n{text}");
        let commands: [&[&str]; 4] = [
            &["validate", "s.toml"],
            &["run", "s.toml", "--out", "o-run", "--no-charts"],
            &["sweep", "s.toml", "--out", "o-sweep", "--no-report"],
            &[
                "walkforward",
                "s.toml",
                "--train",
                "6m",
                "--test",
                "3m",
                "--out",
                "o-wf",
            ],
        ];
        for args in commands {
            answer(d.path(), args, &what);
        }
    }
}

#[test]
fn damaged_event_studies_get_an_answer() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    write(d.path(), "e.toml", EVENTS);
    assert_eq!(
        answer(
            d.path(),
            &["events", "e.toml", "--out", "o"],
            "the valid study"
        ),
        0
    );
    let mut rng = Lcg(seed() ^ 1);
    for k in 0..cases() {
        let mut text = EVENTS.to_string();
        for _ in 0..1 + (rng.next() * 3.0) as usize {
            text = damage(&text, &mut rng);
        }
        write(d.path(), "e.toml", &text);
        let what = format!("event case {k}:\n{text}");
        answer(d.path(), &["validate", "e.toml"], &what);
        answer(d.path(), &["events", "e.toml", "--out", "o"], &what);
    }
}

#[test]
fn damaged_baselines_get_an_answer() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    write(d.path(), "s.toml", STRATEGY);
    let args = ["check", "s.toml", "--baseline", "base"];
    assert_eq!(
        answer(d.path(), &[&args[..], &["--bless"]].concat(), "bless"),
        0
    );
    assert_eq!(answer(d.path(), &args, "the blessed baseline"), 0);
    let path = d.path().join("base/fz.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    let mut rng = Lcg(seed() ^ 2);
    for k in 0..cases() {
        let mut text = good.clone();
        for _ in 0..1 + (rng.next() * 3.0) as usize {
            text = damage(&text, &mut rng);
        }
        std::fs::write(&path, &text).unwrap();
        let what = format!("baseline case {k}:\n{text}");
        for format in ["human", "json", "junit", "github"] {
            answer(
                d.path(),
                &[&args[..], &["--format", format]].concat(),
                &what,
            );
        }
    }
}

#[test]
fn damaged_shards_get_an_answer() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    write(d.path(), "s.toml", STRATEGY);
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("shard-{i}");
        assert_eq!(
            answer(
                d.path(),
                &["sweep", "s.toml", "--shard", &shard, "--out", &out],
                "shard"
            ),
            0
        );
    }
    let merge = [
        "sweep",
        "merge",
        "shard-0",
        "shard-1",
        "--out",
        "merged",
        "--no-report",
    ];
    assert_eq!(answer(d.path(), &merge, "the valid merge"), 0);
    let manifest = d.path().join("shard-1/shard.json");
    let rows = d.path().join("shard-1/rows.parquet");
    let (good_manifest, good_rows) = (
        std::fs::read_to_string(&manifest).unwrap(),
        std::fs::read(&rows).unwrap(),
    );
    let mut rng = Lcg(seed() ^ 3);
    for k in 0..cases() {
        let text = damage(&good_manifest, &mut rng);
        std::fs::write(&manifest, &text).unwrap();
        answer(
            d.path(),
            &merge,
            &format!("shard manifest case {k}:\n{text}"),
        );
        std::fs::write(&manifest, &good_manifest).unwrap();
        // A few bytes of the rows file changed.
        let mut bytes = good_rows.clone();
        for _ in 0..1 + (rng.next() * 4.0) as usize {
            let i = (rng.next() * bytes.len() as f64) as usize;
            bytes[i] = (rng.next() * 256.0) as u8;
        }
        std::fs::write(&rows, &bytes).unwrap();
        answer(d.path(), &merge, &format!("shard rows case {k}"));
        std::fs::write(&rows, &good_rows).unwrap();
    }
}

/// A Parquet data file with bytes changed: whatever polars' reader does with it (an error, a
/// panic, an abort on an absurd allocation), rotor answers with exit 0 or 2 and a message.
#[test]
fn damaged_parquet_data_files_get_an_answer() {
    use polars::prelude::*;
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let dates = weekdays(400);
    let mut rng = Lcg(seed() ^ 4);
    let close = common::walk(&mut rng, 100.0, dates.len());
    // A column with missing values too: its pages carry definition levels (run-length
    // encoded), where a damaged run length made polars abort (tests/data/damaged-levels.parquet).
    let volume: Vec<Option<f64>> = (0..dates.len())
        .map(|i| (i % 7 != 3).then_some(1e6 + i as f64))
        .collect();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("date".into(), dates.clone()),
        Column::new("close".into(), close),
        Column::new("volume".into(), volume),
    ])
    .unwrap();
    let path = d.path().join("data/p.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    write(
        d.path(),
        "p.toml",
        "version = 1\nname = \"pq\"\n[assets]\np = { file = \"data/p.parquet\", column = \"close\" }\nb = { file = \"data/b.csv\", column = \"close\" }\n[[rules]]\nwhen = \"p > sma(p, 20)\"\nweights = { p = 1 }\n[[rules]]\notherwise = true\nweights = { b = 1 }\n",
    );
    let good = std::fs::read(&path).unwrap();
    assert_eq!(
        answer(d.path(), &["validate", "p.toml"], "the valid file"),
        0
    );
    // Each case changes a few bytes, half of them in the footer (the metadata), where a
    // changed length or count is read before any value.
    for k in 0..4 * cases() {
        let mut bytes = good.clone();
        let footer =
            8 + u32::from_le_bytes(good[good.len() - 8..good.len() - 4].try_into().unwrap())
                as usize;
        for _ in 0..1 + (rng.next() * 3.0) as usize {
            let i = if rng.next() < 0.5 {
                bytes.len() - 1 - (rng.next() * footer.min(bytes.len()) as f64) as usize
            } else {
                (rng.next() * bytes.len() as f64) as usize
            };
            if rng.next() < 0.25 {
                // A run of 0xff (or 0x7f ending it): a varint of a length or count made huge.
                let run = 1 + (rng.next() * 9.0) as usize;
                for j in i..(i + run).min(bytes.len() - 8) {
                    bytes[j] = 0xff;
                }
                if i + run < bytes.len() - 8 {
                    bytes[i + run] = 0x7f;
                }
            } else {
                bytes[i] = (rng.next() * 256.0) as u8;
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        answer(
            d.path(),
            &["validate", "p.toml"],
            &format!("parquet data case {k}"),
        );
    }
}
