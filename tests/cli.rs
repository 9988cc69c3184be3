//! The `rotor` binary end to end: shipped strategies, outputs, and bad input.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn shipped() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("strategies")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn every_shipped_strategy_validates_and_runs() {
    let all = shipped();
    assert_eq!(all.len(), 11, "{all:?}");
    let mut args = vec!["validate"];
    args.extend(all.iter().map(|s| s.as_str()));
    let o = rotor(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("ok: "))
            .count(),
        11
    );

    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().display().to_string();
    let mut args = vec!["run", "--no-charts", "--out", out_s.as_str()];
    args.extend(all.iter().map(|s| s.as_str()));
    let o = rotor(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in [
        "small-large-momentum",
        "iwm-spy-dual-momentum",
        "iwm-trend-filter",
        "rate-cut-rotation",
        "surge-follow-through",
        "leveraged-rotation",
        "sixty-forty-small-large",
        "rate-cycle-regimes",
        "january-effect",
        "presidential-cycle",
        "leveraged-rotation-1987",
    ] {
        let dir = out.path().join(name);
        for f in ["stats.json", "equity.csv", "weights.csv", "trades.csv"] {
            assert!(dir.join(f).is_file(), "{name}/{f}");
        }
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap())
                .unwrap();
        // rotor.stats/2: the report's keys were added (issue 10); the keys of /1 keep their meaning.
        assert_eq!(stats["schema"], "rotor.stats/2");
        assert!(
            stats["metrics"]["trades"].as_u64().unwrap() > 0,
            "{name} never traded"
        );
        assert!(stats["metrics"]["cagr"].as_f64().unwrap().is_finite());
        assert_eq!(stats["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn run_writes_charts_and_same_inputs_give_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let s = "strategies/small_large_momentum.toml";
    let oa = rotor(&[
        "run",
        s,
        "--out",
        &a.path().display().to_string(),
        "--threads",
        "1",
    ]);
    assert!(oa.status.success(), "{}", stderr(&oa));
    let ob = rotor(&[
        "run",
        s,
        "--out",
        &b.path().display().to_string(),
        "--threads",
        "2",
    ]);
    assert!(ob.status.success(), "{}", stderr(&ob));
    let summary = String::from_utf8_lossy(&oa.stdout);
    assert!(
        summary.contains("CAGR") && summary.contains("half_half"),
        "{summary}"
    );
    for f in [
        "stats.json",
        "equity.csv",
        "weights.csv",
        "trades.csv",
        "equity.svg",
        "drawdown.svg",
        "allocation.svg",
        "equity.png",
        "drawdown.png",
        "allocation.png",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x.len() > 100, "{f} is empty");
        assert!(x == y, "{f} differs between runs");
    }
    assert_eq!(
        &std::fs::read(a.path().join("equity.png")).unwrap()[1..4],
        b"PNG"
    );
}

#[test]
fn same_bar_execution_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/iwm_trend_filter.toml")
        .unwrap()
        .replace("fill = \"next_open\"", "fill = \"close\"");
    let s = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("out");
    let o = rotor(&[
        "run",
        "--no-charts",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("WARNING: same-bar execution"));
    let stats = std::fs::read_to_string(out.join("stats.json")).unwrap();
    assert!(stats.contains("\"same_bar_execution\": true"));
}

/// Runs `rotor validate` on a file and expects exit 2 with every `needles` in stderr.
fn rejects(path: &Path, needles: &[&str]) {
    let o = rotor(&["validate", path.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2, got {:?}: {err}",
        o.status.code()
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

#[test]
fn malformed_strategies_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string("strategies/iwm_trend_filter.toml").unwrap();
    let cases: &[(&str, String, &[&str])] = &[
        (
            "syntax.toml",
            base.replace("[rebalance]", "[rebalance"),
            &["syntax.toml:", "invalid TOML"],
        ),
        (
            "unknown_key.toml",
            base.replace("commission_bps = 5", "comission_bps = 5"),
            &["unknown_key.toml:30:1", "did you mean `commission_bps`"],
        ),
        (
            "wrong_type.toml",
            base.replace("commission_bps = 5", "commission_bps = \"five\""),
            &["wrong_type.toml:30:18", "expected a number, found a string"],
        ),
        (
            "bad_expr.toml",
            base.replace("iwm > sma(iwm, 200)", "iwm > sma(iwm 200)"),
            &["bad_expr.toml:15:", "signals.uptrend"],
        ),
        (
            "unknown_name.toml",
            base.replace("iwm > sma(iwm, 200)", "spy > sma(iwm, 200)"),
            &["unknown_name.toml:15:12", "unknown name `spy`"],
        ),
        (
            "unknown_fn.toml",
            base.replace("sma(iwm, 200)", "smaa(iwm, 200)"),
            &["unknown function `smaa`"],
        ),
        (
            "bad_asset.toml",
            base.replace("weights = { iwm = 1.0 }", "weights = { qqq = 1.0 }"),
            &["unknown asset `qqq`"],
        ),
        (
            "two_errors.toml",
            base.replace("commission_bps = 5", "commission_bps = -5")
                .replace("schedule = \"daily\"", "schedule = \"hourly\""),
            &["commission_bps", "expected one of \"daily\""],
        ),
        (
            // A problem found while parsing and one found while compiling, reported together.
            "two_stages.toml",
            base.replace("iwm > sma(iwm, 200)", "spy > sma(iwm, 200)")
                .replace("commission_bps = 5", "commission_bps = \"five\""),
            &[
                "two_stages.toml:15:12: `signals.uptrend`: unknown name `spy`",
                "two_stages.toml:30:18: `execution.commission_bps`",
            ],
        ),
    ];
    for (name, text, needles) in cases {
        let p = write(dir.path(), name, text);
        rejects(&p, needles);
    }
    // Random damage never panics: every outcome is success or exit 2.
    let mut rng = Lcg(11);
    for i in 0..40 {
        let mut bytes = base.clone().into_bytes();
        for _ in 0..3 {
            let at = (rng.next() * bytes.len() as f64) as usize;
            bytes[at] = b"=[]{}\"x1.,#\n "[(rng.next() * 13.0) as usize];
        }
        let p = write(
            dir.path(),
            &format!("fuzz{i}.toml"),
            &String::from_utf8_lossy(&bytes),
        );
        let o = rotor(&["validate", p.to_str().unwrap()]);
        assert!(
            matches!(o.status.code(), Some(0) | Some(2)),
            "fuzz{i}: {:?} {}",
            o.status.code(),
            stderr(&o)
        );
    }
}

#[test]
fn malformed_data_files_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(30);
    let good: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
    let strategy = |data: &Path, extra: &str| {
        format!(
            r#"
version = 1
name = "d"
{extra}
[assets]
a = {{ file = {}, column = "close" }}
[[rules]]
otherwise = true
weights = {{ a = 1 }}
"#,
            lit(data)
        )
    };
    let mut cases: Vec<(&str, String, &str, Vec<&str>)> = Vec::new();
    let base = csv(&dates, &[("close", &good)]);
    let mut lines: Vec<String> = base.lines().map(String::from).collect();
    lines.swap(5, 6);
    cases.push((
        "unsorted.csv",
        lines.join("\n"),
        "",
        vec![
            "unsorted.csv:7",
            "dates out of order: 2020-01-07 follows 2020-01-08",
        ],
    ));
    let mut lines: Vec<String> = base.lines().map(String::from).collect();
    lines[8] = lines[7].clone();
    cases.push((
        "dup.csv",
        lines.join("\n"),
        "",
        vec!["dup.csv:9", "duplicate date"],
    ));
    cases.push((
        "text.csv",
        base.replace("2020-01-10,107", "2020-01-10,abc"),
        "",
        vec!["text.csv:9", "expected a number, found \"abc\""],
    ));
    cases.push((
        "neg.csv",
        base.replace("2020-01-10,107", "2020-01-10,-1"),
        "",
        vec!["neg.csv:9", "positive price"],
    ));
    cases.push((
        "gap.csv",
        base.replace("2020-01-10,107", "2020-01-10,"),
        "",
        vec!["gap.csv:9", "missing price", "ffill"],
    ));
    cases.push((
        "baddate.csv",
        base.replace("2020-01-10,", "2020-13-10,"),
        "",
        vec!["baddate.csv:9", "expected a date"],
    ));
    cases.push((
        "nocol.csv",
        base.replace("date,close", "date,price"),
        "",
        vec!["nocol.csv", "no column named `close`"],
    ));
    cases.push((
        "range.csv",
        base.clone(),
        "start = \"2019-01-01\"",
        vec![
            "range.csv",
            "starts on 2020-01-01, after the requested start 2019-01-01",
        ],
    ));
    for (name, text, extra, needles) in &cases {
        let data = write(dir.path(), name, text);
        let s = write(dir.path(), &format!("{name}.toml"), &strategy(&data, extra));
        rejects(&s, needles);
    }
    // A missing file names itself.
    let s = write(
        dir.path(),
        "missing.toml",
        &strategy(&dir.path().join("nope.csv"), ""),
    );
    rejects(&s, &["nope.csv"]);
}

/// Every row of a used column is checked, before `start` too (warm-up reads those rows), and
/// non-finite or implausible numbers have their own messages.
#[test]
fn data_checks_cover_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(30);
    let good: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
    let base = csv(&dates, &[("close", &good)]);
    // Row 4 (file line 6) is 2020-01-07, before `start`.
    let strategy = |data: &Path| {
        format!(
            r#"
version = 1
name = "d"
start = "2020-01-20"
[assets]
a = {{ file = {}, column = "close" }}
[[rules]]
otherwise = true
weights = {{ a = 1 }}
"#,
            lit(data)
        )
    };
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "abc",
            "text.csv",
            vec!["text.csv:6", "expected a number, found \"abc\""],
        ),
        (
            "n/a",
            "na.csv",
            vec!["na.csv:6", "expected a number, found \"n/a\""],
        ),
        (
            "nan",
            "nan.csv",
            vec!["nan.csv:6", "not a finite number", "\"nan\""],
        ),
        (
            "inf",
            "inf.csv",
            vec!["inf.csv:6", "not a finite number", "\"inf\""],
        ),
        (
            "1e400",
            "big.csv",
            vec!["big.csv:6", "not a finite number", "\"1e400\""],
        ),
        (
            "1e-301",
            "tiny.csv",
            vec!["tiny.csv:6", "not a plausible price"],
        ),
        (
            "0",
            "zero.csv",
            vec!["zero.csv:6", "expected a positive price, found 0"],
        ),
    ];
    for (cell, name, needles) in &cases {
        let text = base.replace("2020-01-07,104", &format!("2020-01-07,{cell}"));
        assert_ne!(text, base);
        let data = write(dir.path(), name, &text);
        let s = write(dir.path(), &format!("{name}.toml"), &strategy(&data));
        rejects(&s, needles);
    }

    // Assets that share no dates: the message names every asset's file and range.
    let early = write(
        dir.path(),
        "early.csv",
        &csv(&dates[..10], &[("close", &good[..10])]),
    );
    let late = write(
        dir.path(),
        "late.csv",
        &csv(&dates[20..], &[("close", &good[20..])]),
    );
    let s = write(
        dir.path(),
        "apart.toml",
        &format!(
            r#"
version = 1
name = "apart"
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[[rules]]
otherwise = true
weights = {{ a = 0.5, b = 0.5 }}
"#,
            lit(&early),
            lit(&late)
        ),
    );
    rejects(
        &s,
        &[
            "apart.toml",
            "the assets share no dates: the latest first date is 2020-01-29, the earliest last date 2020-01-14",
            &format!("asset `a`: {} from 2020-01-01 to 2020-01-14", early.display()),
            &format!("asset `b`: {} from 2020-01-29 to 2020-02-11", late.display()),
        ],
    );
}

#[test]
fn cli_usage_errors_exit_2_and_help_exits_0() {
    let o = rotor(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rotor(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rotor(&["run", "--threads", "0", "x.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rotor(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("rotor run strategies/"));
    let o = rotor(&["run", "no/such/strategy.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/strategy.toml"));
}
