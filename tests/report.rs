//! report.html: parsed as HTML, checked against stats.json, rebuilt from files, and rendered in
//! headless Chromium.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::path::{Path, PathBuf};
use std::process::Command;

const SECTIONS: [&str; 13] = [
    "header",
    "summary",
    "equity",
    "drawdown",
    "drawdowns",
    "monthly",
    "yearly",
    "rolling",
    "distribution",
    "confidence",
    "allocation",
    "trades",
    "inputs",
];

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Runs the default strategy into a fresh folder.
fn default_run() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = rotor(&[
        "run",
        "strategies/small_large_momentum.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    (dir, out)
}

/// Every `src`, `href` and CSS `url()` of a page points into its folder: no host, no scheme.
fn assert_offline(html: &str) {
    let doc = Html::parse_document(html);
    for attr in ["src", "href", "xlink:href"] {
        for el in doc.select(&sel(&format!("[{}]", attr.replace(':', "\\:")))) {
            let v = el.value().attr(attr).unwrap_or("");
            assert!(
                !v.contains(':') && !v.starts_with("//"),
                "{attr}=\"{v}\" leaves the folder"
            );
        }
    }
    for style in doc.select(&sel("style")) {
        let css: String = style.text().collect();
        assert!(!css.contains("url("), "CSS url() in the page");
        assert!(!css.contains("@import"), "CSS @import in the page");
    }
    assert!(doc.select(&sel("script[src], link[href]")).next().is_none());
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The number a cell shows, exactly (its `data-value`).
fn value(el: &scraper::ElementRef) -> Option<f64> {
    el.value()
        .attr("data-value")
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap())
}

#[test]
fn run_report_has_every_section_and_the_numbers_of_stats_json() {
    let (_dir, out) = default_run();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.len() < 1_500_000,
        "report.html is {} bytes",
        html.len()
    );
    assert_offline(&html);
    let doc = Html::parse_document(&html);
    // The sections, in order.
    let ids: Vec<String> = doc
        .select(&sel("main > section"))
        .map(|s| s.value().id().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids, SECTIONS);

    let stats = json(&out.join("stats.json"));
    // Summary: every number cell equals the stats.json value at its row's key, for the strategy
    // and each benchmark (columns in that order).
    let metrics: Vec<&serde_json::Value> = std::iter::once(&stats["metrics"])
        .chain(
            stats["benchmarks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| &b["metrics"]),
        )
        .collect();
    let mut checked = 0;
    for row in doc.select(&sel("#summary tr[data-key]")) {
        let key = row.value().attr("data-key").unwrap();
        for (cell, m) in row.select(&sel("td")).zip(&metrics) {
            let mut v = *m;
            for part in key.split('.') {
                v = &v[part];
            }
            match value(&cell) {
                Some(x) => {
                    assert_eq!(Some(x), v.as_f64(), "summary {key}");
                    checked += 1;
                }
                None => {
                    let shown: String = cell.text().collect();
                    assert!(
                        v.is_null() || v.as_str() == Some(shown.as_str()),
                        "summary {key}: {shown} vs {v}"
                    );
                }
            }
        }
    }
    assert!(checked >= 4 * 15, "only {checked} summary numbers checked");
    // Monthly: every strategy cell is the stats.json monthly (or yearly) return of its period.
    let periods: std::collections::BTreeMap<String, f64> = stats["metrics"]["monthly_returns"]
        .as_array()
        .unwrap()
        .iter()
        .chain(stats["metrics"]["yearly_returns"].as_array().unwrap())
        .map(|p| {
            (
                p["period"].as_str().unwrap().to_owned(),
                p["ret"].as_f64().unwrap(),
            )
        })
        .collect();
    let cells: Vec<_> = doc
        .select(&sel("#monthly table[data-kind=strategy] td[data-period]"))
        .collect();
    assert_eq!(cells.len(), periods.len());
    for c in cells {
        let p = c.value().attr("data-period").unwrap();
        assert_eq!(value(&c), Some(periods[p]), "month {p}");
    }
    // The French data end 2025-05-30 and start 1927-01-03: the first and last rows have blank
    // months (never 0).
    let first_row = doc
        .select(&sel("#monthly table[data-kind=strategy] tbody tr"))
        .next()
        .unwrap();
    assert_eq!(
        first_row.select(&sel("td.h0")).count(),
        0,
        "January 1927 onwards"
    );
    let rows: Vec<_> = doc
        .select(&sel("#monthly table[data-kind=strategy] tbody tr"))
        .collect();
    let last_row = rows[rows.len() - 1];
    let blanks: Vec<String> = last_row
        .select(&sel("td"))
        .skip(5)
        .take(7)
        .map(|c| c.text().collect())
        .collect();
    assert!(blanks.iter().all(|t| t.is_empty()), "{blanks:?}");
    // Drawdowns: the table is stats.json's list.
    let depths: Vec<f64> = doc
        .select(&sel("#drawdowns td[data-value]"))
        .filter_map(|c| value(&c))
        .collect();
    let want: Vec<f64> = stats["metrics"]["drawdowns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["depth"].as_f64().unwrap())
        .collect();
    assert_eq!(depths, want);
    // Confidence: the interval brackets the value.
    let c = &stats["metrics"]["confidence"];
    let (lo, hi, v) = (
        c["sharpe"]["low"].as_f64().unwrap(),
        c["sharpe"]["high"].as_f64().unwrap(),
        c["sharpe"]["value"].as_f64().unwrap(),
    );
    assert!(lo < v && v < hi, "{lo} {v} {hi}");
    assert_eq!(v, stats["metrics"]["sharpe"].as_f64().unwrap());
}

/// Every number written in a JSON text, parsed from its own digits by Rust's correctly rounded
/// parser (not by a JSON library, whose float parsing may be off by an ulp).
fn json_numbers(text: &str) -> std::collections::BTreeSet<u64> {
    let mut out = std::collections::BTreeSet::new();
    let (mut in_string, mut escaped) = (false, false);
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
        } else if c == b'"' {
            in_string = true;
            i += 1;
        } else if c == b'-' || c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b"+-.eE".contains(&b[i])) {
                i += 1;
            }
            let v: f64 = text[start..i].parse().unwrap();
            out.insert(v.to_bits());
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn report_numbers_are_the_bits_of_stats_json() {
    let (_dir, out) = default_run();
    let numbers = json_numbers(&std::fs::read_to_string(out.join("stats.json")).unwrap());
    let doc = Html::parse_document(&std::fs::read_to_string(out.join("report.html")).unwrap());
    let mut checked = 0;
    // The page's tables of stats.json numbers (not those it derives, like differences).
    for s in [
        "#summary td[data-value]",
        "#monthly table[data-kind=strategy] td[data-value]",
        "#drawdowns td[data-value]",
    ] {
        for cell in doc.select(&sel(s)) {
            let text = cell.value().attr("data-value").unwrap();
            if text.is_empty() {
                continue;
            }
            let v: f64 = text.parse().unwrap();
            assert!(
                numbers.contains(&v.to_bits()),
                "{s}: {text} is not a number of stats.json to the bit"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} numbers compared");
}

#[test]
fn report_is_rebuilt_identically_from_the_folder_and_across_threads() {
    let (_dir, out) = default_run();
    let first = std::fs::read(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = rotor(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), first);
    let other = out.with_file_name("one-thread");
    let o = rotor(&[
        "run",
        "strategies/small_large_momentum.toml",
        "--out",
        other.to_str().unwrap(),
        "--no-charts",
        "--quiet",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(other.join("report.html")).unwrap(), first);
    // --no-report writes none; rotor report on a folder that is not an output folder is exit 2.
    let none = out.with_file_name("none");
    let o = rotor(&[
        "run",
        "strategies/iwm_trend_filter.toml",
        "--out",
        none.to_str().unwrap(),
        "--no-report",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!none.join("report.html").exists() && none.join("equity.png").exists());
    let o = rotor(&["report", "strategies"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("not a rotor output folder"),
        "{}",
        text(&o)
    );
}

#[test]
fn sweep_walkforward_and_events_write_reports() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<&str>, &[&str]); 3] = [
        (
            "sweep",
            vec![
                "sweep",
                "strategies/sweeps/iwm_spy_momentum.toml",
                "--param",
                "params.lookback=20..120:20",
            ],
            &["header", "ranking", "heatmaps", "distribution", "honesty"],
        ),
        (
            "walkforward",
            vec![
                "walkforward",
                "strategies/sweeps/iwm_spy_momentum.toml",
                "--param",
                "params.lookback=20..120:50",
                "--train",
                "5y",
                "--test",
                "2y",
            ],
            &["header", "equity", "degradation", "windows"],
        ),
        (
            "events",
            vec![
                "events",
                "strategies/events/small_cap_surge.toml",
                "--samples",
                "200",
            ],
            &["header", "horizons", "path", "events"],
        ),
    ];
    for (name, mut args, ids) in cases {
        let out = dir.path().join(name);
        args.extend(["--out", out.to_str().unwrap(), "--quiet"]);
        let o = rotor(&args);
        assert!(o.status.success(), "{name}: {}", text(&o));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert_offline(&html);
        let doc = Html::parse_document(&html);
        let got: Vec<String> = doc
            .select(&sel("main > section"))
            .map(|s| s.value().id().unwrap_or("").to_owned())
            .collect();
        assert_eq!(got, ids, "{name}");
        // Rebuilt from the folder: the same page.
        let o = rotor(&["report", out.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", text(&o));
        assert_eq!(
            std::fs::read_to_string(out.join("report.html")).unwrap(),
            html,
            "{name}"
        );
        // summary.json is one typed file: read back with the type that wrote it, written again
        // byte for byte; a field renamed (same length, so the folder's manifest still matches)
        // is an error at its line, not a blank cell.
        let path = out.join("summary.json");
        let written = std::fs::read_to_string(&path).unwrap();
        let again = match name {
            "sweep" => {
                let t: rotor::report::sweep::SweepSummary = serde_json::from_str(&written).unwrap();
                serde_json::to_string_pretty(&t).unwrap()
            }
            "walkforward" => {
                let t: rotor::report::sweep::WalkforwardSummary =
                    serde_json::from_str(&written).unwrap();
                serde_json::to_string_pretty(&t).unwrap()
            }
            _ => {
                let t: rotor::report::events::EventsSummary =
                    serde_json::from_str(&written).unwrap();
                serde_json::to_string_pretty(&t).unwrap()
            }
        };
        assert_eq!(again + "\n", written, "{name}: summary.json round trip");
        let field = match name {
            "sweep" => "\"deflated_sharpe\"",
            "walkforward" => "\"degradation_ratio\"",
            _ => "\"condition_days\"",
        };
        let renamed = written.replacen(field, &field.replace('_', "-"), 1);
        std::fs::write(&path, renamed).unwrap();
        let o = rotor(&["report", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        let e = String::from_utf8_lossy(&o.stderr);
        // serde names the field and the line where its object ends.
        let missing = format!("missing field `{}`", field.trim_matches('"'));
        assert!(e.contains(&missing), "{name}: {e}");
        assert!(e.contains("summary.json:"), "{name}: {e}");
        assert!(e.contains("not the file rotor wrote"), "{name}: {e}");
        std::fs::write(&path, &written).unwrap();
    }
}

/// Chromium, if installed: `.ci/run` installs Debian's package. Without it the test fails in
/// CI (CI=true) and says so elsewhere.
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").unwrap_or_default(),
        "/usr/bin/chromium".into(),
        "/usr/bin/chromium-browser".into(),
    ];
    candidates
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn headless(chrome: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var("CI").is_err(),
            "Chromium is needed for this test in CI: .ci/run installs it (apt-get install chromium)"
        );
        eprintln!("SKIPPED report_renders_in_headless_chromium: no Chromium (install the Debian package `chromium`)");
        return;
    };
    let (dir, out) = default_run();
    let page = format!("file://{}", out.join("report.html").display());
    let profile = dir.path().join("profile");
    let png = dir.path().join("report.png");
    let pdf = dir.path().join("report.pdf");
    let o = headless(
        &chrome,
        &profile,
        &[
            "--window-size=1280,4000",
            "--hide-scrollbars",
            &format!("--screenshot={}", png.display()),
            &page,
        ],
    );
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    // A blank page compresses to a few kilobytes; this one has charts and tables.
    let size = std::fs::metadata(&png).unwrap().len();
    assert!(
        size > 100_000,
        "screenshot of {size} bytes: the page looks blank"
    );
    let o = headless(
        &chrome,
        &profile,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
            &page,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let pages = bytes
        .windows(10)
        .filter(|w| w == b"/Type/Page" || w == b"/Type /Pag")
        .count();
    assert!(pages >= 3, "{pages} pages");
    // The DOM after loading has every section.
    let o = headless(&chrome, &profile, &["--dump-dom", &page]);
    let dom = String::from_utf8_lossy(&o.stdout);
    for id in SECTIONS {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} missing after load"
        );
    }
}

/// With `[regimes]`, the page has a `regimes` section after `drawdowns`, a shaded chart per group
/// of exclusive regimes, and a table whose numbers are those of `stats.json`.
#[test]
fn regimes_section_shows_the_numbers_of_stats_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = rotor(&[
        "run",
        "strategies/rate_cycle_regimes.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let doc = Html::parse_document(&std::fs::read_to_string(out.join("report.html")).unwrap());
    let ids: Vec<String> = doc
        .select(&sel("main > section"))
        .map(|s| s.value().id().unwrap_or("").to_owned())
        .collect();
    let mut want: Vec<&str> = SECTIONS.to_vec();
    want.insert(5, "regimes");
    assert_eq!(ids, want);
    // Fed cutting / hiking / on hold never overlap: one chart; VIX above / below 25: another.
    let charts: Vec<_> = doc.select(&sel("#regimes svg")).collect();
    assert_eq!(charts.len(), 2);
    assert!(doc.select(&sel("#regimes svg rect.region")).count() > 100);
    let stats = json(&out.join("stats.json"));
    let rows = stats["regimes"]["rows"].as_array().unwrap();
    let keys = [
        "annual_return",
        "volatility",
        "sharpe",
        "hit_rate",
        "worst_drawdown",
    ];
    let mut checked = 0;
    for r in rows {
        let name = r["name"].as_str().unwrap();
        let row = doc
            .select(&sel(&format!("#regimes tr[data-key=\"{name}\"]")))
            .next()
            .unwrap();
        let cells: Vec<Option<f64>> = row.select(&sel("td")).map(|c| value(&c)).collect();
        assert_eq!(cells[1], r["days"].as_f64());
        assert_eq!(cells[2], r["share"].as_f64());
        assert_eq!(cells[3], r["spells"].as_f64());
        for (k, c) in keys.iter().zip(&cells[4..]) {
            assert_eq!(*c, r["strategy"][k].as_f64(), "{name} {k}");
            checked += 1;
        }
        let b = &r["benchmarks"][0];
        let row = doc
            .select(&sel(&format!("#regimes tr[data-key=\"{name}/spy\"]")))
            .next()
            .unwrap();
        let cells: Vec<Option<f64>> = row.select(&sel("td")).map(|c| value(&c)).collect();
        for (k, c) in keys.iter().zip(&cells[4..]) {
            assert_eq!(*c, b[k].as_f64(), "{name} spy {k}");
            checked += 1;
        }
        assert_eq!(cells[9], b["difference"]["value"].as_f64());
    }
    assert_eq!(checked, 6 * 10);
}
