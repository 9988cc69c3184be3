//! The event loop: one pass over the calendar per run.
//!
//! On each bar t, in this order:
//! 1. **accrual** (t > 0): cash earns the cash return of (t-1, t]; borrowed (negative) cash pays
//!    that rate plus the financing spread; short positions pay the borrow fee on their notional
//!    at the previous close;
//! 2. **open**: orders decided at bar t-1 with `fill = "next_open"` are filled at the open;
//! 3. **close**: orders decided at t-1 with `fill = "next_close"` are filled at this close;
//! 4. **decision**: on a scheduled bar whose rule is known, the target weights are compared with
//!    the holdings (minimum holding period, drift band) and an order is made; with
//!    `fill = "close"` it fills at this same close (same-bar execution), otherwise it waits;
//! 5. **mark**: equity = cash + sum(quantity x close) is recorded with the weights.
//!
//! An order is a vector of target weights; it becomes quantities at the fill, sized so that it
//! pays exactly for its own costs (self-financing, [`post_trade_equity`]): right after the fill
//! every traded asset weighs exactly its target. The loop works on dense slices only.

use crate::data::Panel;
use crate::date::{self, Date};
use crate::plan::{AssetId, Execution, Plan, RuleId};
use crate::signal::{self, Decisions};
use crate::spec::{Fill, PeriodDay, RebalanceSpec, Schedule};
use rayon::prelude::*;
use serde::Serialize;

/// One fill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trade {
    pub bar: usize,
    pub asset: AssetId,
    /// Signed quantity (units of the asset's total-return price).
    pub quantity: f64,
    /// Fill price including slippage.
    pub price: f64,
    /// Commission plus fixed cost.
    pub commission: f64,
    /// Slippage cost: |quantity| x reference price x slippage rate.
    pub slippage: f64,
}

/// What a run paid, earned and traded: the statistics' type, summed by the event loop.
pub use crate::stats::Totals;

/// Everything one run produces.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub n_assets: usize,
    pub equity: Vec<f64>,
    pub cash: Vec<f64>,
    /// `weights[t * n_assets + a]` at the close of bar t.
    pub weights: Vec<f64>,
    pub trades: Vec<Trade>,
    pub totals: Totals,
    /// Rule that decided each decision bar (`None` on other bars and while undecided).
    pub rule: Vec<Option<RuleId>>,
    /// Decisions filled on the close they were made on (`fill = "close"`).
    pub same_bar: bool,
    /// The first bar on which the rules were known (a decision could be made); `None` if never.
    pub first_known: Option<usize>,
    /// The bar whose close found the equity at zero or below (leverage or shorts): the run
    /// stopped trading there, its positions written off and its equity frozen at that value.
    pub ruined: Option<usize>,
}

/// The scheduled bars of a [`schedule`], in order.
pub fn scheduled_bars(scheduled: &[bool]) -> Vec<usize> {
    (0..scheduled.len()).filter(|&t| scheduled[t]).collect()
}

/// Which bars are scheduled decision bars.
pub fn schedule(dates: &[Date], r: &RebalanceSpec) -> Vec<bool> {
    let n = dates.len();
    let key = |d: Date| -> i64 {
        let (y, m, _) = date::to_ymd(d);
        match r.schedule {
            Schedule::Weekly => date::week_key(d),
            Schedule::Monthly => y as i64 * 12 + m as i64,
            Schedule::Quarterly => y as i64 * 4 + (m as i64 - 1) / 3,
            Schedule::Yearly => y as i64,
            Schedule::Daily | Schedule::Every => 0,
        }
    };
    match r.schedule {
        Schedule::Daily => vec![true; n],
        Schedule::Every => (0..n).map(|t| t % r.every == 0).collect(),
        _ => (0..n)
            .map(|t| match r.day {
                // The last bar of the data is not known to end its period.
                PeriodDay::Last => t + 1 < n && key(dates[t + 1]) != key(dates[t]),
                // The first bar of the data may not start its period.
                PeriodDay::First => t > 0 && key(dates[t - 1]) != key(dates[t]),
            })
            .collect(),
    }
}

pub(crate) struct Book {
    ex: Execution,
    /// Keep the trade list (a sweep needs only the totals).
    record: bool,
    cash: f64,
    pub(crate) qty: Vec<f64>,
    trades: Vec<Trade>,
    pub(crate) totals: Totals,
    /// Scratch for [`post_trade_equity`]: values held, and which assets trade.
    held: Vec<f64>,
    trade: Vec<bool>,
}

impl Book {
    pub(crate) fn new(ex: Execution, record: bool, cash: f64, k: usize) -> Book {
        Book {
            ex,
            record,
            cash,
            qty: vec![0.0; k],
            trades: Vec::new(),
            totals: Totals::default(),
            held: vec![0.0; k],
            trade: vec![false; k],
        }
    }

    /// Values the holdings at `prices` into `self.held`.
    fn mark_held(&mut self, prices: &[f64]) {
        for ((h, q), p) in self.held.iter_mut().zip(&self.qty).zip(prices) {
            *h = q * p;
        }
    }

    /// The largest distance of a weight from its target, at `prices`.
    fn drift(&mut self, prices: &[f64], target: &[f64]) -> f64 {
        self.mark_held(prices);
        let e = self.cash + self.held.iter().sum::<f64>();
        self.held
            .iter()
            .zip(target)
            .map(|(h, x)| (h / e - x).abs())
            .fold(0.0, f64::max)
    }

    /// Fills an order for `target` on bar `bar` at `prices`, with the cash the loop keeps in a
    /// local; returns whether any position is held after it.
    fn fill(&mut self, bar: usize, target: &[f64], prices: &[f64], cash: &mut f64) -> bool {
        self.cash = *cash;
        self.rebalance(bar, target, prices);
        *cash = self.cash;
        self.qty.iter().any(|q| *q != 0.0)
    }

    /// Trades to `target` weights at `prices` (reference prices before slippage), sized so the
    /// order pays for itself exactly: see [`post_trade_equity`].
    fn rebalance(&mut self, bar: usize, target: &[f64], prices: &[f64]) {
        self.mark_held(prices);
        let equity = self.cash + self.held.iter().sum::<f64>();
        if equity.is_nan() || equity <= 0.0 {
            return; // Nothing left to invest; the run is wiped out.
        }
        let ex = self.ex;
        let k = target.len();
        let Some(after) = post_trade_equity(&ex, equity, &self.held, target, &mut self.trade)
        else {
            return; // The order's costs would exceed the equity: it is not sent.
        };
        for a in 0..k {
            if !self.trade[a] {
                continue;
            }
            let p = prices[a];
            // The new holding is exactly its target share of the post-trade equity.
            let qty = target[a] * after / p;
            let dq = qty - self.qty[a];
            let fill = p * (1.0 + ex.slippage * dq.signum());
            let notional = dq * fill;
            let commission = notional.abs() * ex.commission + ex.fixed_cost;
            let slippage = dq.abs() * p * ex.slippage;
            self.cash -= notional + commission;
            self.qty[a] = qty;
            self.totals.commission += commission;
            self.totals.slippage += slippage;
            self.totals.turnover += (dq * p).abs() / equity;
            self.totals.fills += 1;
            if !self.record {
                continue;
            }
            self.trades.push(Trade {
                bar,
                asset: AssetId(a),
                quantity: dq,
                price: fill,
                commission,
                slippage,
            });
        }
    }
}

/// The self-financing size of an order: the post-trade equity `E'` with `E' + costs(E') = E`.
///
/// `held[a]` is asset a's value at the reference prices, `equity` = `E` the pre-trade equity.
/// Moving asset a from `held[a]` to `target[a] x E'` changes it by `d = target[a] E' - held[a]`
/// and costs `|d| (s + c (1 + s))` on a buy, `|d| (s + c (1 - s))` on a sale (slippage s moves
/// the fill price, commission c is charged on the filled notional), plus the fixed cost; an
/// asset whose change is at most `min_trade` of `E` (and 1e-9 of it, float noise) is not traded.
///
/// For a fixed set of traded assets, `E' + costs(E')` is convex and piecewise linear in `E'`
/// with slope `1 + sum target[a] x (rate of the side)` > 0, so the root is unique: Newton's
/// method on the pieces (guess the side of every trade, solve the linear piece exactly, re-read
/// the sides) reaches it in at most one step per piece. The traded set is then re-derived at
/// the solution and the solve repeated until it is stable. Returns `E'`, with `trade[a]` set to
/// whether asset a trades, or `None` when the costs would consume the equity. (`trade` is the
/// caller's buffer: no allocation on the simulator's decision bars.)
pub fn post_trade_equity(
    ex: &Execution,
    equity: f64,
    held: &[f64],
    target: &[f64],
    trade: &mut [bool],
) -> Option<f64> {
    let k = held.len();
    let tiny = ex.min_trade.max(1e-9) * equity;
    let buy = ex.slippage + ex.commission * (1.0 + ex.slippage);
    let sell = ex.slippage + ex.commission * (1.0 - ex.slippage);
    // Sets the traded set as judged at post-trade equity `e`; true if it changed.
    let judge = |e: f64, trade: &mut [bool]| {
        let mut changed = false;
        for a in 0..k {
            let t = (target[a] * e - held[a]).abs() > tiny;
            changed |= t != trade[a];
            trade[a] = t;
        }
        changed
    };
    // Solves the order for a fixed traded set, piece by piece.
    let solve = |trade: &[bool]| -> f64 {
        let mut e = equity;
        // A side flips at most once per asset between pieces; k + 2 steps always suffice.
        for _ in 0..k + 2 {
            // E' (1 + sum rate sigma t) = E + sum rate sigma held - fixed x count
            let (mut slope, mut rhs) = (1.0, equity);
            for a in (0..k).filter(|&a| trade[a]) {
                let up = target[a] * e - held[a] >= 0.0;
                let (rate, sigma) = if up { (buy, 1.0) } else { (sell, -1.0) };
                slope += rate * sigma * target[a];
                rhs += rate * sigma * held[a] - ex.fixed_cost;
            }
            let next = rhs / slope;
            let same_sides = (0..k).filter(|&a| trade[a]).all(|a| {
                let was = target[a] * e - held[a] >= 0.0;
                let now = target[a] * next - held[a];
                now == 0.0 || (now > 0.0) == was
            });
            e = next;
            if same_sides {
                break;
            }
        }
        e
    };
    judge(equity, trade);
    let mut after = solve(trade);
    // The traded set as judged at the solution; a change of set is rare (a trade right at the
    // threshold) and settles in a step or two. A set that keeps alternating keeps the last one.
    for _ in 0..k {
        if !judge(after, trade) {
            break;
        }
        after = solve(trade);
    }
    (after.is_finite() && after > 0.0).then_some(after)
}

/// Runs a plan whose decisions are already made.
pub fn simulate(panel: &Panel, plan: &Plan, decisions: &Decisions) -> RunResult {
    let scheduled = schedule(&panel.dates, &plan.rebalance);
    simulate_with(panel, plan, decisions, &scheduled, true)
}

/// Interest earned and financing paid, accumulated in the loop.
#[derive(Default)]
struct Accrued {
    interest: f64,
    financing: f64,
}

/// Cash accrual of bar t (t > 0): positive cash earns the cash return; borrowed cash pays it
/// plus the financing spread.
#[inline(always)]
fn accrue(panel: &Panel, ex: &Execution, t: usize, cash: &mut f64, acc: &mut Accrued) {
    let c = *cash;
    let rate = panel.cash_ret[t];
    if c >= 0.0 {
        // Skipped when nothing accrues, which keeps cash off the loop's critical path.
        if rate != 0.0 && c != 0.0 {
            let i = c * rate;
            *cash += i;
            acc.interest += i;
        }
    } else {
        let gap = panel.gap_days[t] / panel.day_count;
        let paid = -c * (rate + ex.financing_spread * gap);
        *cash -= paid;
        acc.financing += paid;
    }
}

/// The borrow fee of bar t on the short positions' notional at the previous close.
fn borrow_fee(panel: &Panel, ex: &Execution, qty: &[f64], t: usize) -> f64 {
    let gap = panel.gap_days[t] / panel.day_count;
    qty.iter()
        .zip(&panel.close)
        .filter(|(q, _)| **q < 0.0)
        .map(|(q, close)| -q * close[t - 1] * ex.borrow_fee * gap)
        .sum()
}

/// Equity at the close of bar t: the same sum, in the same order, as `Book::rebalance` takes.
#[inline(always)]
pub(crate) fn mark(panel: &Panel, t: usize, cash: f64, qty: &[f64]) -> f64 {
    cash + qty
        .iter()
        .zip(&panel.close)
        .map(|(q, c)| q * c[t])
        .sum::<f64>()
}

/// The reference prices of a fill on bar t: the open for `next_open` (the close when an
/// asset has none), else the close.
fn fill_prices(panel: &Panel, fill: Fill, t: usize, prices: &mut [f64]) {
    for (a, p) in prices.iter_mut().enumerate() {
        *p = match fill {
            Fill::NextOpen => panel.open[a].as_ref().map_or(panel.close[a][t], |o| o[t]),
            _ => panel.close[a][t],
        };
    }
}

/// Where the strategy stands between decisions.
#[derive(Default)]
pub(crate) struct Standing {
    /// Bar whose targets are to be filled (next open or close).
    pub(crate) pending: Option<usize>,
    /// Bar whose targets are held now.
    pub(crate) held: Option<usize>,
    /// Bar of the last change of allocation (for `min_hold`).
    last_change: Option<usize>,
}

impl Standing {
    /// The test of a decision bar (scheduled, or the first entry with `enter_immediately`, and
    /// its rule known), with what depends on the standing read once: it holds until the next
    /// decision, so the lean loop's quiet stretch and the full loop share it.
    #[inline(always)]
    fn due<'a>(
        &self,
        plan: &Plan,
        decisions: &'a Decisions,
        scheduled: &'a [bool],
    ) -> impl Fn(usize) -> bool + 'a {
        let entering = plan.rebalance.enter_immediately && self.held.is_none();
        let rule = &decisions.rule;
        move |t| (scheduled[t] || entering) && rule[t].is_some()
    }

    /// The decision on bar t (a due bar): whether the targets are traded to, given the holding
    /// period, the drift band and room for a later fill. Records the choice.
    fn decide(
        &mut self,
        plan: &Plan,
        decisions: &Decisions,
        book: &mut Book,
        prices: &[f64],
        t: usize,
        n: usize,
    ) -> bool {
        let (r, ex) = (&plan.rebalance, &plan.execution);
        let target = decisions.target(t);
        let changed = self.held.is_none_or(|h| decisions.target(h) != target);
        let hold_ok = !changed || self.last_change.is_none_or(|lc| t - lc >= r.min_hold);
        // The weights' distance from target matters only with a drift band.
        let band_ok = r
            .drift_band
            .is_none_or(|band| book.drift(prices, target) > band);
        let room = t + usize::from(ex.fill != Fill::Close) < n;
        if !(hold_ok && band_ok && room) {
            return false;
        }
        if changed {
            self.last_change = Some(t);
        }
        self.held = Some(t);
        true
    }
}

/// The event loop's state between bars. The hot path keeps cash, the accruals and the invested
/// flag here, out of `book` (the loop is latency bound); they are synced with `book` around the
/// rare rebalances.
pub(crate) struct Loop {
    pub(crate) book: Book,
    pub(crate) at: Standing,
    /// Scratch: the reference prices of a fill.
    prices: Vec<f64>,
    pub(crate) cash: f64,
    acc: Accrued,
    /// Whether any position is held (as the last fill found): false means all cash.
    pub(crate) invested: bool,
}

/// What [`Loop::act`] did on a bar.
pub(crate) struct Acted {
    /// The bar was a due decision bar.
    pub(crate) due: bool,
    /// A fill was made (the holdings may have changed).
    pub(crate) filled: bool,
}

impl Loop {
    pub(crate) fn new(plan: &Plan, book: Book) -> Loop {
        Loop {
            prices: vec![0.0; plan.n_assets],
            cash: book.cash,
            book,
            at: Standing::default(),
            acc: Accrued::default(),
            invested: false,
        }
    }

    /// Step 1 of bar t > 0: the cash accrual and the borrow fee.
    #[inline(always)]
    pub(crate) fn carry(&mut self, panel: &Panel, ex: &Execution, t: usize) {
        accrue(panel, ex, t, &mut self.cash, &mut self.acc);
        if ex.borrow_fee > 0.0 {
            let fee = borrow_fee(panel, ex, &self.book.qty, t);
            self.cash -= fee;
            self.book.totals.borrow_fees += fee;
        }
    }

    /// Steps 1 to 4 of bar t (accrual and borrow fee, the pending fill, the decision): all but
    /// the mark. Shared by [`simulate_with`] and the sweep's `fast::headline`.
    #[inline(always)]
    pub(crate) fn act(
        &mut self,
        panel: &Panel,
        plan: &Plan,
        decisions: &Decisions,
        scheduled: &[bool],
        t: usize,
    ) -> Acted {
        let ex = plan.execution;
        if t > 0 {
            self.carry(panel, &ex, t);
        }
        let mut filled = false;
        if let Some(src) = self.at.pending.take() {
            fill_prices(panel, ex.fill, t, &mut self.prices);
            self.invested = self
                .book
                .fill(t, decisions.target(src), &self.prices, &mut self.cash);
            filled = true;
        }
        let due = self.at.due(plan, decisions, scheduled)(t);
        if due {
            fill_prices(panel, Fill::Close, t, &mut self.prices);
            self.book.cash = self.cash;
            let n = panel.len();
            if self
                .at
                .decide(plan, decisions, &mut self.book, &self.prices, t, n)
            {
                if ex.fill == Fill::Close {
                    self.invested =
                        self.book
                            .fill(t, decisions.target(t), &self.prices, &mut self.cash);
                    filled = true;
                } else {
                    self.at.pending = Some(t);
                }
            }
        }
        Acted { due, filled }
    }
}

/// The event loop. `scheduled` is [`schedule`] of the plan's rebalance spec (shared by the
/// variants of a sweep); with `detail` false, only equity and totals are kept (no weights,
/// cash, rules or trade list), which is all a sweep needs.
///
/// Per bar: [`accrue`] (and [`borrow_fee`]), a pending fill, a decision ([`Standing::decide`]),
/// [`mark`]. In lean mode, runs of bars with nothing to do go through [`quiet_bars`].
pub fn simulate_with(
    panel: &Panel,
    plan: &Plan,
    decisions: &Decisions,
    scheduled: &[bool],
    detail: bool,
) -> RunResult {
    let n = panel.len();
    let k = plan.n_assets;
    let ex = plan.execution;
    let book = Book::new(ex, detail, plan.initial_capital, k);
    // Written by index (no push in the loop: a possible reallocation call would force the
    // loop's floating-point state out of registers).
    let mut equity = vec![0.0; n];
    let mut cash = Vec::with_capacity(if detail { n } else { 0 });
    let mut weights = vec![0.0; if detail { n * k } else { 0 }];
    let mut rule = vec![None; if detail { n } else { 0 }];
    let mut st = Loop::new(plan, book);
    let mut t = 0;
    let mut ruined = None;
    while t < n {
        let acted = st.act(panel, plan, decisions, scheduled, t);
        if detail && acted.due {
            rule[t] = decisions.rule[t];
        }
        let e = mark(panel, t, st.cash, &st.book.qty);
        equity[t] = e;
        if e <= 0.0 {
            // Ruined: nothing left to trade with. The equity stays where it fell.
            ruined = Some(t);
            st.book.qty.iter_mut().for_each(|q| *q = 0.0);
            st.cash = e;
            st.invested = false;
        }
        if st.invested {
            st.book.totals.invested_bars += 1;
        }
        if detail {
            cash.push(st.cash);
            for a in 0..k {
                let w = st.book.qty[a] * panel.close[a][t] / e;
                weights[t * k + a] = if e != 0.0 { w } else { 0.0 };
            }
        }
        t += 1;
        if let Some(r) = ruined {
            let last = equity[r];
            equity[t..].fill(last);
            if detail {
                cash.resize(n, equity[r]);
            }
            break;
        }
        // Quiet bars (lean mode, no fill due, no borrow fee): accrue and mark only.
        if !detail && st.at.pending.is_none() && ex.borrow_fee == 0.0 {
            let start = t;
            let due = st.at.due(plan, decisions, scheduled);
            t = quiet_bars(
                panel,
                &ex,
                &st.book.qty,
                t,
                due,
                &mut st.cash,
                &mut st.acc,
                &mut equity,
            );
            if st.invested {
                st.book.totals.invested_bars += t - start;
            }
            if t > start && equity[t - 1] <= 0.0 {
                // As in the full loop: the ruin bar is not counted as invested.
                let r = t - 1;
                if st.invested {
                    st.book.totals.invested_bars -= 1;
                }
                ruined = Some(r);
                let last = equity[r];
                equity[r..].fill(last);
                break;
            }
        }
    }
    let mut book = st.book;
    book.totals.interest += st.acc.interest;
    book.totals.financing += st.acc.financing;
    RunResult {
        n_assets: k,
        equity,
        cash,
        weights,
        trades: book.trades,
        totals: book.totals,
        rule,
        same_bar: ex.fill == Fill::Close,
        first_known: decisions.first_known(),
        ruined,
    }
}

/// From bar t, the bars until the next due decision (or the end) on which nothing but accrual
/// happens: accrue and mark in a tight loop. Same arithmetic as the full path, so results are
/// identical to it. Returns the first bar not done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn quiet_bars(
    panel: &Panel,
    ex: &Execution,
    qty: &[f64],
    mut t: usize,
    due: impl Fn(usize) -> bool,
    cash_now: &mut f64,
    acc: &mut Accrued,
    equity: &mut [f64],
) -> usize {
    let n = panel.len();
    if let ([q0, q1], [c0, c1]) = (qty, &panel.close[..]) {
        // Two assets, the common case: the same sum as `mark`, operand for operand.
        while t < n && !due(t) {
            accrue(panel, ex, t, cash_now, acc);
            equity[t] = *cash_now + ((-0.0 + q0 * c0[t]) + q1 * c1[t]);
            t += 1;
            if equity[t - 1] <= 0.0 {
                break; // ruined: the caller stops there, as the full loop does
            }
        }
    } else {
        while t < n && !due(t) {
            accrue(panel, ex, t, cash_now, acc);
            equity[t] = mark(panel, t, *cash_now, qty);
            t += 1;
            if equity[t - 1] <= 0.0 {
                break;
            }
        }
    }
    t
}

/// A run on its panel as the statistics read it (the adapter from the simulator to `stats`).
pub fn record<'a>(panel: &'a Panel, run: &'a RunResult) -> crate::stats::Record<'a> {
    crate::stats::Record {
        dates: &panel.dates,
        cash_ret: &panel.cash_ret,
        equity: &run.equity,
        weights: &run.weights,
        assets: &panel.asset_names,
        totals: &run.totals,
    }
}

/// All statistics of a run on its panel, against `benchmarks` (runs on the same panel).
pub fn statistics(
    panel: &Panel,
    run: &RunResult,
    benchmarks: &[(String, RunResult)],
) -> crate::stats::Stats {
    let curves: Vec<(&str, &[f64])> = benchmarks
        .iter()
        .map(|(n, b)| (n.as_str(), b.equity.as_slice()))
        .collect();
    crate::stats::compute(&record(panel, run), &curves)
}

/// Evaluates signals and rules (on the history, warm-up included), then simulates the run's
/// bars: one complete backtest.
pub fn run(panel: &Panel, plan: &Plan) -> RunResult {
    let signals = signal::eval_signals(plan, panel);
    let decisions = signal::decide(plan, panel, &signals);
    simulate(panel, plan, &decisions)
}

/// A strategy's run and its benchmarks' runs.
pub struct Runs {
    pub strategy: RunResult,
    pub benchmarks: Vec<(String, RunResult)>,
}

/// The strategy's run (from its `signals`, as [`signal::eval_signals`] returns them) and each
/// benchmark's.
pub fn run_with_benchmarks(panel: &Panel, plan: &Plan, signals: &[Vec<f64>]) -> Runs {
    let strategy = simulate(panel, plan, &signal::decide(plan, panel, signals));
    let benchmarks = plan
        .benchmarks
        .iter()
        .map(|b| {
            let bp = plan.for_benchmark(b);
            let d = signal::decide(&bp, panel, &[]);
            (b.name.clone(), simulate(panel, &bp, &d))
        })
        .collect();
    Runs {
        strategy,
        benchmarks,
    }
}

/// Runs many (panel, plan) jobs in parallel; results come back in input order and each is
/// computed by one thread alone, so they are identical whatever the number of threads.
pub fn run_many<'a>(jobs: &[(&'a Panel, &'a Plan)]) -> Vec<RunResult> {
    jobs.par_iter()
        .map(|(panel, plan)| run(panel, plan))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(commission: f64, slippage: f64, fixed_cost: f64, min_trade: f64) -> Execution {
        Execution {
            fill: Fill::Close,
            commission,
            fixed_cost,
            slippage,
            min_trade,
            financing_spread: 0.0,
            borrow_fee: 0.0,
        }
    }

    /// `E' + costs(E') - E` written out directly, for a bisection that shares no code with the
    /// solver: buys pay `s + c (1 + s)`, sales `s + c (1 - s)`, each traded asset the fixed cost.
    fn residual(
        x: &Execution,
        e: f64,
        held: &[f64],
        target: &[f64],
        trade: &[bool],
        ep: f64,
    ) -> f64 {
        let mut costs = 0.0;
        for a in 0..held.len() {
            if !trade[a] {
                continue;
            }
            let d = target[a] * ep - held[a];
            let rate = if d > 0.0 {
                x.slippage + x.commission * (1.0 + x.slippage)
            } else {
                x.slippage + x.commission * (1.0 - x.slippage)
            };
            costs += d.abs() * rate + x.fixed_cost;
        }
        ep + costs - e
    }

    fn bisect(x: &Execution, e: f64, held: &[f64], target: &[f64], trade: &[bool]) -> f64 {
        let (mut lo, mut hi) = (0.0, 2.0 * e);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if residual(x, e, held, target, trade, mid) > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn closed_forms_of_single_asset_moves() {
        let (c, s, f) = (0.001, 0.0005, 2.0);
        let x = ex(c, s, f, 0.0);
        let e = 10_000.0;
        let mut trade = [false; 2];
        let buy = post_trade_equity(&x, e, &[0.0, 0.0], &[1.0, 0.0], &mut trade).unwrap();
        assert!((buy - (e - f) / ((1.0 + s) * (1.0 + c))).abs() < 1e-9);
        let switch = post_trade_equity(&x, e, &[e, 0.0], &[0.0, 1.0], &mut trade).unwrap();
        let want = (e * (1.0 - s) * (1.0 - c) - 2.0 * f) / ((1.0 + s) * (1.0 + c));
        assert!((switch - want).abs() < 1e-9, "{switch} vs {want}");
        let sell = post_trade_equity(&x, e, &[e, 0.0], &[0.0, 0.0], &mut trade).unwrap();
        assert!((sell - (e * (1.0 - s) * (1.0 - c) - f)).abs() < 1e-9);
        assert_eq!(trade, [true, false]);
    }

    #[test]
    fn mixed_rebalances_solve_the_equation_exactly() {
        // Buys and sales in one order, leverage and a short, with and without a fixed cost.
        let cases: &[(&[f64], &[f64])] = &[
            (&[6_000.0, 4_000.0, 0.0], &[0.4, 0.5, 0.1]),
            (&[2_000.0, 2_000.0, 6_000.0], &[0.6, 0.4, 0.0]),
            (&[5_000.0, 5_000.0, 0.0], &[1.2, 0.3, -0.5]),
            (&[9_000.0, 0.0, 0.0], &[0.9001, 0.05, 0.0499]),
        ];
        for &(held, target) in cases {
            for x in [ex(0.001, 0.0, 0.0, 0.0), ex(0.002, 0.001, 5.0, 0.0)] {
                let e: f64 = held.iter().sum();
                let mut trade = vec![false; held.len()];
                let got = post_trade_equity(&x, e, held, target, &mut trade).unwrap();
                let want = bisect(&x, e, held, target, &trade);
                assert!(
                    (got - want).abs() < 1e-9 * e,
                    "{held:?} {target:?}: {got} vs {want}"
                );
                let r = residual(&x, e, held, target, &trade, got);
                assert!(r.abs() < 1e-9, "residual {r}");
            }
        }
    }

    #[test]
    fn small_changes_below_min_trade_are_not_traded() {
        let x = ex(0.001, 0.0, 0.0, 0.001); // 10 bps
        let held = [5_990.0, 4_010.0];
        let mut trade = [true; 2];
        post_trade_equity(&x, 10_000.0, &held, &[0.6, 0.4], &mut trade).unwrap();
        assert_eq!(trade, [false, false]);
        post_trade_equity(&x, 10_000.0, &held, &[0.7, 0.3], &mut trade).unwrap();
        assert_eq!(trade, [true, true]);
        // Costs that would eat the whole equity: no order.
        let x = ex(0.0, 0.0, 20_000.0, 0.0);
        assert!(post_trade_equity(&x, 10_000.0, &[0.0], &[1.0], &mut [false]).is_none());
    }
}
