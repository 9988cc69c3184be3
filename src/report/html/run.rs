//! The report of `rotor run`: thirteen sections, each an element with a stable id, built from
//! the run's folder (`stats.json`, `equity.csv`, `weights.csv`, `trades.csv`).

use super::svg::{self, Lines, Series};
use super::{figure, heat, num_cell, page, section, Csv};
use crate::error::Result;
use crate::report::{fixed, pct, StatsFile, RELATIVE_COLUMNS, SUMMARY_ROWS};
use crate::stats::rolling::rolling;
use crate::stats::Stats;
use maud::{html, Markup};
use std::path::Path;

/// The columns of `equity.csv`.
struct Equity {
    days: Vec<f64>,
    equity: Vec<f64>,
    drawdown: Vec<f64>,
    cash_return: Vec<f64>,
    benchmarks: Vec<(String, Vec<f64>)>,
}

/// The columns of `trades.csv` the page shows.
struct Trades {
    dates: Vec<String>,
    assets: Vec<String>,
    /// quantity, price, notional, commission, slippage.
    values: Vec<Vec<f64>>,
}

/// The numeric columns of `trades.csv` the page shows, in order.
const TRADE_COLUMNS: [&str; 5] = ["quantity", "price", "notional", "commission", "slippage"];

/// Everything the page is built from: the values of the run's files, read from its folder
/// ([`load`]) or taken from the run in memory ([`of_run`]), the same to the bit.
pub struct Run {
    stats: StatsFile,
    equity: Equity,
    weights: (Vec<f64>, Vec<(String, Vec<f64>)>),
    trades: Trades,
    /// `regimes.csv` (when the run has regimes): whether each held at each close.
    held: Vec<(String, Vec<bool>)>,
}

/// A number as a result file holds it: a value that is not finite is an empty cell, read back
/// as NaN.
fn as_written(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        f64::NAN
    }
}

/// The page's inputs from a run in memory: what [`load`] reads from the files the run writes
/// (`stats` is its stats.json, read back).
pub fn of_run(
    stats: StatsFile,
    panel: &crate::data::Panel,
    runs: &crate::sim::Runs,
    report: &crate::report::Report,
) -> Run {
    let run = &runs.strategy;
    let days: Vec<f64> = panel.dates.iter().map(|&d| d as f64).collect();
    let col = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| as_written(*x)).collect() };
    let equity = Equity {
        days: days.clone(),
        equity: col(&run.equity),
        drawdown: col(&crate::stats::drawdown::series(&run.equity)),
        cash_return: col(&panel.cash_ret),
        benchmarks: runs
            .benchmarks
            .iter()
            .map(|(n, b)| (n.clone(), col(&b.equity)))
            .collect(),
    };
    let k = run.n_assets;
    let mut layers: Vec<(String, Vec<f64>)> = panel
        .asset_names
        .iter()
        .enumerate()
        .map(|(a, n)| {
            let w: Vec<f64> = (0..panel.len()).map(|t| run.weights[t * k + a]).collect();
            (n.clone(), col(&w))
        })
        .collect();
    let cash: Vec<f64> = (0..panel.len())
        .map(|t| run.cash[t] / run.equity[t])
        .collect();
    layers.push(("cash".into(), col(&cash)));
    let trades = Trades {
        dates: run
            .trades
            .iter()
            .map(|t| crate::date::format(panel.dates[t.bar]))
            .collect(),
        assets: run
            .trades
            .iter()
            .map(|t| panel.asset_names[t.asset.0].clone())
            .collect(),
        values: {
            let columns: [fn(&crate::sim::Trade) -> f64; 5] = [
                |t| t.quantity,
                |t| t.price,
                |t| t.quantity * t.price,
                |t| t.commission,
                |t| t.slippage,
            ];
            columns
        }
        .iter()
        .map(|f| run.trades.iter().map(|t| as_written(f(t))).collect())
        .collect(),
    };
    Run {
        stats,
        equity,
        weights: (days, layers),
        trades,
        held: report
            .held
            .iter()
            .map(|(name, _, h)| (name.clone(), h.clone()))
            .collect(),
    }
}

fn load(dir: &Path) -> Result<Run> {
    let stats: StatsFile = crate::error::read_json(&dir.join("stats.json"))?;
    let e = Csv::read(&dir.join("equity.csv"))?;
    let fixed_cols = ["date", "equity", "cash", "drawdown", "cash_return"];
    let benchmarks = e
        .columns()
        .into_iter()
        .filter(|c| !fixed_cols.contains(&c.as_str()))
        .map(|c| Ok((c.clone(), e.numbers(&c)?)))
        .collect::<Result<_>>()?;
    let equity = Equity {
        days: e.days("date")?,
        equity: e.numbers("equity")?,
        drawdown: e.numbers("drawdown")?,
        cash_return: e.numbers("cash_return")?,
        benchmarks,
    };
    let w = Csv::read(&dir.join("weights.csv"))?;
    let layers = w
        .columns()
        .into_iter()
        .filter(|c| c != "date")
        .map(|c| Ok((c.clone(), w.numbers(&c)?)))
        .collect::<Result<_>>()?;
    let held = match stats.regimes {
        Some(_) => {
            let h = Csv::read(&dir.join(crate::report::regimes::FILE))?;
            h.columns()
                .into_iter()
                .filter(|c| c != "date")
                .map(|c| {
                    Ok((
                        c.clone(),
                        h.numbers(&c)?.iter().map(|v| *v != 0.0).collect(),
                    ))
                })
                .collect::<Result<_>>()?
        }
        None => vec![],
    };
    let weights = (w.days("date")?, layers);
    // The files must belong together (a folder cut or mixed by hand): every per-bar file has
    // stats.json's bars, on equity.csv's dates.
    let bars = stats.calendar.bars;
    let mismatch = |file: &str, what: String| {
        Err(crate::error::Error::input(crate::error::Diagnostic::new(
            dir.join(file),
            format!("{what}: the folder's files do not belong together (cut or mixed by hand); rerun the command that wrote it"),
        )))
    };
    if equity.days.len() != bars {
        return mismatch(
            "equity.csv",
            format!(
                "has {} rows, but stats.json says the run has {bars} bars",
                equity.days.len()
            ),
        );
    }
    if weights.0 != equity.days {
        return mismatch(
            "weights.csv",
            format!(
                "has {} rows whose dates are not equity.csv's {bars}",
                weights.0.len()
            ),
        );
    }
    if stats.regimes.is_some() {
        let h = Csv::read(&dir.join(crate::report::regimes::FILE))?;
        if h.days("date")? != equity.days {
            return mismatch(
                crate::report::regimes::FILE,
                format!(
                    "has {} rows whose dates are not equity.csv's {bars}",
                    h.rows()
                ),
            );
        }
    }
    Ok(Run {
        held,
        stats,
        equity,
        weights,
        trades: {
            let t = Csv::read(&dir.join("trades.csv"))?;
            Trades {
                dates: t.text("date")?,
                assets: t.text("asset")?,
                values: TRADE_COLUMNS
                    .iter()
                    .map(|c| t.numbers(c))
                    .collect::<Result<_>>()?,
            }
        },
    })
}

/// The page of a run's folder, from its files.
pub fn render(dir: &Path) -> Result<Markup> {
    render_run(&load(dir)?)
}

/// The page of a run, from its values.
pub fn render_run(r: &Run) -> Result<Markup> {
    let name = r.stats.strategy["name"]
        .as_str()
        .unwrap_or("strategy")
        .to_owned();
    let body = html! {
        (header(r, &name))
        (summary(r, &name))
        (equity(r, &name))
        (drawdown_chart(r))
        (drawdowns(r))
        (regimes(r, &name))
        (monthly(r))
        (yearly(r, &name))
        (rolling_section(r, &name))
        (distribution(r, &name))
        (confidence(r, &name))
        (allocation(r))
        (trades(r)?)
        (inputs(r))
    };
    Ok(page(&format!("{name}: rotor report"), body))
}

/// The strategy, then each benchmark: (name, statistics).
fn columns<'a>(r: &'a Run, name: &'a str) -> Vec<(&'a str, &'a Stats)> {
    std::iter::once((name, &r.stats.metrics))
        .chain(
            r.stats
                .benchmarks
                .iter()
                .map(|b| (b.name.as_str(), &b.metrics)),
        )
        .collect()
}

fn text(v: &serde_json::Value, path: &[&str]) -> String {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn header(r: &Run, name: &str) -> Markup {
    let s = &r.stats.strategy;
    let cal = &r.stats.calendar;
    let cash = match &s["cash"]["rate"] {
        serde_json::Value::Null => "none (cash earns nothing)".to_owned(),
        rate => format!(
            "{} column {} ({}, {})",
            text(rate, &["file"]),
            text(rate, &["column"]),
            text(rate, &["kind"]),
            text(rate, &["unit"])
        ),
    };
    let costs = format!(
        "commission {} bps, slippage {} bps, fixed {} per fill, trades under {} bps of equity not sent",
        text(s, &["execution", "commission_bps"]),
        text(s, &["execution", "slippage_bps"]),
        text(s, &["execution", "fixed_cost"]),
        text(s, &["execution", "min_trade_bps"])
    );
    let invested = match &cal.first_invested {
        Some(f) => format!("; first fill on {f}"),
        None => "; never traded".to_owned(),
    };
    let warmup = match (&cal.warmup_from, &cal.first_decision) {
        (Some(from), Some(first)) => {
            format!(
                "{} bars of history from {from}; rules first known on {first}{invested}",
                cal.warmup_bars
            )
        }
        (None, Some(first)) => format!("none; rules first known on {first}{invested}"),
        (_, None) => "rules never known: the strategy held cash".to_owned(),
    };
    html! {
        section id="header" {
            h1 { (name) }
            @let description = text(s, &["description"]);
            @if !description.is_empty() { p { (description) } }
            @if r.stats.execution.same_bar_execution {
                div.banner { (r.stats.execution.note) }
            }
            dl.facts {
                dt { "Period" } dd { (cal.start) " to " (cal.end) ", " (cal.bars) " bars ("
                    (fixed(r.stats.metrics.years, 1)) " years)"
                    @if cal.dropped_dates > 0 { ", " (cal.dropped_dates) " dates not shared by all assets dropped" } }
                dt { "Warm-up" } dd { (warmup) }
                dt { "Execution" } dd { "fill = " (r.stats.execution.fill) ": " (r.stats.execution.note) }
                dt { "Cash rate" } dd { (cash) }
                dt { "Costs" } dd { (costs) }
                @for c in &r.stats.synthetic {
                    dt { "Synthetic " (c.asset) } dd { (crate::report::synthetic_line(c)) }
                }
                dt { "Engine" } dd { "rotor " (r.stats.engine.version) }
            }
        }
    }
}

fn summary(r: &Run, name: &str) -> Markup {
    let cols = columns(r, name);
    let rel = &r.stats.metrics.relative;
    super::section(
        "summary",
        "Summary",
        html! {
            div.wide { table {
                thead { tr { th { "" } @for (n, _) in &cols { th.num { (n) } } } }
                tbody {
                    @for (label, key, cell) in SUMMARY_ROWS {
                        tr data-key=(key) {
                            th { @if label.starts_with("  ") { "Max drawdown " } (label.trim()) }
                            @for (_, s) in &cols {
                                @let c = cell(s);
                                @match c.value {
                                    Some(v) => (num_cell(&c.text, v)),
                                    None => td.num { (c.text) },
                                }
                            }
                        }
                    }
                }
            } }
            @if !rel.is_empty() {
                p.muted { "Against the benchmarks (daily returns; alpha annualised, capture ratios arithmetic):" }
                div.wide { table {
                    thead { tr { th { "benchmark" } @for (_, long, _) in RELATIVE_COLUMNS { th.num { (long) } } } }
                    tbody { @for x in rel { tr {
                        td { (x.benchmark) }
                        @for (_, _, cell) in RELATIVE_COLUMNS {
                            @let c = cell(x);
                            (num_cell(&c.text, c.value.unwrap_or(f64::NAN)))
                        }
                    } } }
                } }
            }
        },
    )
}

fn day_of(date: &str) -> f64 {
    crate::date::parse(date).map_or(f64::NAN, |d| d as f64)
}

/// The equity curves: the strategy's, then each benchmark's.
fn curves<'a>(r: &'a Run, name: &'a str) -> Vec<Series<'a>> {
    let e = &r.equity;
    std::iter::once(Series {
        name,
        values: &e.equity,
    })
    .chain(
        e.benchmarks
            .iter()
            .map(|(n, v)| Series { name: n, values: v }),
    )
    .collect()
}

fn equity(r: &Run, name: &str) -> Markup {
    let e = &r.equity;
    let series = curves(r, name);
    let last = e.days.last().copied().unwrap_or(0.0);
    let bands = r
        .stats
        .metrics
        .drawdowns
        .iter()
        .take(5)
        .map(|d| (day_of(&d.peak), d.recovery.as_deref().map_or(last, day_of)))
        .collect();
    let chart = svg::lines(&Lines {
        label: "Growth of the initial capital (log scale)",
        x: &e.days,
        series,
        log: true,
        format: &money,
        bands,
        fill: false,
        zero: false,
        dates: true,
        interval: None,
        regions: vec![],
        region_names: vec![],
    });
    section(
        "equity",
        "Equity",
        figure(
            chart,
            "Equity of the strategy and its benchmarks, log scale; shaded: the five deepest drawdowns of the strategy, from peak to recovery.",
        ),
    )
}

fn regimes(r: &Run, name: &str) -> Markup {
    let Some(regimes) = &r.stats.regimes else {
        return html! {};
    };
    let series = curves(r, name);
    super::regimes::render(name, regimes, &r.held, &r.equity.days, &series, &money)
}

fn money(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("{:.3}B", v / 1e9)
    } else if v.abs() >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
    .replace(".000", "")
    .replace(".0k", "k")
}

fn pct0(v: f64) -> String {
    format!("{}%", crate::report::decimals(v * 100.0, 0))
}

/// A percentage with one decimal ("0.0%", never "-0.0%").
fn pct1(v: f64) -> String {
    format!("{}%", crate::report::decimals(v * 100.0, 1))
}

/// A month's colour: neutral when its printed value is zero (a difference of -1e-16 is not a
/// loss), else by sign and size.
fn month_class(v: f64, scale: f64) -> String {
    if crate::report::printed_zero(&pct1(v)) {
        "h0".into()
    } else {
        heat(v, scale)
    }
}

fn drawdown_chart(r: &Run) -> Markup {
    let chart = svg::lines(&Lines {
        label: "Drawdown from the running peak",
        x: &r.equity.days,
        series: vec![Series {
            name: "drawdown",
            values: &r.equity.drawdown,
        }],
        log: false,
        format: &pct0,
        bands: vec![],
        fill: true,
        zero: true,
        dates: true,
        interval: None,
        regions: vec![],
        region_names: vec![],
    });
    section(
        "drawdown",
        "Drawdown",
        figure(
            chart,
            "Underwater chart: equity over its running peak, minus one.",
        ),
    )
}

fn drawdowns(r: &Run) -> Markup {
    let list = &r.stats.metrics.drawdowns;
    section(
        "drawdowns",
        "Worst drawdowns",
        html! {
            @if list.is_empty() { p { "The equity never fell below a previous peak." } }
            @else {
                div.wide { table {
                    thead { tr { th.num { "#" } th { "peak" } th { "trough" } th { "recovery" } th.num { "depth" }
                        th.num { "days to trough" } th.num { "days to recovery" } } }
                    tbody { @for (i, d) in list.iter().enumerate() { tr {
                        td.num { (i + 1) } td { (d.peak) } td { (d.trough) }
                        td { (d.recovery.clone().unwrap_or_else(|| "not recovered".into())) }
                        (num_cell(&pct(d.depth), d.depth))
                        td.num { (d.days_to_trough) }
                        td.num { (d.days_to_recovery) @if d.recovery.is_none() { " (to the last bar)" } }
                    } } }
                } }
                p.muted { "Days are calendar days from the peak. A drawdown still open at the end of the data is not recovered; its length runs to the last bar." }
            }
        },
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A years x months table of returns (missing months blank), with a year column.
fn month_table(monthly: &[(String, f64)], yearly: &[(String, f64)], kind: &str) -> Markup {
    let mut years: Vec<&str> = monthly.iter().map(|(p, _)| &p[..4]).collect();
    years.dedup();
    let scale = {
        let mut a: Vec<f64> = monthly
            .iter()
            .map(|(_, v)| v.abs())
            .filter(|v| v.is_finite())
            .collect();
        a.sort_by(f64::total_cmp);
        crate::stats::returns::quantile(&a, 0.95)
    };
    let yscale = yearly.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max);
    html! {
        div.wide { table.heat data-kind=(kind) {
            thead { tr { th { "year" } @for m in MONTHS { th.num { (m) } } th.num { "year" } } }
            tbody { @for y in &years { tr {
                th { (y) }
                @for m in 1..=12 {
                    @let key = format!("{y}-{m:02}");
                    @match monthly.iter().find(|(p, _)| *p == key) {
                        Some((_, v)) => td class=(month_class(*v, scale)) data-period=(key) data-value=(format!("{v}")) { (pct1(*v)) },
                        None => td.h0 {},
                    }
                }
                @match yearly.iter().find(|(p, _)| p == y) {
                    Some((_, v)) => td class=(month_class(*v, yscale)) data-period=(y) data-value=(format!("{v}")) { (pct1(*v)) },
                    None => td.h0 {},
                }
            } } }
        } }
    }
}

fn monthly(r: &Run) -> Markup {
    let m = &r.stats.metrics;
    let pairs = |v: &[crate::stats::periods::PeriodReturn]| -> Vec<(String, f64)> {
        v.iter().map(|p| (p.period.clone(), p.ret)).collect()
    };
    let strat = pairs(&m.monthly_returns);
    let years = pairs(&m.yearly_returns);
    let bench = r.stats.benchmarks.first();
    let diff = |a: &[(String, f64)], b: &[(String, f64)]| -> Vec<(String, f64)> {
        a.iter()
            .filter_map(|(p, v)| {
                b.iter()
                    .find(|(q, _)| q == p)
                    .map(|(_, w)| (p.clone(), v - w))
            })
            .collect()
    };
    section(
        "monthly",
        "Monthly returns",
        html! {
            (month_table(&strat, &years, "strategy"))
            p.muted { "Calendar-month returns (the first and last months may be partial); the year column is the calendar-year return. Colour is centred on zero; a month without bars is blank." }
            @if let Some(b) = bench {
                h3 { "Strategy minus " (b.name) }
                (month_table(
                    &diff(&strat, &pairs(&b.metrics.monthly_returns)),
                    &diff(&years, &pairs(&b.metrics.yearly_returns)),
                    "difference",
                ))
            }
        },
    )
}

fn yearly(r: &Run, name: &str) -> Markup {
    let cols = columns(r, name);
    let years: Vec<String> = r
        .stats
        .metrics
        .yearly_returns
        .iter()
        .map(|p| p.period.clone())
        .collect();
    let series: Vec<(&str, Vec<f64>)> = cols
        .iter()
        .map(|(n, s)| {
            let v = years
                .iter()
                .map(|y| {
                    s.yearly_returns
                        .iter()
                        .find(|p| &p.period == y)
                        .map_or(f64::NAN, |p| p.ret)
                })
                .collect();
            (*n, v)
        })
        .collect();
    let chart = svg::bars("Calendar-year returns", &years, &series, &pct0);
    section(
        "yearly",
        "Yearly returns",
        html! {
            (figure(chart, "Calendar-year returns; the benchmarks are run on exactly the same dates as the strategy."))
            div.wide { table {
                thead { tr { th { "year" } @for (n, _) in &series { th.num { (n) } } } }
                tbody { @for (i, y) in years.iter().enumerate() { tr {
                    th { (y) }
                    @for (_, v) in &series { (num_cell(&pct(v[i]), v[i])) }
                } } }
            } }
        },
    )
}

fn rolling_section(r: &Run, name: &str) -> Markup {
    let e = &r.equity;
    let bench = e.benchmarks.first();
    let b = bench.map(|(_, v)| v.as_slice());
    let six = rolling(&e.equity, &e.cash_return, b, 126);
    let twelve = rolling(&e.equity, &e.cash_return, b, 252);
    let chart = |label: &str, a: &[f64], c: &[f64], format: &dyn Fn(f64) -> String| {
        svg::lines(&Lines {
            label,
            x: &e.days,
            series: vec![
                Series {
                    name: "6 months (126 bars)",
                    values: a,
                },
                Series {
                    name: "12 months (252 bars)",
                    values: c,
                },
            ],
            log: false,
            format,
            bands: vec![],
            fill: false,
            zero: true,
            dates: true,
            interval: None,
            regions: vec![],
            region_names: vec![],
        })
    };
    let f2 = |v: f64| format!("{v:.1}");
    section(
        "rolling",
        "Rolling windows",
        html! {
            p.muted { "Of " (name) "'s daily returns over the last 126 and 252 bars. Sharpe ratio of returns in excess of cash, annualised with 252 bars a year." }
            div {
                (figure(chart("Rolling return", &six.ret, &twelve.ret, &pct0), "Rolling return."))
                (figure(chart("Rolling volatility", &six.vol, &twelve.vol, &pct0), "Rolling volatility (annualised)."))
                (figure(chart("Rolling Sharpe ratio", &six.sharpe, &twelve.sharpe, &f2), "Rolling Sharpe ratio."))
                @if let (Some((bn, _)), Some(b6), Some(b12)) = (bench, six.beta.as_ref(), twelve.beta.as_ref()) {
                    (figure(chart("Rolling beta", b6, b12, &f2), &format!("Rolling beta to {bn}.")))
                }
            }
        },
    )
}

fn distribution(r: &Run, name: &str) -> Markup {
    let e = &r.equity.equity;
    let daily = crate::stats::returns::simple_returns(e);
    let monthly: Vec<f64> = r
        .stats
        .metrics
        .monthly_returns
        .iter()
        .map(|p| p.ret)
        .collect();
    let cols = columns(r, name);
    let row = |label: &str, f: &dyn Fn(&Stats) -> (String, f64)| {
        html! { tr { th { (label) } @for (_, s) in &cols { @let (t, v) = f(s); (num_cell(&t, v)) } } }
    };
    section(
        "distribution",
        "Distribution of returns",
        html! {
            div {
                (figure(svg::histogram("Daily returns", &daily, 60, &pct1, &[]), "Daily returns of the strategy."))
                (figure(svg::histogram("Monthly returns", &monthly, 30, &pct1, &[]), "Monthly returns of the strategy."))
            }
            div.wide { table {
                thead { tr { th { "" } @for (n, _) in &cols { th.num { (n) } } } }
                tbody {
                    (row("daily skew", &|s| (fixed(s.daily_distribution.skew, 2), s.daily_distribution.skew)))
                    (row("daily excess kurtosis", &|s| (fixed(s.daily_distribution.kurtosis, 2), s.daily_distribution.kurtosis)))
                    (row("daily VaR 95 %", &|s| (pct(s.daily_distribution.var_95), s.daily_distribution.var_95)))
                    (row("daily CVaR 95 %", &|s| (pct(s.daily_distribution.cvar_95), s.daily_distribution.cvar_95)))
                    (row("monthly skew", &|s| (fixed(s.monthly_distribution.skew, 2), s.monthly_distribution.skew)))
                    (row("monthly excess kurtosis", &|s| (fixed(s.monthly_distribution.kurtosis, 2), s.monthly_distribution.kurtosis)))
                    (row("monthly VaR 95 %", &|s| (pct(s.monthly_distribution.var_95), s.monthly_distribution.var_95)))
                    (row("monthly CVaR 95 %", &|s| (pct(s.monthly_distribution.cvar_95), s.monthly_distribution.cvar_95)))
                }
            } }
            p.muted { "VaR 95 %: the 5th percentile of the returns; CVaR 95 %: the mean of the returns at or below it. Skew and kurtosis from population moments; kurtosis is in excess of a normal distribution's 3." }
        },
    )
}

fn confidence(r: &Run, name: &str) -> Markup {
    let cols = columns(r, name);
    let c = &r.stats.metrics.confidence;
    section(
        "confidence",
        "How sure is the headline?",
        html! {
            div.wide { table {
                thead { tr { th { "" } th.num { "Sharpe" } th.num { "low" } th.num { "high" }
                    th.num { "CAGR" } th.num { "low" } th.num { "high" } th.num { "P(Sharpe > 0)" } } }
                tbody { @for (n, s) in &cols { @let k = &s.confidence; tr {
                    th { (n) }
                    (num_cell(&fixed(k.sharpe.value, 2), k.sharpe.value)) (num_cell(&fixed(k.sharpe.low, 2), k.sharpe.low)) (num_cell(&fixed(k.sharpe.high, 2), k.sharpe.high))
                    (num_cell(&pct(k.cagr.value), k.cagr.value)) (num_cell(&pct(k.cagr.low), k.cagr.low)) (num_cell(&pct(k.cagr.high), k.cagr.high))
                    (num_cell(&pct(k.probabilistic_sharpe), k.probabilistic_sharpe))
                } } }
            } }
            p.muted {
                (format!("{:.0}", c.settings.level * 100.0)) " % intervals from a circular block bootstrap of the daily returns ("
                (c.settings.samples) " samples of " (c.settings.block) "-bar blocks, seed " (c.settings.seed) "): the returns are resampled in blocks, which keeps their short-range dependence, and the statistic is recomputed on each sample. "
                "P(Sharpe > 0) is the probabilistic Sharpe ratio: the probability that the true Sharpe ratio is above zero given the number of returns, their skew and their kurtosis."
            }
        },
    )
}

fn allocation(r: &Run) -> Markup {
    let (days, layers) = &r.weights;
    let assets: Vec<(&str, Vec<f64>)> = layers
        .iter()
        .filter(|(n, _)| n != "cash")
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let chart = svg::stacked("Weights at each close", days, &assets);
    let m = &r.stats.metrics;
    section(
        "allocation",
        "Allocation",
        html! {
            (figure(chart, "Weights of the assets at each close, stacked; cash is the rest."))
            div.wide { table {
                thead { tr { th { "asset" } th.num { "time held" } th.num { "average weight" } } }
                tbody { @for h in &m.holdings { tr {
                    td { (h.asset) } (num_cell(&pct(h.time), h.time)) (num_cell(&pct(h.average_weight), h.average_weight))
                } } }
            } }
            dl.facts {
                dt { "Time in market" } dd { (pct(m.time_in_market)) }
                dt { "Switches" } dd { (m.allocation.switches) " (bars whose set of held assets changed)" }
                dt { "Average holding period" } dd { (fixed(m.allocation.average_holding_bars, 1)) " bars, "
                    (fixed(m.allocation.average_holding_days, 1)) " calendar days (" (m.allocation.spells) " spells)" }
            }
        },
    )
}

fn trades(r: &Run) -> Result<Markup> {
    let m = &r.stats.metrics;
    let t = &r.trades;
    let (dates, assets, values, cols) = (&t.dates, &t.assets, &t.values, TRADE_COLUMNS);
    let n = dates.len();
    let from = n.saturating_sub(50);
    Ok(section(
        "trades",
        "Trading",
        html! {
            dl.facts {
                dt { "Fills" } dd { (m.trades) }
                dt { "Turnover" } dd { (pct(m.annual_turnover)) " a year" }
                dt { "Commission (incl. fixed costs)" } dd { (fixed(m.total_commission, 2)) }
                dt { "Slippage" } dd { (fixed(m.total_slippage, 2)) }
                dt { "Total trading costs" } dd { (fixed(m.total_costs, 2)) }
                dt { "Financing paid" } dd { (fixed(m.financing_cost, 2)) }
                dt { "Borrow fees" } dd { (fixed(m.borrow_fees, 2)) }
                dt { "Interest earned on cash" } dd { (fixed(m.cash_interest, 2)) }
            }
            @if n > 0 {
                h3 { "Last " (n - from) " of " (n) " fills" }
                div.wide { table {
                    thead { tr { th { "date" } th { "asset" } @for c in cols { th.num { (c) } } } }
                    tbody { @for i in from..n { tr {
                        td { (dates[i]) } td { (assets[i]) }
                        @for (k, v) in values.iter().enumerate() { (num_cell(&fixed(v[i], if k < 2 { 4 } else { 2 }), v[i])) }
                    } } }
                } }
            }
            p { "Every fill: " a href="trades.csv" { "trades.csv" } "." }
        },
    ))
}

fn inputs(r: &Run) -> Markup {
    let strategy = serde_json::to_string_pretty(&r.stats.strategy).unwrap_or_default();
    section(
        "inputs",
        "Inputs",
        html! {
            div.wide { table {
                thead { tr { th { "file" } th.num { "rows" } th { "first" } th { "last" } th { "sha256" } th { "publisher" } } }
                tbody { @for i in &r.stats.inputs { tr {
                    td { (i.path.display().to_string()) } td.num { (i.rows) }
                    td { (i.first.clone().unwrap_or_default()) } td { (i.last.clone().unwrap_or_default()) }
                    td { code { (i.sha256) } }
                    td { (i.publisher.clone().unwrap_or_default())
                        @if let Some(note) = &i.note { br; span.muted { (note) } } }
                } } }
            } }
            h3 { "The strategy as resolved (every default filled in)" }
            pre { (strategy) }
        },
    )
}
