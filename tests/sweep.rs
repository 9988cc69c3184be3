//! `rotor sweep` and `rotor walkforward`: equality with plain runs, determinism, errors.

mod common;

use common::*;
use rotor::{pipeline, plan, sim, stats, sweep};
use std::path::Path;

const SWEEP: &str = "strategies/sweeps/iwm_spy_momentum.toml";

#[test]
fn every_variant_equals_a_plain_run_of_its_strategy() {
    let (strategy, _) = pipeline::compile(Path::new(SWEEP)).unwrap();
    let flags = vec![
        "params.lookback=5..250:35".to_owned(),
        "execution.commission_bps=0,20".to_owned(),
    ];
    let sw = sweep::build(&strategy, &flags).unwrap();
    assert_eq!(sw.variants.len(), 16);
    let panel = rotor::data::load_panel(&strategy).unwrap();
    let results = sweep::run(&strategy, &panel, &sw, &|| {}).unwrap();
    for (i, v) in sw.variants.iter().enumerate() {
        let vs = sweep::apply(&strategy, &sw.axes, v);
        let p = plan::compile(&vs).unwrap();
        let plain = stats::headline(&sim::record(&panel, &sim::run(&panel, &p)));
        // Issue 12: the sweep computes its metrics per holding period (sweep::fast), so rows
        // equal plain runs to 1e-12 (docs/sweep.md), no longer bit for bit; the trading
        // totals are still exact. tests/fast_sweep.rs checks every metric on many more runs.
        let (a, b) = (results[i], plain);
        assert_eq!(a.trades, b.trades, "variant {i} {v:?}");
        for (x, y) in [
            (a.curve.cagr, b.curve.cagr),
            (a.curve.sharpe, b.curve.sharpe),
            (a.curve.max_drawdown, b.curve.max_drawdown),
            (a.curve.ulcer_index, b.curve.ulcer_index),
            (a.curve.final_equity, b.curve.final_equity),
            (a.total_costs, b.total_costs),
        ] {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "variant {i} {v:?}: {x} vs {y}"
            );
        }
    }
    // The variants differ: costs and lookbacks change results.
    assert_ne!(results[0], results[1]);
    assert_ne!(results[0].curve.sharpe, results[2].curve.sharpe);
}

#[test]
fn sweep_csv_matches_rotor_run_and_is_identical_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let args = |out: &Path, threads: &'static str| {
        vec![
            "sweep".to_owned(),
            SWEEP.to_owned(),
            "--param".to_owned(),
            "params.lookback=1..252:10".to_owned(),
            "--heatmap".to_owned(),
            "lookback,commission_bps".to_owned(),
            "--threads".to_owned(),
            threads.to_owned(),
            "--quiet".to_owned(),
            "--curves".to_owned(),
            "2".to_owned(),
            "--out".to_owned(),
            out.display().to_string(),
        ]
    };
    let run = |v: Vec<String>| rotor(&v.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let o = run(args(&a, "1"));
    assert!(o.status.success(), "{}", text(&o));
    let o = run(args(&b, "4"));
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "sweep.csv",
        "sweep.parquet",
        "summary.json",
        "heatmap_lookback_commission_bps.svg",
        "heatmap_lookback_commission_bps.png",
        "top_equity.csv",
    ] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert!(!x.is_empty());
        assert_eq!(
            x,
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 4 threads"
        );
    }
    // 26 lookbacks x 4 costs, one row each.
    let csv = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + 104);
    assert!(rows[0].starts_with(
        "variant,params.lookback,execution.commission_bps,total_return,cagr,volatility,sharpe"
    ));
    // Row of lookback 61, commission 5 against `rotor run` of that strategy.
    let row: Vec<&str> = rows
        .iter()
        .find(|r| r.contains(",61,5,"))
        .unwrap()
        .split(',')
        .collect();
    let strategy = std::fs::read_to_string(SWEEP)
        .unwrap()
        .replace("lookback = 63", "lookback = 61")
        .replace("commission_bps = 10", "commission_bps = 5");
    let s = write(dir.path(), "v.toml", &strategy);
    let out = dir.path().join("run");
    let o = rotor(&[
        "run",
        "--no-charts",
        "-q",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    // To 1e-12 since issue 12 (per-holding-period sums, docs/sweep.md), no longer bit for bit.
    let sharpe: f64 = row[6].parse().unwrap();
    let want = stats["metrics"]["sharpe"].as_f64().unwrap();
    assert!(
        (sharpe - want).abs() <= 1e-12 * want.abs(),
        "{sharpe} vs {want}"
    );
    let cagr: f64 = row[4].parse().unwrap();
    let want = stats["metrics"]["cagr"].as_f64().unwrap();
    assert!(
        (cagr - want).abs() <= 1e-12 * want.abs(),
        "{cagr} vs {want}"
    );

    // The best variant's curve ends at its final equity.
    let curves = std::fs::read_to_string(a.join("top_equity.csv")).unwrap();
    assert_eq!(curves.lines().count(), 1 + 6593);

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["variants"], 104);
    let dsr = summary["honesty"]["deflated_sharpe"].as_f64().unwrap();
    let psr = summary["honesty"]["probabilistic_sharpe"].as_f64().unwrap();
    assert!(
        (0.0..=1.0).contains(&dsr) && dsr <= psr,
        "deflating can only lower it: {dsr} vs {psr}"
    );
    assert_eq!(summary["distribution"]["winner_percentile"], 1.0);
    let best_final = summary["best"]["metrics"]["final_equity"].as_f64().unwrap();
    let last: Vec<&str> = curves.lines().last().unwrap().split(',').collect();
    assert_eq!(last[1].parse::<f64>().unwrap(), best_final);
    assert!(curves
        .lines()
        .next()
        .unwrap()
        .starts_with(&format!("date,variant_{},", summary["best"]["variant"])));
}

#[test]
fn sweep_errors_exit_2_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(SWEEP).unwrap();
    let line = base
        .lines()
        .position(|l| l.starts_with("params.lookback = "))
        .unwrap()
        + 1;
    let cases = [
        (
            base.replace(
                "params.lookback = { range = [1, 252] }",
                "params.lookbak = { range = [1, 252] }",
            ),
            format!("s.toml:{line}:8"),
            "no parameter `lookbak`",
        ),
        (
            base.replace(
                "params.lookback = { range = [1, 252] }",
                "params.lookback = { range = [252, 1] }",
            ),
            format!("s.toml:{line}:29"),
            "empty range",
        ),
        (
            base.replace(
                "execution.commission_bps = [0, 5, 10, 20]",
                "execution.commission_bps = [0, 5]\nconstraints = [\"lookback < 10\", \"lookback > 20\"]",
            ),
            format!("s.toml:{}:16", line + 2),
            "no variant satisfies the constraints",
        ),
    ];
    for (text_, at, what) in cases {
        let s = write(dir.path(), "s.toml", &text_);
        let o = rotor(&[
            "sweep",
            "-q",
            s.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(&at) && text(&o).contains(what),
            "expected {at} {what}: {}",
            text(&o)
        );
    }
    let o = rotor(&["sweep", SWEEP, "--param", "params.nope=1,2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--param") && text(&o).contains("no parameter `nope`"),
        "{}",
        text(&o)
    );
    let o = rotor(&["sweep", SWEEP, "--rank", "luck"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rotor(&["sweep", SWEEP, "--heatmap", "lookback,lookback"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rotor(&[
        "walkforward",
        SWEEP,
        "--train",
        "10y",
        "--test",
        "2y",
        "--step",
        "1y",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("at least the test span"));
}

#[test]
fn walkforward_stitches_the_chosen_variants_out_of_sample() {
    let (strategy, _) = pipeline::compile(Path::new(SWEEP)).unwrap();
    let sw = sweep::build(
        &strategy,
        &[
            "params.lookback=20..240:20".into(),
            "execution.commission_bps=10".into(),
        ],
    )
    .unwrap();
    let panel = rotor::data::load_panel(&strategy).unwrap();
    use sweep::walkforward::{self as wf, Span};
    let windows = wf::windows(
        &panel.dates,
        Span::Months(96),
        Span::Months(36),
        Span::Months(36),
        false,
    )
    .unwrap();
    let r = wf::run(
        &strategy,
        &panel,
        &sw,
        &windows,
        stats::Metric::Sharpe,
        false,
    )
    .unwrap();
    assert_eq!(r.windows.len(), windows.len());
    // Independently: for each window, the variant with the best training Sharpe (first on
    // ties), then its own returns over the test span, compounded.
    let mut equity = strategy.initial_capital;
    for (k, w) in windows.iter().enumerate() {
        let runs: Vec<Vec<f64>> = sw
            .variants
            .iter()
            .map(|v| {
                sim::run(
                    &panel,
                    &plan::compile(&sweep::apply(&strategy, &sw.axes, v)).unwrap(),
                )
                .equity
            })
            .collect();
        let train_sharpe = |eq: &[f64]| {
            let r = stats::returns::simple_returns(&eq[w.train.clone()]);
            stats::returns::sharpe(&r, &panel.cash_ret[w.train.start + 1..w.train.end])
        };
        let mut best = 0;
        for v in 1..runs.len() {
            if train_sharpe(&runs[v]) > train_sharpe(&runs[best]) {
                best = v;
            }
        }
        assert_eq!(r.windows[k].variant, best, "window {k}");
        for t in w.test.clone() {
            equity *= runs[best][t] / runs[best][t - 1];
        }
    }
    let last = *r.equity.last().unwrap();
    assert!((last / equity - 1.0).abs() < 1e-12, "{last} vs {equity}");
    assert_eq!(
        r.dates.len(),
        1 + windows.iter().map(|w| w.test.len()).sum::<usize>()
    );
}

#[test]
fn walkforward_command_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wf");
    let o = rotor(&[
        "walkforward",
        SWEEP,
        "--train",
        "10y",
        "--test",
        "2y",
        "--anchored",
        "--param",
        "params.lookback=20..240:40",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("walk-forward over 8 windows (anchored)"),
        "{}",
        text(&o)
    );
    let csv = std::fs::read_to_string(out.join("windows.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9);
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.split(',').nth(1) == Some("2000-05-26")),
        "anchored: every window trains from the first bar\n{csv}"
    );
    for f in [
        "oos_equity.csv",
        "summary.json",
        "oos_equity.png",
        "oos_equity.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
}
