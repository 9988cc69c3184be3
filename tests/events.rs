//! `rotor events`: events, cooldown, forward returns, missing horizons, bootstrap, errors.

mod common;

use common::*;
use rotor::events;

fn event_file(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    write(dir, "e.toml", &format!("version = 1\nname = \"e\"\n{body}"))
}

/// A hand-made price series: events where the 1-bar return exceeds 5 %, a cooldown of 2 bars,
/// forward returns at 1 and 3 bars, and the last event too close to the end for 3 bars.
#[test]
fn events_cooldown_and_forward_returns_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(12);
    //           0      1      2      3      4      5      6      7      8      9     10     11
    let p = [
        100.0, 106.0, 112.0, 110.0, 120.0, 121.0, 121.0, 110.0, 100.0, 99.0, 105.0, 104.0,
    ];
    let f = write(dir.path(), "p.csv", &csv(&dates, &[("close", &p)]));
    let e = event_file(
        dir.path(),
        &format!(
            r#"
[assets]
x = {{ file = {}, column = "close" }}
[event]
when = "ret(x, 1) > 0.05"
cooldown = 2
horizons = [1, 3]
measure = "x"
[bootstrap]
samples = 200
block = 2
"#,
            lit(&f)
        ),
    );
    let spec = events::load(&e).unwrap();
    let panel = rotor::data::load_panel(&spec.strategy).unwrap();
    let s = events::study(&spec, &panel).unwrap();
    // Returns above 5 % on bars 1 (6 %), 2 (5.66 %), 4 (9.09 %), 10 (6.06 %); bar 2 falls in the
    // cooldown of bar 1 (2 - 1 <= 2), bar 4 does not (4 - 1 > 2).
    assert_eq!(s.condition_days, 4);
    let bars: Vec<usize> = s.events.iter().map(|e| e.bar).collect();
    assert_eq!(bars, vec![1, 4, 10]);
    assert_eq!(s.events[0].date, dates[1]);
    assert!(
        (s.events[0].inputs[0] - 0.06).abs() < 1e-12,
        "the input ret(x, 1) on the event day"
    );
    let fwd = |t: usize, h: usize| p[t + h] / p[t] - 1.0;
    assert_eq!(s.events[0].forward, vec![Some(fwd(1, 1)), Some(fwd(1, 3))]);
    assert_eq!(s.events[1].forward, vec![Some(fwd(4, 1)), Some(fwd(4, 3))]);
    // Bar 10: one bar left, so +1 exists and +3 is missing (not zero).
    assert_eq!(s.events[2].forward, vec![Some(fwd(10, 1)), None]);
    let h1 = &s.horizons[0];
    let h3 = &s.horizons[1];
    assert_eq!((h1.events, h1.missing, h3.events, h3.missing), (3, 0, 2, 1));
    let m1 = (fwd(1, 1) + fwd(4, 1) + fwd(10, 1)) / 3.0;
    assert!((h1.mean.unwrap() - m1).abs() < 1e-15);
    let all1: Vec<f64> = (0..11).map(|t| fwd(t, 1)).collect();
    assert!((h1.all_mean - all1.iter().sum::<f64>() / 11.0).abs() < 1e-15);
    assert_eq!(h1.all_days, 11);
    assert_eq!(h3.all_days, 9);
    assert_eq!(h1.hit_rate, Some(2.0 / 3.0)); // +5.66 %, +0.83 %, -0.95 %
    assert!((h3.median.unwrap() - (fwd(1, 3) + fwd(4, 3)) / 2.0).abs() < 1e-15);
    // CSV: the missing horizon is an empty cell.
    let out = dir.path().join("out");
    let o = rotor(&[
        "events",
        "-q",
        e.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let last = csv.lines().last().unwrap();
    assert!(
        last.starts_with(&dates[10]) && last.ends_with(','),
        "{last}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        json["study"]["events"][2]["forward"][1],
        serde_json::Value::Null
    );
    assert!(out.join("path.png").is_file() && out.join("path.svg").is_file());
}

/// The bootstrap is reproducible with its seed, and its interval for the difference of means
/// covers the true difference in most seeded trials on synthetic data with a planted effect.
#[test]
fn bootstrap_is_reproducible_and_covers_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1500;
    let dates = weekdays(n);
    let ones = vec![100.0; n];
    let zeros = vec![0.0; n];
    let f = write(
        dir.path(),
        "d.csv",
        &csv(&dates, &[("price", &ones), ("flag", &zeros)]),
    );
    let e = event_file(
        dir.path(),
        &format!(
            r#"
[assets]
x = {{ file = {}, column = "price" }}
[series]
f = {{ file = {}, column = "flag" }}
[event]
when = "f > 0.5"
cooldown = 0
horizons = [1]
measure = "x"
[bootstrap]
samples = 400
block = 5
seed = 7
"#,
            lit(&f),
            lit(&f)
        ),
    );
    let spec = events::load(&e).unwrap();
    let base = rotor::data::load_panel(&spec.strategy).unwrap();
    let delta = 0.005; // planted: the day after an event gains 0.5 %
    let trials = 100;
    let mut covered = 0;
    for trial in 0..trials {
        let mut rng = Lcg(1000 + trial);
        let mut panel = base.clone();
        let flags: Vec<f64> = (0..n)
            .map(|_| if rng.next() < 0.03 { 1.0 } else { 0.0 })
            .collect();
        let mut price = vec![100.0];
        for t in 1..n {
            // Normal-ish daily returns: mean 0.03 %, sd about 1 % (sum of uniforms).
            let z: f64 = (0..12).map(|_| rng.next()).sum::<f64>() - 6.0;
            let bump = if flags[t - 1] > 0.5 { delta } else { 0.0 };
            price.push(price[t - 1] * (1.0 + 0.0003 + 0.01 * z + bump));
        }
        panel.close[0] = price;
        panel.series[0] = flags.clone();
        let s = events::study(&spec, &panel).unwrap();
        // The true difference given these event dates: delta minus delta's share in all days.
        let events_with_data = s.horizons[0].events as f64;
        let all_days = s.horizons[0].all_days as f64;
        let truth = delta - delta * events_with_data / all_days;
        let h = &s.horizons[0];
        if h.ci_low.unwrap() <= truth && truth <= h.ci_high.unwrap() {
            covered += 1;
        }
        if trial == 0 {
            // Same seed, same numbers; another seed, another interval.
            let again = events::study(&spec, &panel).unwrap();
            assert_eq!(again.horizons[0].ci_low, h.ci_low);
            assert_eq!(again.horizons[0].p_value, h.p_value);
            let mut other = spec.clone();
            other.bootstrap.seed = 8;
            assert_ne!(
                events::study(&other, &panel).unwrap().horizons[0].ci_low,
                h.ci_low
            );
        }
    }
    // Measured: 98 of 100 trials cover the truth with a nominal 95 % interval (the basic
    // bootstrap interval is slightly conservative here).
    assert!(
        covered >= 88,
        "the 95% interval covered the true difference in only {covered} of {trials} trials"
    );
}

#[test]
fn unknown_names_and_functions_are_errors_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(10);
    let p: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
    let f = write(dir.path(), "p.csv", &csv(&dates, &[("close", &p)]));
    let body = |when: &str, measure: &str| {
        format!("[assets]\nx = {{ file = {}, column = \"close\" }}\n[event]\nwhen = \"{when}\"\nmeasure = \"{measure}\"\n", lit(&f))
    };
    let e = event_file(dir.path(), &body("ret(y, 1) > 0", "x"));
    let o = rotor(&["events", e.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("e.toml:6:13: `event.when`: unknown name `y`"),
        "{}",
        text(&o)
    );
    let e = event_file(dir.path(), &body("rett(x, 1) > 0", "x"));
    let o = rotor(&["events", e.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("e.toml:6:9: `event.when`: unknown function `rett`"),
        "{}",
        text(&o)
    );
    let e = event_file(dir.path(), &body("ret(x, 1) > 0", "z"));
    let o = rotor(&["events", e.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown asset `z`"), "{}", text(&o));
}

#[test]
fn shipped_event_studies_run() {
    let out = tempfile::tempdir().unwrap();
    for (f, events) in [
        ("russell_up_sp_down", 2usize),
        ("russell_beats_nasdaq_streak", 0),
        ("small_cap_surge", 0),
    ] {
        let o = rotor(&[
            "events",
            "-q",
            "--samples",
            "200",
            &format!("strategies/events/{f}.toml"),
            "--out",
            out.path().join(f).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{f}: {}", text(&o));
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join(f).join("summary.json")).unwrap(),
        )
        .unwrap();
        let n = s["study"]["events"].as_array().unwrap().len();
        assert!(n > 0, "{f} found no events");
        if events > 0 {
            // "That happened twice since 1987."
            assert_eq!(n, events, "{f}");
        }
    }
}

/// Event files share the strategy reader: the name is a plain folder name, and params, assets,
/// series and signals share one namespace (these three were accepted before, the first writing
/// outside the output folder, the others silently reading the param instead of the price).
#[test]
fn event_files_get_the_strategy_checks() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(10);
    let p: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
    let f = write(dir.path(), "p.csv", &csv(&dates, &[("close", &p)]));
    let file = |name: &str, head: &str, extra: &str| {
        write(
            dir.path(),
            name,
            &format!(
                "version = 1\n{head}\n[assets]\nrut = {{ file = {}, column = \"close\" }}\nspx = {{ file = {}, column = \"close\" }}\n{extra}[event]\nwhen = \"rut > 0\"\nmeasure = \"rut\"\n",
                lit(&f),
                lit(&f)
            ),
        )
    };
    let cwd = dir.path().join("work/inner");
    std::fs::create_dir_all(&cwd).unwrap();
    let cases = [
        (
            file("escape.toml", "name = \"../../escape\"", ""),
            "escape.toml:2:8: `name`: expected a name of letters, digits, '-', '_' or '.' not starting with '.'",
        ),
        (
            file("param.toml", "name = \"e\"", "[params]\nrut = 3\n"),
            "param.toml:7:1: `params.rut`: the name `rut` is already used in [assets]",
        ),
        (
            file("signal.toml", "name = \"e\"", "[signals]\nspx = \"rut * 2\"\n"),
            "signal.toml:7:8: `signals.spx`: the name `spx` is already used in [assets]",
        ),
    ];
    for (path, needle) in &cases {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rotor"))
            .args(["events", path.to_str().unwrap()])
            .current_dir(&cwd)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(needle), "{needle}\n{}", text(&o));
    }
    // Nothing was written anywhere.
    assert!(!dir.path().join("escape-events").exists());
    assert!(!cwd.join("out").exists());
}

/// No name read from a file chooses where results go, for any command.
#[test]
fn no_output_name_leaves_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(30);
    let p: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
    let f = write(dir.path(), "p.csv", &csv(&dates, &[("close", &p)]));
    let s = write(
        dir.path(),
        "s.toml",
        &format!(
            "version = 1\nname = \"../../x\"\n[params]\nn = 2\n[assets]\na = {{ file = {}, column = \"close\" }}\n[[rules]]\nwhen = \"ret(a, n) > 0\"\nweights = {{ a = 1 }}\n[[rules]]\notherwise = true\nweights = {{ cash = 1 }}\n[sweep]\nparams.n = [2, 3]\n",
            lit(&f)
        ),
    );
    let cwd = dir.path().join("a/b");
    std::fs::create_dir_all(&cwd).unwrap();
    let sp = s.to_str().unwrap();
    for args in [
        vec!["run", sp],
        vec!["sweep", sp],
        vec!["walkforward", sp, "--train", "10b", "--test", "5b"],
        vec!["check", sp, "--bless"],
        vec!["validate", sp],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rotor"))
            .args(&args)
            .current_dir(&cwd)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("s.toml:2:8: `name`"),
            "{args:?}: {}",
            text(&o)
        );
    }
    let mut written = Vec::new();
    for e in walk(dir.path()) {
        written.push(e);
    }
    written.sort();
    assert_eq!(
        written,
        ["a/b", "p.csv", "s.toml"].map(|x| dir.path().join(x))
    );
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && std::fs::read_dir(&p).unwrap().next().is_some() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
