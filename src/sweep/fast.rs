//! A sweep variant's headline metrics, computed holding period by holding period.
//!
//! The event loop ([`crate::sim::simulate_with`]) marks every bar and [`crate::stats::curve`] then
//! reads the whole equity curve twice: O(bars) per variant. But between two fills a portfolio
//! that holds one asset alone (all its equity in it, no cash but rounding residue) earns exactly
//! that asset's returns, bar after bar, whatever the variant. So everything a headline metric
//! needs from such a stretch comes from structures built once per sweep for each asset
//! ([`Tracks`]), in O(1) (O(log) for a new equity high inside the stretch):
//!
//! - sums of the returns, excess returns, their squares and the squared negative excess
//!   returns: differences of prefix sums;
//! - drawdowns: while the equity stays under its previous peak P, the drawdown of bar t is
//!   `q c_t / P - 1` (q units of an asset closing at c_t), so the deepest one is a range minimum
//!   and the sum of their squares `w^2 S2 - 2 w S1 + count` (w = q / P, S1 and S2 prefix sums
//!   of c and c^2); from the first new high on, the peak is the asset's own running maximum:
//!   the sum of squared drawdowns follows the chain of the asset's successive highs (each high
//!   to the next higher close), summed once per asset from the end ([`Track::chain`]), and the
//!   deepest drawdown is looked at bar by bar only when the range's minimum over its maximum
//!   says it could be deeper than the deepest so far.
//!
//! The loop itself is the event loop's: the same accrual, fills and decisions ([`Loop::act`])
//! and marks on the bars where anything happens (a decision that can change the
//! holdings, a fill, the bars on either side of them); cash earning nothing is one step
//! ([`Tally::flat`]); other stretches (cash earning a rate, several assets, short positions)
//! are marked bar by bar as before. Sums are kept in double-double
//! arithmetic, so the metrics equal those of the plain run to about 1e-14 relative, not bit
//! for bit (`docs/sweep.md`). A run whose equity stops being positive and finite takes the
//! plain path ([`crate::sim::simulate_with`] and [`crate::stats::curve`]).

use crate::data::Panel;
use crate::plan::Plan;
use crate::signal::Decisions;
use crate::sim::{mark, simulate_with, Book, Loop, RunResult};
use crate::stats::{self, CurveSums, Headline};

/// A number held as an unevaluated sum `hi + lo` (double-double): sums of thousands of terms,
/// and differences of them, without the rounding error of plain `f64` sums.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// `a + b` and its rounding error, exactly (Knuth).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` and its rounding error when |a| >= |b| (Dekker).
#[inline(always)]
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a x b` and its rounding error, exactly (Dekker's product: no fused multiply-add, which
/// the baseline x86-64 target would call from libm).
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    #[inline(always)]
    fn split(a: f64) -> (f64, f64) {
        let t = 134_217_729.0 * a; // 2^27 + 1
        let hi = t - (t - a);
        (hi, a - hi)
    }
    let p = a * b;
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

impl Dd {
    const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    #[inline(always)]
    fn add(self, x: f64) -> Dd {
        let (s, e) = two_sum(self.hi, x);
        let (hi, lo) = quick_two_sum(s, e + self.lo);
        Dd { hi, lo }
    }

    #[inline(always)]
    fn plus(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (hi, lo) = quick_two_sum(s, e + (self.lo + o.lo));
        Dd { hi, lo }
    }

    #[inline(always)]
    fn minus(self, o: Dd) -> Dd {
        self.plus(Dd {
            hi: -o.hi,
            lo: -o.lo,
        })
    }

    /// `self x w`, with the product's rounding error kept.
    #[inline(always)]
    fn times(self, w: f64) -> Dd {
        let (p, e) = two_prod(self.hi, w);
        let (hi, lo) = quick_two_sum(p, e + self.lo * w);
        Dd { hi, lo }
    }

    #[inline(always)]
    fn value(self) -> f64 {
        self.hi + self.lo
    }

    /// `self - o` as an `f64`: the high parts' difference is correctly rounded and the low
    /// parts are below its last bit, so this is within a few roundings of the exact difference
    /// (unlike the difference of two plain sums, whose own errors can be larger than it).
    #[inline(always)]
    fn diff(self, o: Dd) -> f64 {
        (self.hi - o.hi) + (self.lo - o.lo)
    }
}

/// Sums over the bars before a given bar, for one asset: returns r, excess returns x (over the
/// cash return), their squares, squared negative excess returns (the return of bar 0 is not
/// counted), and the closes c and their squares.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    r: Dd,
    r2: Dd,
    x: Dd,
    x2: Dd,
    down: Dd,
    c: Dd,
    c2: Dd,
}

/// Sparse table: the position of the largest (or smallest) close of any range in O(1), the
/// first such position on ties.
struct Table {
    levels: Vec<Vec<u32>>,
    max: bool,
}

impl Table {
    fn new(c: &[f64], max: bool) -> Table {
        let n = c.len();
        let mut levels = vec![(0..n as u32).collect::<Vec<u32>>()];
        // The best value of each range of the level being built from: read in order, not
        // through the positions.
        let mut best = c.to_vec();
        let mut width = 1;
        while 2 * width <= n {
            let prev = &levels[levels.len() - 1];
            let m = n + 1 - 2 * width;
            let (mut at, mut value) = (vec![0u32; m], vec![0.0; m]);
            let (left, right) = (&best[..m], &best[width..width + m]);
            let (from_left, from_right) = (&prev[..m], &prev[width..width + m]);
            for i in 0..m {
                let (a, b) = (left[i], right[i]);
                let take = if max { b > a } else { b < a };
                at[i] = if take { from_right[i] } else { from_left[i] };
                value[i] = if take { b } else { a };
            }
            levels.push(at);
            best = value;
            width *= 2;
        }
        Table { levels, max }
    }

    /// Of two positions i < j, the better one (i on a tie).
    #[inline(always)]
    fn pick(c: &[f64], max: bool, i: u32, j: u32) -> u32 {
        let (ci, cj) = (c[i as usize], c[j as usize]);
        if (max && cj > ci) || (!max && cj < ci) {
            j
        } else {
            i
        }
    }

    /// The position of the best close of bars `[u, v]` (u <= v).
    #[inline(always)]
    fn query(&self, c: &[f64], u: usize, v: usize) -> usize {
        let k = (usize::BITS - 1 - (v - u + 1).leading_zeros()) as usize;
        let level = &self.levels[k];
        Table::pick(c, self.max, level[u], level[v + 1 - (1 << k)]) as usize
    }
}

/// One asset's structures, built once per sweep.
struct Track {
    /// `sums[t]`: [`Sums`] over bars `[0, t)`; `n + 1` entries.
    sums: Vec<Sums>,
    top: Table,
    bottom: Table,
    /// `chain[j]`: the sum of squared drawdowns of bars `[j, n)` measured from the running
    /// maximum of the closes since bar j (the chain of successive highs from j).
    chain: Vec<Dd>,
}

impl Track {
    fn new(c: &[f64], cash_ret: &[f64]) -> Track {
        let n = c.len();
        let mut sums = Vec::with_capacity(n + 1);
        let mut s = Sums::default();
        sums.push(s);
        for t in 0..n {
            if t > 0 {
                let r = c[t] / c[t - 1] - 1.0;
                let x = r - cash_ret[t];
                s.r = s.r.add(r);
                s.r2 = s.r2.add(r * r);
                s.x = s.x.add(x);
                s.x2 = s.x2.add(x * x);
                s.down = s.down.add(x.min(0.0).powi(2));
            }
            s.c = s.c.add(c[t]);
            s.c2 = s.c2.add(c[t] * c[t]);
            sums.push(s);
        }
        // Next strictly higher close of each bar (n when none), by a monotone stack.
        let mut next = vec![n; n];
        let mut stack: Vec<usize> = Vec::new();
        for t in 0..n {
            while let Some(&j) = stack.last() {
                if c[t] > c[j] {
                    next[j] = t;
                    stack.pop();
                } else {
                    break;
                }
            }
            stack.push(t);
        }
        let mut track = Track {
            sums,
            top: Table::new(c, true),
            bottom: Table::new(c, false),
            chain: vec![Dd::ZERO; n + 1],
        };
        for j in (0..n).rev() {
            let block = track.under(j, next[j] - 1, 1.0 / c[j]);
            track.chain[j] = block.plus(track.chain[next[j]]);
        }
        track
    }

    /// `sum over t in [u, v] of (w c_t - 1)^2`: the squared drawdowns of q units of the asset
    /// under a peak P, w = q / P.
    #[inline(always)]
    fn under(&self, u: usize, v: usize, w: f64) -> Dd {
        let s = &self.sums;
        let (s1, s2) = (s[v + 1].c.minus(s[u].c), s[v + 1].c2.minus(s[u].c2));
        s2.times(w)
            .times(w)
            .minus(s1.times(2.0 * w))
            .add((v + 1 - u) as f64)
    }
}

/// What the sweep shares between its variants: a [`Track`] per asset whose closes are all
/// positive and finite (an asset without one is marked bar by bar), and the cash index.
pub struct Tracks {
    assets: Vec<Option<Track>>,
    /// The compounded cash return, for the residue of cash beside a single holding.
    cash_index: Vec<f64>,
    /// `no_rate_until[t]`: the first bar from t on whose cash return is not zero (n if none).
    no_rate_until: Vec<u32>,
}

impl Tracks {
    pub fn new(panel: &Panel) -> Tracks {
        use rayon::prelude::*;
        let cash_ok = panel.cash_ret.iter().all(|r| r.is_finite());
        let assets = panel
            .close
            .par_iter()
            .map(|c| {
                let ok = cash_ok && c.iter().all(|&p| p.is_finite() && p > 0.0);
                ok.then(|| Track::new(c, &panel.cash_ret))
            })
            .collect();
        let mut g = 1.0;
        let cash_index = panel
            .cash_ret
            .iter()
            .map(|r| {
                g *= 1.0 + r;
                g
            })
            .collect();
        let n = panel.len();
        let mut no_rate_until = vec![n as u32; n + 1];
        for t in (0..n).rev() {
            no_rate_until[t] = if panel.cash_ret[t] != 0.0 {
                t as u32
            } else {
                no_rate_until[t + 1]
            };
        }
        Tracks {
            assets,
            cash_index,
            no_rate_until,
        }
    }
}

/// Where a group of variants (same signals and rules) can act: its due bars (scheduled, their
/// rule known), those among them whose target differs from the previous due bar's, and the
/// first bar whose rule is known (where `enter_immediately` enters; n when none).
pub struct Calendar {
    due: Vec<u32>,
    change: Vec<u32>,
    first_known: usize,
}

impl Calendar {
    /// From the decisions and the scheduled bars `at` (ascending).
    pub fn new(decisions: &Decisions, at: &[usize]) -> Calendar {
        let (mut due, mut change) = (Vec::with_capacity(at.len()), Vec::new());
        let mut prev: Option<usize> = None;
        for &t in at.iter().filter(|&&t| decisions.rule[t].is_some()) {
            due.push(t as u32);
            if prev.is_none_or(|p| decisions.target(p) != decisions.target(t)) {
                change.push(t as u32);
            }
            prev = Some(t);
        }
        Calendar {
            due,
            change,
            first_known: decisions.first_known().unwrap_or(decisions.rule.len()),
        }
    }
}

/// A walk through one list of a [`Calendar`] with a bar that only moves forward: the next
/// listed bar at or after it, or `n` when there is none.
struct Next<'a> {
    at: &'a [u32],
    i: usize,
    n: usize,
}

impl<'a> Next<'a> {
    fn new(at: &'a [u32], n: usize) -> Next<'a> {
        Next { at, i: 0, n }
    }

    fn from(&mut self, t: usize) -> usize {
        while self.i < self.at.len() && (self.at[self.i] as usize) < t {
            self.i += 1;
        }
        self.at.get(self.i).map_or(self.n, |&s| s as usize)
    }
}

/// The sums of the curve metrics, added to bar by bar ([`Tally::bar`], through a [`Bars`]) or
/// holding period by holding period ([`Tally::hold`]).
struct Tally {
    r: Dd,
    r2: Dd,
    x: Dd,
    x2: Dd,
    down: Dd,
    ulcer: Dd,
    peak: f64,
    mdd: f64,
    first: f64,
    prev: f64,
    bars: usize,
    /// An equity that was not positive and finite: the run takes the plain path.
    bad: bool,
}

/// Plain sums of the bars marked one by one, added to the [`Tally`] at the end.
#[derive(Default)]
struct Bars {
    r: f64,
    r2: f64,
    x: f64,
    x2: f64,
    down: f64,
    ulcer: f64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            r: Dd::ZERO,
            r2: Dd::ZERO,
            x: Dd::ZERO,
            x2: Dd::ZERO,
            down: Dd::ZERO,
            ulcer: Dd::ZERO,
            peak: f64::NEG_INFINITY,
            mdd: f64::INFINITY,
            first: f64::NAN,
            prev: f64::NAN,
            bars: 0,
            bad: false,
        }
    }

    /// One bar of equity `e` with cash return `rf`: the arithmetic of [`stats::curve`].
    #[inline(always)]
    fn bar(&mut self, b: &mut Bars, e: f64, rf: f64) {
        if self.bars > 0 {
            let r = e / self.prev - 1.0;
            let x = r - rf;
            b.r += r;
            b.r2 += r * r;
            b.x += x;
            b.x2 += x * x;
            b.down += x.min(0.0).powi(2);
        } else {
            self.first = e;
        }
        self.peak = self.peak.max(e);
        let dd = e / self.peak - 1.0;
        if dd < self.mdd {
            self.mdd = dd;
        }
        b.ulcer += dd * dd;
        self.bad |= !(e > 0.0 && e.is_finite());
        self.prev = e;
        self.bars += 1;
    }

    /// Bars `[u, v]` at the equity of the bar before (all cash, earning nothing): each has
    /// the return 0 and the previous bar's drawdown, as [`Tally::bar`] would find.
    fn flat(&mut self, b: &mut Bars, u: usize, v: usize) {
        let count = v + 1 - u;
        let dd = self.prev / self.peak - 1.0;
        b.ulcer += count as f64 * (dd * dd);
        self.bars += count;
    }

    fn flush(&mut self, b: Bars) {
        self.r = self.r.add(b.r);
        self.r2 = self.r2.add(b.r2);
        self.x = self.x.add(b.x);
        self.x2 = self.x2.add(b.x2);
        self.down = self.down.add(b.down);
        self.ulcer = self.ulcer.add(b.ulcer);
    }

    /// Bars `[u, v]` (u >= 1) holding `q` units of the asset of `track` (closes `c`) and
    /// nothing else. The caller sets `prev` to the marked equity of bar v.
    fn hold(&mut self, track: &Track, c: &[f64], q: f64, u: usize, v: usize) {
        let (to, from) = (&track.sums[v + 1], &track.sums[u]);
        self.r = self.r.add(to.r.diff(from.r));
        self.r2 = self.r2.add(to.r2.diff(from.r2));
        self.x = self.x.add(to.x.diff(from.x));
        self.x2 = self.x2.add(to.x2.diff(from.x2));
        self.down = self.down.add(to.down.diff(from.down));
        self.bars += v + 1 - u;
        let peak = self.peak;
        let high = track.top.query(c, u, v);
        // The first bar whose equity exceeds the peak (v + 1 when none).
        let tau = if q * c[high] > peak {
            let exceeds = |t: usize| q * c[track.top.query(c, u, t)] > peak;
            let (mut lo, mut step) = (u, 1);
            let mut hi = loop {
                let t = (lo + step - 1).min(v);
                if exceeds(t) {
                    break t;
                }
                lo = t + 1;
                step *= 2;
            };
            while lo < hi {
                let mid = (lo + hi) / 2;
                if exceeds(mid) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        } else {
            v + 1
        };
        if tau > u {
            // Under the old peak.
            let low = track.bottom.query(c, u, tau - 1);
            let dd = q * c[low] / peak - 1.0;
            if dd < self.mdd {
                self.mdd = dd;
            }
            self.ulcer = self.ulcer.plus(track.under(u, tau - 1, q / peak));
        }
        if tau <= v {
            // From a new high on: the asset's own running maximum since tau.
            self.ulcer = self
                .ulcer
                .plus(track.chain[tau].minus(track.chain[high]))
                .plus(track.under(high, v, 1.0 / c[high]));
            let low = track.bottom.query(c, tau, v);
            if c[low] / c[high] - 1.0 < self.mdd {
                // Possibly deeper than the deepest so far: bar by bar.
                let mut run = f64::NEG_INFINITY;
                for &p in &c[tau..=v] {
                    let e = q * p;
                    run = run.max(e);
                    let dd = e / run - 1.0;
                    if dd < self.mdd {
                        self.mdd = dd;
                    }
                }
            }
            self.peak = q * c[high];
        }
    }

    fn finish(&self, years: f64) -> stats::Curve {
        let m = (self.bars - 1) as f64;
        let (mean_r, mean_x) = (self.r.value() / m, self.x.value() / m);
        let ss = |s2: Dd, s: Dd, mean: f64| s2.minus(s.times(mean)).value().max(0.0);
        stats::finish_curve(
            years,
            CurveSums {
                first: self.first,
                last: self.prev,
                n: self.bars,
                m,
                mean_x,
                ss_r: ss(self.r2, self.r, mean_r),
                ss_x: ss(self.x2, self.x, mean_x),
                down: self.down.value(),
                mdd: self.mdd,
                ulcer: self.ulcer.value(),
            },
        )
    }
}

/// The asset held alone after a fill, if the holdings are exactly that: one long position,
/// cash within 1e-12 of the equity, the held target all in it, and the asset tracked.
fn alone(book: &Book, cash: f64, e: f64, target: &[f64], tracks: &Tracks) -> Option<usize> {
    let mut held = None;
    for (a, &q) in book.qty.iter().enumerate() {
        if q != 0.0 {
            if held.is_some() || q < 0.0 {
                return None;
            }
            held = Some(a);
        }
    }
    let a = held?;
    let all_in = target
        .iter()
        .enumerate()
        .all(|(b, &w)| w == if b == a { 1.0 } else { 0.0 });
    (all_in && cash.abs() <= 1e-12 * e && tracks.assets[a].is_some()).then_some(a)
}

/// One variant of a sweep, ready to run: its plan, its group's decisions and decision
/// calendar, the schedule of its rebalance spec.
pub struct Lean<'a> {
    pub panel: &'a Panel,
    pub plan: &'a Plan,
    pub decisions: &'a Decisions,
    pub scheduled: &'a [bool],
    pub calendar: &'a Calendar,
}

impl Lean<'_> {
    /// The lean run: equity and totals (what walk-forward windows read).
    pub fn run(&self) -> RunResult {
        simulate_with(self.panel, self.plan, self.decisions, self.scheduled, false)
    }

    /// The headline metrics, computed holding period by holding period ([`headline`]); the lean
    /// run and [`crate::stats::headline`] when the fast path declines.
    pub fn headline(&self, tracks: &Tracks) -> crate::stats::Headline {
        headline(
            self.panel,
            self.plan,
            self.decisions,
            self.scheduled,
            self.calendar,
            tracks,
        )
        .unwrap_or_else(|| crate::stats::headline(&crate::sim::record(self.panel, &self.run())))
    }
}

/// The headline metrics of a lean run of `plan`, or `None` when its equity stops being
/// positive and finite (then the plain path gives them).
pub fn headline(
    panel: &Panel,
    plan: &Plan,
    decisions: &Decisions,
    scheduled: &[bool],
    calendar: &Calendar,
    tracks: &Tracks,
) -> Option<Headline> {
    let n = panel.len();
    let k = plan.n_assets;
    let rb = &plan.rebalance;
    // Without a holding period or a drift band, every due bar trades to its target: a due bar
    // whose target equals the previous one's leaves a single holding as it is.
    let simple = rb.min_hold == 0 && rb.drift_band.is_none();
    let mut st = Loop::new(
        plan,
        Book::new(plan.execution, false, plan.initial_capital, k),
    );
    let mut tally = Tally::new();
    // The bars marked one by one, summed like the plain path sums them (added at the end).
    let mut bars = Bars::default();
    let mut alone_in: Option<usize> = None;
    let (mut due, mut change) = (Next::new(&calendar.due, n), Next::new(&calendar.change, n));
    let mut t = 0;
    while t < n {
        // A bar where something may happen: the event loop's own steps.
        let acted = st.act(panel, plan, decisions, scheduled, t);
        let e = mark(panel, t, st.cash, &st.book.qty);
        tally.bar(&mut bars, e, panel.cash_ret[t]);
        if st.invested {
            st.book.totals.invested_bars += 1;
        }
        if acted.filled {
            let target = st.at.held.map_or(&[][..], |h| decisions.target(h));
            alone_in = alone(&st.book, st.cash, e, target, tracks);
        }
        t += 1;
        if st.at.pending.is_some() || t >= n {
            continue;
        }
        // The bars until the next one where something may happen.
        let stop = if rb.enter_immediately && st.at.held.is_none() {
            calendar.first_known.max(t)
        } else if simple && alone_in.is_some() {
            change.from(t)
        } else {
            due.from(t)
        };
        if stop <= t {
            continue;
        }
        let (u, v) = (t, stop - 1);
        match alone_in {
            Some(a) => {
                let track = tracks.assets[a].as_ref().expect("a tracked asset");
                tally.hold(track, &panel.close[a], st.book.qty[a], u, v);
                if st.cash != 0.0 {
                    st.cash *= tracks.cash_index[v] / tracks.cash_index[u - 1];
                }
                tally.prev = mark(panel, v, st.cash, &st.book.qty);
            }
            None if !st.invested && tracks.no_rate_until[u] as usize > v => {
                tally.flat(&mut bars, u, v);
            }
            None => {
                for t in u..=v {
                    st.carry(panel, &plan.execution, t);
                    let e = mark(panel, t, st.cash, &st.book.qty);
                    tally.bar(&mut bars, e, panel.cash_ret[t]);
                }
            }
        }
        if st.invested {
            st.book.totals.invested_bars += stop - t;
        }
        t = stop;
    }
    tally.flush(bars);
    if tally.bad || n < 2 {
        return None;
    }
    let years = stats::years(&panel.dates);
    let tot = &st.book.totals;
    Some(Headline {
        curve: tally.finish(years),
        trades: tot.fills,
        annual_turnover: tot.turnover / years,
        total_costs: tot.commission + tot.slippage,
        time_in_market: tot.invested_bars as f64 / n as f64,
    })
}

#[cfg(test)]
mod tests {
    //! The building blocks against naive versions: double-double sums against exact integer
    //! arithmetic, the sparse table against a scan of every range, `Next` against a search.
    use super::*;

    /// A deterministic sequence in [0, 1).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Values that are whole multiples of 2^-30 below 2^22 in magnitude, so any sum or product
    /// of a few thousand of them is an exact integer in units of 2^-60 (an i128).
    fn grid(rng: &mut Lcg) -> (f64, i128) {
        let units = ((rng.next() - 0.5) * 2f64.powi(52)).round() as i64;
        (units as f64 / 2f64.powi(30), units as i128)
    }

    /// An `f64` as a whole number of 2^-60 units (it must be one).
    fn exact(x: f64) -> i128 {
        let scaled = x * 2f64.powi(60);
        assert_eq!(scaled.fract(), 0.0, "{x} is not on the grid");
        scaled as i128
    }

    /// Any `f64` in 2^-60 units, rounded to a whole unit (for values that may be off the grid).
    fn exact_or_round(x: f64) -> i128 {
        (x * 2f64.powi(60)).round() as i128
    }

    #[test]
    fn two_sum_and_two_prod_are_exact() {
        let mut rng = Lcg(1);
        for _ in 0..10_000 {
            let ((a, ua), (b, ub)) = (grid(&mut rng), grid(&mut rng));
            let (s, e) = two_sum(a, b);
            assert_eq!(exact(s) + exact(e), (ua + ub) << 30);
            let (s, e) = quick_two_sum(a.abs().max(b.abs()), a.abs().min(b.abs()));
            assert_eq!(
                exact(s) + exact(e),
                (ua.abs().max(ub.abs()) + ua.abs().min(ub.abs())) << 30
            );
            let (p, e) = two_prod(a, b);
            assert_eq!(exact(p) + exact(e), ua * ub);
            // A plain product rounds: the error term is what it lost.
            assert_eq!(exact(a * b), ua * ub - exact(e));
        }
    }

    /// Prefix sums of 5,000 terms in double-double are the exact sums (to the last unit), and
    /// their differences (what a holding period reads) are the exact range sums correctly
    /// rounded, where plain prefix sums are off by many units.
    #[test]
    fn double_double_prefix_sums_are_exact_where_plain_ones_are_not() {
        let mut rng = Lcg(7);
        let n = 5_000;
        // Terms of very different sizes (multiples of 2^-40 up to 2^31), like returns beside
        // a large level: every prefix sum needs about 84 bits, within a double-double's 106.
        let terms: Vec<f64> = (0..n)
            .map(|i| {
                let (x, _) = grid(&mut rng);
                if i % 3 == 0 {
                    x * 1024.0
                } else {
                    x / 1024.0
                }
            })
            .collect();
        let mut dd = vec![Dd::ZERO];
        let mut plain = vec![0.0];
        let mut truth = vec![0i128];
        for &x in &terms {
            dd.push(dd[dd.len() - 1].add(x));
            plain.push(plain[plain.len() - 1] + x);
            truth.push(truth[truth.len() - 1] + exact(x));
        }
        // The plain prefix sums' worst error, in units of the last place of the range's sum.
        let mut plain_worst = 0i128;
        for (u, v) in [(0, n), (1, 2), (17, 4_000), (2_500, 2_501), (999, 4_999)] {
            let want = truth[v] - truth[u];
            // The correctly rounded f64 of the exact difference, in units.
            let rounded = exact_or_round((want as f64) / 2f64.powi(60));
            let got = exact_or_round(dd[v].diff(dd[u]));
            let ulp = exact_or_round(((want as f64) / 2f64.powi(60)).abs() * f64::EPSILON).max(1);
            assert!(
                (got - rounded).abs() <= ulp,
                "[{u}, {v}): {got} vs {rounded}"
            );
            plain_worst = plain_worst.max((exact_or_round(plain[v] - plain[u]) - want).abs() / ulp);
            // The whole prefix sum is exact: hi + lo carries every bit.
            assert_eq!(exact(dd[v].hi) + exact(dd[v].lo), truth[v]);
        }
        assert!(
            plain_worst > 1_000,
            "plain prefix sums off by {plain_worst} units"
        );
        // plus, minus and times against the same integers.
        let (a, b) = (dd[n / 2], dd[n]);
        assert_eq!(
            exact(a.plus(b).hi) + exact(a.plus(b).lo),
            truth[n / 2] + truth[n]
        );
        assert_eq!(
            exact(b.minus(a).hi) + exact(b.minus(a).lo),
            truth[n] - truth[n / 2]
        );
        let small = Dd::ZERO.add(3.0 / 1024.0).add(5.0 / 2f64.powi(30));
        let t = small.times(1.5);
        assert_eq!(
            exact(t.hi) + exact(t.lo),
            (exact(3.0 / 1024.0) + exact(5.0 / 2f64.powi(30))) * 3 / 2
        );
    }

    #[test]
    fn sparse_table_finds_the_first_best_of_every_range() {
        let mut rng = Lcg(3);
        for n in [1usize, 2, 3, 7, 64, 65, 200] {
            // Few distinct values, so ties are common.
            let c: Vec<f64> = (0..n).map(|_| (rng.next() * 6.0).floor()).collect();
            for max in [true, false] {
                let table = Table::new(&c, max);
                for u in 0..n {
                    for v in u..n {
                        let mut best = u;
                        for t in u..=v {
                            if (max && c[t] > c[best]) || (!max && c[t] < c[best]) {
                                best = t;
                            }
                        }
                        assert_eq!(table.query(&c, u, v), best, "n {n}, max {max}, [{u}, {v}]");
                    }
                }
            }
        }
    }

    #[test]
    fn next_is_the_first_listed_bar_at_or_after() {
        let at: Vec<u32> = vec![2, 3, 9, 20];
        let mut next = Next::new(&at, 30);
        for t in 0..30 {
            let want = at
                .iter()
                .map(|&s| s as usize)
                .find(|&s| s >= t)
                .unwrap_or(30);
            assert_eq!(next.from(t), want, "t {t}");
        }
    }
}
