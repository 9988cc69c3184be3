//! `rotor check` end to end: baselines, drift, tolerances, formats, determinism.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// A temporary folder with copies of two shipped strategies (their data paths stay relative to
/// the project root, where tests run).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("strategies");
    std::fs::create_dir_all(&s).unwrap();
    for f in ["small_large_momentum.toml", "sixty_forty_small_large.toml"] {
        std::fs::copy(Path::new("strategies").join(f), s.join(f)).unwrap();
    }
    (dir, s)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn bless_then_check_passes_and_a_changed_parameter_drifts() {
    let (_dir, s) = workspace();
    // No baselines yet: exit 1, each missing one named.
    let o = rotor(&["check", p(&s)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no baseline at"));
    assert!(text(&o).contains("0 passed, 0 drifted, 2 missing"));

    let o = rotor(&["check", "--bless", p(&s)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(text(&o).matches(": created: ").count(), 2);
    assert!(s.join("baselines/small-large-momentum.toml").is_file());

    let o = rotor(&["check", p(&s)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 passed, 0 drifted, 0 missing"));

    // Blessing again changes nothing.
    let o = rotor(&["check", "--bless", p(&s)]);
    assert_eq!(text(&o).matches(": unchanged: ").count(), 2, "{}", text(&o));

    // A different lookback: exit 1, the drifted metrics named.
    let f = s.join("small_large_momentum.toml");
    let t = std::fs::read_to_string(&f)
        .unwrap()
        .replace("lookback = 63", "lookback = 126");
    std::fs::write(&f, t).unwrap();
    let o = rotor(&["check", p(&s)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("1 passed, 1 drifted, 0 missing"), "{out}");
    let drifted: Vec<&str> = out.lines().filter(|l| l.ends_with("DRIFT")).collect();
    assert!(
        drifted
            .iter()
            .any(|l| l.starts_with("small-large-momentum") && l.contains(" cagr ")),
        "{out}"
    );
    assert!(
        drifted
            .iter()
            .all(|l| l.starts_with("small-large-momentum")),
        "{out}"
    );

    // --bless says what changed, then the check passes again.
    let o = rotor(&["check", "--bless", p(&s)]);
    let out = text(&o);
    assert!(
        out.contains("small-large-momentum: updated (") && out.contains("cagr"),
        "{out}"
    );
    assert_eq!(rotor(&["check", p(&s)]).status.code(), Some(0));
}

#[test]
fn tolerances_from_the_strategy_decide_edge_cases() {
    let (_dir, s) = workspace();
    let base = s.join("baselines");
    assert_eq!(rotor(&["check", "--bless", p(&s)]).status.code(), Some(0));
    // Move the baseline's cagr by 1e-6 (values are below 1: absolute).
    let bf = base.join("small-large-momentum.toml");
    let original = std::fs::read_to_string(&bf).unwrap();
    let line = original
        .lines()
        .find(|l| l.starts_with("cagr = "))
        .unwrap()
        .to_owned();
    let cagr: f64 = line["cagr = ".len()..].parse().unwrap();
    let shifted = original.replace(&line, &format!("cagr = {:?}", cagr + 1e-6));
    std::fs::write(&bf, &shifted).unwrap();
    let one = |sp: &Path| rotor(&["check", p(sp)]);
    assert_eq!(
        one(&s.join("small_large_momentum.toml")).status.code(),
        Some(1),
        "1e-6 is outside the default 1e-9"
    );

    let f = s.join("small_large_momentum.toml");
    let strategy = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        format!("{strategy}\n[check]\ntolerances = {{ cagr = 1.01e-6 }}\n"),
    )
    .unwrap();
    assert_eq!(
        one(&f).status.code(),
        Some(0),
        "just inside: {}",
        text(&one(&f))
    );
    std::fs::write(
        &f,
        format!("{strategy}\n[check]\ntolerances = {{ cagr = 0.99e-6 }}\n"),
    )
    .unwrap();
    assert_eq!(one(&f).status.code(), Some(1), "just outside");
    // The baseline's own [tolerances] win over the strategy's.
    std::fs::write(&bf, format!("{shifted}cagr = 2e-6\n")).unwrap();
    assert_eq!(one(&f).status.code(), Some(0), "{}", text(&one(&f)));
    // An unknown metric in [check] is bad input.
    std::fs::write(
        &f,
        format!("{strategy}\n[check]\ntolerances = {{ cgar = 1e-6 }}\n"),
    )
    .unwrap();
    let o = one(&f);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("`check.tolerances.cgar`: unknown metric"),
        "{}",
        text(&o)
    );
}

#[test]
fn corrupted_baseline_is_bad_input_with_file_and_line() {
    let (_dir, s) = workspace();
    assert_eq!(rotor(&["check", "--bless", p(&s)]).status.code(), Some(0));
    let bf = s.join("baselines/sixty-forty-small-large.toml");
    let t = std::fs::read_to_string(&bf).unwrap();
    let n = t.lines().position(|l| l.starts_with("sharpe = ")).unwrap() + 1;
    std::fs::write(&bf, t.replace("sharpe = ", "sharpe = \"oops\" # ")).unwrap();
    let o = rotor(&["check", p(&s)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("sixty-forty-small-large.toml:{n}:")),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("`metrics.sharpe`: expected a number"));
    std::fs::write(&bf, "schema = 1\nstrategy = [\n").unwrap();
    let o = rotor(&["check", p(&s)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("sixty-forty-small-large.toml:"),
        "{}",
        text(&o)
    );
}

#[test]
fn changed_inputs_are_reported() {
    let (dir, s) = workspace();
    // The strategy reads a copy of the size file; the baseline records its sha256.
    let data = dir.path().join("size.csv");
    std::fs::copy("data/french/ff_size_daily_vw.csv", &data).unwrap();
    let f = s.join("sixty_forty_small_large.toml");
    let t = std::fs::read_to_string(&f)
        .unwrap()
        .replace("data/french/ff_size_daily_vw.csv", data.to_str().unwrap());
    std::fs::write(&f, t).unwrap();
    assert_eq!(rotor(&["check", "--bless", p(&f)]).status.code(), Some(0));
    // One return revised in 1990.
    let csv = std::fs::read_to_string(&data).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("1990-03-01,"))
        .unwrap()
        .to_owned();
    let mut cells: Vec<String> = line.split(',').map(String::from).collect();
    cells[1] = format!("{}", cells[1].parse::<f64>().unwrap() + 0.5);
    std::fs::write(&data, csv.replace(&line, &cells.join(","))).unwrap();
    let o = rotor(&["check", p(&f)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("inputs changed since the baseline"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("size.csv (sha256 differs)"));
}

#[test]
fn junit_json_and_github_formats() {
    let (_dir, s) = workspace();
    assert_eq!(rotor(&["check", "--bless", p(&s)]).status.code(), Some(0));
    let f = s.join("sixty_forty_small_large.toml");
    let t = std::fs::read_to_string(&f)
        .unwrap()
        .replace("drift_band = 0.05", "drift_band = 0.10");
    std::fs::write(&f, t).unwrap();

    let o = rotor(&["check", "--format", "junit", p(&s)]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8(o.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit output is XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|x| x.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(failed, ["sixty-forty-small-large"]);

    let o = rotor(&["check", "--format", "json", p(&s)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["drifted"], 1);
    assert_eq!(v["strategies"][0]["verdict"], "drift");

    let o = rotor(&["check", "--format", "github", p(&s)]);
    let out = String::from_utf8(o.stdout).unwrap();
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].contains(
            "sixty_forty_small_large.toml,title=rotor check%3A sixty-forty-small-large::"
        ),
        "{out}"
    );
}

#[test]
fn baselines_are_identical_with_one_and_many_threads() {
    let (_dir, s) = workspace();
    let a = s.parent().unwrap().join("a");
    let b = s.parent().unwrap().join("b");
    assert_eq!(
        rotor(&[
            "check",
            "--bless",
            "--threads",
            "1",
            "--baseline",
            p(&a),
            p(&s)
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        rotor(&[
            "check",
            "--bless",
            "--threads",
            "4",
            "--baseline",
            p(&b),
            p(&s)
        ])
        .status
        .code(),
        Some(0)
    );
    for f in ["small-large-momentum.toml", "sixty-forty-small-large.toml"] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert!(x.len() > 500);
        assert_eq!(x, std::fs::read(b.join(f)).unwrap(), "{f}");
    }
}

#[test]
fn committed_baselines_match_the_shipped_strategies() {
    let o = rotor(&["check", "strategies"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn regime_metrics_are_checked_when_the_baseline_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("strategies");
    std::fs::create_dir_all(&s).unwrap();
    let f = s.join("small_large_momentum.toml");
    let base = std::fs::read_to_string("strategies/small_large_momentum.toml").unwrap();
    let with = |regimes: &str| std::fs::write(&f, format!("{base}\n[regimes]\n{regimes}")).unwrap();
    with("january = \"month() == 1\"\nlarge_fell = \"ret(large, 21) < 0\"\n");
    assert_eq!(rotor(&["check", "--bless", p(&s)]).status.code(), Some(0));
    let bfile = s.join("baselines/small-large-momentum.toml");
    let written = std::fs::read_to_string(&bfile).unwrap();
    assert!(
        written.contains("\n[regimes.january]\nshare = "),
        "{written}"
    );
    assert!(written.contains("\n[regimes.large_fell]\n"), "{written}");
    let o = rotor(&["check", p(&s)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Another condition under the same name: the regime's rows drift, nothing else does.
    with("january = \"month() == 2\"\nlarge_fell = \"ret(large, 21) < 0\"\n");
    let o = rotor(&["check", p(&s)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let drifted: Vec<&str> = out.lines().filter(|l| l.ends_with("DRIFT")).collect();
    assert!(!drifted.is_empty(), "{out}");
    assert!(
        drifted.iter().all(|l| l.contains("regimes.january.")),
        "{out}"
    );
    assert!(out.contains("regimes.january.share"), "{out}");

    // A regime the strategy no longer has: bad input at the baseline's line and column.
    with("jan = \"month() == 1\"\nlarge_fell = \"ret(large, 21) < 0\"\n");
    let o = rotor(&["check", p(&s)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let line = written
        .lines()
        .position(|l| l == "[regimes.january]")
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!(
            "{}:{line}:10: `regimes.january`: unknown regime `january`",
            bfile.display()
        )),
        "{out}"
    );
    assert!(out.contains("has the regimes jan, large_fell"), "{out}");
}
