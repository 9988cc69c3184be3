//! Warm-up: signals look back before `start`; the simulation and every output start at `start`.
// Index loops mirror the hand calculations they check.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use rotor::data::Panel;
use rotor::pipeline::prepare;
use rotor::{signal, sim};
use std::path::PathBuf;

const N: usize = 700;

struct Data {
    dir: tempfile::TempDir,
    dates: Vec<String>,
    a: PathBuf,
    b: PathBuf,
    y: PathBuf,
}

fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(N);
    let mut rng = Lcg(11);
    let (mut pa, mut pb, mut y) = (vec![100.0], vec![100.0], vec![2.0]);
    for _ in 1..N {
        pa.push(pa.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
        pb.push(pb.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
        y.push(y.last().unwrap() + rng.range(-0.05, 0.05));
    }
    let a = write(dir.path(), "a.csv", &csv(&dates, &[("close", &pa)]));
    let b = write(dir.path(), "b.csv", &csv(&dates, &[("close", &pb)]));
    let y = write(dir.path(), "y.csv", &csv(&dates, &[("value", &y)]));
    Data {
        dir,
        dates,
        a,
        b,
        y,
    }
}

/// A monthly 63-day momentum switch with a series filter; `head` adds top-level keys.
fn strategy(d: &Data, file: &str, head: &str) -> PathBuf {
    write(
        d.dir.path(),
        file,
        &format!(
            r#"
version = 1
name = "warm"
{head}
[params]
lookback = 63
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[series]
y = {{ file = {}, column = "value", lag_days = 1 }}
[signals]
edge = "ret(a, lookback) - ret(b, lookback)"
[[rules]]
when = "edge > 0 and change(y, 20) < 0.3"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ b = 1 }}
[rebalance]
schedule = "month-end"
[execution]
fill = "next_close"
commission_bps = 10
"#,
            lit(&d.a),
            lit(&d.b),
            lit(&d.y)
        ),
    )
}

fn decisions(panel: &Panel, plan: &rotor::plan::Plan) -> Vec<Option<rotor::plan::RuleId>> {
    let signals = signal::eval_signals(plan, panel);
    signal::decide(plan, panel, &signals).rule
}

/// The history of a panel as a panel without warm-up, so decisions on every bar can be read.
fn whole(panel: &Panel) -> Panel {
    let mut h = panel.history().clone();
    h.warmup = 0;
    Panel::with_history(h)
}

#[test]
fn signals_are_warm_on_start_and_everything_else_starts_there() {
    let d = data();
    let start_bar = 300;
    let start = &d.dates[start_bar];
    let full = prepare(&strategy(&d, "full.toml", "")).unwrap();
    let all = prepare(&strategy(&d, "all.toml", &format!("start = \"{start}\""))).unwrap();
    let some = prepare(&strategy(
        &d,
        "some.toml",
        &format!("start = \"{start}\"\nwarmup = 20"),
    ))
    .unwrap();
    let none = prepare(&strategy(
        &d,
        "none.toml",
        &format!("start = \"{start}\"\nwarmup = 0"),
    ))
    .unwrap();
    assert_eq!(full.panel.warmup, 0);
    assert_eq!(all.panel.warmup, start_bar);
    assert_eq!(some.panel.warmup, 20);
    assert_eq!(none.panel.warmup, 0);
    for p in [&all, &some, &none] {
        // The run itself starts on `start`.
        assert_eq!(rotor::date::format(p.panel.dates[0]), *start);
        assert_eq!(p.panel.len(), N - start_bar);
        assert_eq!(p.panel.close[0][..], full.panel.close[0][start_bar..]);
    }
    // With all the history, every decision equals the one made on the whole file.
    let whole_rules = decisions(&full.panel, &full.plan);
    assert_eq!(decisions(&all.panel, &all.plan), whole_rules[start_bar..]);
    // The 63-bar lookback (and the 20-bar change of y lagged a day) is known from bar 0 with
    // all the history, from bar 63 - 20 = 43 with 20 bars of it, and from bar 63 without.
    let first = |p: &rotor::pipeline::Prepared| sim::run(&p.panel, &p.plan).first_known;
    assert_eq!(first(&all), Some(0));
    assert_eq!(first(&some), Some(43));
    assert_eq!(first(&none), Some(63));
    assert_eq!(
        decisions(&some.panel, &some.plan)[43..],
        whole_rules[start_bar + 43..]
    );

    // The first trade is the fill of the first month end on or after `start`.
    let run = sim::run(&all.panel, &all.plan);
    let month = |t: usize| &d.dates[t][..7];
    let first_month_end = (start_bar..N - 1)
        .find(|&t| month(t) != month(t + 1))
        .unwrap();
    assert_eq!(run.trades[0].bar, first_month_end + 1 - start_bar);
    assert_eq!(run.equity[0], 10_000.0);
    assert_eq!(run.equity.len(), N - start_bar);
}

/// Runs a strategy into `out`; what it printed.
fn run_to(s: &std::path::Path, out: &std::path::Path) -> String {
    let o = rotor(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

#[test]
fn warmup_is_reported_in_the_summary_and_stats_json() {
    let d = data();
    let start = d.dates[300].clone();
    let out = d.dir.path().join("out");
    let s = strategy(&d, "all.toml", &format!("start = \"{start}\""));
    let printed = run_to(&s, &out);
    assert!(
        printed.contains(&format!(
            "warm-up: 300 bars of history before {start} (from {})",
            d.dates[0]
        )),
        "{printed}"
    );
    assert!(
        !printed.contains("NOTE: the rules were unknown"),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    let cal = &json["calendar"];
    assert_eq!(cal["start"], start.as_str());
    assert_eq!(cal["warmup_bars"], 300);
    assert_eq!(cal["warmup_from"], d.dates[0].as_str());
    assert_eq!(cal["first_decision"], start.as_str());
    assert_eq!(json["strategy"]["warmup"], "all");
    // equity.csv starts on `start`.
    let equity = std::fs::read_to_string(out.join("equity.csv")).unwrap();
    assert!(equity.lines().nth(1).unwrap().starts_with(&start));

    // Without warm-up, the summary says the rules were unknown on `start`, when a decision could
    // first be made, and when the strategy was first invested (its first fill, in trades.csv).
    let s = strategy(&d, "cold.toml", &format!("start = \"{start}\"\nwarmup = 0"));
    let printed = run_to(&s, &out);
    let trades = std::fs::read_to_string(out.join("trades.csv")).unwrap();
    let first_fill = trades.lines().nth(1).unwrap().split(',').next().unwrap();
    assert!(first_fill >= d.dates[363].as_str());
    assert!(
        printed.contains(&format!(
            "NOTE: the rules were unknown on {start} (not enough history for their lookbacks): the first bar a decision could be made was {}, and the strategy held cash until its first fill on {first_fill}",
            d.dates[363]
        )),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    assert_eq!(json["calendar"]["warmup_bars"], 0);
    assert_eq!(json["calendar"]["warmup_from"], serde_json::Value::Null);
    assert_eq!(json["calendar"]["first_decision"], d.dates[363].as_str());
}

/// No look-ahead with warm-up: perturbing every input after bar t of the history (cuts inside the
/// warm-up and after `start`) leaves every decision up to t unchanged, and for cuts after
/// `start`, the equity and trades up to t as well.
#[test]
fn no_look_ahead_through_the_warmup() {
    let d = data();
    let start_bar = 250;
    let s = strategy(&d, "s.toml", &format!("start = \"{}\"", d.dates[start_bar]));
    let base = prepare(&s).unwrap();
    let rules0 = decisions(&whole(&base.panel), &base.plan);
    let run0 = sim::run(&base.panel, &base.plan);
    assert!(run0.trades.len() > 5, "the test strategy should trade");
    for &cut in &[40usize, 120, 249, 250, 400, 650] {
        let mut h = base.panel.history().clone();
        let mut rng = Lcg(cut as u64);
        for t in cut + 1..N {
            for a in 0..2 {
                h.close[a][t] *= rng.range(0.5, 1.5);
            }
            h.series[0][t] += rng.range(-1.0, 1.0);
        }
        let panel = Panel::with_history(h);
        let rules = decisions(&whole(&panel), &base.plan);
        assert_eq!(rules[..=cut], rules0[..=cut], "decisions up to bar {cut}");
        if cut >= start_bar {
            let live_cut = cut - start_bar;
            let run = sim::run(&panel, &base.plan);
            assert_eq!(run.equity[..=live_cut], run0.equity[..=live_cut]);
            let before = |r: &sim::RunResult| {
                r.trades
                    .iter()
                    .filter(|x| x.bar <= live_cut)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(before(&run), before(&run0));
        } else {
            // Data before `start` moved: the run's decisions may change, but only through
            // signals that look back; the run's own prices are untouched up to `start`.
            assert_eq!(
                panel.history().close[0][..=cut],
                base.panel.history().close[0][..=cut]
            );
        }
    }
}

/// A sweep of a strategy with warm-up: every variant equals a plain run of it (warm as well).
#[test]
fn sweeps_use_the_warmup_too() {
    let d = data();
    let s = strategy(&d, "s.toml", &format!("start = \"{}\"", d.dates[300]));
    let strategy = rotor::spec::load(&s).unwrap();
    let panel = rotor::data::load_panel(&strategy).unwrap();
    let sw = rotor::sweep::build(
        &strategy,
        &[
            "params.lookback=20..120:50".into(),
            "execution.commission_bps=0,20".into(),
        ],
    )
    .unwrap();
    let rows = rotor::sweep::run(&strategy, &panel, &sw, &|| {}).unwrap();
    for (i, v) in sw.variants.iter().enumerate() {
        let plan = rotor::plan::compile(&rotor::sweep::apply(&strategy, &sw.axes, v)).unwrap();
        let run = sim::run(&panel, &plan);
        assert_eq!(run.first_known, Some(0), "variant {v:?}");
        let h = rotor::stats::headline(&rotor::sim::record(&panel, &run));
        assert_eq!(
            rows[i].curve.final_equity, h.curve.final_equity,
            "variant {v:?}"
        );
        assert_eq!(rows[i].trades, h.trades);
    }
}

/// An event condition may look back before `start`: the events from `start` on are those of
/// the study over the whole file.
#[test]
fn event_conditions_look_back_before_start() {
    let d = data();
    let body = |start: &str| {
        format!(
            r#"
version = 1
name = "ev"
{start}
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[event]
when = "ret(a, 60) > 0.05"
measure = "a"
horizons = [1, 5]
cooldown = 0
[bootstrap]
samples = 100
"#,
            lit(&d.a),
            lit(&d.b)
        )
    };
    let whole_file = write(d.dir.path(), "whole.toml", &body(""));
    let start = &d.dates[300];
    let late = write(
        d.dir.path(),
        "late.toml",
        &body(&format!("start = \"{start}\"")),
    );
    let all = rotor::events::run_file(&whole_file).unwrap();
    let from_start = rotor::events::run_file(&late).unwrap();
    let after: Vec<&str> = all
        .events
        .iter()
        .filter(|e| e.date.as_str() >= start.as_str())
        .map(|e| e.date.as_str())
        .collect();
    let got: Vec<&str> = from_start.events.iter().map(|e| e.date.as_str()).collect();
    assert!(!got.is_empty());
    assert_eq!(got, after);
    // The first bar itself can hold an event: its 60-bar lookback is in the warm-up.
    let first_known = all.events.iter().any(|e| e.date == *start);
    assert_eq!(got.first() == Some(&start.as_str()), first_known);
}

/// Calendar functions count on the history too: `tdom()` on `start` (mid-month) counts the
/// month's bars before it, and `tdom_left()` the bars after it.
#[test]
fn calendar_functions_see_the_whole_month() {
    let d = data();
    let start_bar = 300;
    let s = write(
        d.dir.path(),
        "cal.toml",
        &format!(
            r#"
version = 1
name = "cal"
start = "{}"
[assets]
a = {{ file = {}, column = "close" }}
[signals]
day_in_month = "tdom()"
days_left = "tdom_left()"
turn = "tdom_left() < 2 or tdom() <= 3"
[[rules]]
when = "turn"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ cash = 1 }}
"#,
            d.dates[start_bar],
            lit(&d.a)
        ),
    );
    let p = prepare(&s).unwrap();
    let values = signal::eval_signals(&p.plan, &p.panel);
    let w = p.panel.warmup;
    let month = |t: usize| &d.dates[t][..7];
    for t in start_bar..N {
        let before = (0..=t).rev().take_while(|&u| month(u) == month(t)).count();
        let after = (t + 1..N).take_while(|&u| month(u) == month(t)).count();
        assert_eq!(
            values[0][w + t - start_bar],
            before as f64,
            "{}",
            d.dates[t]
        );
        assert_eq!(values[1][w + t - start_bar], after as f64, "{}", d.dates[t]);
    }
    // The rule holds the asset on the turn of the month only.
    let run = sim::run(&p.panel, &p.plan);
    let held_days = (0..p.panel.len())
        .filter(|&t| run.weights[t] != 0.0)
        .count();
    let turn_days = (start_bar..N)
        .filter(|&t| {
            let before = (0..=t).rev().take_while(|&u| month(u) == month(t)).count();
            let after = (t + 1..N).take_while(|&u| month(u) == month(t)).count();
            after < 2 || before <= 3
        })
        .count();
    // Filled at the next close: held one bar after each turn-of-month bar it decides on.
    assert!(
        held_days.abs_diff(turn_days) <= 2,
        "{held_days} held vs {turn_days} turn-of-month bars"
    );
}

/// Walk-forward windows use the warm-up: each window's training metric is that of the variant's
/// own run (warm on `start`), and without warm-up the first window sees a cold start.
#[test]
fn walkforward_training_windows_use_the_warmup() {
    use rotor::stats::Metric;
    use rotor::sweep::walkforward as wf;
    let d = data();
    let start = &d.dates[300];
    let metric_of = |head: &str| {
        let s = strategy(&d, "wf.toml", &format!("start = \"{start}\"\n{head}"));
        let strategy = rotor::spec::load(&s).unwrap();
        let panel = rotor::data::load_panel(&strategy).unwrap();
        let sw = rotor::sweep::build(&strategy, &["params.lookback=40,63".into()]).unwrap();
        let windows = wf::windows(
            &panel.dates,
            wf::Span::Bars(150),
            wf::Span::Bars(50),
            wf::Span::Bars(50),
            false,
        )
        .unwrap();
        let r = wf::run(&strategy, &panel, &sw, &windows, Metric::TotalReturn, false).unwrap();
        // The chosen variant's training metric, recomputed from its plain (warm) run.
        let w0 = &windows[0];
        let v = r.windows[0].variant;
        let plan = rotor::plan::compile(&rotor::sweep::apply(&strategy, &sw.axes, &sw.variants[v]))
            .unwrap();
        let run = sim::run(&panel, &plan);
        let e = &run.equity[w0.train.clone()];
        let want = e[e.len() - 1] / e[0] - 1.0;
        assert!((r.windows[0].train_metric - want).abs() < 1e-12, "{head}");
        (r.windows[0].train_metric, run.first_known)
    };
    let (warm, first_warm) = metric_of("");
    let (cold, first_cold) = metric_of("warmup = 0");
    assert_eq!(first_warm, Some(0));
    assert!(first_cold.unwrap() > 0);
    assert_ne!(
        warm, cold,
        "the first training window should differ without warm-up"
    );
}
