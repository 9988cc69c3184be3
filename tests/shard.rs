//! Sharded sweeps: shards run as separate processes and merged give the files of the sweep run
//! in one piece, byte for byte; shards that do not belong together are refused; `rotor check
//! --shard` checks a slice of the strategies.

mod common;

use common::*;
use std::path::{Path, PathBuf};

const STRATEGY: &str = "strategies/sweeps/iwm_spy_momentum.toml";
/// 3 lookbacks x 2 commissions: 6 variants.
const PARAMS: [&str; 4] = [
    "--param",
    "params.lookback=21,63,126",
    "--param",
    "execution.commission_bps=0,10",
];
const OUTPUTS: [&str; 6] = [
    "--heatmap",
    "lookback,commission_bps",
    "--top",
    "4",
    "--curves",
    "2",
];

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn sweep(extra: &[&str]) -> String {
    let mut args = vec!["--quiet", "sweep", STRATEGY];
    args.extend(PARAMS);
    args.extend(extra);
    let o = rotor(&args);
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

fn shard(dir: &Path, i: usize, n: usize) -> PathBuf {
    let d = dir.join(format!("s{i}of{n}"));
    let flag = format!("{i}/{n}");
    sweep(&["--shard", &flag, "--out", p(&d)]);
    d
}

fn merge(dirs: &[PathBuf], out: &Path) -> std::process::Output {
    let mut args = vec!["--quiet", "sweep", "merge"];
    args.extend(dirs.iter().map(|d| p(d)));
    args.extend(OUTPUTS);
    args.extend(["--out", p(out)]);
    rotor(&args)
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn merged_shards_equal_the_sweep_run_in_one_piece() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let mut args = OUTPUTS.to_vec();
    args.extend(["--out", p(&full)]);
    sweep(&args);
    let want = files(&full);
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "sweep.csv",
        "sweep.parquet",
        "summary.json",
        "report.html",
        "top_equity.csv",
    ] {
        assert!(names.contains(&f), "{names:?}");
    }
    // 9 shards: more than the 6 variants, so three of them are empty.
    for n in [1, 2, 7, 9] {
        let shards: Vec<PathBuf> = (0..n).map(|i| shard(dir.path(), i, n)).collect();
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(shards[n - 1].join("shard.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["variants"], 6);
        assert_eq!(
            manifest["rows"].as_u64().unwrap() as usize,
            (0..6).filter(|v| v % n == n - 1).count()
        );
        // Given in any order.
        let mut given = shards.clone();
        given.reverse();
        let out = dir.path().join(format!("merged{n}"));
        let o = merge(&given, &out);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(files(&out), want, "{n} shards");
    }
}

#[test]
fn shards_that_do_not_belong_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (0..3).map(|i| shard(dir.path(), i, 3)).collect();
    let out = dir.path().join("out");
    let refused = |given: &[PathBuf], want: &str| {
        let o = merge(given, &out);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(want), "{}", text(&o));
        assert!(!out.exists(), "nothing written");
    };
    // A missing shard, a shard given twice.
    refused(&shards[..2], "shard(s) 2 of 3 missing");
    refused(
        &[shards[0].clone(), shards[1].clone(), shards[1].clone()],
        "shard 1 of 3 is given twice",
    );
    // A shard of another sweep (other parameters), of another rotor version, of other data.
    let other = dir.path().join("other");
    let mut args = vec![
        "--quiet",
        "sweep",
        STRATEGY,
        "--param",
        "params.lookback=21,63",
    ];
    args.extend(["--shard", "2/3", "--out", p(&other)]);
    assert!(rotor(&args).status.success());
    refused(
        &[shards[0].clone(), shards[1].clone(), other.clone()],
        "the swept parameters differs",
    );
    let edit = |from: &str, to: &str| {
        let m = shards[2].join("shard.json");
        let t = std::fs::read_to_string(&m).unwrap();
        assert!(t.contains(from));
        std::fs::write(&m, t.replace(from, to)).unwrap();
    };
    edit("\"engine_version\": \"", "\"engine_version\": \"9.9.9-");
    refused(&shards, "this is rotor");
    edit("\"engine_version\": \"9.9.9-", "\"engine_version\": \"");
    edit(
        "data/etf/SPY.csv\",\n      \"",
        "data/etf/SPY.csv\",\n      \"00",
    );
    refused(&shards, "the data (an input's sha256) differs");
    edit(
        "data/etf/SPY.csv\",\n      \"00",
        "data/etf/SPY.csv\",\n      \"",
    );
    edit("\"strategy_sha256\": \"", "\"strategy_sha256\": \"ff");
    refused(&shards, "the strategy differs");
    // All three agree, but the strategy file is not the one they ran.
    for d in &shards[..2] {
        let m = d.join("shard.json");
        let t = std::fs::read_to_string(&m).unwrap();
        std::fs::write(
            &m,
            t.replace("\"strategy_sha256\": \"", "\"strategy_sha256\": \"ff"),
        )
        .unwrap();
    }
    refused(
        &shards,
        "the strategy file changed since the shards were run",
    );
    for d in &shards {
        let m = d.join("shard.json");
        let t = std::fs::read_to_string(&m).unwrap();
        std::fs::write(
            &m,
            t.replace("\"strategy_sha256\": \"ff", "\"strategy_sha256\": \""),
        )
        .unwrap();
    }
    // Not a shard folder at all.
    refused(
        &[shards[0].clone(), dir.path().to_path_buf()],
        "not a sweep shard folder",
    );
    // Restored, the three merge.
    assert!(merge(&shards, &out).status.success());
}

#[test]
fn shard_flags_are_checked() {
    for (flag, want) in [
        ("3/3", "not below the shard count 3"),
        ("1-3", "expected I/N"),
    ] {
        let o = rotor(&["sweep", STRATEGY, "--shard", flag]);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o).contains(want), "{}", text(&o));
    }
    // auto without any scheduler's variables.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args(["sweep", STRATEGY, "--shard", "auto"])
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("CI_NODE_INDEX")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("none of the schedulers' variables is set"));
}

/// Each scheduler's variables as it sets them for shard `i` of 2.
fn scheduler_env(scheduler: usize, i: usize) -> (Vec<(&'static str, String)>, Vec<&'static str>) {
    match scheduler {
        // Kubernetes gives the index only: the count is a flag.
        0 => (
            vec![("JOB_COMPLETION_INDEX", i.to_string())],
            vec!["--shard-count", "2"],
        ),
        // A Slurm array declared --array=1-2.
        1 => (
            vec![
                ("SLURM_ARRAY_TASK_ID", (i + 1).to_string()),
                ("SLURM_ARRAY_TASK_MIN", "1".into()),
                ("SLURM_ARRAY_TASK_COUNT", "2".into()),
            ],
            vec![],
        ),
        2 => (
            vec![
                ("AWS_BATCH_JOB_ARRAY_INDEX", i.to_string()),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "2".into()),
            ],
            vec![],
        ),
        // GitLab counts from 1.
        _ => (
            vec![
                ("CI_NODE_INDEX", (i + 1).to_string()),
                ("CI_NODE_TOTAL", "2".into()),
            ],
            vec![],
        ),
    }
}

/// Shards started with `--shard auto` under each scheduler's variables merge into the sweep
/// run in one piece.
#[test]
fn each_scheduler_runs_the_shards_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let mut args = OUTPUTS.to_vec();
    args.extend(["--out", p(&full)]);
    sweep(&args);
    for scheduler in 0..4 {
        let mut shards = vec![];
        for i in 0..2 {
            let out = dir.path().join(format!("sched{scheduler}-{i}"));
            let (vars, flags) = scheduler_env(scheduler, i);
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rotor"));
            c.args(["--quiet", "sweep", STRATEGY]).args(PARAMS);
            c.args(["--shard", "auto"])
                .args(flags)
                .args(["--out", p(&out)]);
            for (k, _, _, _) in rotor::sweep::shard::SCHEDULERS {
                c.env_remove(k);
            }
            for (k, v) in vars {
                c.env(k, v);
            }
            let o = c.output().unwrap();
            assert!(o.status.success(), "{}", text(&o));
            let m: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("shard.json")).unwrap())
                    .unwrap();
            assert_eq!(
                (m["shard"]["index"].as_u64(), m["shard"]["count"].as_u64()),
                (Some(i as u64), Some(2))
            );
            shards.push(out);
        }
        let out = dir.path().join(format!("merged{scheduler}"));
        let o = merge(&shards, &out);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(files(&out), files(&full), "scheduler {scheduler}");
    }
}

#[test]
fn check_shards_cover_the_strategies_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("strategies");
    std::fs::create_dir_all(&s).unwrap();
    for f in [
        "small_large_momentum.toml",
        "sixty_forty_small_large.toml",
        "presidential_cycle.toml",
    ] {
        std::fs::copy(Path::new("strategies").join(f), s.join(f)).unwrap();
    }
    assert!(rotor(&["check", "--bless", p(&s)]).status.success());
    let mut seen = Vec::new();
    for i in 0..4 {
        let flag = format!("{i}/4");
        let o = rotor(&["check", p(&s), "--shard", &flag, "--format", "json"]);
        assert!(o.status.success(), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for r in v["strategies"].as_array().unwrap() {
            seen.push(r["strategy"].as_str().unwrap().to_owned());
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "presidential-cycle",
            "sixty-forty-small-large",
            "small-large-momentum"
        ]
    );
}
