//! The sweep's per-holding-period engine (`sweep::fast`) against plain runs of each variant:
//! every row of a sweep equals `rotor run` on that variant to 1e-12 relative (docs/sweep.md),
//! on the shipped sweeps and on random markets with every kind of holding and execution.

mod common;

use common::*;

use rotor::stats::Headline;
use rotor::{pipeline, plan, sim, stats, sweep};
use std::path::Path;

/// The largest difference between two headlines' numbers: relative, except for the Sharpe and
/// Sortino ratios below 1 in magnitude, which are compared absolutely (their mean excess return
/// can be near zero, where it is known only to the rounding of its sum: a relative gap there
/// says nothing; see docs/sweep.md).
fn gap(a: &Headline, b: &Headline) -> (f64, &'static str) {
    let pairs = [
        ("total_return", a.curve.total_return, b.curve.total_return),
        ("cagr", a.curve.cagr, b.curve.cagr),
        ("volatility", a.curve.volatility, b.curve.volatility),
        ("sharpe", a.curve.sharpe, b.curve.sharpe),
        ("sortino", a.curve.sortino, b.curve.sortino),
        ("max_drawdown", a.curve.max_drawdown, b.curve.max_drawdown),
        ("calmar", a.curve.calmar, b.curve.calmar),
        ("ulcer_index", a.curve.ulcer_index, b.curve.ulcer_index),
        ("final_equity", a.curve.final_equity, b.curve.final_equity),
        ("trades", a.trades as f64, b.trades as f64),
        ("annual_turnover", a.annual_turnover, b.annual_turnover),
        ("total_costs", a.total_costs, b.total_costs),
        ("time_in_market", a.time_in_market, b.time_in_market),
    ];
    let mut worst = (0.0, "");
    for (name, x, y) in pairs {
        let scale = if matches!(name, "sharpe" | "sortino") {
            x.abs().max(y.abs()).max(1.0)
        } else {
            x.abs().max(y.abs()).max(1e-300)
        };
        let d = if x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()) {
            0.0
        } else {
            (x - y).abs() / scale
        };
        // NaN on one side only is the worst gap of all.
        let d = if d.is_nan() { f64::INFINITY } else { d };
        if d > worst.0 {
            worst = (d, name);
        }
    }
    worst
}

/// The worst relative gap between the sweep's rows and plain runs of its variants.
fn check(path: &Path, flags: &[&str]) -> f64 {
    let (strategy, _) = pipeline::compile(path).unwrap();
    let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    let sw = sweep::build(&strategy, &flags).unwrap();
    let panel = rotor::data::load_panel(&strategy).unwrap();
    let results = sweep::run(&strategy, &panel, &sw, &|| {}).unwrap();
    let mut worst = (0.0, "", 0);
    for (i, v) in sw.variants.iter().enumerate() {
        let vs = sweep::apply(&strategy, &sw.axes, v);
        let p = plan::compile(&vs).unwrap();
        let plain = stats::headline(&sim::record(&panel, &sim::run(&panel, &p)));
        let (d, m) = gap(&results[i], &plain);
        if d > worst.0 {
            worst = (d, m, i);
        }
    }
    eprintln!(
        "{}: {} variants, worst {:e} in {} (variant {})",
        path.display(),
        sw.variants.len(),
        worst.0,
        worst.1,
        worst.2
    );
    worst.0
}

const TOLERANCE: f64 = 1e-12;

#[test]
fn the_shipped_sweeps_equal_plain_runs() {
    let iwm = check(
        Path::new("strategies/sweeps/iwm_spy_momentum.toml"),
        &["params.lookback=1..252:5"],
    );
    assert!(iwm <= TOLERANCE, "{iwm:e}");
    let french = check(
        Path::new("strategies/sweeps/french_size_momentum.toml"),
        &[
            "params.lookback=1..500:41",
            "execution.commission_bps=0,7.4,39.8",
        ],
    );
    assert!(french <= TOLERANCE, "{french:e}");
}

/// A random market of three assets (closes and opens) and a cash rate: trends, crashes,
/// recoveries to new highs, flat stretches (equal closes: ties for the running maximum), and
/// for seed 3 stretches without any cash rate.
fn market(dir: &Path, n: usize, seed: u64) -> (String, String) {
    let mut g = Lcg(seed);
    let dates = weekdays(n);
    let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
    for a in 0..3 {
        let (mut close, mut open) = (Vec::new(), Vec::new());
        let mut p = 50.0 + 50.0 * g.next();
        let mut drift = 0.0;
        for t in 0..n {
            if t % 60 == 0 {
                drift = g.range(-0.004, 0.005);
            }
            let r = match g.next() {
                u if u < 0.01 => g.range(-0.25, -0.05), // a crash
                u if u < 0.08 => 0.0,                   // unchanged close
                _ => drift + g.range(-0.03, 0.03) * (1.0 + a as f64 * 0.5),
            };
            let o = p * (1.0 + g.range(-0.01, 0.01));
            p *= 1.0 + r;
            open.push(o);
            close.push(p);
        }
        cols.push((format!("c{a}"), close));
        cols.push((format!("o{a}"), open));
    }
    // Seed 3's cash earns nothing for stretches of 150 bars (cash held alone is then flat).
    let rate: Vec<f64> = (0..n)
        .map(|t| match (t / 90) % 3 {
            _ if seed == 3 && (t / 150) % 2 == 0 => 0.0,
            k => 1.0 + 4.0 * k as f64,
        })
        .collect();
    let refs: Vec<(&str, &[f64])> = cols.iter().map(|(k, v)| (k.as_str(), &v[..])).collect();
    let prices = write(dir, &format!("p{seed}.csv"), &csv(&dates, &refs));
    let cash = write(
        dir,
        &format!("r{seed}.csv"),
        &csv(&dates, &[("value", &rate)]),
    );
    (lit(&prices), lit(&cash))
}

#[test]
fn random_markets_and_every_kind_of_holding_equal_plain_runs() {
    let dir = tempfile::tempdir().unwrap();
    // (rules, rebalance table, fill): single holdings (the per-period path), mixed, levered,
    // short and cash holdings (bar by bar), selections, holding periods, drift bands.
    let rules = [
        "[[rules]]\nwhen = \"ret(a, lookback) > ret(b, lookback)\"\nweights = { a = 1.0 }\n[[rules]]\notherwise = true\nweights = { b = 1.0 }",
        "[[rules]]\nwhen = \"ret(a, lookback) > 0\"\nweights = { a = 1.0 }\n[[rules]]\notherwise = true\nweights = { cash = 1.0 }",
        "[[rules]]\nwhen = \"ret(a, lookback) > ret(c, lookback)\"\nweights = { a = 0.6, b = 0.4 }\n[[rules]]\notherwise = true\nweights = { c = 1.0 }",
        "[[rules]]\nwhen = \"ret(b, lookback) > 0\"\nweights = { b = 1.5 }\n[[rules]]\notherwise = true\nweights = { a = 1.0, c = -0.5 }",
        "[[rules]]\notherwise = true\nselect = { score = \"ret(_, lookback)\", from = [\"a\", \"b\", \"c\"] }",
    ];
    let rebalances = [
        "schedule = \"month-end\"",
        "schedule = \"weekly\"\nmin_hold = 10",
        "schedule = \"daily\"",
        "schedule = \"monthly\"\nday = \"first\"\nenter_immediately = true",
        "schedule = \"month-end\"\ndrift_band = 0.02",
    ];
    let fills = ["close", "next_close", "next_open"];
    let mut worst: f64 = 0.0;
    let mut runs = 0;
    for seed in 1..=3u64 {
        let (prices, cash) = market(dir.path(), 700, seed);
        for (i, r) in rules.iter().enumerate() {
            for (j, rb) in rebalances.iter().enumerate() {
                let fill = fills[(i + j + seed as usize) % 3];
                let text = format!(
                    r#"version = 1
name = "fast-{seed}-{i}-{j}"
[params]
lookback = 20
[assets]
a = {{ file = {prices}, column = "c0", open = "o0" }}
b = {{ file = {prices}, column = "c1", open = "o1" }}
c = {{ file = {prices}, column = "c2", open = "o2" }}
[cash]
rate = {{ file = {cash}, column = "value", kind = "rate", unit = "percent" }}
financing_spread_bps = 150
borrow_fee_bps = 60
{r}
[rebalance]
{rb}
[execution]
fill = "{fill}"
[sweep]
params.lookback = [1, 5, 40]
execution.commission_bps = [0, 25]
execution.slippage_bps = [0, 7]
execution.fixed_cost = [0, 3]
"#
                );
                let path = write(dir.path(), &format!("s{seed}-{i}-{j}.toml"), &text);
                worst = worst.max(check(&path, &[]));
                runs += 24;
            }
        }
    }
    assert_eq!(runs, 3 * 5 * 5 * 24);
    assert!(worst <= TOLERANCE, "worst relative gap {worst:e}");
}

/// A sweep group decides its rules on the scheduled bars only (`signal::decide_at`): there, and
/// on every bar up to the first known one, its decisions equal those made on every bar. One
/// condition per function (bar-by-bar ones evaluated where asked, nested in each other;
/// rolling ones over the calendar; named signals read both ways), each deciding between two
/// rules often enough that a wrong value would change decisions; a selection with
/// inverse-volatility weights; a warm-up history before `start`, and lookbacks that leave the
/// first bars undecided. With `enter_immediately`, every bar is decided.
#[test]
fn decisions_on_scheduled_bars_equal_decisions_on_every_bar() {
    let conditions = [
        "ret(a, n) > ret(b, n)",
        "change(a, n) > change(b, n) * 0.5",
        "lag(a, n) > lag(b, 3)",
        "spread(a, b, n) > 0",
        "ratio(a, b) > ratio(lag(a, n), lag(b, n))",
        "rank(a, lag(a, 1), lag(a, 2), lag(a, 5)) <= 2",
        "abs(ret(c, n)) > 0.08",
        "min(ret(a, n), ret(b, n)) > max(ret(c, n), -ret(c, 1)) - 0.05",
        "not (ret(a, 1) > 0) and weekday() != 3 or day() > 25",
        "yday() % 7 < 3 and month() > 2 or year() % 2 == 0",
        "tdom() > 12 or tdom_left() < 2",
        "mom > 0",
        "trend and calm",
        "sma(ret(a, n), 5) > ema(ret(b, 1), n)",
        "odd > 2",
    ];
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(700);
    let mut checked = 0;
    for (e, when) in conditions.iter().enumerate() {
        let (mut fired, mut compared) = (0, 0);
        for seed in 1..=2u64 {
            let (prices, cash) = market(dir.path(), 700, seed);
            for (start, n) in [(None, 15), (Some(&dates[120]), 40), (Some(&dates[30]), 60)] {
                for rebalance in [
                    "schedule = \"daily\"",
                    "schedule = \"weekly\"",
                    "schedule = \"month-end\"",
                    "schedule = \"month-end\"\nenter_immediately = true",
                ] {
                    let start = start.map_or(String::new(), |d| format!("start = \"{d}\"\n"));
                    let text = format!(
                        r#"version = 1
name = "decide-at-{seed}"
{start}[params]
n = {n}
[assets]
a = {{ file = {prices}, column = "c0" }}
b = {{ file = {prices}, column = "c1" }}
c = {{ file = {prices}, column = "c2" }}
[cash]
rate = {{ file = {cash}, column = "value", kind = "rate", unit = "percent" }}
[signals]
mom = "spread(a, b, n)"
trend = "sma(a, n) > ema(a, n)"
calm = "vol(a, n) < 0.6 and stdev(a, n) > 0"
odd = "zscore(a, n) + highest(b, n) / lowest(b, n) + drawdown(c) + pct_rank(c) - streak(a > lag(a, 1)) + min(bars_since(ret(c, 5) < -0.05), 3)"
[[rules]]
when = "{when}"
weights = {{ a = 0.7, b = 0.3 }}
[[rules]]
when = "ret(c, 1) > 0.01"
select = {{ score = "ret(_, n) - 0.01 * odd", from = ["a", "b", "c"], top = 2, weighting = "inverse_vol", vol_lookback = 10 }}
[[rules]]
otherwise = true
weights = {{ c = 1.0 }}
[rebalance]
{rebalance}
"#
                    );
                    let path = write(dir.path(), "decide.toml", &text);
                    let (strategy, _) = pipeline::compile(&path).unwrap();
                    let panel = rotor::data::load_panel(&strategy).unwrap();
                    let p = plan::compile(&strategy).unwrap();
                    let signals = rotor::signal::eval_signals(&p, &panel);
                    let every = rotor::signal::decide(&p, &panel, &signals);
                    let scheduled = sim::schedule(&panel.dates, &p.rebalance);
                    let at = sim::scheduled_bars(&scheduled);
                    let some = rotor::signal::decide_at(&p, &panel, &at);
                    let first = every.first_known();
                    let case = format!("{when}: seed {seed}, {rebalance}, n = {n}");
                    assert_eq!(some.first_known(), first, "{case}");
                    // A run entering at once reads any bar until it enters: all are decided.
                    let upto = if p.rebalance.enter_immediately {
                        panel.len()
                    } else {
                        first.map_or(panel.len(), |f| f + 1)
                    };
                    for t in (0..upto).chain(at.iter().copied()) {
                        assert_eq!(some.rule[t], every.rule[t], "bar {t}, {case}");
                        assert_eq!(some.target(t), every.target(t), "bar {t}, {case}");
                        fired += usize::from(every.rule[t].is_some_and(|r| r.0 == 0));
                        compared += 1;
                    }
                    // Off the schedule, after the first known bar, nothing is decided.
                    let off = (upto..panel.len()).filter(|&t| !scheduled[t]);
                    assert!(off.clone().all(|t| some.rule[t].is_none()), "{case}");
                }
            }
        }
        // The condition decides often both ways, so its value is read where it matters.
        let share = fired as f64 / compared as f64;
        assert!(
            (0.1..0.9).contains(&share),
            "condition {e} fired on {share} of bars"
        );
        checked += compared;
    }
    assert!(checked > 30_000, "{checked} bars compared");
}
