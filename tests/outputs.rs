//! What rotor writes and where: output folders never destroy a file rotor did not write, every
//! CSV and TOML file reads back to the names and numbers it was given, unused declarations do
//! not change a result, data paths resolve from the strategy's project folder, and ratios of
//! rounding noise are undefined. (Issue 18's reproductions, each checked here.)

mod common;

use common::{csv, write, Lcg};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rotor_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn rotor(args: &[&str]) -> Output {
    common::rotor(args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Two random-walk price files `a.csv`, `b.csv` (and a rate file) in `dir/data/`.
fn market(dir: &Path, bars: usize, seed: u64) -> Vec<String> {
    let dates = common::two_assets(dir, bars, seed);
    let rate: Vec<f64> = (0..bars).map(|i| 2.0 + (i as f64 / 40.0).sin()).collect();
    write(
        &dir.join("data"),
        "rate.csv",
        &csv(&dates, &[("rate", &rate)]),
    );
    dates
}

/// A momentum switch between a and b, data paths relative to its project folder.
fn strategy(dir: &Path, name: &str, extra: &str) -> PathBuf {
    write(
        dir,
        &format!("{name}.toml"),
        &format!(
            r#"version = 1
name = "{name}"
[assets]
a = {{ file = "data/a.csv", column = "close" }}
b = {{ file = "data/b.csv", column = "close" }}
[signals]
edge = "ret(a, 10) - ret(b, 10)"
[[rules]]
when = "edge > 0"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ b = 1 }}
[rebalance]
schedule = "week-end"
[execution]
fill = "next_close"
commission_bps = 5
{extra}"#
        ),
    )
}

/// Every entry of `dir`, sorted (names only).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn no_temporaries(dir: &Path) {
    let left: Vec<String> = entries(dir)
        .into_iter()
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect();
    assert!(
        left.is_empty(),
        "left behind in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn output_folders_never_destroy_files_rotor_did_not_write() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("proj");
    std::fs::create_dir(&project).unwrap();
    market(&project, 300, 1);
    let strats = project.join("strats");
    std::fs::create_dir(&strats).unwrap();
    let d2 = strategy(&strats, "d2", "");
    let other = strategy(&strats, "other", "");
    let d2s = d2.display().to_string();

    // The folder holding the strategy (issue 18's lost files): refused, before any work.
    let o = rotor_in(&project, &["run", &d2s, "--out", "strats", "--no-charts"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("strats: `--out`: holds the input"),
        "{}",
        stderr(&o)
    );
    assert!(d2.is_file() && other.is_file());
    assert_eq!(entries(&strats), ["d2.toml", "other.toml"]);
    no_temporaries(&project);
    // The data folder, and an ancestor of the inputs.
    for out in ["data", "."] {
        let o = rotor_in(&project, &["run", &d2s, "--out", out, "--no-charts"]);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        no_temporaries(&project);
    }
    // `--out .` from a folder that holds no input: the working folder itself.
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let o = rotor_in(&elsewhere, &["run", &d2s, "--out", ".", "--no-charts"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is the working folder"),
        "{}",
        stderr(&o)
    );
    assert!(entries(&elsewhere).is_empty());
    no_temporaries(root.path());

    // A folder holding someone's notes: refused, naming the file, which survives.
    let res = project.join("res");
    std::fs::create_dir(&res).unwrap();
    std::fs::write(res.join("notes.txt"), "mine").unwrap();
    let ress = res.display().to_string();
    let o = rotor(&["run", &d2s, "--out", &ress, "--no-charts"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("holds notes.txt, which rotor did not write"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(res.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(entries(&res), ["notes.txt"]);
    // Every command that writes a folder refuses it the same way.
    let events = write(
        &strats,
        "study.toml",
        r#"version = 1
name = "study"
[assets]
a = { file = "data/a.csv", column = "close" }
b = { file = "data/b.csv", column = "close" }
[event]
when = "ret(a, 5) > 0.03"
horizons = [1, 5]
measure = "a"
[bootstrap]
samples = 100
"#,
    );
    let evs = events.display().to_string();
    for args in [
        vec!["sweep", &d2s, "--param", "execution.commission_bps=0,5"],
        vec!["events", &evs],
        vec![
            "walkforward",
            &d2s,
            "--param",
            "execution.commission_bps=0,5",
            "--train",
            "6m",
            "--test",
            "3m",
        ],
    ] {
        let mut a = args.clone();
        a.extend(["--out", &ress]);
        let o = rotor(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("notes.txt"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(entries(&res), ["notes.txt"]);

    // A file given as --out: refused, untouched.
    let file = project.join("file.txt");
    std::fs::write(&file, "keep").unwrap();
    let o = rotor(&["run", &d2s, "--out", &file.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is a file, not a folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");

    // A folder rotor wrote is replaced, and its manifest lists exactly its files.
    let mine = project.join("mine");
    let mines = mine.display().to_string();
    for _ in 0..2 {
        let o = rotor(&["run", &d2s, "--out", &mines, "--no-charts"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mine.join("rotor-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["command"], "run");
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            let bytes = std::fs::metadata(mine.join(p)).unwrap().len();
            assert_eq!(f["bytes"], bytes, "{p}");
            p.to_string()
        })
        .collect();
    let mut on_disk = entries(&mine);
    on_disk.retain(|n| n != "rotor-manifest.json");
    assert_eq!(listed, on_disk);
    no_temporaries(&project);
    // `rotor report` rebuilds the page of a rotor folder, not of one with a foreign file.
    let o = rotor(&["report", &mines]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(mine.join("mine.txt"), "x").unwrap();
    let o = rotor(&["report", &mines]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mine.txt"), "{}", stderr(&o));
    // ... and a later run refuses the folder now that it holds the user's file.
    let o = rotor(&["run", &d2s, "--out", &mines, "--no-charts"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(mine.join("mine.txt").is_file());
}

#[test]
fn bless_never_overwrites_a_file_that_is_not_a_baseline() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 200, 2);
    let s = strategy(root.path(), "s", "");
    let base = root.path().join("base");
    std::fs::create_dir(&base).unwrap();
    std::fs::write(base.join("s.toml"), "# my own notes, not a baseline\n").unwrap();
    let args = [
        "check",
        &s.display().to_string(),
        "--bless",
        "--baseline",
        &base.display().to_string(),
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = rotor_in(root.path(), &args);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("is not a baseline rotor wrote"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(base.join("s.toml")).unwrap(),
        "# my own notes, not a baseline\n"
    );
    // A baseline rotor wrote is replaced as before.
    std::fs::remove_file(base.join("s.toml")).unwrap();
    for _ in 0..2 {
        let o = rotor_in(root.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_sweep_leaves_no_temporary_folder() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 2000, 3);
    let s = strategy(root.path(), "s", "");
    let out = root.path().join("res");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rotor"))
        .args([
            "sweep",
            &s.display().to_string(),
            "--param",
            "execution.commission_bps=0..400:0.01",
            "--out",
            &out.display().to_string(),
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the temporary folder exists (the sweep is running), then interrupt it.
    let t0 = std::time::Instant::now();
    let running = loop {
        if entries(root.path())
            .iter()
            .any(|n| n.starts_with(".res.tmp-"))
        {
            break true;
        }
        if child.try_wait().unwrap().is_some() || t0.elapsed().as_secs() > 60 {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(running, "the sweep ended before it could be interrupted");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    no_temporaries(root.path());
    assert!(!out.exists());
}

#[test]
fn csv_and_toml_files_read_back_to_their_names_and_numbers() {
    // Random text through the one CSV writer, read back with a CSV reader.
    let mut rng = Lcg(11);
    let alphabet: Vec<char> = "ab,\"\n\r ;'\\é€0".chars().collect();
    let word = |rng: &mut Lcg| -> String {
        let n = (rng.next() * 8.0) as usize;
        (0..n)
            .map(|_| alphabet[(rng.next() * alphabet.len() as f64) as usize])
            .collect()
    };
    for _ in 0..200 {
        let head: Vec<String> = (0..4).map(|_| word(&mut rng)).collect();
        let rows: Vec<Vec<String>> = (0..3)
            .map(|_| {
                (0..4)
                    .map(|i| {
                        if i % 2 == 0 {
                            word(&mut rng)
                        } else {
                            format!("{}", rng.range(-1e6, 1e6))
                        }
                    })
                    .collect()
            })
            .collect();
        let mut w = rotor::report::csv::Csv::text(&head);
        for r in &rows {
            w.put(r);
        }
        let text = w.into_string();
        let mut rd = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let back: Vec<Vec<String>> = rd
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        let mut want = vec![head.clone()];
        want.extend(rows.iter().cloned());
        // A lone empty field reads back as an empty record; every other row is exact.
        assert_eq!(back.len(), want.len(), "{text:?}");
        for (b, w) in back.iter().zip(&want) {
            assert_eq!(b, w, "{text:?}");
        }
    }

    // Every CSV file of a run, a sweep and an event study: each row has the header's fields, and
    // every number reads back as a number.
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 400, 5);
    let s = strategy(
        root.path(),
        "s",
        "[benchmarks]\nhalf_half = { weights = { a = 0.5, b = 0.5 } }\n[regimes]\nup_a = \"ret(a, 20) > 0\"\n",
    );
    let ss = s.display().to_string();
    let study = write(
        root.path(),
        "study.toml",
        "version = 1\nname = \"study\"\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\nb = { file = \"data/b.csv\", column = \"close\" }\n[event]\nwhen = \"ret(a, 5) > 0.02\"\nhorizons = [1, 5]\nmeasure = { long = \"a\", short = \"b\" }\n[bootstrap]\nsamples = 100\n",
    );
    let runs: Vec<(Vec<String>, &str)> = vec![
        (vec!["run".into(), ss.clone()], "run"),
        (
            vec![
                "sweep".into(),
                ss.clone(),
                "--param".into(),
                "execution.commission_bps=0,5".into(),
                "--curves".into(),
                "2".into(),
            ],
            "sweep",
        ),
        (
            vec![
                "walkforward".into(),
                ss.clone(),
                "--param".into(),
                "execution.commission_bps=0,5".into(),
                "--train".into(),
                "6m".into(),
                "--test".into(),
                "3m".into(),
            ],
            "wf",
        ),
        (vec!["events".into(), study.display().to_string()], "events"),
    ];
    let mut files = 0;
    for (args, name) in runs {
        let out = root.path().join(format!("out-{name}"));
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        let outs = out.display().to_string();
        a.extend(["--out", &outs]);
        let o = rotor_in(root.path(), &a);
        assert!(o.status.success(), "{a:?}: {}", stderr(&o));
        for f in entries(&out).into_iter().filter(|f| f.ends_with(".csv")) {
            let mut rd = ::csv::Reader::from_path(out.join(&f)).unwrap();
            let head = rd.headers().unwrap().clone();
            assert!(head.iter().all(|h| !h.is_empty()), "{f}: {head:?}");
            for r in rd.records() {
                let r = r.unwrap();
                assert_eq!(r.len(), head.len(), "{name}/{f}");
                for (h, v) in head.iter().zip(r.iter()).skip(1) {
                    let date = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
                    if !v.is_empty() && !date && !matches!(h, "asset") {
                        assert!(v.parse::<f64>().is_ok(), "{name}/{f}: {h} = {v:?}");
                    }
                }
            }
            files += 1;
        }
    }
    assert!(files >= 9, "only {files} CSV files read");
    let equity = std::fs::read_to_string(root.path().join("out-run/equity.csv")).unwrap();
    assert!(equity.starts_with("date,equity,cash,drawdown,cash_return,half_half\n"));

    // Baselines: random strategy names, input paths and values through `toml` and back.
    let base = root.path().join("base");
    let o = rotor_in(
        root.path(),
        &[
            "check",
            &ss,
            "--bless",
            "--baseline",
            &base.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let path = base.join("s.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut b = rotor::check::Baseline::parse(&path, &text).unwrap();
    for i in 0..100 {
        b.strategy = word(&mut rng);
        b.engine_version = word(&mut rng);
        b.inputs = vec![(word(&mut rng) + &i.to_string(), word(&mut rng))];
        for (_, v) in b.metrics.iter_mut() {
            *v = rng.range(-1e3, 1e3) * 10f64.powi((rng.next() * 40.0) as i32 - 20);
        }
        let t = b.to_toml().unwrap();
        let mut back = rotor::check::Baseline::parse(&path, &t).unwrap();
        // Where each regime's table starts depends on the text above it.
        for (x, y) in back.regimes.iter_mut().zip(&b.regimes) {
            x.at = y.at;
        }
        assert_eq!(back, b, "{t}");
    }
}

#[test]
fn benchmark_names_get_the_name_check() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 100, 6);
    let s = strategy(
        root.path(),
        "s",
        "[benchmarks]\n\"half, half\" = { weights = { a = 0.5, b = 0.5 } }\n",
    );
    let o = rotor_in(root.path(), &["validate", &s.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(":20:1: `benchmarks.half, half`: expected a benchmark name"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unused_declarations_do_not_change_a_result() {
    let root = tempfile::tempdir().unwrap();
    let dates = market(root.path(), 600, 7);
    // A series that starts late: declared, it would cut the calendar if it counted.
    let late: Vec<f64> = (0..dates.len()).map(|i| 1.0 + i as f64).collect();
    let mut text = String::from("date,value\n");
    for (d, v) in dates.iter().zip(&late).skip(200) {
        text.push_str(&format!("{d},{v}\n"));
    }
    write(&root.path().join("data"), "late.csv", &text);
    let used = strategy(root.path(), "used", "");
    let declared = strategy(
        root.path(),
        "declared",
        "[series]\nlate = { file = \"data/late.csv\", column = \"value\" }\n",
    );
    let run = |s: &Path, out: &str| {
        let o = rotor_in(
            root.path(),
            &[
                "run",
                &s.display().to_string(),
                "--out",
                out,
                "--no-charts",
                "--no-report",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    run(&used, "o-used");
    let printed = run(&declared, "o-declared");
    assert!(
        printed.contains("warning: ")
            && printed
                .contains("declared.toml:20:1: `series.late`: series declared but used by nothing"),
        "{printed}"
    );
    for f in ["equity.csv", "weights.csv", "trades.csv"] {
        let a = std::fs::read(root.path().join("o-used").join(f)).unwrap();
        let b = std::fs::read(root.path().join("o-declared").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    let json = |d: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(root.path().join(d).join("stats.json")).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(json("o-used")["calendar"], json("o-declared")["calendar"]);
    assert_eq!(
        json("o-used")["metrics"]["total_return"],
        json("o-declared")["metrics"]["total_return"]
    );
}

#[test]
fn every_missing_file_at_once_and_the_same_run_from_any_folder() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    std::fs::create_dir(&project).unwrap();
    market(&project, 300, 8);
    std::fs::create_dir(project.join("strategies")).unwrap();
    let s = strategy(&project.join("strategies"), "s", "");
    let bad = write(
        &project.join("strategies"),
        "bad.toml",
        r#"version = 1
name = "bad"
[assets]
a = { file = "data/a.csv", column = "close" }
b = { file = "data/nope_b.csv", column = "close" }
[series]
y = { file = "data/nope_y.csv", column = "value" }
[cash]
rate = { file = "data/nope_rate.csv", column = "rate", kind = "rate" }
[signals]
up = "y > 1"
[[rules]]
when = "up"
weights = { a = 1 }
[[rules]]
otherwise = true
weights = { b = 1 }
"#,
    );
    let o = rotor_in(root.path(), &["validate", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    for (line, key, file) in [
        (5, "assets.b.file", "nope_b.csv"),
        (7, "series.y.file", "nope_y.csv"),
        (9, "cash.rate.file", "nope_rate.csv"),
    ] {
        assert!(
            e.contains(&format!("bad.toml:{line}:"))
                && e.contains(&format!(
                    "`{key}`: cannot read data file project/data/{file}"
                )),
            "{key}: {e}"
        );
    }
    assert_eq!(e.matches("error: ").count(), 3, "{e}");
    assert!(e.contains("the strategy's project folder"), "{e}");

    // The same strategy from the project folder, from its own folder and from elsewhere.
    let mut equities = vec![];
    for (cwd, path) in [
        (project.clone(), "strategies/s.toml".to_string()),
        (project.join("strategies"), "s.toml".to_string()),
        (root.path().to_path_buf(), s.display().to_string()),
    ] {
        let out = root.path().join(format!("out{}", equities.len()));
        let o = rotor_in(
            &cwd,
            &[
                "run",
                &path,
                "--out",
                &out.display().to_string(),
                "--no-charts",
                "--no-report",
            ],
        );
        assert!(o.status.success(), "from {}: {}", cwd.display(), stderr(&o));
        equities.push(std::fs::read(out.join("equity.csv")).unwrap());
    }
    assert!(equities[0] == equities[1] && equities[1] == equities[2]);
}

#[test]
fn file_kinds_are_told_apart() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 300, 9);
    let s = strategy(root.path(), "s", "");
    let study = write(
        root.path(),
        "study.toml",
        "version = 1\nname = \"study\"\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\n[event]\nwhen = \"ret(a, 5) > 0.02\"\nhorizons = [1, 5]\nmeasure = \"a\"\n[bootstrap]\nsamples = 100\n",
    );
    let (ss, st) = (s.display().to_string(), study.display().to_string());
    let o = rotor_in(root.path(), &["validate", &st, &ss]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("(study): event study"),
        "{}",
        stdout(&o)
    );
    let o = rotor_in(root.path(), &["events", &ss]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a strategy file"), "{}", stderr(&o));
    // `rotor check` of a folder skips the event file with a note.
    let o = rotor_in(root.path(), &["check", ".", "--bless"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("study.toml: skipped: an event study file"),
        "{}",
        stdout(&o)
    );
    let o = rotor_in(root.path(), &["check", "."]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn param_messages_name_the_flag_and_the_variant() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 300, 10);
    let s = strategy(
        root.path(),
        "s",
        "[params]\nskip = 5\n[regimes]\nlagged = \"lag(edge, skip) > 0\"\n",
    );
    let ss = s.display().to_string();
    let o = rotor_in(root.path(), &["sweep", &ss, "--param", "params.skip=0,5"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(
            "error: --param: variant 0 (params.skip=0 from --param) is not a valid strategy"
        ),
        "{e}"
    );
    assert!(e.contains("s.toml:22:"), "{e}");
    let o = rotor_in(
        root.path(),
        &["sweep", &ss, "--param", "params.skip=252..126:21"],
    );
    let e = stderr(&o);
    assert_eq!(
        e,
        "error: --param: params.skip=252..126:21: empty range: high 126 is below low 252\n"
    );
}

#[test]
fn ratios_of_rounding_noise_are_null_everywhere() {
    let root = tempfile::tempdir().unwrap();
    market(root.path(), 500, 12);
    // All cash, earning a varying rate: every excess return is rounding residue.
    let s = write(
        root.path(),
        "cash.toml",
        r#"version = 1
name = "cash"
[assets]
a = { file = "data/a.csv", column = "close" }
[cash]
rate = { file = "data/rate.csv", column = "rate", kind = "rate" }
[[rules]]
otherwise = true
weights = { cash = 1 }
[regimes]
up = "ret(a, 5) > 0"
[benchmarks]
a = "a"
"#,
    );
    let out = root.path().join("o");
    let o = rotor_in(
        root.path(),
        &[
            "run",
            &s.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o);
    let sharpe_line = printed
        .lines()
        .find(|l| l.trim_start().starts_with("Sharpe"))
        .unwrap();
    assert!(sharpe_line.contains("n/a"), "{sharpe_line}");
    assert!(!printed.contains("-0.00%"), "{printed}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    let m = &j["metrics"];
    for k in ["sharpe", "sortino"] {
        assert!(m[k].is_null(), "{k}: {}", m[k]);
    }
    let c = &m["confidence"];
    assert!(c["probabilistic_sharpe"].is_null(), "{c}");
    assert!(
        c["sharpe"]["low"].is_null() && c["sharpe"]["high"].is_null(),
        "{c}"
    );
    // The regime spent in cash has no Sharpe ratio either.
    let rows = j["regimes"]["rows"].as_array().unwrap();
    for r in rows {
        assert!(r["strategy"]["sharpe"].is_null(), "{r}");
    }
    // The report shows n/a where stats.json says null, and its monthly difference table
    // colours no cell whose printed value is zero.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("table.heat[data-kind=difference] td[data-value]").unwrap();
    let mut cells = 0;
    for td in doc.select(&sel) {
        let text: String = td.text().collect();
        if text == "0.0%" {
            assert_eq!(td.value().attr("class"), Some("h0"), "{}", td.html());
        }
        assert_ne!(text, "-0.0%");
        cells += 1;
    }
    assert!(cells > 0);
}

/// A name that would be a second column of the same name in a result file (a benchmark named
/// `cash` beside equity.csv's own `cash`, an asset or a regime named `date`) is bad input at its
/// line: a CSV with two columns of one name reads back with one of them renamed.
#[test]
fn names_that_would_repeat_a_column_of_the_result_files_are_refused() {
    let d = tempfile::tempdir().unwrap();
    common::two_assets(d.path(), 100, 7);
    let base =
        "version = 1\nname = \"n\"\n[assets]\na = { file = \"data/a.csv\", column = \"close\" }\n";
    for (extra, key, line) in [
        (
            "b = { file = \"data/b.csv\", column = \"close\" }\n[[rules]]\notherwise = true\nweights = { a = 1 }\n[benchmarks]\ncash = \"b\"\n",
            "`benchmarks.cash`",
            10,
        ),
        (
            "date = { file = \"data/b.csv\", column = \"close\" }\n[[rules]]\notherwise = true\nweights = { a = 1 }\n",
            "`assets.date`",
            5,
        ),
        (
            "[[rules]]\notherwise = true\nweights = { a = 1 }\n[regimes]\ndate = \"ret(a, 5) > 0\"\n",
            "`regimes.date`",
            9,
        ),
    ] {
        let s = write(d.path(), "n.toml", &format!("{base}{extra}"));
        let o = rotor_in(d.path(), &["validate", &s.display().to_string()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(&format!("n.toml:{line}:")), "{e}");
        assert!(e.contains(key) && e.contains("choose another"), "{e}");
    }
}
