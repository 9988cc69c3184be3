//! Self-financing fills: a fully invested target is fully invested after costs, exactly.
//! Closed forms and an independent plain loop, written here without calling the engine.
// Index loops mirror the hand calculations they check.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use rotor::pipeline::prepare;
use rotor::sim;

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// Costs of one strategy: commission rate c, slippage rate s, fixed cost per fill f.
#[derive(Clone, Copy, Debug)]
struct Costs {
    c: f64,
    s: f64,
    f: f64,
}

impl Costs {
    /// Cash E into one asset: E' = (E - f) / ((1 + s)(1 + c)).
    fn buy(self, e: f64) -> f64 {
        (e - self.f) / ((1.0 + self.s) * (1.0 + self.c))
    }
    /// One asset worth E into another: E' = (E (1 - s)(1 - c) - 2f) / ((1 + s)(1 + c)).
    fn switch(self, e: f64) -> f64 {
        (e * (1.0 - self.s) * (1.0 - self.c) - 2.0 * self.f) / ((1.0 + self.s) * (1.0 + self.c))
    }
    /// One asset worth E into cash: E' = E (1 - s)(1 - c) - f.
    fn sell(self, e: f64) -> f64 {
        e * (1.0 - self.s) * (1.0 - self.c) - self.f
    }
    fn toml(self) -> String {
        format!(
            "commission_bps = {}\nslippage_bps = {}\nfixed_cost = {}\nmin_trade_bps = 0\n",
            self.c * 1e4,
            self.s * 1e4,
            self.f
        )
    }
}

/// Cash -> X -> Y -> cash on a hand-made table, in each fill mode, with every kind of cost:
/// the equity after each fill equals the closed form, the weights right after a same-close fill
/// equal their targets to 1e-12, and a daily schedule makes only the four fills the switches
/// need (no top-up trades in between), whatever the costs.
#[test]
fn switches_between_single_assets_match_the_closed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let dates = weekdays(9);
    let x_close = [10.0, 10.5, 11.0, 10.8, 11.2, 11.9, 12.0, 11.5, 11.0];
    let x_open = [10.0, 10.4, 10.9, 10.9, 11.0, 11.8, 12.1, 11.6, 11.1];
    let y_close = [20.0, 19.0, 19.5, 21.0, 22.0, 21.5, 23.0, 22.5, 22.0];
    let y_open = [20.0, 19.2, 19.4, 20.5, 21.8, 21.9, 22.8, 22.6, 22.2];
    // Which target holds after each close: 0 cash, 1 all X, 2 all Y.
    let pick = [0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 0.0, 0.0];
    let fx = write(
        dir.path(),
        "x.csv",
        &csv(&dates, &[("close", &x_close), ("open", &x_open)]),
    );
    let fy = write(
        dir.path(),
        "y.csv",
        &csv(&dates, &[("close", &y_close), ("open", &y_open)]),
    );
    let fp = write(dir.path(), "pick.csv", &csv(&dates, &[("value", &pick)]));
    let cases = [
        Costs {
            c: 0.001,
            s: 0.0,
            f: 0.0,
        },
        Costs {
            c: 0.0,
            s: 0.0025,
            f: 0.0,
        },
        Costs {
            c: 0.0,
            s: 0.0,
            f: 3.0,
        },
        Costs {
            c: 0.002,
            s: 0.0015,
            f: 1.5,
        },
    ];
    for costs in cases {
        for fill in ["close", "next_close", "next_open"] {
            let s = write(
                dir.path(),
                "s.toml",
                &format!(
                    r#"
version = 1
name = "switch"
initial_capital = 1000
[assets]
x = {{ file = {}, column = "close", open = "open" }}
y = {{ file = {}, column = "close", open = "open" }}
[series]
pick = {{ file = {}, column = "value" }}
[[rules]]
when = "pick == 1"
weights = {{ x = 1 }}
[[rules]]
when = "pick == 2"
weights = {{ y = 1 }}
[[rules]]
otherwise = true
weights = {{ cash = 1 }}
[execution]
fill = "{fill}"
{}
"#,
                    lit(&fx),
                    lit(&fy),
                    lit(&fp),
                    costs.toml()
                ),
            );
            let p = prepare(&s).unwrap();
            let run = sim::run(&p.panel, &p.plan);
            let what = format!("{fill} {costs:?}");
            // Decisions after closes 1, 4 and 7; filled on that close, the next close or the
            // next open.
            let lag = usize::from(fill != "close");
            let px = |close: &[f64], open: &[f64], t: usize| {
                if fill == "next_open" {
                    open[t]
                } else {
                    close[t]
                }
            };
            let (b1, b2, b3) = (1 + lag, 4 + lag, 7 + lag);
            // Cash -> X.
            let e1 = costs.buy(1000.0);
            let ux = e1 / px(&x_close, &x_open, b1);
            // X -> Y at the fill prices.
            let e2 = costs.switch(ux * px(&x_close, &x_open, b2));
            let uy = e2 / px(&y_close, &y_open, b2);
            // Y -> cash.
            let e3 = costs.sell(uy * px(&y_close, &y_open, b3));
            let expected: Vec<f64> = (0..9)
                .map(|t| match t {
                    t if t < b1 => 1000.0,
                    t if t < b2 => ux * x_close[t],
                    t if t < b3 => uy * y_close[t],
                    _ => e3,
                })
                .collect();
            for t in 0..9 {
                assert!(
                    rel(run.equity[t], expected[t]) < 1e-12,
                    "{what}: bar {t}: {} vs {}",
                    run.equity[t],
                    expected[t]
                );
            }
            assert_eq!(run.totals.fills, 4, "{what}: {:?}", run.trades);
            let bars: Vec<usize> = run.trades.iter().map(|t| t.bar).collect();
            assert_eq!(bars, [b1, b2, b2, b3], "{what}");
            if fill == "close" {
                // Right after a same-close fill, the weights are exactly the targets.
                for (t, target) in [(1, [1.0, 0.0]), (4, [0.0, 1.0]), (7, [0.0, 0.0])] {
                    for a in 0..2 {
                        let w = run.weights[t * 2 + a];
                        assert!((w - target[a]).abs() < 1e-12, "{what}: bar {t}: {w}");
                    }
                }
            }
        }
    }
}

/// The same monthly two-asset momentum switch, written as a plain loop over prices with the
/// closed forms above: rotor's equity curve equals it on every bar to 1e-12 relative, with the
/// same number of fills, in each fill mode and whatever `min_trade_bps` is.
#[test]
fn momentum_switch_equals_an_independent_plain_loop() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1500;
    let dates = weekdays(n);
    let mut rng = Lcg(2024);
    let (mut pa, mut pb, mut oa, mut ob) = (vec![50.0], vec![80.0], vec![50.0], vec![80.0]);
    for _ in 1..n {
        let (ra, rb) = (rng.range(-0.025, 0.026), rng.range(-0.02, 0.021));
        oa.push(pa.last().unwrap() * (1.0 + ra * rng.next()));
        ob.push(pb.last().unwrap() * (1.0 + rb * rng.next()));
        pa.push(pa.last().unwrap() * (1.0 + ra));
        pb.push(pb.last().unwrap() * (1.0 + rb));
    }
    // A per-day cash return (percent), as French `rf`.
    let rf: Vec<f64> = (0..n).map(|_| rng.range(0.0, 0.02)).collect();
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
    let fr = write(dir.path(), "rf.csv", &csv(&dates, &[("rf", &rf)]));
    let lookback = 42;
    let costs = Costs {
        c: 0.001,
        s: 0.0005,
        f: 2.0,
    };
    for fill in ["close", "next_close", "next_open"] {
        for min_trade in ["0", "1", "50"] {
            let s = write(
                dir.path(),
                "m.toml",
                &format!(
                    r#"
version = 1
name = "momentum"
initial_capital = 100000
[params]
lookback = {lookback}
[assets]
a = {{ file = {}, column = "close", open = "open" }}
b = {{ file = {}, column = "close", open = "open" }}
[cash]
rate = {{ file = {}, column = "rf", kind = "returns", unit = "percent" }}
[signals]
edge = "ret(a, lookback) - ret(b, lookback)"
[[rules]]
when = "edge > 0"
weights = {{ a = 1 }}
[[rules]]
otherwise = true
weights = {{ b = 1 }}
[rebalance]
schedule = "month-end"
[execution]
fill = "{fill}"
commission_bps = 10
slippage_bps = 5
fixed_cost = 2
min_trade_bps = {min_trade}
"#,
                    lit(&fa),
                    lit(&fb),
                    lit(&fr)
                ),
            );
            let p = prepare(&s).unwrap();
            let run = sim::run(&p.panel, &p.plan);

            // The plain loop: units of a and b, cash; accrual, fill, decision, mark.
            let month = |t: usize| &dates[t][..7];
            let month_end = |t: usize| t + 1 < n && month(t + 1) != month(t);
            let (mut cash, mut ua, mut ub) = (100000.0f64, 0.0f64, 0.0f64);
            let mut pending: Option<bool> = None; // true: into a
            let mut fills = 0;
            let mut expected = Vec::with_capacity(n);
            let do_fill = |into_a: bool, t: usize, cash: &mut f64, ua: &mut f64, ub: &mut f64| {
                let (price_a, price_b) = if fill == "next_open" {
                    (oa[t], ob[t])
                } else {
                    (pa[t], pb[t])
                };
                let holding_a = *ua > 0.0;
                let holding_b = *ub > 0.0;
                if (into_a && holding_a) || (!into_a && holding_b) {
                    return 0; // already there: nothing to trade
                }
                let (e, fills) = if holding_a || holding_b {
                    (costs.switch(*ua * price_a + *ub * price_b), 2)
                } else {
                    (costs.buy(*cash), 1)
                };
                *cash = 0.0;
                if into_a {
                    (*ua, *ub) = (e / price_a, 0.0);
                } else {
                    (*ua, *ub) = (0.0, e / price_b);
                }
                fills
            };
            for t in 0..n {
                if t > 0 {
                    cash *= 1.0 + rf[t] / 100.0;
                }
                if let Some(into_a) = pending.take() {
                    fills += do_fill(into_a, t, &mut cash, &mut ua, &mut ub);
                }
                if t >= lookback && month_end(t) && (fill == "close" || t + 1 < n) {
                    let edge = (pa[t] / pa[t - lookback] - 1.0) - (pb[t] / pb[t - lookback] - 1.0);
                    let into_a = edge > 0.0;
                    if fill == "close" {
                        fills += do_fill(into_a, t, &mut cash, &mut ua, &mut ub);
                    } else {
                        pending = Some(into_a);
                    }
                }
                expected.push(cash + ua * pa[t] + ub * pb[t]);
            }
            let what = format!("{fill}, min_trade_bps = {min_trade}");
            for t in 0..n {
                assert!(
                    rel(run.equity[t], expected[t]) < 1e-12,
                    "{what}: bar {t} ({}): {} vs {}",
                    dates[t],
                    run.equity[t],
                    expected[t]
                );
            }
            assert_eq!(run.totals.fills, fills, "{what}");
            assert!(fills > 20, "{what}: the test strategy should switch often");
        }
    }
}
