//! Performance statistics. Each metric's formula is in its function's doc comment and in
//! `docs/metrics.md`. Conventions: 252 bars a year for annualising volatility-type numbers,
//! calendar years (365.25 days) for compound growth; Sharpe and Sortino are on returns in
//! excess of the run's cash series; standard deviations are sample (n - 1).

pub mod drawdown;
pub mod periods;
pub mod relative;
pub mod returns;

use crate::data::Panel;
use crate::date;
use crate::sim::RunResult;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dated {
    pub date: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawdownStats {
    pub depth: f64,
    pub peak: String,
    pub trough: String,
    /// `None` when the equity has not regained its peak by the last bar.
    pub recovery: Option<String>,
    /// Calendar days from peak to recovery (or to the last bar).
    pub duration_days: i64,
    /// Bars from peak to recovery (or to the last bar).
    pub duration_bars: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holding {
    pub asset: String,
    /// Share of bars with a non-zero position in the asset.
    pub time: f64,
    /// Average weight over all bars.
    pub average_weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub start: String,
    pub end: String,
    pub bars: usize,
    pub years: f64,
    pub final_equity: f64,
    pub total_return: f64,
    pub cagr: f64,
    pub volatility: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: DrawdownStats,
    pub calmar: f64,
    pub ulcer_index: f64,
    pub best_day: Dated,
    pub worst_day: Dated,
    pub best_month: Option<Dated>,
    pub worst_month: Option<Dated>,
    pub best_year: Option<Dated>,
    pub worst_year: Option<Dated>,
    pub monthly_returns: Vec<periods::PeriodReturn>,
    pub yearly_returns: Vec<periods::PeriodReturn>,
    pub time_in_market: f64,
    pub holdings: Vec<Holding>,
    pub trades: usize,
    /// Sum of |traded notional| / equity, per year (a full switch counts 2).
    pub annual_turnover: f64,
    pub total_commission: f64,
    pub total_slippage: f64,
    pub total_costs: f64,
    pub cash_interest: f64,
    pub financing_cost: f64,
    pub borrow_fees: f64,
    pub relative: Vec<relative::Relative>,
}

fn extreme(list: &[periods::PeriodReturn], best: bool) -> Option<Dated> {
    let pick = list.iter().reduce(|a, b| {
        let better = if best { b.ret > a.ret } else { b.ret < a.ret };
        if better {
            b
        } else {
            a
        }
    })?;
    Some(Dated {
        date: pick.period.clone(),
        value: pick.ret,
    })
}

/// Years between the first and last bar, by the calendar: days / 365.25.
pub fn years(panel: &Panel) -> f64 {
    (panel.dates[panel.len() - 1] - panel.dates[0]) as f64 / 365.25
}

/// The headline metrics of a run: what a sweep keeps per variant and `check` compares. Computed
/// from the equity curve and the run's totals only, by the same functions as the full
/// statistics, so a variant's numbers equal those of a plain run bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Headline {
    pub total_return: f64,
    pub cagr: f64,
    pub volatility: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: f64,
    pub calmar: f64,
    pub ulcer_index: f64,
    pub trades: usize,
    pub annual_turnover: f64,
    pub total_costs: f64,
    pub time_in_market: f64,
    pub final_equity: f64,
}

pub fn headline(panel: &Panel, run: &RunResult) -> Headline {
    let eq = &run.equity;
    let r = returns::simple_returns(eq);
    let rf = &panel.cash_ret[1..];
    let years = years(panel);
    let cagr = returns::cagr(eq, years);
    let mdd = drawdown::max_drawdown(eq).depth;
    let t = &run.totals;
    Headline {
        total_return: returns::total_return(eq),
        cagr,
        volatility: returns::annual_volatility(&r),
        sharpe: returns::sharpe(&r, rf),
        sortino: returns::sortino(&r, rf),
        max_drawdown: mdd,
        calmar: cagr / mdd.abs(),
        ulcer_index: drawdown::ulcer_index(eq),
        trades: t.fills,
        annual_turnover: t.turnover / years,
        total_costs: t.commission + t.slippage,
        time_in_market: t.invested_bars as f64 / eq.len() as f64,
        final_equity: eq[eq.len() - 1],
    }
}

/// All statistics of a run; `benchmarks` are the runs to compare against.
pub fn compute(panel: &Panel, run: &RunResult, benchmarks: &[(String, RunResult)]) -> Stats {
    let eq = &run.equity;
    let dates = &panel.dates;
    let r = returns::simple_returns(eq);
    let rf = &panel.cash_ret[1..];
    let years = years(panel);
    let mdd = drawdown::max_drawdown(eq);
    let (bi, wi) = r.iter().enumerate().fold((0, 0), |(b, w), (i, v)| {
        (if *v > r[b] { i } else { b }, if *v < r[w] { i } else { w })
    });
    let monthly = periods::monthly(eq, dates);
    let yearly = periods::yearly(eq, dates);
    let k = run.n_assets;
    let n = panel.len();
    let holdings = (0..k)
        .map(|a| {
            let held = (0..n).filter(|t| run.weights[t * k + a] != 0.0).count();
            Holding {
                asset: panel.asset_names[a].clone(),
                time: held as f64 / n as f64,
                average_weight: (0..n).map(|t| run.weights[t * k + a]).sum::<f64>() / n as f64,
            }
        })
        .collect();
    let h = headline(panel, run);
    let t = &run.totals;
    Stats {
        start: date::format(dates[0]),
        end: date::format(dates[n - 1]),
        bars: n,
        years,
        final_equity: h.final_equity,
        total_return: h.total_return,
        cagr: h.cagr,
        volatility: h.volatility,
        sharpe: h.sharpe,
        sortino: h.sortino,
        max_drawdown: DrawdownStats {
            depth: h.max_drawdown,
            peak: date::format(dates[mdd.peak]),
            trough: date::format(dates[mdd.trough]),
            recovery: mdd.recovery.map(|i| date::format(dates[i])),
            duration_days: drawdown::duration_days(&mdd, dates),
            duration_bars: mdd.recovery.unwrap_or(n - 1) - mdd.peak,
        },
        calmar: h.calmar,
        ulcer_index: h.ulcer_index,
        best_day: Dated {
            date: date::format(dates[bi + 1]),
            value: r[bi],
        },
        worst_day: Dated {
            date: date::format(dates[wi + 1]),
            value: r[wi],
        },
        best_month: extreme(&monthly, true),
        worst_month: extreme(&monthly, false),
        best_year: extreme(&yearly, true),
        worst_year: extreme(&yearly, false),
        monthly_returns: monthly,
        yearly_returns: yearly,
        time_in_market: h.time_in_market,
        holdings,
        trades: h.trades,
        annual_turnover: h.annual_turnover,
        total_commission: t.commission,
        total_slippage: t.slippage,
        total_costs: h.total_costs,
        cash_interest: t.interest,
        financing_cost: t.financing,
        borrow_fees: t.borrow_fees,
        relative: benchmarks
            .iter()
            .map(|(name, b)| relative::relative(name, &r, &returns::simple_returns(&b.equity), rf))
            .collect(),
    }
}
