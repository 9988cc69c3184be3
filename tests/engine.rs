//! Whole-engine tests against independent calculations written here.
// Index loops mirror the hand calculations they check.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use rotor::pipeline::prepare;
use rotor::sim;

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    ((a - b) / b).abs() <= tol
}

/// Buy-and-hold of a return series reproduces the compounded product of its returns.
#[test]
fn buy_and_hold_of_returns_compounds_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 2000;
    let dates = weekdays(n);
    let mut rng = Lcg(7);
    let r: Vec<f64> = (0..n).map(|_| rng.range(-3.0, 3.2)).collect(); // percent
    let data = write(dir.path(), "r.csv", &csv(&dates, &[("x", &r)]));
    let s = write(
        dir.path(),
        "s.toml",
        &format!(
            r#"
version = 1
name = "bh"
[assets]
x = {{ file = {}, column = "x", kind = "returns", unit = "percent" }}
[[rules]]
otherwise = true
weights = {{ x = 1.0 }}
[rebalance]
enter_immediately = true
schedule = "month-end"
[execution]
fill = "close"
"#,
            lit(&data)
        ),
    );
    let p = prepare(&s).unwrap();
    let run = sim::run(&p.panel, &p.plan);
    // Bought at the first bar's close: the returns of bars 1..n-1 are earned.
    let product: f64 = r[1..].iter().map(|v| 1.0 + v / 100.0).product();
    let got = run.equity[n - 1] / run.equity[0];
    assert!(rel_close(got, product, 1e-12), "{got} vs {product}");
    assert_eq!(run.trades.len(), 1);
}

/// A monthly-rebalanced 60/40 of two price series against a hand-written calculation.
#[test]
fn monthly_sixty_forty_matches_independent_calculation() {
    let dir = tempfile::tempdir().unwrap();
    let n = 700;
    let dates = weekdays(n);
    let mut rng = Lcg(42);
    let mut pa = vec![100.0];
    let mut pb = vec![50.0];
    for _ in 1..n {
        pa.push(pa.last().unwrap() * (1.0 + rng.range(-0.03, 0.031)));
        pb.push(pb.last().unwrap() * (1.0 + rng.range(-0.01, 0.011)));
    }
    let fa = write(dir.path(), "a.csv", &csv(&dates, &[("close", &pa)]));
    let fb = write(dir.path(), "b.csv", &csv(&dates, &[("close", &pb)]));
    let s = write(
        dir.path(),
        "s.toml",
        &format!(
            r#"
version = 1
name = "sixty-forty"
initial_capital = 1000
[assets]
a = {{ file = {}, column = "close" }}
b = {{ file = {}, column = "close" }}
[[rules]]
otherwise = true
weights = {{ a = 0.6, b = 0.4 }}
[rebalance]
schedule = "month-end"
enter_immediately = true
[execution]
fill = "close"
min_trade_bps = 0
"#,
            lit(&fa),
            lit(&fb)
        ),
    );
    let p = prepare(&s).unwrap();
    let run = sim::run(&p.panel, &p.plan);

    // Independent: hold units; at bar 0 and each month's last bar, reset to 60/40 of value.
    let month = |d: &str| d[..7].to_owned();
    let (mut ua, mut ub) = (0.6 * 1000.0 / pa[0], 0.4 * 1000.0 / pb[0]);
    let mut expected = vec![1000.0];
    for t in 1..n {
        let v = ua * pa[t] + ub * pb[t];
        expected.push(v);
        if t + 1 < n && month(&dates[t + 1]) != month(&dates[t]) {
            ua = 0.6 * v / pa[t];
            ub = 0.4 * v / pb[t];
        }
    }
    for t in 0..n {
        assert!(
            rel_close(run.equity[t], expected[t], 1e-12),
            "bar {t}: {} vs {}",
            run.equity[t],
            expected[t]
        );
    }
    // 700 weekdays from 2020-01-01 run to 2022-09-06: month ends Jan 2020 .. Aug 2022 = 32.
    let rebalances = (1..n - 1)
        .filter(|&t| month(&dates[t + 1]) != month(&dates[t]))
        .count();
    assert_eq!(rebalances, 32);
    assert_eq!(run.trades.len(), 2 * (rebalances + 1));
}

/// A tiny hand-made table: each execution mode, trade by trade.
#[test]
fn execution_modes_trade_by_trade() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(6);
    let open = [10.0, 10.2, 10.9, 11.4, 10.1, 10.0];
    let close = [10.0, 11.0, 11.5, 10.2, 9.8, 10.4];
    let f = write(
        dir.path(),
        "p.csv",
        &csv(&dates, &[("open", &open), ("close", &close)]),
    );
    let c = 0.001; // 10 bps commission
    let run_mode = |fill: &str| {
        let s = write(
            dir.path(),
            &format!("{fill}.toml"),
            &format!(
                r#"
version = 1
name = "modes"
initial_capital = 1000
[assets]
a = {{ file = {}, column = "close", open = "open" }}
[[rules]]
when = "a > 10.5"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ cash = 1 }}
[execution]
fill = "{fill}"
commission_bps = 10
"#,
                lit(&f)
            ),
        );
        let p = prepare(&s).unwrap();
        sim::run(&p.panel, &p.plan)
    };
    // The condition is true on bars 1 and 2 (closes 11.0, 11.5), false from bar 3.
    // Buying with all-cash equity E at price p, self-financing: the position is E' = E/(1+c),
    // qty = E/((1+c)p), commission = E c/(1+c), leaving no cash. (Before exact sizing, the
    // order was sized on E(1-c) and left E c^2 idle.) Selling qty at p: cash += qty p (1 - c).
    let check = |fill: &str, buy_bar: usize, buy_px: f64, sell_bar: usize, sell_px: f64| {
        let run = run_mode(fill);
        assert_eq!(run.trades.len(), 2, "{fill}: {:?}", run.trades);
        let (b, s) = (&run.trades[0], &run.trades[1]);
        let e = 1000.0;
        let qty = e / ((1.0 + c) * buy_px);
        assert_eq!((b.bar, s.bar), (buy_bar, sell_bar), "{fill}");
        assert!(
            rel_close(b.quantity, qty, 1e-12) && b.price == buy_px,
            "{fill}: {b:?}"
        );
        assert!(rel_close(b.commission, e * c / (1.0 + c), 1e-12));
        assert!(
            rel_close(s.quantity, -qty, 1e-12) && s.price == sell_px,
            "{fill}: {s:?}"
        );
        let final_cash = qty * sell_px * (1.0 - c);
        assert!(
            rel_close(run.equity[5], final_cash, 1e-12),
            "{fill}: {} vs {final_cash}",
            run.equity[5]
        );
        // Equity equals cash plus positions at every close.
        let mut q = 0.0;
        for t in 0..6 {
            q += run
                .trades
                .iter()
                .filter(|x| x.bar == t)
                .map(|x| x.quantity)
                .sum::<f64>();
            assert!((run.equity[t] - (run.cash[t] + q * close[t])).abs() < 1e-9);
        }
        // Bars closed with a position: from the buy to the bar before the sale.
        assert_eq!(run.totals.invested_bars, sell_bar - buy_bar, "{fill}");
        assert_eq!(run.totals.fills, 2);
        run.same_bar
    };
    assert!(check("close", 1, 11.0, 3, 10.2));
    assert!(!check("next_close", 2, 11.5, 4, 9.8));
    assert!(!check("next_open", 2, 10.9, 4, 10.1));
}

/// Perturbing the data after bar t leaves every decision, trade and equity value up to t unchanged.
#[test]
fn no_look_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let n = 600;
    let dates = weekdays(n);
    let mut rng = Lcg(3);
    let mut pa = vec![100.0];
    let mut pb = vec![100.0];
    let mut y = vec![2.0];
    for _ in 1..n {
        pa.push(pa.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
        pb.push(pb.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
        y.push(y.last().unwrap() + rng.range(-0.05, 0.05));
    }
    let oa: Vec<f64> = pa.iter().map(|p| p * 0.999).collect();
    let ob: Vec<f64> = pb.iter().map(|p| p * 1.001).collect();
    let fa = write(
        dir.path(),
        "a.csv",
        &csv(&dates, &[("close", &pa), ("open", &oa)]),
    );
    let fb = write(
        dir.path(),
        "b.csv",
        &csv(&dates, &[("close", &pb), ("open", &ob)]),
    );
    let fy = write(dir.path(), "y.csv", &csv(&dates, &[("value", &y)]));
    let s = write(
        dir.path(),
        "s.toml",
        &format!(
            r#"
version = 1
name = "la"
[assets]
a = {{ file = {}, column = "close", open = "open" }}
b = {{ file = {}, column = "close", open = "open" }}
[series]
y = {{ file = {}, column = "value", lag_days = 1 }}
[cash]
rate = {{ file = {}, column = "value", kind = "rate", unit = "percent" }}
[signals]
mom = "ret(a, 20) - ret(b, 20)"
trend = "a > ema(a, 50) and zscore(a, 30) < 2"
rates = "change(y, 10) < 0 or streak(ret(a, 1) > 0) >= 3 or pct_rank(b) > 0.9"
[[rules]]
when = "mom > 0 and (trend or rates)"
weights = {{ a = 1.0 }}
[[rules]]
when = "drawdown(b) > -0.1 and vol(b, 20) < vol(a, 20)"
select = {{ top = 1, score = "ret(_, 40)", from = ["a", "b"], weighting = "inverse_vol" }}
[[rules]]
otherwise = true
weights = {{ b = 0.5 }}
[execution]
fill = "next_open"
commission_bps = 5
slippage_bps = 3
"#,
            lit(&fa),
            lit(&fb),
            lit(&fy),
            lit(&fy)
        ),
    );
    let base = prepare(&s).unwrap();
    let run0 = sim::run(&base.panel, &base.plan);
    assert!(run0.trades.len() > 10, "the test strategy should trade");
    for &cut in &[100usize, 250, 400, 598] {
        let mut panel = base.panel.clone();
        let mut rng = Lcg(cut as u64);
        for t in cut + 1..n {
            for a in 0..2 {
                panel.close[a][t] *= rng.range(0.5, 1.5);
                if let Some(o) = panel.open[a].as_mut() {
                    o[t] *= rng.range(0.5, 1.5);
                }
            }
            panel.series[0][t] += rng.range(-1.0, 1.0);
            panel.cash_ret[t] = rng.range(0.0, 0.001);
        }
        let run = sim::run(&panel, &base.plan);
        assert_eq!(
            run.rule[..=cut],
            run0.rule[..=cut],
            "decisions up to bar {cut}"
        );
        assert_eq!(run.equity[..=cut], run0.equity[..=cut]);
        let before = |r: &sim::RunResult| {
            r.trades
                .iter()
                .filter(|x| x.bar <= cut)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(before(&run), before(&run0));
    }
}

/// Runs on one thread and on many give identical results, in input order.
#[test]
fn one_thread_and_many_threads_agree() {
    let paths: Vec<_> = [
        "small_large_momentum",
        "sixty_forty_small_large",
        "iwm_trend_filter",
        "surge_follow_through",
    ]
    .iter()
    .map(|n| std::path::PathBuf::from(format!("strategies/{n}.toml")))
    .collect();
    let prepared: Vec<_> = paths.iter().map(|p| prepare(p).unwrap()).collect();
    let jobs: Vec<_> = prepared.iter().map(|p| (&p.panel, &p.plan)).collect();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| sim::run_many(&jobs));
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| sim::run_many(&jobs));
    assert_eq!(one, many);
    for (i, p) in prepared.iter().enumerate() {
        assert_eq!(
            one[i],
            sim::run(&p.panel, &p.plan),
            "result {i} is in input order"
        );
    }
}

/// The same data as Parquet and as CSV give the same run.
#[test]
fn parquet_input_matches_csv() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let n = 300;
    let dates = weekdays(n);
    let mut rng = Lcg(5);
    let mut p = vec![100.0];
    for _ in 1..n {
        p.push(p.last().unwrap() * (1.0 + rng.range(-0.02, 0.021)));
    }
    let fc = write(dir.path(), "a.csv", &csv(&dates, &[("close", &p)]));
    let fp = dir.path().join("a.parquet");
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("date".into(), dates.clone()),
        Column::new("close".into(), p.clone()),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&fp).unwrap())
        .finish(&mut df)
        .unwrap();
    let strategy = |f: &std::path::Path, name: &str| {
        write(
            dir.path(),
            name,
            &format!(
                r#"
version = 1
name = "pq"
[assets]
a = {{ file = {}, column = "close" }}
[[rules]]
when = "a > sma(a, 20)"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ cash = 1 }}
"#,
                lit(f)
            ),
        )
    };
    let a = prepare(&strategy(&fc, "c.toml")).unwrap();
    let b = prepare(&strategy(&fp, "p.toml")).unwrap();
    assert_eq!(a.panel.dates, b.panel.dates);
    assert_eq!(a.panel.close, b.panel.close);
    let (ra, rb) = (sim::run(&a.panel, &a.plan), sim::run(&b.panel, &b.plan));
    assert!(ra.trades.len() > 2);
    assert_eq!(ra, rb);
}

/// Leverage pays the cash rate plus the financing spread on borrowed cash; a short pays the
/// borrow fee on its notional while its proceeds earn the cash rate.
#[test]
fn leverage_and_shorts_pay_financing_and_borrow_fees() {
    let dir = tempfile::tempdir().unwrap();
    let n = 60;
    let dates = weekdays(n);
    let flat = vec![100.0; n];
    let rate = vec![3.6; n]; // percent a year
    let fa = write(dir.path(), "a.csv", &csv(&dates, &[("close", &flat)]));
    let fr = write(dir.path(), "r.csv", &csv(&dates, &[("value", &rate)]));
    let run_with = |weight: f64| {
        let s = write(
            dir.path(),
            "s.toml",
            &format!(
                r#"
version = 1
name = "lev"
initial_capital = 1000
[assets]
a = {{ file = {}, column = "close" }}
[cash]
rate = {{ file = {}, column = "value", kind = "rate", unit = "percent" }}
financing_spread_bps = 100
borrow_fee_bps = 50
[[rules]]
otherwise = true
weights = {{ a = {weight} }}
[rebalance]
schedule = "yearly"
enter_immediately = true
[execution]
fill = "close"
"#,
                lit(&fa),
                lit(&fr)
            ),
        );
        let p = prepare(&s).unwrap();
        sim::run(&p.panel, &p.plan)
    };
    let gaps: Vec<f64> = (1..n)
        .map(|t| {
            let d = |s: &str| rotor::date::parse(s).unwrap();
            (d(&dates[t]) - d(&dates[t - 1])) as f64
        })
        .collect();

    // 150 %: borrowed cash -500 compounds at (3.6 % + 1 %) act/360.
    let lev = run_with(1.5);
    assert_eq!(lev.trades.len(), 1);
    let mut cash = -500.0;
    for g in &gaps {
        cash *= 1.0 + (0.036 + 0.01) * g / 360.0;
    }
    assert!(
        (lev.cash[n - 1] - cash).abs() < 1e-9,
        "{} vs {cash}",
        lev.cash[n - 1]
    );
    assert!((lev.equity[n - 1] - (1500.0 + cash)).abs() < 1e-9);
    assert!((lev.totals.financing - (-500.0 - cash)).abs() < 1e-9);

    // -50 %: cash 1500 earns 3.6 %; the 500 short pays 0.5 % a year on its notional.
    let short = run_with(-0.5);
    let mut cash = 1500.0;
    let mut fees = 0.0;
    for g in &gaps {
        cash *= 1.0 + 0.036 * g / 360.0;
        let fee = 500.0 * 0.005 * g / 360.0;
        cash -= fee;
        fees += fee;
    }
    assert!(
        (short.cash[n - 1] - cash).abs() < 1e-9,
        "{} vs {cash}",
        short.cash[n - 1]
    );
    assert!((short.totals.borrow_fees - fees).abs() < 1e-12);
    assert!((short.equity[n - 1] - (cash - 500.0)).abs() < 1e-9);
}

/// Trading statistics of a small hand-made run.
#[test]
fn trading_statistics_of_a_hand_made_run() {
    use rotor::plan::{AssetId, RuleId};
    use rotor::sim::{RunResult, Totals, Trade};
    let dates: Vec<i32> = (0..5)
        .map(|i| rotor::date::from_ymd(2021, 1, 4) + i)
        .collect();
    let panel = rotor::data::Panel {
        dates: dates.clone(),
        asset_names: vec!["a".into(), "b".into()],
        close: vec![vec![1.0; 5], vec![1.0; 5]],
        open: vec![None, None],
        series_names: vec![],
        series: vec![],
        cash_ret: vec![0.0; 5],
        gap_days: vec![0.0, 1.0, 1.0, 1.0, 1.0],
        day_count: 360.0,
        inputs: vec![],
        dropped_dates: 0,
        synthetic: vec![],
        warmup: 0,
        warnings: vec![],
        history: None,
    };
    let trade = |bar, asset, quantity| Trade {
        bar,
        asset,
        quantity,
        price: 1.0,
        commission: 0.5,
        slippage: 0.25,
    };
    let run = RunResult {
        n_assets: 2,
        equity: vec![100.0, 102.0, 99.96, 101.0, 103.0],
        cash: vec![100.0, 0.0, 0.0, 0.0, 0.0],
        // bar 0 cash; bars 1-2 all a; bars 3-4 half and half
        weights: vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.5, 0.5],
        trades: vec![
            trade(0, AssetId(0), 100.0),
            trade(2, AssetId(0), -50.0),
            trade(2, AssetId(1), 50.0),
        ],
        totals: Totals {
            commission: 1.5,
            slippage: 0.75,
            interest: 0.0,
            financing: 0.0,
            borrow_fees: 0.0,
            turnover: 2.0,
            fills: 3,
            invested_bars: 4,
        },
        rule: vec![Some(RuleId(0)); 5],
        same_bar: false,
        first_known: Some(0),
        ruined: None,
    };
    let s = rotor::sim::statistics(&panel, &run, &[]);
    let years = 4.0 / 365.25;
    assert_eq!(s.trades, 3);
    assert!((s.annual_turnover - 2.0 / years).abs() < 1e-9);
    assert_eq!(s.total_costs, 2.25);
    assert_eq!(s.time_in_market, 0.8);
    assert_eq!((s.holdings[0].time, s.holdings[1].time), (0.8, 0.4));
    assert!((s.holdings[0].average_weight - 0.6).abs() < 1e-12); // (0 + 1 + 1 + 0.5 + 0.5) / 5
    assert!((s.holdings[1].average_weight - 0.2).abs() < 1e-12);
    // Returns: +2 %, -2 %, 101/99.96 - 1, 103/101 - 1.
    assert_eq!(s.best_day.date, "2021-01-05");
    assert!((s.best_day.value - 0.02).abs() < 1e-12);
    assert_eq!(s.worst_day.date, "2021-01-06");
    assert!((s.max_drawdown.depth - (99.96 / 102.0 - 1.0)).abs() < 1e-12);
    assert_eq!(s.max_drawdown.recovery.as_deref(), Some("2021-01-08"));
    assert!((s.total_return - 0.03).abs() < 1e-12);
}
