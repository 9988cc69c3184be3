//! Bounded and total (issue 19): inputs that crashed, hung or misled now get an answer, exit
//! code 2 with the key or flag, in bounded time.

mod common;

use common::{csv, weekdays, write, Lcg};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs rotor in `dir`, killed (and the test failed) after 60 s.
fn rotor_in(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("rotor {args:?} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn market(dir: &Path, bars: usize) {
    common::two_assets(dir, bars, 3);
}

fn strategy(dir: &Path, name: &str, signal: &str, extra: &str) -> PathBuf {
    write(
        dir,
        &format!("{name}.toml"),
        &format!(
            "version = 1\nname = \"{name}\"\n[assets]\na = {{ file = \"data/a.csv\", column = \"close\" }}\nb = {{ file = \"data/b.csv\", column = \"close\" }}\n[signals]\nedge = \"{signal}\"\n[[rules]]\nwhen = \"edge > 0\"\nweights = {{ a = 1 }}\n[[rules]]\notherwise = true\nweights = {{ b = 1 }}\n{extra}"
        ),
    )
}

/// Exit code 2 and every needle in stderr.
fn refused(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for n in needles {
        assert!(e.contains(n), "missing {n:?} in: {e}");
    }
    assert!(!e.contains("panicked") && !e.contains("overflow"), "{e}");
}

#[test]
fn deep_expressions_are_refused_at_their_place() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 100);
    let cases = [
        (
            vec!["ret(a, 1)"; 10_000].join(" + "),
            "nests more than 500 levels",
        ),
        (
            vec!["ret(a, 1) > 0"; 20_000].join(" and "),
            "nests more than 500 levels",
        ),
        (
            format!("{}ret(a, 1){}", "(".repeat(5_000), ")".repeat(5_000)),
            "nests more than 64",
        ),
        (
            format!("{}ret(a, 1)", "not ".repeat(10_000)),
            "nests more than 64",
        ),
        (
            format!("{}ret(a, 1)", "-".repeat(10_000)),
            "nests more than 64",
        ),
        (
            format!("{}ret(a, 1){}", "abs(".repeat(10_000), ")".repeat(10_000)),
            "nests more than 64",
        ),
    ];
    for (i, (expr, why)) in cases.iter().enumerate() {
        let s = strategy(d.path(), &format!("deep{i}"), expr, "");
        let ss = s.display().to_string();
        for cmd in ["validate", "run"] {
            let o = rotor_in(
                d.path(),
                &[cmd, &ss, "--out", "o", "--no-charts"][..if cmd == "run" { 5 } else { 2 }],
            );
            refused(&o, &[&format!("deep{i}.toml:7:"), "`signals.edge`", why]);
        }
    }
    // A sweep constraint and an event condition go through the same parser.
    let s = strategy(
        d.path(),
        "constraint",
        "ret(a, lb)",
        &format!(
            "[params]\nlb = 5\n[sweep]\nparams.lb = [5, 10]\nconstraints = [\"{}lb > 1{}\"]\n",
            "(".repeat(5_000),
            ")".repeat(5_000)
        ),
    );
    let o = rotor_in(d.path(), &["sweep", &s.display().to_string()]);
    refused(&o, &["nests more than 64"]);
}

#[test]
fn sizes_are_bounded_where_they_are_read() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 200);
    let study = |name: &str, horizons: &str, samples: &str| {
        write(
            d.path(),
            &format!("{name}.toml"),
            &format!("version = 1\nname = \"{name}\"\n[assets]\na = {{ file = \"data/a.csv\", column = \"close\" }}\n[event]\nwhen = \"ret(a, 5) > 0.02\"\nhorizons = {horizons}\nmeasure = \"a\"\n[bootstrap]\nsamples = {samples}\n"),
        )
        .display()
        .to_string()
    };
    for (h, s, needle) in [
        (
            "[1, 1000000000000]",
            "200",
            "`event.horizons`: expected whole numbers of bars from 1 to 1000000",
        ),
        ("[1, 9223372036854775807]", "200", "`event.horizons`"),
        (
            "[1, 5]",
            "1000000000000",
            "`bootstrap.samples`: expected an integer from 100 to 100000",
        ),
    ] {
        let o = rotor_in(d.path(), &["events", &study("s", h, s)]);
        refused(&o, &[needle]);
    }
    let ok = study("ok", "[1, 5]", "200");
    let o = rotor_in(d.path(), &["events", &ok, "--samples", "4294967295"]);
    refused(&o, &["--samples"]);
    let s = strategy(d.path(), "s", "ret(a, 5) - ret(b, 5)", "")
        .display()
        .to_string();
    let o = rotor_in(
        d.path(),
        &[
            "sweep",
            &s,
            "--param",
            "execution.commission_bps=0,5",
            "--curves",
            "1000000",
        ],
    );
    refused(&o, &["--curves"]);
    let o = rotor_in(d.path(), &["validate", &s, "--threads", "65535"]);
    refused(&o, &["--threads", "cores"]);
    // A sweep step below what its values resolve.
    let o = rotor_in(
        d.path(),
        &[
            "sweep",
            &s,
            "--param",
            "execution.commission_bps=0..1e-18:1e-20",
        ],
    );
    refused(&o, &["--param", "collapse to 1 distinct"]);
    // Lookbacks state their limit.
    let big = strategy(d.path(), "big", "sma(a, 2000000)", "")
        .display()
        .to_string();
    let o = rotor_in(d.path(), &["validate", &big]);
    refused(
        &o,
        &["expected a whole number of bars from 1 to 1000000, found 2000000"],
    );
}

#[test]
fn costs_of_100_percent_or_more_are_bad_input() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 100);
    for key in ["commission_bps", "slippage_bps"] {
        let s = strategy(
            d.path(),
            "c",
            "ret(a, 5)",
            &format!("[execution]\n{key} = 10001\n"),
        );
        let o = rotor_in(d.path(), &["run", &s.display().to_string(), "--out", "o"]);
        refused(
            &o,
            &[
                "c.toml:15:",
                &format!("`execution.{key}`: expected basis points below 10000"),
            ],
        );
        assert!(!d.path().join("o").exists());
    }
    let s = strategy(d.path(), "c", "ret(a, 5)", "");
    let o = rotor_in(
        d.path(),
        &[
            "sweep",
            &s.display().to_string(),
            "--param",
            "execution.commission_bps=0,10000",
        ],
    );
    refused(&o, &["--param", "below 10000"]);
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_read() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 100);
    let fifo = d.path().join("fifo.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = rotor_in(d.path(), &["validate", &fifo.display().to_string()]);
    refused(&o, &["fifo.toml: strategy file is not a regular file"]);
    let o = rotor_in(d.path(), &["validate", "/dev/zero"]);
    refused(&o, &["/dev/zero: strategy file is not a regular file"]);
    // A FIFO or a device as a data file.
    for (name, file) in [("f", fifo.display().to_string()), ("z", "/dev/zero".into())] {
        let s = write(
            d.path(),
            &format!("{name}.toml"),
            &format!("version = 1\nname = \"{name}\"\n[assets]\na = {{ file = \"{file}\", column = \"close\" }}\n[[rules]]\notherwise = true\nweights = {{ a = 1 }}\n"),
        );
        let o = rotor_in(d.path(), &["validate", &s.display().to_string()]);
        refused(&o, &["data file is not a regular file"]);
    }
}

#[test]
fn baselines_hold_only_finite_numbers_and_names_are_unique() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 300);
    // Never in the market: no drawdown, so the Calmar ratio is infinite and the Sharpe ratio
    // undefined; bless writes them as `undefined`, and check keeps them so.
    let cash = write(
        d.path(),
        "cash.toml",
        "version = 1\nname = \"cash\"\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\n[[rules]]\notherwise = true\nweights = { cash = 1 }\n",
    );
    let base = d.path().join("base");
    let cs = cash.display().to_string();
    let bs = base.display().to_string();
    let o = rotor_in(d.path(), &["check", &cs, "--bless", "--baseline", &bs]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(printed.contains("written as `undefined`"), "{printed}");
    let text = std::fs::read_to_string(base.join("cash.toml")).unwrap();
    assert!(!text.contains("inf") && !text.contains("nan"), "{text}");
    assert!(text.contains("undefined = ["), "{text}");
    let o = rotor_in(d.path(), &["check", &cs, "--baseline", &bs]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // An infinite number written by hand is bad input at its line, not a pass.
    let s = strategy(d.path(), "s", "ret(a, 5) - ret(b, 5)", "");
    let ss = s.display().to_string();
    let o = rotor_in(d.path(), &["check", &ss, "--bless", "--baseline", &bs]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = base.join("s.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("sharpe = "))
        .unwrap()
        + 1;
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with("sharpe = ") {
                "sharpe = -inf".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, edited + "\n").unwrap();
    let o = rotor_in(d.path(), &["check", &ss, "--baseline", &bs]);
    refused(
        &o,
        &[
            &format!("s.toml:{line}:"),
            "`metrics.sharpe`: expected a finite number, found -inf",
        ],
    );
    // Two strategies with one name in one folder.
    let dup = d.path().join("dup");
    std::fs::create_dir(&dup).unwrap();
    for f in ["x.toml", "y.toml"] {
        std::fs::copy(&s, dup.join(f)).unwrap();
    }
    let o = rotor_in(d.path(), &["check", "dup", "--bless"]);
    refused(&o, &["strategy name `s` is also used by"]);
    assert!(!dup.join("baselines").exists());
}

#[test]
fn cells_in_messages_are_cut_to_a_readable_length() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 50);
    let big = "x".repeat(1_000_000);
    write(
        &d.path().join("data"),
        "big.csv",
        &format!("date,close\n2020-01-01,100\n2020-01-02,{big}\n"),
    );
    let s = write(
        d.path(),
        "big.toml",
        "version = 1\nname = \"big\"\n[assets]\na = { file = \"data/big.csv\", column = \"close\" }\n[[rules]]\notherwise = true\nweights = { a = 1 }\n",
    );
    let o = rotor_in(d.path(), &["validate", &s.display().to_string()]);
    refused(&o, &["expected a number", "(999920 more characters)"]);
    assert!(
        o.stderr.len() < 1_000,
        "{} bytes of message",
        o.stderr.len()
    );
}

#[test]
fn walkforward_spans_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 600);
    let s = strategy(
        d.path(),
        "s",
        "ret(a, lb) - ret(b, lb)",
        "[params]\nlb = 5\n",
    );
    let ss = s.display().to_string();
    for (flags, needle) in [
        (
            vec!["--train", "8000y", "--test", "1y"],
            "--train: `8000y`: at most 1000y",
        ),
        (
            vec!["--train", "357913942y", "--test", "1y"],
            "--train: `357913942y`: at most 1000y",
        ),
        (
            vec!["--train", "6m", "--test", "1m", "--step", "8000y"],
            "--step: `8000y`: at most 1000y",
        ),
        (
            vec!["--train", "1000y", "--test", "1y"],
            "no complete walk-forward window fits",
        ),
    ] {
        let mut a = vec!["walkforward", &ss, "--param", "params.lb=5,10"];
        a.extend(flags.iter().copied());
        let o = rotor_in(d.path(), &a);
        refused(&o, &[needle]);
    }
}

#[test]
fn horizons_longer_than_the_data_are_bad_input() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 300);
    let s = write(
        d.path(),
        "e.toml",
        "version = 1\nname = \"e\"\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\n[event]\nwhen = \"ret(a, 5) > 0.02\"\nhorizons = [1, 1000000]\nmeasure = \"a\"\n[bootstrap]\nsamples = 100\n",
    );
    let o = rotor_in(d.path(), &["events", &s.display().to_string()]);
    refused(&o, &["e.toml:7:12: `event.horizons`: a horizon of 1000000 bars is not shorter than the data (300 bars"]);
}

#[test]
fn a_report_of_files_that_do_not_belong_together_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 400);
    let s = strategy(
        d.path(),
        "s",
        "ret(a, 5) - ret(b, 5)",
        "[regimes]\nup = \"ret(a, 20) > 0\"\n",
    );
    let out = d.path().join("o");
    let o = rotor_in(
        d.path(),
        &["run", &s.display().to_string(), "--out", "o", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Each per-bar file cut to 100 rows in turn: the page is refused, naming the file.
    for f in ["equity.csv", "weights.csv", "regimes.csv"] {
        let path = out.join(f);
        let whole = std::fs::read_to_string(&path).unwrap();
        let cut: String = whole.lines().take(101).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, cut).unwrap();
        let e = rotor::report::html::render(&out)
            .unwrap_err()
            .user_message();
        assert!(
            e.contains(f) && e.contains("do not belong together"),
            "{f}: {e}"
        );
        // The command refuses it too (the manifest sees the edited file first).
        let o = rotor_in(d.path(), &["report", "o"]);
        refused(&o, &[f]);
        std::fs::write(&path, whole).unwrap();
    }
    assert!(rotor::report::html::render(&out).is_ok());
}

#[test]
fn a_ruined_run_stops_trading_and_says_when() {
    let d = tempfile::tempdir().unwrap();
    let dates = weekdays(120);
    // a rises 0.1 % a day, then falls 10 % on bar 60; b is flat.
    let a: Vec<f64> = (0..120)
        .map(|t| 100.0 * 1.001f64.powi(t) * if t >= 60 { 0.9 } else { 1.0 })
        .collect();
    let b = vec![50.0; 120];
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    write(
        &d.path().join("data"),
        "a.csv",
        &csv(&dates, &[("close", &a)]),
    );
    write(
        &d.path().join("data"),
        "b.csv",
        &csv(&dates, &[("close", &b)]),
    );
    let s = write(
        d.path(),
        "lev.toml",
        "version = 1\nname = \"lev\"\n[params]\nx = 20\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\nb = { file = \"data/b.csv\", column = \"close\" }\n[[rules]]\nwhen = \"x > 0\"\nweights = { a = 20 }\n[[rules]]\notherwise = true\nweights = { b = 1 }\n[execution]\nfill = \"next_close\"\n",
    );
    let o = rotor_in(
        d.path(),
        &["run", &s.display().to_string(), "--out", "o", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains(&format!("RUINED on {}", dates[60])),
        "{printed}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("o/stats.json")).unwrap())
            .unwrap();
    assert_eq!(j["calendar"]["ruined"], dates[60].as_str());
    for k in ["cagr", "sharpe", "sortino", "calmar"] {
        assert!(j["metrics"][k].is_null(), "{k}: {}", j["metrics"][k]);
    }
    assert!(j["metrics"]["total_return"].as_f64().unwrap() <= -1.0);
    // The equity is frozen from the ruin on, and nothing trades after it.
    let eq = std::fs::read_to_string(d.path().join("o/equity.csv")).unwrap();
    let values: Vec<f64> = eq
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(
        values[60] <= 0.0 && values[59] > 0.0,
        "{:?}",
        &values[55..65]
    );
    assert!(values[60..].iter().all(|v| *v == values[60]));
    let trades = std::fs::read_to_string(d.path().join("o/trades.csv")).unwrap();
    assert!(
        trades.lines().skip(1).all(|l| l[..10] <= *dates[60]),
        "{trades}"
    );
    // A sweep's rows say the same as the run.
    let o = rotor_in(
        d.path(),
        &[
            "sweep",
            &s.display().to_string(),
            "--param",
            "params.x=1,2",
            "--out",
            "sw",
            "--no-report",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = std::fs::read_to_string(d.path().join("sw/sweep.csv")).unwrap();
    let head: Vec<&str> = rows.lines().next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    for row in rows.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f[col("cagr")], "", "{row}");
        for m in ["total_return", "time_in_market", "final_equity"] {
            assert_eq!(
                f[col(m)].parse::<f64>().unwrap(),
                j["metrics"][m].as_f64().unwrap(),
                "{m}: {row}"
            );
        }
    }
}

#[test]
fn implausible_data_gets_a_warning_or_an_error() {
    let d = tempfile::tempdir().unwrap();
    let dates = weekdays(300);
    let mut rng = Lcg(9);
    let mut p = vec![100.0];
    for _ in 1..300 {
        let last = p[p.len() - 1];
        p.push(last * (1.0 + rng.range(-0.01, 0.0105)));
    }
    let mut tick = p.clone();
    tick[150] *= 1000.0;
    let mut split = p.clone();
    split[200..].iter_mut().for_each(|v| *v /= 100.0);
    let rets: Vec<f64> = p
        .windows(2)
        .map(|w| w[1] / w[0] - 1.0)
        .chain([0.0])
        .collect();
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    write(
        &d.path().join("data"),
        "x.csv",
        &csv(
            &dates,
            &[
                ("clean", &p),
                ("tick", &tick),
                ("split", &split),
                ("ret", &rets),
            ],
        ),
    );
    let run = |name: &str, col: &str, extra: &str| {
        let s = write(
            d.path(),
            &format!("{name}.toml"),
            &format!("version = 1\nname = \"{name}\"\n[assets]\na = {{ file = \"data/x.csv\", column = \"{col}\"{extra} }}\n[[rules]]\notherwise = true\nweights = {{ a = 1 }}\n"),
        );
        rotor_in(d.path(), &["validate", &s.display().to_string()])
    };
    let out = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let o = run("clean", "clean", "");
    assert!(
        o.status.success() && !out(&o).contains("warning"),
        "{}",
        out(&o)
    );
    let o = run("tick", "tick", "");
    assert!(
        out(&o).contains("`tick`: a move of +")
            && out(&o).contains(&format!("on {}", dates[150]))
            && out(&o).contains("bad tick"),
        "{}",
        out(&o)
    );
    let o = run("split", "split", "");
    assert!(
        out(&o).contains(&format!("ratio of 1:100 on {}", dates[200])),
        "{}",
        out(&o)
    );
    // Decimal returns declared as percent: tiny; a price column declared as returns: an error.
    let o = run("pct", "ret", ", kind = \"returns\", unit = \"percent\"");
    assert!(
        o.status.success() && out(&o).contains("is tiny for a traded asset"),
        "{}",
        out(&o)
    );
    let o = run("dec", "ret", ", kind = \"returns\", unit = \"decimal\"");
    assert!(
        o.status.success() && !out(&o).contains("warning"),
        "{}",
        out(&o)
    );
    let o = run("price", "clean", ", kind = \"returns\", unit = \"decimal\"");
    refused(
        &o,
        &["`clean`: declared `kind = \"returns\"`, but its median absolute return"],
    );
}

#[test]
fn a_merge_from_another_folder_says_where_the_shards_ran() {
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("project");
    std::fs::create_dir(&project).unwrap();
    market(&project, 200);
    strategy(
        &project,
        "s",
        "ret(a, lb) - ret(b, lb)",
        "[params]\nlb = 5\n",
    );
    for i in 0..2 {
        let o = rotor_in(
            &project,
            &[
                "sweep",
                "s.toml",
                "--param",
                "params.lb=5,10",
                "--shard",
                &format!("{i}/2"),
                "--out",
                &format!("shard-{i}"),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = rotor_in(
        d.path(),
        &[
            "sweep",
            "merge",
            "project/shard-0",
            "project/shard-1",
            "--out",
            "merged",
        ],
    );
    refused(
        &o,
        &[
            "`strategy_file`: the shards ran `rotor sweep` on s.toml",
            "run `rotor sweep merge` from the folder the shards ran in",
        ],
    );
    let o = rotor_in(
        &project,
        &["sweep", "merge", "shard-0", "shard-1", "--out", "merged"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `program args...` run with a tmpfs of `bytes` mounted on `dir` in a mount namespace of its
/// own (`unshare`, as root or with user namespaces): the mount ends with the process.
#[cfg(target_os = "linux")]
fn on_tmpfs(dir: &Path, bytes: u64, program: &str, args: &[&str]) -> Command {
    let mut c = Command::new("unshare");
    c.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && shift 3 && exec \"$@\"")
        .args(["sh", &bytes.to_string()])
        .arg(dir)
        .arg("--")
        .arg(program)
        .args(args);
    c
}

/// Whether this machine lets the test mount a small filesystem in a private mount namespace.
/// In CI (`CI` set) it must.
#[cfg(target_os = "linux")]
fn can_mount_tmpfs(dir: &Path) -> bool {
    let ok = on_tmpfs(dir, 64 << 10, "true", &[])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: `unshare --user --map-root-user --mount` is needed for the full-disk test"
        );
        eprintln!("skipped: cannot mount a tmpfs in a private namespace (unshare)");
    }
    ok
}

/// A disk that fills up while rotor writes its folder (CSV files, charts, the report): exit 2
/// with the operating system's reason and the `--out` path, no panic, no debug structure, and
/// nothing left on the disk (no half-written folder, no temporary folder).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_while_writing_is_bad_input_and_leaves_nothing() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 600);
    let s = strategy(d.path(), "s", "ret(a, 20) - ret(b, 20)", "");
    let disk = d.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    if !can_mount_tmpfs(&disk) {
        return;
    }
    // The same run on a roomy disk, to know the files' sizes in the order they are written.
    let o = rotor_in(
        d.path(),
        &["run", &s.display().to_string(), "--out", "roomy"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let size = |f: &str| {
        std::fs::metadata(d.path().join("roomy").join(f))
            .unwrap()
            .len()
    };
    // tmpfs counts whole pages of the kernel's page size (4 KiB on x86-64, up to 64 KiB on
    // some arm64 kernels).
    let page: u64 = Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(4096);
    let pages = |b: u64| b.div_ceil(page) * page;
    let tables: u64 = ["stats.json", "equity.csv", "weights.csv", "trades.csv"]
        .iter()
        .map(|f| pages(size(f)))
        .sum();
    // Full before the first file; among the tables; among the charts (the first PNG fits, the
    // second does not); at the report (every chart fits).
    let charts: u64 = ["equity", "drawdown", "allocation"]
        .iter()
        .flat_map(|c| [format!("{c}.png"), format!("{c}.svg")])
        .map(|f| pages(size(&f)))
        .sum();
    let cases = [
        (page, "stats.json"),
        (pages(size("stats.json")) + page, ".csv"),
        (tables + page, "equity.png"),
        (
            tables + pages(size("equity.png")) + page,
            "chart into disk/o/equity.svg: ",
        ),
        (tables + charts + page, "report.html"),
    ];
    for (bytes, file) in cases {
        let run = ["run", &s.display().to_string(), "--out", "disk/o"];
        let o = on_tmpfs(Path::new("disk"), bytes, env!("CARGO_BIN_EXE_rotor"), &run)
            .current_dir(d.path())
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{bytes} bytes: {e}");
        for needle in ["error: ", "disk/o", file, "No space left on device"] {
            assert!(
                e.contains(needle),
                "{bytes} bytes: missing {needle:?} in: {e}"
            );
        }
        for bad in ["panicked", "Os {", "kind:", ".tmp-"] {
            assert!(!e.contains(bad), "{bytes} bytes: {bad:?} in: {e}");
        }
    }
    // Each run's mount was private to it: what it left is what is here now, nothing.
    assert_eq!(std::fs::read_dir(&disk).unwrap().count(), 0);
}

/// A thread pool that cannot start under a memory limit (16 threads or more with 64 MB stacks
/// in 600 MB of address space) is exit 2 naming `--threads`, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn a_thread_pool_that_cannot_start_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 300);
    let s = strategy(d.path(), "s", "ret(a, 20) - ret(b, 20)", "");
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: prlimit (util-linux) is needed"
        );
        eprintln!("skipped: no prlimit");
        return;
    }
    let limited = |threads: &str| {
        Command::new("prlimit")
            .arg(format!("--as={}", 600u64 << 20))
            .arg(env!("CARGO_BIN_EXE_rotor"))
            .args(["validate", &s.display().to_string(), "--threads", threads])
            .current_dir(d.path())
            .output()
            .unwrap()
    };
    // The limit leaves room for rotor with a small pool, so the refusal is the pool's: the
    // most threads rotor accepts (8 x the cores) need 1 GB of stacks on two cores or more.
    let o = limited("1");
    assert!(o.status.success(), "{}", stderr(&o));
    let most = 8 * std::thread::available_parallelism().map_or(1, |n| n.get());
    if most < 16 {
        eprintln!("skipped: one core, {most} threads fit in the limit");
        return;
    }
    let o = limited(&most.to_string());
    refused(
        &o,
        &["--threads", &format!("cannot start {most} worker threads")],
    );
}

/// `tests/data/damaged-levels.parquet`: a shard's rows file with one byte changed in a page's
/// definition levels (found by tests/fuzz.rs), which makes polars' reader abort the process on
/// a 2.3e18-byte allocation. As a data file it is bad input naming the file, every time (the
/// binary decodes Parquet inputs in a child process first).
#[test]
fn a_parquet_file_that_crashes_its_reader_is_bad_input() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/damaged-levels.parquet");
    // Why the child process is there: decoded alone, the file ends the process that reads it.
    // (If polars stops aborting on it, this fails: the message below may then change.)
    let child = Command::new(env!("CARGO_BIN_EXE_rotor"))
        .env("ROTOR_INTERNAL_PARQUET_PROBE", "1")
        .env("POLARS_MAX_THREADS", "1")
        .stdin(std::fs::File::open(&fixture).unwrap())
        .output()
        .unwrap();
    assert_eq!(child.status.code(), None, "{}", stderr(&child));
    let d = tempfile::tempdir().unwrap();
    market(d.path(), 100);
    std::fs::copy(&fixture, d.path().join("data/p.parquet")).unwrap();
    let s = write(
        d.path(),
        "p.toml",
        "version = 1\nname = \"p\"\n[assets]\np = { file = \"data/p.parquet\", column = \"close\" }\na = { file = \"data/a.csv\", column = \"close\" }\n[[rules]]\nwhen = \"p > a\"\nweights = { p = 1 }\n[[rules]]\notherwise = true\nweights = { a = 1 }\n",
    )
    .display()
    .to_string();
    let mut messages = std::collections::BTreeSet::new();
    for _ in 0..10 {
        for cmd in ["validate", "run"] {
            let o = rotor_in(
                d.path(),
                &[cmd, &s, "--out", "o"][..if cmd == "run" { 4 } else { 2 }],
            );
            refused(
                &o,
                &["data/p.parquet: cannot parse data file: a damaged Parquet file: its reader stopped on it"],
            );
            messages.insert(stderr(&o));
        }
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(!d.path().join("o").exists());
}
