//! Evaluation of compiled expressions over the whole calendar, bar by bar, looking only back.
//!
//! Each node becomes a `Vec<f64>` with one value per bar. Value `t` depends only on inputs at
//! bars `0..=t` (every function below is written that way, and `tests/properties.rs` checks it by
//! perturbing the future). NaN means "not known yet" (a lookback not yet filled).

use crate::data::Panel;
use crate::expr::{BinOp, CalendarFn, Func};
use crate::plan::{AssetId, Node, Plan, RuleId, SignalId, Target};
use crate::spec::Weighting;
use std::borrow::Cow;

use crate::conventions::BARS_PER_YEAR;

/// Inputs to evaluation: the panel and the signals already computed.
pub struct Ctx<'a> {
    pub panel: &'a Panel,
    pub signals: &'a [Vec<f64>],
}

#[inline]
fn truth(v: f64) -> Option<bool> {
    if v.is_nan() {
        None
    } else {
        Some(v != 0.0)
    }
}

#[inline]
fn from_truth(b: Option<bool>) -> f64 {
    match b {
        Some(true) => 1.0,
        Some(false) => 0.0,
        None => f64::NAN,
    }
}

/// Evaluates a node over the calendar. Inputs (assets, series, signals) are borrowed, not
/// copied: a sweep evaluates rules for every group of variants.
pub fn eval<'a>(node: &Node, cx: &Ctx<'a>) -> Cow<'a, [f64]> {
    let n = cx.panel.len();
    match node {
        Node::Const(v) => Cow::Owned(vec![*v; n]),
        Node::Asset(i) => Cow::Borrowed(&cx.panel.close[i.0]),
        Node::Series(i) => Cow::Borrowed(&cx.panel.series[i.0]),
        Node::Signal(i) => Cow::Borrowed(&cx.signals[i.0]),
        Node::Neg(a) => Cow::Owned(eval(a, cx).iter().map(|v| -v).collect()),
        Node::Not(a) => Cow::Owned(eval(a, cx).iter().map(|&v| not(v)).collect()),
        Node::Bin(op, a, b) => {
            let (a, b) = (eval(a, cx), eval(b, cx));
            // A loop per operator: the operator is matched once, not for every bar.
            macro_rules! each {
                ($($op:ident),*) => {
                    match op {
                        $(BinOp::$op => a.iter().zip(b.iter()).map(|(&x, &y)| binary(BinOp::$op, x, y)).collect(),)*
                    }
                };
            }
            Cow::Owned(each!(
                Add, Sub, Mul, Div, Mod, Lt, Le, Gt, Ge, Eq, Ne, And, Or
            ))
        }
        Node::Calendar(f) => Cow::Owned(calendar(*f, &cx.panel.dates)),
        Node::Call(f, args, bars) => {
            let vals: Vec<Cow<[f64]>> = args.iter().map(|a| eval(a, cx)).collect();
            Cow::Owned(call(*f, &vals, *bars))
        }
    }
}

/// `not`, in Kleene logic: unknown stays unknown.
#[inline]
fn not(v: f64) -> f64 {
    from_truth(truth(v).map(|b| !b))
}

/// An expression prepared for evaluation at single bars, for a sweep group whose rules are
/// read on a few decision bars only. Parts that are a function of the bar (arithmetic, logic,
/// `ret`, `change`, `lag`, `spread`, `ratio`, `rank`, `abs`, `min`, `max`, date parts) are
/// evaluated where asked, with the formulas [`eval`] applies to every bar; the rest (rolling
/// windows, running states, trading-day counts) is evaluated over the calendar once, by
/// [`eval`]. A probe's value at t is therefore `eval(node)[t]`, bit for bit.
enum Probe<'a> {
    Const(f64),
    /// An input series, or a part evaluated over the whole calendar.
    Series(Cow<'a, [f64]>),
    Neg(Box<Probe<'a>>),
    Not(Box<Probe<'a>>),
    Bin(BinOp, Box<[Probe<'a>; 2]>),
    /// A shifted function of a probed expression, and of a series (the common case, kept flat).
    Shift(Func, Box<Probe<'a>>, usize),
    ShiftSeries(Func, Cow<'a, [f64]>, usize),
    Spread(Box<[Probe<'a>; 2]>, usize),
    Ratio(Box<[Probe<'a>; 2]>),
    Pair(fn(f64, f64) -> f64, Box<[Probe<'a>; 2]>),
    Abs(Box<Probe<'a>>),
    Rank(Vec<Probe<'a>>),
    Date(fn(crate::date::Date) -> f64, &'a [crate::date::Date]),
}

/// Whether a node is evaluated bar by bar by a [`Probe`] (its arguments may not be); named
/// signals are, as their expression is probed in their place.
fn probed(node: &Node) -> bool {
    match node {
        Node::Call(f, ..) => {
            matches!(
                f,
                Func::Ret
                    | Func::Change
                    | Func::Lag
                    | Func::Spread
                    | Func::Ratio
                    | Func::Rank
                    | Func::Abs
                    | Func::Min
                    | Func::Max
            )
        }
        Node::Calendar(f) => date_part(*f).is_some(),
        _ => true,
    }
}

impl<'a> Probe<'a> {
    /// `node` prepared for single bars of `cx`, whose signals hold those [`whole_signals`]
    /// marks for it.
    fn new(plan: &Plan, node: &Node, cx: &Ctx<'a>) -> Probe<'a> {
        let p = |n: &Node| Probe::new(plan, n, cx);
        let pair = |a: &Node, b: &Node| Box::new([p(a), p(b)]);
        match node {
            _ if !probed(node) => Probe::Series(eval(node, cx)),
            Node::Const(v) => Probe::Const(*v),
            Node::Asset(_) | Node::Series(_) => Probe::Series(eval(node, cx)),
            Node::Signal(SignalId(i)) => p(&plan.signals[*i].1),
            Node::Neg(a) => Probe::Neg(Box::new(p(a))),
            Node::Not(a) => Probe::Not(Box::new(p(a))),
            Node::Bin(op, a, b) => Probe::Bin(*op, pair(a, b)),
            Node::Calendar(f) => {
                Probe::Date(date_part(*f).expect("a probed date part"), &cx.panel.dates)
            }
            Node::Call(f, args, n) => match f {
                Func::Ret | Func::Change | Func::Lag => match p(&args[0]) {
                    Probe::Series(x) => Probe::ShiftSeries(*f, x, *n),
                    a => Probe::Shift(*f, Box::new(a), *n),
                },
                Func::Spread => Probe::Spread(pair(&args[0], &args[1]), *n),
                Func::Ratio => Probe::Ratio(pair(&args[0], &args[1])),
                Func::Min => Probe::Pair(f64::min, pair(&args[0], &args[1])),
                Func::Max => Probe::Pair(f64::max, pair(&args[0], &args[1])),
                Func::Abs => Probe::Abs(Box::new(p(&args[0]))),
                Func::Rank => Probe::Rank(args.iter().map(p).collect()),
                _ => unreachable!("{f:?} is not probed"),
            },
        }
    }

    /// The value at bar t: `eval(node)[t]`.
    #[inline(always)]
    fn at(&self, t: usize) -> f64 {
        match self {
            Probe::Series(x) => x[t],
            _ => self.at_node(t),
        }
    }

    /// The probe as a function of the bar.
    fn by_bar(&self) -> impl Fn(usize) -> f64 + '_ {
        move |i| self.at(i)
    }

    fn at_node(&self, t: usize) -> f64 {
        match self {
            Probe::Const(v) => *v,
            Probe::Series(x) => x[t],
            Probe::ShiftSeries(f, x, n) => back(t, *n, |i| x[i], |a, b| step(*f, a, b)),
            Probe::Neg(a) => -a.at(t),
            Probe::Not(a) => not(a.at(t)),
            Probe::Bin(op, ab) => binary(*op, ab[0].at(t), ab[1].at(t)),
            Probe::Shift(f, a, n) => back(t, *n, a.by_bar(), |a, b| step(*f, a, b)),
            Probe::Spread(ab, n) => {
                back(t, *n, ab[0].by_bar(), ret) - back(t, *n, ab[1].by_bar(), ret)
            }
            Probe::Ratio(ab) => ab[0].at(t) / ab[1].at(t),
            Probe::Pair(f, ab) => known(ab[0].at(t), ab[1].at(t), *f),
            Probe::Abs(a) => a.at(t).abs(),
            Probe::Rank(args) => {
                let values: Vec<f64> = args.iter().map(|a| a.at(t)).collect();
                rank_of(values.iter().copied())
            }
            Probe::Date(part, dates) => part(dates[t]),
        }
    }
}

/// Marks in `whole` the named signals a [`Probe`] of `node` reads over the whole calendar:
/// those under a part that is not probed, and the signals they use. `under` says whether
/// `node` itself is under such a part.
fn whole_signals(plan: &Plan, node: &Node, under: bool, whole: &mut [bool]) {
    let under = under || !probed(node);
    let mut walk = |n: &Node| whole_signals(plan, n, under, whole);
    match node {
        Node::Signal(SignalId(i)) => {
            if under {
                if whole[*i] {
                    return;
                }
                whole[*i] = true;
            }
            whole_signals(plan, &plan.signals[*i].1, under, whole);
        }
        Node::Neg(a) | Node::Not(a) => walk(a),
        Node::Bin(_, a, b) => {
            walk(a);
            walk(b);
        }
        Node::Call(_, args, _) => args.iter().for_each(walk),
        Node::Const(_) | Node::Asset(_) | Node::Series(_) | Node::Calendar(_) => {}
    }
}

#[inline]
pub fn binary(op: BinOp, x: f64, y: f64) -> f64 {
    let cmp = |f: fn(f64, f64) -> bool| {
        if x.is_nan() || y.is_nan() {
            f64::NAN
        } else {
            f64::from(u8::from(f(x, y)))
        }
    };
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Mod => {
            if y == 0.0 {
                f64::NAN
            } else {
                x - y * (x / y).floor()
            }
        }
        BinOp::Lt => cmp(|a, b| a < b),
        BinOp::Le => cmp(|a, b| a <= b),
        BinOp::Gt => cmp(|a, b| a > b),
        BinOp::Ge => cmp(|a, b| a >= b),
        BinOp::Eq => cmp(|a, b| a == b),
        BinOp::Ne => cmp(|a, b| a != b),
        // Kleene logic: a known false decides `and`, a known true decides `or`.
        BinOp::And => match (truth(x), truth(y)) {
            (Some(false), _) | (_, Some(false)) => 0.0,
            (Some(true), Some(true)) => 1.0,
            _ => f64::NAN,
        },
        BinOp::Or => match (truth(x), truth(y)) {
            (Some(true), _) | (_, Some(true)) => 1.0,
            (Some(false), Some(false)) => 0.0,
            _ => f64::NAN,
        },
    }
}

/// Applies `f` to each full window of `n` values ending at t; NaN before the window fills or
/// when the window holds a NaN.
fn rolling(x: &[f64], n: usize, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    let mut last_nan: Option<usize> = None;
    for t in 0..x.len() {
        if x[t].is_nan() {
            last_nan = Some(t);
        }
        if t + 1 >= n && last_nan.is_none_or(|k| k + n <= t) {
            out[t] = f(&x[t + 1 - n..=t]);
        }
    }
    out
}

fn mean(w: &[f64]) -> f64 {
    w.iter().sum::<f64>() / w.len() as f64
}

/// Sample standard deviation (n - 1 in the denominator), two-pass for accuracy.
fn sample_std(w: &[f64]) -> f64 {
    if w.len() < 2 {
        return f64::NAN;
    }
    let m = mean(w);
    (w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (w.len() - 1) as f64).sqrt()
}

fn shifted(x: &[f64], n: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    (0..x.len()).map(|t| back(t, n, |i| x[i], &f)).collect()
}

/// A shifted function on bar t: `f` of the value `x(t)` and the one n bars back, unknown
/// before bar n (the shape of `ret`, `change`, `lag` and `spread`).
#[inline(always)]
fn back(t: usize, n: usize, x: impl Fn(usize) -> f64, f: impl Fn(f64, f64) -> f64) -> f64 {
    if t >= n {
        f(x(t), x(t - n))
    } else {
        f64::NAN
    }
}

// The bar-by-bar formulas, shared by whole-series evaluation ([`eval`], [`call`]) and
// evaluation at single bars ([`Probe`]), so both give the same bits.

/// `ret`: the return from the value n bars back to now.
#[inline]
fn ret(now: f64, then: f64) -> f64 {
    now / then - 1.0
}

/// `change`: the difference from the value n bars back to now.
#[inline]
fn change(now: f64, then: f64) -> f64 {
    now - then
}

/// `lag`: the value n bars back.
#[inline]
fn lag(_now: f64, then: f64) -> f64 {
    then
}

/// A shifted function (`ret`, `change`, `lag`) on one bar, from the values now and n bars back.
#[inline(always)]
fn step(f: Func, now: f64, then: f64) -> f64 {
    match f {
        Func::Ret => ret(now, then),
        Func::Change => change(now, then),
        _ => lag(now, then),
    }
}

/// `f` of two known values; unknown (NaN) where either is.
#[inline]
fn known(a: f64, b: f64, f: fn(f64, f64) -> f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        f(a, b)
    }
}

/// `rank(x, others...)` on one bar, from the arguments' values there: 1 + how many others are
/// greater; unknown when any value is.
fn rank_of(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let mut rest = values.clone();
    let Some(v) = rest.next() else {
        return f64::NAN;
    };
    if values.clone().any(f64::is_nan) {
        return f64::NAN;
    }
    1.0 + rest.filter(|s| *s > v).count() as f64
}

/// A calendar function that is a function of the bar's own date (all but the trading-day
/// counts, which need the calendar around the bar).
fn date_part(f: CalendarFn) -> Option<fn(crate::date::Date) -> f64> {
    use crate::date::{from_ymd, to_ymd, weekday};
    Some(match f {
        CalendarFn::Year => |d| to_ymd(d).0 as f64,
        CalendarFn::Month => |d| to_ymd(d).1 as f64,
        CalendarFn::Day => |d| to_ymd(d).2 as f64,
        CalendarFn::Weekday => |d| weekday(d) as f64,
        CalendarFn::Yday => |d| (d - from_ymd(to_ymd(d).0, 1, 1) + 1) as f64,
        CalendarFn::Tdom | CalendarFn::TdomLeft => return None,
    })
}

/// A built-in function over whole series; `n` is its bar count.
pub fn call<S: AsRef<[f64]>>(f: Func, args: &[S], n: usize) -> Vec<f64> {
    let a: Vec<&[f64]> = args.iter().map(|s| s.as_ref()).collect();
    match f {
        Func::Ret => shifted(a[0], n, ret),
        Func::Change => shifted(a[0], n, change),
        Func::Lag => shifted(a[0], n, lag),
        Func::Sma => rolling(a[0], n, mean),
        Func::Stdev => rolling(a[0], n, sample_std),
        Func::Ema => ema(a[0], n),
        Func::Vol => {
            let r = shifted(a[0], 1, ret);
            rolling(&r, n, |w| sample_std(w) * BARS_PER_YEAR.sqrt())
        }
        Func::Zscore => {
            let x = &a[0];
            let m = rolling(x, n, mean);
            let s = rolling(x, n, sample_std);
            (0..x.len()).map(|t| (x[t] - m[t]) / s[t]).collect()
        }
        Func::Highest => rolling(a[0], n, |w| {
            w.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        }),
        Func::Lowest => rolling(a[0], n, |w| w.iter().copied().fold(f64::INFINITY, f64::min)),
        Func::Drawdown => {
            let mut peak = f64::NAN;
            a[0].iter()
                .map(|&v| {
                    if v.is_nan() {
                        return f64::NAN;
                    }
                    if peak.is_nan() || v > peak {
                        peak = v;
                    }
                    v / peak - 1.0
                })
                .collect()
        }
        Func::Ratio => a[0].iter().zip(a[1]).map(|(x, y)| x / y).collect(),
        Func::Spread => {
            let r0 = shifted(a[0], n, ret);
            let r1 = shifted(a[1], n, ret);
            r0.iter().zip(&r1).map(|(x, y)| x - y).collect()
        }
        Func::Rank => (0..a[0].len())
            .map(|t| rank_of(a.iter().map(|s| s[t])))
            .collect(),
        Func::Abs => a[0].iter().map(|v| v.abs()).collect(),
        Func::Min => pairwise(a[0], a[1], f64::min),
        Func::Max => pairwise(a[0], a[1], f64::max),
        Func::Streak => {
            let mut count = f64::NAN;
            a[0].iter()
                .map(|&v| {
                    count = match truth(v) {
                        None => f64::NAN,
                        Some(false) => 0.0,
                        Some(true) if count.is_nan() => 1.0,
                        Some(true) => count + 1.0,
                    };
                    count
                })
                .collect()
        }
        Func::BarsSince => {
            // Infinite while the condition has never held: "not in the last N bars" is then
            // true, not unknown. Unknown only on bars where the condition itself is unknown.
            let mut since = f64::INFINITY;
            a[0].iter()
                .map(|&v| match truth(v) {
                    Some(true) => {
                        since = 0.0;
                        0.0
                    }
                    Some(false) => {
                        since += 1.0;
                        since
                    }
                    None => {
                        since += 1.0;
                        f64::NAN
                    }
                })
                .collect()
        }
        Func::PctRank => pct_rank(a[0]),
    }
}

/// A calendar function on every bar of `dates` (the aligned calendar: trading days of the
/// month are counted on it, and `tdom_left` reads it ahead, as the month-end schedule does; in
/// the data's last month only the bars the data have are counted).
pub fn calendar(f: CalendarFn, dates: &[crate::date::Date]) -> Vec<f64> {
    use crate::date::to_ymd;
    let month = |t: usize| {
        let (y, m, _) = to_ymd(dates[t]);
        (y, m)
    };
    let n = dates.len();
    if let Some(part) = date_part(f) {
        return dates.iter().map(|&d| part(d)).collect();
    }
    match f {
        CalendarFn::Tdom => {
            let mut out = vec![0.0; n];
            for t in 0..n {
                let same = t > 0 && month(t - 1) == month(t);
                out[t] = if same { out[t - 1] + 1.0 } else { 1.0 };
            }
            out
        }
        CalendarFn::TdomLeft => {
            let mut out = vec![0.0; n];
            for t in (0..n).rev() {
                let same = t + 1 < n && month(t + 1) == month(t);
                out[t] = if same { out[t + 1] + 1.0 } else { 0.0 };
            }
            out
        }
        _ => unreachable!("the other calendar functions are date parts"),
    }
}

/// Expanding percentile rank: at bar t, the share of the known values x[0..=t] that are <= x[t]
/// (NaN values are skipped and give NaN). O(n log n) with a Fenwick tree over value ranks.
fn pct_rank(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).filter(|&t| !x[t].is_nan()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    // rank[t] = 1-based position of the last element equal to x[t] in sorted order, so that a
    // prefix count up to rank[t] counts every value <= x[t].
    let mut rank = vec![0usize; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &t in &order[i..=j] {
            rank[t] = j + 1;
        }
        i = j + 1;
    }
    let mut tree = vec![0usize; order.len() + 1];
    let mut seen = 0usize;
    let mut out = vec![f64::NAN; x.len()];
    for t in 0..x.len() {
        if x[t].is_nan() {
            continue;
        }
        let mut k = rank[t];
        while k < tree.len() {
            tree[k] += 1;
            k += k & k.wrapping_neg();
        }
        seen += 1;
        let (mut k, mut below) = (rank[t], 0usize);
        while k > 0 {
            below += tree[k];
            k -= k & k.wrapping_neg();
        }
        out[t] = below as f64 / seen as f64;
    }
    out
}

/// `f` of two series bar by bar; unknown where either is.
fn pairwise(x: &[f64], y: &[f64], f: fn(f64, f64) -> f64) -> Vec<f64> {
    x.iter().zip(y).map(|(&a, &b)| known(a, b, f)).collect()
}

/// EMA with alpha = 2 / (n + 1), seeded at bar n-1 with the mean of the first n values; a NaN
/// input restarts the seeding.
fn ema(x: &[f64], n: usize) -> Vec<f64> {
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out = vec![f64::NAN; x.len()];
    let mut run = 0usize;
    let mut prev = f64::NAN;
    for t in 0..x.len() {
        if x[t].is_nan() {
            run = 0;
            prev = f64::NAN;
            continue;
        }
        run += 1;
        if run == n {
            prev = mean(&x[t + 1 - n..=t]);
            out[t] = prev;
        } else if run > n {
            prev = alpha * x[t] + (1.0 - alpha) * prev;
            out[t] = prev;
        }
    }
    out
}

/// Target weights for every bar, decided from the rules.
pub struct Decisions {
    pub n_assets: usize,
    /// The rule that fired on bar t, or `None` when it is not known yet (a condition or score
    /// still in its warm-up): then the portfolio is left as it is.
    pub rule: Vec<Option<RuleId>>,
    /// Per rule: its weights when they are fixed (most rules), `None` for a selection.
    fixed: Vec<Option<Vec<f64>>>,
    /// `selected[t * n_assets + a]` on bars decided by a selection rule (empty without one).
    selected: Vec<f64>,
}

impl Decisions {
    /// The decisions of the bars after the first `bars` (the warm-up).
    fn skip(mut self, bars: usize) -> Decisions {
        if bars > 0 {
            self.rule.drain(..bars);
            if !self.selected.is_empty() {
                self.selected.drain(..bars * self.n_assets);
            }
        }
        self
    }

    /// The first bar whose rules are known (a decision can be made), if any.
    pub fn first_known(&self) -> Option<usize> {
        self.rule.iter().position(Option::is_some)
    }

    /// The target weights decided on bar t. Only called on a decided bar (`rule[t]` is some);
    /// an undecided bar has no target (empty weights).
    pub fn target(&self, t: usize) -> &[f64] {
        let k = self.n_assets;
        let Some(rule) = self.rule[t] else {
            return &[];
        };
        match &self.fixed[rule.0 as usize] {
            Some(w) => w,
            None => &self.selected[t * k..(t + 1) * k],
        }
    }
}

/// Evaluates all signals of a plan in dependency order, on the whole calendar of
/// [`Panel::history`] (warm-up bars first): value `t + panel.warmup` is the one of the run's
/// bar t.
pub fn eval_signals(plan: &Plan, panel: &Panel) -> Vec<Vec<f64>> {
    signals_where(plan, panel.history(), &vec![true; plan.signals.len()])
}

/// The signals marked in `wanted` (which holds the signals each of them uses) over the whole
/// calendar of `history`; the others are left empty.
fn signals_where(plan: &Plan, history: &Panel, wanted: &[bool]) -> Vec<Vec<f64>> {
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); plan.signals.len()];
    for &SignalId(i) in plan.signal_order.iter().filter(|i| wanted[i.0]) {
        let cx = Ctx {
            panel: history,
            signals: &values,
        };
        let v = eval(&plan.signals[i].1, &cx).into_owned();
        values[i] = v;
    }
    values
}

/// Evaluates the plan's extra expressions (after [`eval_signals`], whose values they may use)
/// for the run's bars: bar t of each is bar t of `panel`, its lookbacks filled by the history.
pub fn eval_extra(plan: &Plan, panel: &Panel, signals: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let history = panel.history();
    let cx = Ctx {
        panel: history,
        signals,
    };
    plan.extra
        .iter()
        .map(|node| eval(node, &cx)[panel.warmup..].to_vec())
        .collect()
}

/// Whether each regime of the plan held at the close of each of the run's bars: its condition
/// evaluated like a signal (on the history, so lookbacks are filled by the warm-up; `signals`
/// as [`eval_signals`] returns them), true when non-zero; an unknown (NaN) value is "not in
/// the regime".
pub fn eval_regimes(plan: &Plan, panel: &Panel, signals: &[Vec<f64>]) -> Vec<Vec<bool>> {
    let cx = Ctx {
        panel: panel.history(),
        signals,
    };
    plan.regimes
        .iter()
        .map(|(_, node)| {
            eval(node, &cx)[panel.warmup..]
                .iter()
                .map(|v| *v != 0.0 && !v.is_nan())
                .collect()
        })
        .collect()
}

/// Turns rules into per-bar target weights for the run's bars. Rules are tried in order; the
/// first whose condition is true wins; an unknown (NaN) condition before any true one leaves
/// the bar undecided. Conditions and scores are evaluated on [`Panel::history`] (`signals` as
/// [`eval_signals`] returns them), so a lookback is filled by the warm-up bars.
pub fn decide(plan: &Plan, panel: &Panel, signals: &[Vec<f64>]) -> Decisions {
    let cx = Ctx {
        panel: panel.history(),
        signals,
    };
    let rules = Rules::new(plan, &cx, |node| Probe::Series(eval(node, &cx)));
    rules.decide(None).skip(panel.warmup)
}

/// [`decide`] on the run's bars `at` (ascending) and on every bar up to the first whose rule
/// is known (so [`Decisions::first_known`] is the same); the other bars are left undecided.
/// That is all a run needs when it decides only on the bars `at` (its schedule): a sweep group
/// then costs what its decision bars cost, not what its calendar does. Only the parts of the rules that need the whole calendar are evaluated over
/// it, with the named signals they read; the rest is evaluated on the bars asked ([`Probe`]).
///
/// With `enter_immediately` a run reads the rule of any bar until it first enters, so every
/// bar is decided ([`decide`]).
pub fn decide_at(plan: &Plan, panel: &Panel, at: &[usize]) -> Decisions {
    if plan.rebalance.enter_immediately {
        return decide(plan, panel, &eval_signals(plan, panel));
    }
    let history = panel.history();
    let mut whole = vec![false; plan.signals.len()];
    for node in rule_nodes(plan) {
        whole_signals(plan, node, false, &mut whole);
    }
    let signals = signals_where(plan, history, &whole);
    let cx = Ctx {
        panel: history,
        signals: &signals,
    };
    let rules = Rules::new(plan, &cx, |node| Probe::new(plan, node, &cx));
    let w = panel.warmup;
    rules.decide(Some((w, at))).skip(w)
}

/// The expressions the rules read: conditions and selection scores.
fn rule_nodes(plan: &Plan) -> impl Iterator<Item = &Node> {
    plan.rules.iter().flat_map(|r| {
        let scores = match &r.target {
            Target::Select { candidates, .. } => &candidates[..],
            Target::Fixed(_) => &[],
        };
        r.when.iter().chain(scores.iter().map(|(_, node)| node))
    })
}

/// The rules of a plan, ready to be decided bar by bar on a calendar.
struct Rules<'p, 'a> {
    plan: &'p Plan,
    panel: &'a Panel,
    /// Per rule: its condition (`None` for the fallback).
    conds: Vec<Option<Probe<'a>>>,
    /// Per rule: its selection, when it is one.
    sels: Vec<Option<Sel<'a>>>,
}

/// Buffers of [`Rules::select`], kept across bars.
#[derive(Default)]
struct Scratch {
    scores: Vec<f64>,
    picked: Vec<usize>,
}

/// A selection rule's scores and, for inverse-volatility weighting, the candidates' vols.
struct Sel<'a> {
    scores: Vec<(AssetId, Probe<'a>)>,
    vols: Vec<Vec<f64>>,
}

impl<'p, 'a> Rules<'p, 'a> {
    fn new(plan: &'p Plan, cx: &Ctx<'a>, probe: impl Fn(&Node) -> Probe<'a>) -> Rules<'p, 'a> {
        let panel = cx.panel;
        let conds = plan
            .rules
            .iter()
            .map(|r| r.when.as_ref().map(&probe))
            .collect();
        let sels = plan
            .rules
            .iter()
            .map(|r| match &r.target {
                Target::Select {
                    candidates,
                    weighting,
                    vol_lookback,
                    ..
                } => Some(Sel {
                    scores: candidates
                        .iter()
                        .map(|(a, node)| (*a, probe(node)))
                        .collect(),
                    vols: if *weighting == Weighting::InverseVol {
                        candidates
                            .iter()
                            .map(|(a, _)| call(Func::Vol, &[&panel.close[a.0][..]], *vol_lookback))
                            .collect()
                    } else {
                        vec![]
                    },
                }),
                Target::Fixed(_) => None,
            })
            .collect();
        Rules {
            plan,
            panel,
            conds,
            sels,
        }
    }

    /// The rule that fires on bar t, or `None` while a condition before the one that holds is
    /// unknown (the fallback always holds).
    #[inline(always)]
    fn fired(&self, t: usize) -> Option<usize> {
        for (i, c) in self.conds.iter().enumerate() {
            let v = c.as_ref().map_or(f64::INFINITY, |c| c.at(t));
            if v.is_nan() {
                return None;
            }
            if v != 0.0 {
                return Some(i);
            }
        }
        None
    }

    /// Selection rule `i` on bar t: its weights added to `row`; false when a score or a vol is
    /// not known (the bar is then undecided).
    fn select(&self, i: usize, sel: &Sel, t: usize, row: &mut [f64], s: &mut Scratch) -> bool {
        let Target::Select {
            top,
            weighting,
            weight,
            ..
        } = &self.plan.rules[i].target
        else {
            unreachable!("a selection rule")
        };
        s.scores.clear();
        s.scores.extend(sel.scores.iter().map(|(_, p)| p.at(t)));
        if s.scores.iter().any(|v| v.is_nan())
            || sel.vols.iter().any(|v| v[t].is_nan() || v[t] <= 0.0)
        {
            return false;
        }
        // Best score first; ties go to the candidate listed first (a stable sort).
        let scores = &s.scores;
        s.picked.clear();
        s.picked.extend(0..scores.len());
        s.picked.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]));
        s.picked.truncate(*top);
        let raw: Vec<f64> = s
            .picked
            .iter()
            .map(|&j| {
                if *weighting == Weighting::InverseVol {
                    1.0 / sel.vols[j][t]
                } else {
                    1.0
                }
            })
            .collect();
        let total: f64 = raw.iter().sum();
        for (&j, r) in s.picked.iter().zip(&raw) {
            row[sel.scores[j].0 .0] += weight * r / total;
        }
        true
    }

    /// The decisions on every bar of the calendar (`at` = `None`), or, for `Some((from, at))`,
    /// on the bars from `from` up to the first known one and on the bars `from + at[i]`.
    fn decide(&self, at: Option<(usize, &[usize])>) -> Decisions {
        let (plan, panel) = (self.plan, self.panel);
        let n = panel.len();
        let k = plan.n_assets;
        let fixed: Vec<Option<Vec<f64>>> = plan
            .rules
            .iter()
            .map(|r| match &r.target {
                Target::Fixed(w) => Some(w.clone()),
                Target::Select { .. } => None,
            })
            .collect();
        // Per-bar rows only when a selection rule exists.
        let mut selected = if fixed.iter().any(|f| f.is_none()) {
            vec![0.0; n * k]
        } else {
            Vec::new()
        };
        let mut rule = vec![None; n];
        let mut scratch = Scratch::default();
        let mut decide = |t: usize| -> bool {
            let Some(i) = self.fired(t) else {
                return false;
            };
            if let Some(sel) = &self.sels[i] {
                let row = &mut selected[t * k..(t + 1) * k];
                if !self.select(i, sel, t, row, &mut scratch) {
                    return false;
                }
            }
            rule[t] = Some(RuleId(i as u16));
            true
        };
        match at {
            None => (0..n).for_each(|t| {
                decide(t);
            }),
            Some((from, at)) => {
                let mut first = from;
                while first < n && !decide(first) {
                    first += 1;
                }
                for t in at.iter().map(|&t| t + from).filter(|&t| t > first && t < n) {
                    decide(t);
                }
            }
        }
        Decisions {
            n_assets: k,
            rule,
            fixed,
            selected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() < 1e-12,
                "{a:?} vs {b:?}"
            );
        }
    }
    const N: f64 = f64::NAN;

    #[test]
    fn returns_and_changes() {
        let x = [100.0, 110.0, 99.0, 108.9];
        close(&call(Func::Ret, &[x.to_vec()], 1), &[N, 0.1, -0.1, 0.1]);
        close(&call(Func::Ret, &[x.to_vec()], 3), &[N, N, N, 0.089]);
        close(&call(Func::Change, &[x.to_vec()], 2), &[N, N, -1.0, -1.1]);
        close(&call(Func::Lag, &[x.to_vec()], 1), &[N, 100.0, 110.0, 99.0]);
    }

    #[test]
    fn moving_averages() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        close(
            &call(Func::Sma, std::slice::from_ref(&x), 3),
            &[N, N, 2.0, 3.0, 4.0],
        );
        // alpha = 0.5: seed 2 at bar 2, then 0.5*4 + 0.5*2 = 3, then 0.5*5 + 0.5*3 = 4.
        close(
            &call(Func::Ema, std::slice::from_ref(&x), 3),
            &[N, N, 2.0, 3.0, 4.0],
        );
        let y = vec![2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        // Sample stdev of the whole series is sqrt(32/7).
        close(
            &call(Func::Stdev, std::slice::from_ref(&y), 8)[7..],
            &[(32.0f64 / 7.0).sqrt()],
        );
        close(&call(Func::Zscore, &[vec![1.0, 2.0, 3.0]], 3)[2..], &[1.0]);
        close(
            &call(Func::Highest, &[vec![3.0, 1.0, 2.0, 0.5]], 2),
            &[N, 3.0, 2.0, 2.0],
        );
        close(
            &call(Func::Lowest, &[vec![3.0, 1.0, 2.0, 0.5]], 2),
            &[N, 1.0, 1.0, 0.5],
        );
        // A NaN in the window makes the value unknown until it leaves the window.
        close(
            &call(Func::Sma, &[vec![1.0, N, 3.0, 5.0, 7.0]], 2),
            &[N, N, N, 4.0, 6.0],
        );
    }

    #[test]
    fn volatility_is_annualised_sample_stdev_of_returns() {
        let p = vec![100.0, 101.0, 99.99, 100.9899];
        let r = [0.01, -0.01, 0.01];
        let m = r.iter().sum::<f64>() / 3.0;
        let sd = (r.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 2.0).sqrt();
        close(&call(Func::Vol, &[p], 3), &[N, N, N, sd * 252f64.sqrt()]);
    }

    #[test]
    fn drawdown_rank_streak_bars_since() {
        close(
            &call(Func::Drawdown, &[vec![1.0, 2.0, 1.5, 3.0]], 0),
            &[0.0, 0.0, -0.25, 0.0],
        );
        close(
            &call(
                Func::Rank,
                &[vec![1.0, 3.0, N], vec![2.0, 2.0, 1.0], vec![0.0, 5.0, 1.0]],
                0,
            ),
            &[2.0, 2.0, N],
        );
        close(
            &call(Func::Streak, &[vec![N, 1.0, 1.0, 0.0, 1.0]], 0),
            &[N, 1.0, 2.0, 0.0, 1.0],
        );
        close(
            &call(Func::BarsSince, &[vec![0.0, 1.0, 0.0, 0.0, 1.0]], 0),
            &[f64::INFINITY, 0.0, 1.0, 2.0, 0.0],
        );
        // Unknown where the condition is unknown; the count goes on underneath.
        close(
            &call(Func::BarsSince, &[vec![N, 1.0, N, 0.0]], 0),
            &[N, 0.0, N, 2.0],
        );
    }

    #[test]
    fn percentile_rank_against_a_naive_count() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, N, 2.0, 6.0, 5.0];
        let got = call(Func::PctRank, &[x.to_vec()], 0);
        for t in 0..x.len() {
            if x[t].is_nan() {
                assert!(got[t].is_nan());
                continue;
            }
            let known: Vec<f64> = x[..=t].iter().copied().filter(|v| !v.is_nan()).collect();
            let want = known.iter().filter(|v| **v <= x[t]).count() as f64 / known.len() as f64;
            assert_eq!(got[t], want, "bar {t}");
        }
        assert_eq!(got[0], 1.0);
        assert_eq!(got[3], 0.5); // 1 among 3, 1, 4, 1: two of four are <= 1
    }

    #[test]
    fn calendar_functions_on_a_hand_calendar() {
        use crate::date::from_ymd;
        // Fri 2024-02-23, Thu 02-29 (leap day), Fri 03-01, Mon 03-04, Fri 03-29, Tue 12-31.
        let dates = [
            from_ymd(2024, 2, 23),
            from_ymd(2024, 2, 29),
            from_ymd(2024, 3, 1),
            from_ymd(2024, 3, 4),
            from_ymd(2024, 3, 29),
            from_ymd(2024, 12, 31),
        ];
        let c = |f| calendar(f, &dates);
        assert_eq!(c(CalendarFn::Year), [2024.0; 6]);
        assert_eq!(c(CalendarFn::Month), [2.0, 2.0, 3.0, 3.0, 3.0, 12.0]);
        assert_eq!(c(CalendarFn::Day), [23.0, 29.0, 1.0, 4.0, 29.0, 31.0]);
        assert_eq!(c(CalendarFn::Weekday), [5.0, 4.0, 5.0, 1.0, 5.0, 2.0]);
        // Day of the year: 31 + 23; 31 + 29; 31 + 29 + 1; ...; 366 in a leap year.
        assert_eq!(c(CalendarFn::Yday), [54.0, 60.0, 61.0, 64.0, 89.0, 366.0]);
        // Trading days of the month on this calendar, and those left after each bar.
        assert_eq!(c(CalendarFn::Tdom), [1.0, 2.0, 1.0, 2.0, 3.0, 1.0]);
        assert_eq!(c(CalendarFn::TdomLeft), [1.0, 0.0, 2.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn modulo_has_the_divisor_sign_and_is_unknown_for_zero() {
        assert_eq!(binary(BinOp::Mod, 2027.0, 4.0), 3.0);
        assert_eq!(binary(BinOp::Mod, -1.0, 4.0), 3.0);
        assert_eq!(binary(BinOp::Mod, 7.5, 2.0), 1.5);
        assert!(binary(BinOp::Mod, 1.0, 0.0).is_nan());
        assert!(binary(BinOp::Mod, N, 2.0).is_nan());
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(binary(BinOp::And, 0.0, N), 0.0);
        assert!(binary(BinOp::And, 1.0, N).is_nan());
        assert_eq!(binary(BinOp::Or, 1.0, N), 1.0);
        assert!(binary(BinOp::Or, 0.0, N).is_nan());
        assert!(binary(BinOp::Gt, N, 0.0).is_nan());
        assert_eq!(binary(BinOp::Le, 1.0, 1.0), 1.0);
    }
}
