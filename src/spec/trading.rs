//! How a strategy trades and is judged: `[rebalance]`, `[execution]`, `[benchmarks]`, `[check]`.

use super::reader::{join, number_of, table_of, Cx, Table};
use super::rules::read_weights;
use super::types::*;
use super::value::Value;

/// Every spelling of `rebalance.schedule`: the schedule, and the period day a short form implies.
const SCHEDULES: &[(&str, (Schedule, Option<PeriodDay>))] = &[
    ("daily", (Schedule::Daily, None)),
    ("weekly", (Schedule::Weekly, None)),
    ("monthly", (Schedule::Monthly, None)),
    ("quarterly", (Schedule::Quarterly, None)),
    ("yearly", (Schedule::Yearly, None)),
    ("every", (Schedule::Every, None)),
    ("week-end", (Schedule::Weekly, Some(PeriodDay::Last))),
    ("week-start", (Schedule::Weekly, Some(PeriodDay::First))),
    ("month-end", (Schedule::Monthly, Some(PeriodDay::Last))),
    ("month-start", (Schedule::Monthly, Some(PeriodDay::First))),
    ("quarter-end", (Schedule::Quarterly, Some(PeriodDay::Last))),
    (
        "quarter-start",
        (Schedule::Quarterly, Some(PeriodDay::First)),
    ),
    ("year-end", (Schedule::Yearly, Some(PeriodDay::Last))),
    ("year-start", (Schedule::Yearly, Some(PeriodDay::First))),
];

pub(crate) fn read_rebalance(cx: &mut Cx, top: &mut Table) -> RebalanceSpec {
    let mut r = RebalanceSpec::default();
    let Some(mut t) = top.table(cx, "rebalance") else {
        return r;
    };
    let mut implied_day = None;
    if let Some((s, d)) = t.choice(cx, "schedule", SCHEDULES) {
        r.schedule = s;
        implied_day = d;
    }
    let days = [("last", PeriodDay::Last), ("first", PeriodDay::First)];
    if let Some(day) = t.choice(cx, "day", &days) {
        if let Some(implied) = implied_day {
            if implied != day {
                let span = t.get("day").map(|n| n.span()).unwrap_or_default();
                cx.err(&span, "rebalance.day", "contradicts the schedule name (e.g. \"month-end\" already means day = \"last\")");
            }
        }
        r.day = day;
    } else if let Some(d) = implied_day {
        r.day = d;
    }
    match t.integer(cx, "every", 1, super::MAX_BARS) {
        Some((n, span)) => {
            if r.schedule != Schedule::Every {
                cx.err(
                    &span,
                    "rebalance.every",
                    "`every` goes with schedule = \"every\"",
                );
            }
            r.every = n as usize;
        }
        None if r.schedule == Schedule::Every => {
            let span = t.span.clone();
            cx.err(
                &span,
                "rebalance.every",
                "schedule = \"every\" needs `every = N` (bars)",
            );
        }
        None => {}
    }
    if let Some((b, span)) = t.number(cx, "drift_band") {
        if b <= 0.0 || b >= 1.0 {
            cx.err(&span, "rebalance.drift_band", format!("expected a weight distance between 0 and 1 (0.05 = 5 percentage points), found {b}"));
        } else {
            r.drift_band = Some(b);
        }
    }
    if let Some((v, _)) = t.integer(cx, "min_hold", 0, super::MAX_BARS) {
        r.min_hold = v as usize;
    }
    if let Some((b, _)) = t.boolean(cx, "enter_immediately") {
        r.enter_immediately = b;
    }
    t.finish(
        cx,
        &[
            "schedule",
            "day",
            "every",
            "drift_band",
            "min_hold",
            "enter_immediately",
        ],
    );
    r
}

pub(crate) fn read_execution(cx: &mut Cx, top: &mut Table, assets: &[AssetSpec]) -> ExecutionSpec {
    let all_open = !assets.is_empty() && assets.iter().all(|a| a.open.is_some());
    let mut e = ExecutionSpec::default();
    if all_open {
        e.fill = Fill::NextOpen;
    }
    let Some(mut t) = top.table(cx, "execution") else {
        return e;
    };
    let fills = [
        ("next_open", Fill::NextOpen),
        ("next_close", Fill::NextClose),
        ("close", Fill::Close),
    ];
    if let Some(fill) = t.choice(cx, "fill", &fills) {
        e.fill = fill;
        e.fill_defaulted = false;
        if e.fill == Fill::NextOpen {
            for a in assets.iter().filter(|a| a.open.is_none()) {
                let span = t.get("fill").map(|n| n.span()).unwrap_or_default();
                cx.err(&span, "execution.fill", format!("fill = \"next_open\" needs opening prices, but asset `{}` has no `open` column", a.name));
            }
        }
    }
    e.commission_bps = t.non_negative(cx, "commission_bps", e.commission_bps);
    e.fixed_cost = t.non_negative(cx, "fixed_cost", e.fixed_cost);
    e.slippage_bps = t.non_negative(cx, "slippage_bps", e.slippage_bps);
    for (key, v) in [
        ("commission_bps", &mut e.commission_bps),
        ("slippage_bps", &mut e.slippage_bps),
    ] {
        if *v >= super::MAX_COST_BPS {
            if let Some(node) = t.get(key) {
                cx.err(
                    &node.span(),
                    &t.path(key),
                    format!("expected basis points below 10000 (100 % of the traded notional), found {v}"),
                );
            }
            *v = 0.0;
        }
    }
    e.min_trade_bps = t.non_negative(cx, "min_trade_bps", e.min_trade_bps);
    t.finish(
        cx,
        &[
            "fill",
            "commission_bps",
            "fixed_cost",
            "slippage_bps",
            "min_trade_bps",
        ],
    );
    e
}

pub(crate) fn read_benchmarks(cx: &mut Cx, top: &mut Table) -> Vec<BenchmarkSpec> {
    let Some(t) = top.table(cx, "benchmarks") else {
        return vec![];
    };
    let mut out = Vec::new();
    // A benchmark's name becomes a column of equity.csv and a series of the charts: the same
    // name check as assets, signals and regimes.
    for (k, node, key) in super::common::entries(cx, &t, "benchmarks", "benchmark") {
        // equity.csv: date, equity, cash, drawdown, cash_return, then a column per benchmark.
        if ["date", "equity", "cash", "drawdown", "cash_return"].contains(&k.get_ref().as_str()) {
            cx.err(
                &k.span(),
                &key,
                format!(
                    "`{}` is a column of equity.csv beside the benchmarks' own; choose another benchmark name",
                    k.get_ref()
                ),
            );
            continue;
        }
        match node.get_ref() {
            Value::String(asset) => out.push(BenchmarkSpec {
                name: k.get_ref().clone(),
                weights: vec![(asset.clone(), 1.0)],
                rebalance: Schedule::Daily,
                span: node.span(),
            }),
            Value::Table(_) => {
                let Some(mut bt) = table_of(cx, node, &key) else {
                    continue;
                };
                let weights = match bt.get("weights") {
                    Some(w) => read_weights(cx, w, &join(&key, "weights")),
                    None => {
                        cx.err(
                            &node.span(),
                            &join(&key, "weights"),
                            "missing required key (e.g. weights = { small = 0.6, large = 0.4 })",
                        );
                        vec![]
                    }
                };
                let schedules = [
                    ("daily", Schedule::Daily),
                    ("monthly", Schedule::Monthly),
                    ("quarterly", Schedule::Quarterly),
                    ("yearly", Schedule::Yearly),
                ];
                let rebalance = bt
                    .choice(cx, "rebalance", &schedules)
                    .unwrap_or(Schedule::Daily);
                bt.finish(cx, &["weights", "rebalance"]);
                out.push(BenchmarkSpec {
                    name: k.get_ref().clone(),
                    weights,
                    rebalance,
                    span: node.span(),
                });
            }
            other => cx.err(
                &node.span(),
                &key,
                format!(
                    "expected an asset name or a table {{ weights = {{...}} }}, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    out
}

pub(crate) fn read_check(cx: &mut Cx, top: &mut Table) -> CheckSpec {
    let mut c = CheckSpec::default();
    let Some(mut t) = top.table(cx, "check") else {
        return c;
    };
    c.tolerance = t.non_negative(cx, "tolerance", c.tolerance);
    if let Some(tt) = t.table(cx, "tolerances") {
        for (k, node) in tt.entries {
            let key = join("check.tolerances", k.get_ref());
            let Some(m) = crate::stats::Metric::checked(k.get_ref()) else {
                cx.err(
                    &k.span(),
                    &key,
                    format!(
                        "unknown metric; checked metrics are: {}",
                        crate::stats::Metric::names(crate::stats::Metric::CHECKED)
                    ),
                );
                continue;
            };
            match number_of(cx, node, &key) {
                Some(v) if v < 0.0 => cx.err(
                    &node.span(),
                    &key,
                    format!("expected a tolerance >= 0, found {v}"),
                ),
                Some(v) => c.tolerances.push((m, v)),
                None => {}
            }
        }
    }
    c.hashes = t.boolean(cx, "hashes").map_or(c.hashes, |b| b.0);
    t.finish(cx, &["tolerance", "tolerances", "hashes"]);
    c
}
