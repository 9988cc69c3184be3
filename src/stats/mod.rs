//! Performance statistics. Each metric's formula is in its function's doc comment and in
//! `docs/metrics.md`. Conventions: 252 bars a year for annualising volatility-type numbers,
//! calendar years (365.25 days) for compound growth; Sharpe and Sortino are on returns in
//! excess of the run's cash series; standard deviations are sample (n - 1).

pub mod bootstrap;
pub mod confidence;
pub mod distribution;
pub mod drawdown;
pub mod metric;
pub mod periods;
pub mod probability;
pub mod regime;
pub mod relative;
pub mod returns;
pub mod rolling;
pub mod tracking;

pub use metric::Metric;

/// Reads a number written by rotor: `null` (how JSON writes an undefined number) is NaN.
pub fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    use serde::Deserialize;
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Reads a list of numbers written by rotor, `null` as NaN.
pub fn vec_f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    use serde::Deserialize;
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

use crate::date::{self, Date};
use serde::Serialize;

/// A run as its statistics read it: plain slices and totals, whoever produced them (the
/// simulator's adapter is `sim::record`). `stats` imports nothing above the date type and the
/// conventions.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The calendar, one date a bar.
    pub dates: &'a [Date],
    /// What cash earned over each bar (bar 0's value is not used): the reference of excess
    /// returns.
    pub cash_ret: &'a [f64],
    /// Equity at each close.
    pub equity: &'a [f64],
    /// `weights[t * assets.len() + a]` at the close of bar t.
    pub weights: &'a [f64],
    /// The traded assets' names, in the order of `weights`.
    pub assets: &'a [String],
    pub totals: &'a Totals,
}

/// What a run paid, earned and traded, summed over its bars.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub commission: f64,
    pub slippage: f64,
    /// Interest earned on positive cash.
    pub interest: f64,
    /// Interest and spread paid on borrowed cash.
    pub financing: f64,
    /// Fees paid on short notional.
    pub borrow_fees: f64,
    /// Sum over fills of |notional| / equity at the fill (a full switch counts 2).
    pub turnover: f64,
    /// Number of fills.
    pub fills: usize,
    /// Bars that closed with any position.
    pub invested_bars: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Dated {
    pub date: String,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DrawdownStats {
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
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

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Holding {
    pub asset: String,
    /// Share of bars with a non-zero position in the asset.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub time: f64,
    /// Average weight over all bars.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub average_weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Stats {
    pub start: String,
    pub end: String,
    pub bars: usize,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub years: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub final_equity: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_return: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub cagr: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub volatility: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sharpe: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sortino: f64,
    pub max_drawdown: DrawdownStats,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub calmar: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub ulcer_index: f64,
    pub best_day: Dated,
    pub worst_day: Dated,
    pub best_month: Option<Dated>,
    pub worst_month: Option<Dated>,
    pub best_year: Option<Dated>,
    pub worst_year: Option<Dated>,
    pub monthly_returns: Vec<periods::PeriodReturn>,
    pub yearly_returns: Vec<periods::PeriodReturn>,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub time_in_market: f64,
    pub holdings: Vec<Holding>,
    pub trades: usize,
    /// Sum of |traded notional| / equity, per year (a full switch counts 2).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub annual_turnover: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_commission: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_slippage: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_costs: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub cash_interest: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub financing_cost: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub borrow_fees: f64,
    pub relative: Vec<relative::Relative>,
    /// The 10 deepest drawdowns, deepest first.
    pub drawdowns: Vec<drawdown::Period>,
    /// Of the daily returns (bars 1..) and of the calendar-month returns.
    pub daily_distribution: distribution::Distribution,
    pub monthly_distribution: distribution::Distribution,
    pub confidence: confidence::Confidence,
    pub allocation: Allocation,
}

/// How the run held its assets over time.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Allocation {
    /// Bars on which the set of held assets (non-zero weights at the close) differs from the
    /// previous bar's, moves into and out of cash included.
    pub switches: usize,
    /// Spells: maximal runs of bars with the same non-empty set of held assets.
    pub spells: usize,
    /// Mean spell length in bars, and in calendar days (from a spell's first bar to the first
    /// bar after it, or to the last bar).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub average_holding_bars: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub average_holding_days: f64,
}

/// Switches and holding spells from the weights at each close (`weights[t * k + a]`).
pub fn allocation(weights: &[f64], k: usize, dates: &[Date]) -> Allocation {
    let n = dates.len();
    let held = |t: usize| weights[t * k..(t + 1) * k].iter().map(|w| *w != 0.0);
    let mut switches = 0;
    let mut spells: Vec<(usize, usize)> = Vec::new(); // (first bar, end bar exclusive)
    let mut open: Option<usize> = None;
    for t in 0..n {
        let changed = t == 0 || !held(t).eq(held(t - 1));
        if t > 0 && changed {
            switches += 1;
        }
        if changed {
            if let Some(s) = open.take() {
                spells.push((s, t));
            }
            if held(t).any(|h| h) {
                open = Some(t);
            }
        }
    }
    if let Some(s) = open {
        spells.push((s, n));
    }
    let bars: Vec<f64> = spells.iter().map(|(s, e)| (e - s) as f64).collect();
    let days: Vec<f64> = spells
        .iter()
        .map(|&(s, e)| (dates[e.min(n - 1)] - dates[s]) as f64)
        .collect();
    Allocation {
        switches,
        spells: spells.len(),
        average_holding_bars: returns::mean(&bars),
        average_holding_days: returns::mean(&days),
    }
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
pub fn years(dates: &[Date]) -> f64 {
    crate::conventions::years_between(dates[0], dates[dates.len() - 1])
}

/// The headline metrics of a run: what a sweep keeps per variant. Computed from the equity
/// curve and the run's totals only, by the same code as the full statistics; a sweep computes
/// the same numbers holding period by holding period ([`crate::sweep::fast`], to 1e-12).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Headline {
    #[serde(flatten)]
    pub curve: Curve,
    pub trades: usize,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub annual_turnover: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_costs: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub time_in_market: f64,
}

/// Metrics of an equity curve alone (no trading totals): what walk-forward windows compare.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Curve {
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub total_return: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub cagr: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub volatility: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sharpe: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub sortino: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub max_drawdown: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub calmar: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub ulcer_index: f64,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub final_equity: f64,
}

impl Curve {
    /// Every metric undefined.
    pub const NAN: Curve = Curve {
        total_return: f64::NAN,
        cagr: f64::NAN,
        volatility: f64::NAN,
        sharpe: f64::NAN,
        sortino: f64::NAN,
        max_drawdown: f64::NAN,
        calmar: f64::NAN,
        ulcer_index: f64::NAN,
        final_equity: f64::NAN,
    };
}

impl Stats {
    /// The headline numbers among these statistics (the same values, not recomputed).
    pub fn headline(&self) -> Headline {
        Headline {
            curve: Curve {
                total_return: self.total_return,
                cagr: self.cagr,
                volatility: self.volatility,
                sharpe: self.sharpe,
                sortino: self.sortino,
                max_drawdown: self.max_drawdown.depth,
                calmar: self.calmar,
                ulcer_index: self.ulcer_index,
                final_equity: self.final_equity,
            },
            trades: self.trades,
            annual_turnover: self.annual_turnover,
            total_costs: self.total_costs,
            time_in_market: self.time_in_market,
        }
    }
}

/// Curve metrics of `equity` (one value per bar) with `rf` the cash return of bars 1.. and
/// `years` the calendar span.
///
/// The formulas are those of [`returns`] and [`drawdown`] (which the full statistics use), fused
/// into two passes without allocation because a sweep computes this for every variant. The
/// arithmetic is the same, operation for operation and in the same order, so the results are
/// bit-identical (a test checks it).
pub fn curve(equity: &[f64], rf: &[f64], years: f64) -> Curve {
    let n = equity.len();
    let m = (n - 1) as f64; // number of returns
                            // Pass 1: sums of returns and excess returns, drawdown depth, ulcer sum.
    let (mut sum_r, mut sum_x) = (0.0, 0.0);
    let mut peak = f64::NEG_INFINITY;
    let mut mdd = f64::INFINITY;
    let mut ulcer = 0.0;
    for t in 0..n {
        let e = equity[t];
        peak = peak.max(e);
        let dd = e / peak - 1.0;
        if dd < mdd {
            mdd = dd;
        }
        ulcer += dd * dd;
        if t > 0 {
            let r = e / equity[t - 1] - 1.0;
            sum_r += r;
            sum_x += r - rf[t - 1];
        }
    }
    let (mean_r, mean_x) = (sum_r / m, sum_x / m);
    // Pass 2: squared deviations and downside (recomputing a return is cheaper than storing it).
    let (mut ss_r, mut ss_x, mut down) = (0.0, 0.0, 0.0);
    for t in 1..n {
        let r = equity[t] / equity[t - 1] - 1.0;
        let x = r - rf[t - 1];
        ss_r += (r - mean_r) * (r - mean_r);
        ss_x += (x - mean_x) * (x - mean_x);
        down += x.min(0.0).powi(2);
    }
    finish_curve(
        years,
        CurveSums {
            first: equity[0],
            last: equity[n - 1],
            n,
            m,
            mean_x,
            ss_r,
            ss_x,
            down,
            mdd,
            ulcer,
        },
    )
}

/// What the curve metrics are made of: the first and last equity, the number of bars `n` and
/// of returns `m`, the mean excess return, the sums of squared deviations of the returns and
/// of the excess returns, the sum of squared negative excess returns, the deepest drawdown and
/// the sum of squared drawdowns. [`curve`] computes them from an equity curve; the sweep's
/// per-holding-period engine ([`crate::sweep::fast`]) from prefix sums.
pub(crate) struct CurveSums {
    pub first: f64,
    pub last: f64,
    pub n: usize,
    pub m: f64,
    pub mean_x: f64,
    pub ss_r: f64,
    pub ss_x: f64,
    pub down: f64,
    pub mdd: f64,
    pub ulcer: f64,
}

/// The curve metrics from their sums: one definition for [`curve`] and the sweep engine.
pub(crate) fn finish_curve(years: f64, c: CurveSums) -> Curve {
    let CurveSums {
        first,
        last,
        n,
        m,
        mean_x,
        ss_r,
        ss_x,
        down,
        mdd,
        ulcer,
    } = c;
    let annual = crate::conventions::BARS_PER_YEAR.sqrt();
    let (sd_r, sd_x) = if n > 2 {
        ((ss_r / (m - 1.0)).sqrt(), (ss_x / (m - 1.0)).sqrt())
    } else {
        (f64::NAN, f64::NAN)
    };
    // A run whose equity reached zero or below (ruined: it stopped trading there) has no
    // growth rate and no risk-adjusted ratio: its returns do not compound to anything.
    let ruined = mdd <= -1.0;
    let undefined_if_ruined = |v: f64| if ruined { f64::NAN } else { v };
    let cagr = undefined_if_ruined(returns::cagr(&[first, last], years));
    Curve {
        total_return: returns::total_return(&[first, last]),
        cagr,
        volatility: sd_r * annual,
        sharpe: undefined_if_ruined(returns::over_deviation(mean_x, sd_x) * annual),
        sortino: undefined_if_ruined(returns::over_deviation(mean_x, (down / m).sqrt()) * annual),
        max_drawdown: mdd,
        calmar: cagr / mdd.abs(),
        ulcer_index: (ulcer / n as f64).sqrt(),
        final_equity: last,
    }
}

pub fn headline(run: &Record) -> Headline {
    let years = years(run.dates);
    let t = run.totals;
    Headline {
        curve: curve(run.equity, &run.cash_ret[1..], years),
        trades: t.fills,
        annual_turnover: t.turnover / years,
        total_costs: t.commission + t.slippage,
        time_in_market: t.invested_bars as f64 / run.equity.len() as f64,
    }
}

/// All statistics of a run; `benchmarks` are the equity curves to compare against, by name, on
/// the run's calendar.
pub fn compute(run: &Record, benchmarks: &[(&str, &[f64])]) -> Stats {
    let eq = run.equity;
    let dates = run.dates;
    let r = returns::simple_returns(eq);
    let rf = &run.cash_ret[1..];
    let years = years(dates);
    let mdd = drawdown::max_drawdown(eq);
    let (bi, wi) = r.iter().enumerate().fold((0, 0), |(b, w), (i, v)| {
        (if *v > r[b] { i } else { b }, if *v < r[w] { i } else { w })
    });
    let monthly = periods::monthly(eq, dates);
    let monthly_rets: Vec<f64> = monthly.iter().map(|p| p.ret).collect();
    let yearly = periods::yearly(eq, dates);
    let k = run.assets.len();
    let n = dates.len();
    let holdings = (0..k)
        .map(|a| {
            let held = (0..n).filter(|t| run.weights[t * k + a] != 0.0).count();
            Holding {
                asset: run.assets[a].clone(),
                time: held as f64 / n as f64,
                average_weight: (0..n).map(|t| run.weights[t * k + a]).sum::<f64>() / n as f64,
            }
        })
        .collect();
    let h = headline(run);
    let t = run.totals;
    Stats {
        start: date::format(dates[0]),
        end: date::format(dates[n - 1]),
        bars: n,
        years,
        final_equity: h.curve.final_equity,
        total_return: h.curve.total_return,
        cagr: h.curve.cagr,
        volatility: h.curve.volatility,
        sharpe: h.curve.sharpe,
        sortino: h.curve.sortino,
        max_drawdown: DrawdownStats {
            depth: h.curve.max_drawdown,
            peak: date::format(dates[mdd.peak]),
            trough: date::format(dates[mdd.trough]),
            recovery: mdd.recovery.map(|i| date::format(dates[i])),
            duration_days: drawdown::duration_days(&mdd, dates),
            duration_bars: mdd.recovery.unwrap_or(n - 1) - mdd.peak,
        },
        calmar: h.curve.calmar,
        ulcer_index: h.curve.ulcer_index,
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
            .map(|(name, b)| relative::relative(name, &r, &returns::simple_returns(b), rf))
            .collect(),
        drawdowns: drawdown::worst(eq, dates, 10),
        daily_distribution: distribution::of(&r),
        monthly_distribution: distribution::of(&monthly_rets),
        confidence: confidence::bootstrap(&r, rf, years, (h.curve.sharpe, h.curve.cagr)),
        allocation: allocation(run.weights, k, dates),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Switches and spells: cash, a (2 bars), a+b (2 bars), cash, b to the end (2 bars).
    #[test]
    fn allocation_by_hand() {
        let dates: Vec<Date> = vec![0, 1, 2, 5, 6, 7, 8, 9];
        #[rustfmt::skip]
        let w = [
            0.0, 0.0,
            1.0, 0.0,
            1.0, 0.0,
            0.5, 0.5,
            0.6, 0.4,
            0.0, 0.0,
            0.0, 1.0,
            0.0, 1.0,
        ];
        let a = allocation(&w, 2, &dates);
        // Changes at bars 1 (cash -> a), 3 (a -> a+b), 5 (-> cash), 6 (cash -> b).
        assert_eq!(a.switches, 4);
        assert_eq!(a.spells, 3);
        // Spells: bars 1-2 (2 bars, days 1 -> 5 = 4), 3-4 (2 bars, 5 -> 7 = 2), 6-7 (2 bars,
        // days 8 -> 9, the last bar = 1).
        assert_eq!(a.average_holding_bars, 2.0);
        assert!((a.average_holding_days - 7.0 / 3.0).abs() < 1e-15);
    }

    /// The fused curve metrics are bit-identical to the metric functions composed.
    #[test]
    fn fused_curve_equals_the_metric_functions() {
        let mut seed = 99u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for len in [3usize, 10, 500, 6000] {
            let mut eq = vec![100.0];
            for _ in 1..len {
                let last = *eq.last().unwrap();
                eq.push(last * (1.0 + (rnd() - 0.48) * 0.04));
            }
            let rf: Vec<f64> = (1..len).map(|_| rnd() * 1e-4).collect();
            let c = curve(&eq, &rf, len as f64 / 252.0);
            let r = returns::simple_returns(&eq);
            let want_mdd = drawdown::max_drawdown(&eq).depth;
            assert_eq!(
                c.volatility.to_bits(),
                returns::annual_volatility(&r).to_bits()
            );
            assert_eq!(c.sharpe.to_bits(), returns::sharpe(&r, &rf).to_bits());
            assert_eq!(c.sortino.to_bits(), returns::sortino(&r, &rf).to_bits());
            assert_eq!(c.max_drawdown.to_bits(), want_mdd.to_bits());
            assert_eq!(
                c.ulcer_index.to_bits(),
                drawdown::ulcer_index(&eq).to_bits()
            );
            assert_eq!(
                c.total_return.to_bits(),
                returns::total_return(&eq).to_bits()
            );
        }
    }
}
