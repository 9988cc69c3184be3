//! The compiled strategy: every name resolved to a dense id, every expression checked and
//! turned into a [`Node`] tree, every lookback a whole number of bars. A `Plan` never refers
//! to a TOML table or a file; the simulator works from it and a [`crate::data::Panel`].

use crate::error::{Diagnostics, Result};
use crate::expr::{self, Arg, BinOp, CalendarFn, Expr, Func};
use crate::spec::{ExprSrc, Fill, RebalanceSpec, Schedule, Strategy, TradingSpec, Weighting};
use serde::Serialize;
use std::collections::BTreeMap;

/// A traded asset, by its place in `[assets]` (and in the panel's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AssetId(pub usize);

/// An auxiliary series, by its place in `[series]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesId(pub usize);

/// A named signal, by its place in `[signals]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignalId(pub usize);

/// A rule, by its place in `[[rules]]` (a strategy has at most [`MAX_RULES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RuleId(pub u16);

/// More rules than this is an error (a rule id is 16 bits, so `Option<RuleId>` per bar stays
/// small in the simulator's hot loop).
pub const MAX_RULES: usize = u16::MAX as usize;

/// A resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Const(f64),
    /// Total-return close of an asset.
    Asset(AssetId),
    /// An auxiliary series (as-of value).
    Series(SeriesId),
    /// A named signal.
    Signal(SignalId),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    /// A built-in function, its series arguments, and its bar count (0 when it has none).
    Call(Func, Vec<Node>, usize),
    /// A function of the bar's date.
    Calendar(CalendarFn),
}

/// What a rule holds when it fires.
#[derive(Debug, Clone)]
pub enum Target {
    /// Dense weights per asset (cash is the remainder).
    Fixed(Vec<f64>),
    /// The `top` best candidates by score.
    Select {
        top: usize,
        /// (asset, score expression for that asset)
        candidates: Vec<(AssetId, Node)>,
        weighting: Weighting,
        vol_lookback: usize,
        weight: f64,
    },
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// `None` for the fallback.
    pub when: Option<Node>,
    pub target: Target,
}

#[derive(Debug, Clone)]
pub struct Benchmark {
    pub name: String,
    pub weights: Vec<f64>,
    pub rebalance: Schedule,
}

/// Costs and fills, in the simulator's units (fractions, not basis points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Execution {
    pub fill: Fill,
    pub commission: f64,
    pub fixed_cost: f64,
    pub slippage: f64,
    /// Annual spread over the cash rate paid on borrowed cash.
    pub financing_spread: f64,
    /// Annual fee on short notional.
    pub borrow_fee: f64,
    /// Smallest trade sent, as a share of equity.
    pub min_trade: f64,
}

/// A strategy's trading settings in the simulator's units.
#[derive(Debug, Clone)]
pub struct Trading {
    pub execution: Execution,
    pub rebalance: RebalanceSpec,
    pub initial_capital: f64,
}

/// The one conversion of trading settings from the file's units (basis points) to the
/// simulator's (fractions): a compiled strategy's, and each sweep variant's.
pub fn trading(t: &TradingSpec) -> Trading {
    let e = &t.execution;
    Trading {
        execution: Execution {
            fill: e.fill,
            commission: e.commission_bps / 1e4,
            fixed_cost: e.fixed_cost,
            slippage: e.slippage_bps / 1e4,
            financing_spread: t.financing_spread_bps / 1e4,
            borrow_fee: t.borrow_fee_bps / 1e4,
            min_trade: e.min_trade_bps / 1e4,
        },
        rebalance: t.rebalance.clone(),
        initial_capital: t.initial_capital,
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub n_assets: usize,
    /// Signals by id; `signal_order` lists ids so that each comes after the signals it uses.
    pub signals: Vec<(String, Node)>,
    pub signal_order: Vec<SignalId>,
    pub rules: Vec<Rule>,
    pub rebalance: RebalanceSpec,
    pub execution: Execution,
    pub initial_capital: f64,
    pub benchmarks: Vec<Benchmark>,
    /// Expressions a command evaluates besides the signals (an event study's condition and
    /// its inputs), compiled in the strategy's namespace; see [`compile_with`].
    pub extra: Vec<Node>,
    /// `[regimes]`: (name, condition), in file order; see [`crate::signal::eval_regimes`].
    pub regimes: Vec<(String, Node)>,
}

struct Names<'a> {
    params: BTreeMap<&'a str, f64>,
    assets: BTreeMap<&'a str, usize>,
    series: BTreeMap<&'a str, usize>,
    signals: BTreeMap<&'a str, usize>,
}

struct Compiler<'a> {
    s: &'a Strategy,
    names: Names<'a>,
    diags: Diagnostics,
}

impl Compiler<'_> {
    fn error(&mut self, src: &ExprSrc, span: std::ops::Range<usize>, msg: String) {
        let d = self
            .s
            .diag(&(src.span.start + span.start..src.span.end), &src.key, msg);
        self.diags.push(d);
    }

    fn expr(&mut self, src: &ExprSrc, placeholder: Option<usize>) -> Option<Node> {
        match expr::parse(&src.text) {
            Ok(e) => self.node(src, &e, placeholder),
            Err(e) => {
                self.error(
                    src,
                    e.span,
                    format!(
                        "in expression \"{}\": {}",
                        crate::error::clip(&src.text),
                        e.message
                    ),
                );
                None
            }
        }
    }

    fn known_names(&self) -> String {
        let list = |m: &BTreeMap<&str, usize>| m.keys().copied().collect::<Vec<_>>().join(", ");
        let mut parts = Vec::new();
        if !self.names.assets.is_empty() {
            parts.push(format!("assets: {}", list(&self.names.assets)));
        }
        if !self.names.series.is_empty() {
            parts.push(format!("series: {}", list(&self.names.series)));
        }
        if !self.names.signals.is_empty() {
            parts.push(format!("signals: {}", list(&self.names.signals)));
        }
        if !self.names.params.is_empty() {
            let p: Vec<&str> = self.names.params.keys().copied().collect();
            parts.push(format!("params: {}", p.join(", ")));
        }
        parts.join("; ")
    }

    fn node(&mut self, src: &ExprSrc, e: &Expr, ph: Option<usize>) -> Option<Node> {
        Some(match e {
            Expr::Num(v, _) => Node::Const(*v),
            Expr::Placeholder(span) => {
                match ph {
                    Some(a) => Node::Asset(AssetId(a)),
                    None => {
                        self.error(src, span.clone(), "`_` (the candidate asset) is only allowed in a `select.score` expression".into());
                        return None;
                    }
                }
            }
            Expr::Name(n, span) => {
                if let Some(v) = self.names.params.get(n.as_str()) {
                    Node::Const(*v)
                } else if let Some(i) = self.names.assets.get(n.as_str()) {
                    Node::Asset(AssetId(*i))
                } else if let Some(i) = self.names.series.get(n.as_str()) {
                    Node::Series(SeriesId(*i))
                } else if let Some(i) = self.names.signals.get(n.as_str()) {
                    Node::Signal(SignalId(*i))
                } else if expr::is_function(n) {
                    self.error(
                        src,
                        span.clone(),
                        format!("`{n}` is a function: call it, e.g. `{n}(...)`"),
                    );
                    return None;
                } else {
                    let known = self.known_names();
                    self.error(
                        src,
                        span.clone(),
                        format!("unknown name `{n}` (known names are {known})"),
                    );
                    return None;
                }
            }
            Expr::Neg(inner, _) => Node::Neg(Box::new(self.node(src, inner, ph)?)),
            Expr::Not(inner, _) => Node::Not(Box::new(self.node(src, inner, ph)?)),
            Expr::Binary(op, a, b, _) => {
                if *op == BinOp::Mod && self.constant(b) == Some(0.0) {
                    self.error(
                        src,
                        b.span(),
                        "`%` by zero: the remainder is undefined".into(),
                    );
                    return None;
                }
                let a = self.node(src, a, ph);
                let b = self.node(src, b, ph);
                Node::Bin(*op, Box::new(a?), Box::new(b?))
            }
            Expr::Call(name, args, span) => return self.call(src, name, args, span, ph),
        })
    }

    fn call(
        &mut self,
        src: &ExprSrc,
        name: &str,
        args: &[Expr],
        span: &std::ops::Range<usize>,
        ph: Option<usize>,
    ) -> Option<Node> {
        if let Some(c) = CalendarFn::from_name(name) {
            if !args.is_empty() {
                self.error(
                    src,
                    span.clone(),
                    format!("`{name}()` takes no arguments, found {}", args.len()),
                );
                return None;
            }
            return Some(Node::Calendar(c));
        }
        let Some(f) = Func::from_name(name) else {
            let all = expr::function_names();
            self.error(
                src,
                span.clone(),
                format!(
                    "unknown function `{name}`; functions are: {}",
                    all.join(", ")
                ),
            );
            return None;
        };
        if f.args() == [Arg::Many] {
            if args.len() < 2 {
                self.error(
                    src,
                    span.clone(),
                    format!("`{name}` takes at least 2 arguments, found {}", args.len()),
                );
                return None;
            }
            let nodes: Vec<Option<Node>> = args.iter().map(|a| self.node(src, a, ph)).collect();
            return Some(Node::Call(
                f,
                nodes.into_iter().collect::<Option<Vec<_>>>()?,
                0,
            ));
        }
        if args.len() != f.args().len() {
            let sig: Vec<&str> = f
                .args()
                .iter()
                .map(|a| if *a == Arg::Bars { "bars" } else { "x" })
                .collect();
            self.error(
                src,
                span.clone(),
                format!(
                    "`{name}({})` takes {} argument(s), found {}",
                    sig.join(", "),
                    f.args().len(),
                    args.len()
                ),
            );
            return None;
        }
        let mut nodes = Vec::new();
        let mut bars = 0;
        let mut ok = true;
        for (kind, a) in f.args().iter().zip(args) {
            if *kind == Arg::Bars {
                match self.constant(a) {
                    Some(v)
                        if v >= 1.0 && v.fract() == 0.0 && v <= crate::spec::MAX_BARS as f64 =>
                    {
                        bars = v as usize
                    }
                    Some(v) => {
                        self.error(
                            src,
                            a.span(),
                            format!(
                                "expected a whole number of bars from 1 to {}, found {v}",
                                crate::spec::MAX_BARS
                            ),
                        );
                        ok = false;
                    }
                    None => {
                        self.error(
                            src,
                            a.span(),
                            "expected a constant number of bars (a number or a param)".into(),
                        );
                        ok = false;
                    }
                }
            } else {
                match self.node(src, a, ph) {
                    Some(n) => nodes.push(n),
                    None => ok = false,
                }
            }
        }
        ok.then_some(Node::Call(f, nodes, bars))
    }

    /// Folds a constant expression (numbers and params with arithmetic).
    fn constant(&self, e: &Expr) -> Option<f64> {
        match e {
            Expr::Num(v, _) => Some(*v),
            Expr::Name(n, _) => self.names.params.get(n.as_str()).copied(),
            Expr::Neg(a, _) => Some(-self.constant(a)?),
            Expr::Binary(op, a, b, _) => {
                let (a, b) = (self.constant(a)?, self.constant(b)?);
                match op {
                    BinOp::Add => Some(a + b),
                    BinOp::Sub => Some(a - b),
                    BinOp::Mul => Some(a * b),
                    BinOp::Div => Some(a / b),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn weights(
        &mut self,
        list: &[(String, f64)],
        key: &str,
        span: &std::ops::Range<usize>,
    ) -> Vec<f64> {
        let mut w = vec![0.0; self.s.assets.len()];
        for (name, v) in list {
            if name == "cash" {
                continue;
            }
            match self.names.assets.get(name.as_str()) {
                Some(i) => w[*i] = *v,
                None => {
                    let assets: Vec<&str> = self.names.assets.keys().copied().collect();
                    let d = self.s.diag(
                        span,
                        &format!("{key}.{name}"),
                        format!(
                            "unknown asset `{name}`; assets are: {} (and `cash`)",
                            assets.join(", ")
                        ),
                    );
                    self.diags.push(d);
                }
            }
        }
        if let Some((_, c)) = list.iter().find(|(n, _)| n == "cash") {
            let total: f64 = w.iter().sum::<f64>() + c;
            if (total - 1.0).abs() > 1e-9 {
                let d = self.s.diag(
                    span,
                    key,
                    format!("weights including `cash` must sum to 1, found {total}"),
                );
                self.diags.push(d);
            }
        }
        w
    }
}

fn deps(node: &Node, out: &mut Vec<usize>) {
    match node {
        Node::Signal(i) => out.push(i.0),
        Node::Neg(a) | Node::Not(a) => deps(a, out),
        Node::Bin(_, a, b) => {
            deps(a, out);
            deps(b, out);
        }
        Node::Call(_, args, _) => args.iter().for_each(|a| deps(a, out)),
        _ => {}
    }
}

/// The most levels an expression may have once the named signals it reads are substituted
/// (what the sweep's probes evaluate), and the most terms: 2,000 levels, 1,000,000 terms. Each
/// expression alone is at most [`expr::MAX_DEPTH`] levels; this bounds chains of signals that
/// read signals, and signals that read another twice at every step (whose size doubles).
pub const MAX_INLINED: usize = 2_000;
pub const MAX_INLINED_TERMS: u64 = 1_000_000;

/// (levels, terms) of `n` with each named signal replaced by its own (levels, terms) in `sig`.
fn inlined(n: &Node, sig: &[(usize, u64)]) -> (usize, u64) {
    let fold = |nodes: &mut dyn Iterator<Item = &Node>| {
        nodes.fold((0usize, 1u64), |(d, s), a| {
            let (da, sa) = inlined(a, sig);
            (d.max(da), s.saturating_add(sa))
        })
    };
    let (d, s) = match n {
        Node::Signal(i) => return sig.get(i.0).copied().unwrap_or((1, 1)),
        Node::Const(_) | Node::Asset(_) | Node::Series(_) | Node::Calendar(_) => (0, 1),
        Node::Neg(a) | Node::Not(a) => fold(&mut std::iter::once(&**a)),
        Node::Bin(_, a, b) => fold(&mut [&**a, &**b].into_iter()),
        Node::Call(_, args, _) => fold(&mut args.iter()),
    };
    (d + 1, s)
}

/// Depth-first order of signals; `Err(cycle)` names signals that refer to each other.
fn signal_order(signals: &[(String, Node)]) -> Result<Vec<usize>, Vec<usize>> {
    fn visit(
        i: usize,
        signals: &[(String, Node)],
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                return Err(path[start..].to_vec());
            }
            _ => {}
        }
        state[i] = 1;
        path.push(i);
        let mut ds = Vec::new();
        deps(&signals[i].1, &mut ds);
        for d in ds {
            visit(d, signals, state, order, path)?;
        }
        path.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    let mut order = Vec::new();
    let mut state = vec![0u8; signals.len()];
    for i in 0..signals.len() {
        visit(i, signals, &mut state, &mut order, &mut Vec::new())?;
    }
    Ok(order)
}

/// Resolves and checks every expression and name; reports every problem found.
pub fn compile(s: &Strategy) -> Result<Plan> {
    compile_with(s, &[])
}

/// Which of the strategy's assets and series something reads: an expression of a signal, a
/// rule, a regime or an extra expression (`plan`), a rule's weights or selection, a benchmark's
/// weights, or a synthetic fund built on it (an underlying counts when its fund does).
/// `also` are assets a command needs besides (an event study's measured assets).
pub fn used(s: &Strategy, plan: &Plan, also: &[usize]) -> (Vec<bool>, Vec<bool>) {
    let mut assets = vec![false; s.assets.len()];
    let mut series = vec![false; s.series.len()];
    let index = |name: &str| s.assets.iter().position(|a| a.name == name);
    let mut nodes: Vec<&Node> = plan.signals.iter().map(|(_, n)| n).collect();
    nodes.extend(plan.regimes.iter().map(|(_, n)| n));
    nodes.extend(plan.extra.iter());
    for r in &plan.rules {
        nodes.extend(r.when.iter());
        if let Target::Select { candidates, .. } = &r.target {
            for (a, n) in candidates {
                assets[a.0] = true;
                nodes.push(n);
            }
        }
    }
    while let Some(n) = nodes.pop() {
        match n {
            Node::Asset(a) => assets[a.0] = true,
            Node::Series(x) => series[x.0] = true,
            Node::Const(_) | Node::Signal(_) | Node::Calendar(_) => {}
            Node::Neg(a) | Node::Not(a) => nodes.push(a),
            Node::Bin(_, a, b) => {
                nodes.push(a);
                nodes.push(b);
            }
            Node::Call(_, args, _) => nodes.extend(args.iter()),
        }
    }
    let named = s
        .rules
        .iter()
        .flat_map(|r| r.weights.iter().map(|(n, _)| n.as_str()))
        .chain(s.rules.iter().flat_map(|r| {
            r.select
                .iter()
                .flat_map(|sel| sel.from.iter().map(String::as_str))
        }))
        .chain(
            s.benchmarks
                .iter()
                .flat_map(|b| b.weights.iter().map(|(n, _)| n.as_str())),
        );
    for n in named {
        if let Some(i) = index(n) {
            assets[i] = true;
        }
    }
    for &i in also {
        assets[i] = true;
    }
    // A used synthetic fund uses its underlying (chains of them too).
    let mut changed = true;
    while changed {
        changed = false;
        for (i, a) in s.assets.iter().enumerate() {
            let under = a.synthetic.as_ref().and_then(|syn| index(&syn.underlying));
            if let (true, Some(j)) = (assets[i], under) {
                if !assets[j] {
                    assets[j] = true;
                    changed = true;
                }
            }
        }
    }
    (assets, series)
}

/// The strategy without the assets and series nothing uses (see [`used`]), each left out with a
/// warning at its place in the file, so that an unused declaration cannot move the calendar,
/// the warm-up or any check. At least one asset is kept. `None` when everything is used.
pub fn prune(s: &Strategy, plan: &Plan, also: &[usize]) -> Option<Strategy> {
    let (mut assets, series) = used(s, plan, also);
    if !assets.iter().any(|u| *u) {
        assets.fill(true);
    }
    if assets.iter().all(|u| *u) && series.iter().all(|u| *u) {
        return None;
    }
    let mut out = s.clone();
    let why = "declared but used by nothing (no signal, rule, regime, benchmark, synthetic fund, event condition or measured asset): left out, so it does not limit the calendar or the warm-up";
    for (a, used) in s.assets.iter().zip(&assets) {
        if !used {
            let d = s.diag(
                &a.span,
                &format!("assets.{}", a.name),
                format!("asset {why}"),
            );
            out.warnings.push(d);
        }
    }
    for (x, used) in s.series.iter().zip(&series) {
        if !used {
            let d = s.diag(
                &x.span,
                &format!("series.{}", x.name),
                format!("series {why}"),
            );
            out.warnings.push(d);
        }
    }
    let mut keep = assets.iter();
    out.assets.retain(|_| *keep.next().unwrap_or(&true));
    let mut keep = series.iter();
    out.series.retain(|_| *keep.next().unwrap_or(&true));
    Some(out)
}

/// [`compile`], plus `extra` expressions compiled in the same namespace into `Plan::extra`
/// (evaluated by [`crate::signal::eval_extra`]).
pub fn compile_with(s: &Strategy, extra: &[ExprSrc]) -> Result<Plan> {
    let names = Names {
        params: s.params.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
        assets: s
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect(),
        series: s
            .series
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect(),
        signals: s
            .signals
            .iter()
            .enumerate()
            .map(|(i, a)| (a.0.as_str(), i))
            .collect(),
    };
    let mut c = Compiler {
        s,
        names,
        diags: Diagnostics::default(),
    };

    let mut signals = Vec::new();
    for (name, src) in &s.signals {
        let n = c.expr(src, None);
        signals.push((name.clone(), n.unwrap_or(Node::Const(f64::NAN))));
    }
    let order = match signal_order(&signals) {
        Ok(order) => order.into_iter().map(SignalId).collect(),
        Err(cycle) => {
            let names: Vec<&str> = cycle.iter().map(|&j| signals[j].0.as_str()).collect();
            let src = &s.signals[cycle[0]].1;
            let d = s.diag(
                &src.span,
                &src.key,
                format!(
                    "signals refer to each other in a cycle: {} -> {}",
                    names.join(" -> "),
                    names[0]
                ),
            );
            c.diags.push(d);
            vec![]
        }
    };

    if s.rules.len() > MAX_RULES {
        let d = s.diag(
            &s.rules[MAX_RULES].span,
            "rules",
            format!("more than {MAX_RULES} rules"),
        );
        c.diags.push(d);
    }
    let mut rules = Vec::new();
    for (i, r) in s.rules.iter().enumerate() {
        let key = format!("rules[{i}]");
        let when = r
            .when
            .as_ref()
            .map(|src| c.expr(src, None).unwrap_or(Node::Const(f64::NAN)));
        let target = match &r.select {
            Some(sel) => {
                let mut candidates = Vec::new();
                for name in &sel.from {
                    match c.names.assets.get(name.as_str()).copied() {
                        Some(a) => {
                            let n = c.expr(&sel.score, Some(a)).unwrap_or(Node::Const(f64::NAN));
                            candidates.push((AssetId(a), n));
                        }
                        None => {
                            let d = s.diag(
                                &r.span,
                                &format!("{key}.select.from"),
                                format!("unknown asset `{name}`"),
                            );
                            c.diags.push(d);
                        }
                    }
                }
                Target::Select {
                    top: sel.top,
                    candidates,
                    weighting: sel.weighting,
                    vol_lookback: sel.vol_lookback,
                    weight: sel.weight,
                }
            }
            None => Target::Fixed(c.weights(&r.weights, &format!("{key}.weights"), &r.span)),
        };
        rules.push(Rule { when, target });
    }

    let benchmarks = s
        .benchmarks
        .iter()
        .map(|b| Benchmark {
            name: b.name.clone(),
            weights: c.weights(&b.weights, &format!("benchmarks.{}", b.name), &b.span),
            rebalance: b.rebalance,
        })
        .collect();

    let extra = extra
        .iter()
        .map(|src| c.expr(src, None).unwrap_or(Node::Const(f64::NAN)))
        .collect();
    let regimes: Vec<(String, Node)> = s
        .regimes
        .iter()
        .map(|(name, src)| {
            let n = c.expr(src, None).unwrap_or(Node::Const(f64::NAN));
            (name.clone(), n)
        })
        .collect();
    let Trading {
        execution,
        rebalance,
        initial_capital,
    } = trading(&s.trading());
    let plan = Plan {
        n_assets: s.assets.len(),
        signals,
        signal_order: order,
        rules,
        rebalance,
        execution,
        initial_capital,
        benchmarks,
        extra,
        regimes,
    };
    let mut diags = c.diags;
    diags.extend(check_inlined(s, &plan));
    diags.into_result(plan)
}

/// Signals substituted into each other stay bounded (see [`MAX_INLINED`]): every signal, rule
/// condition, selection score and regime, each reported at its place. A signal past the bound
/// is reported once; the signals that read it count it as one term, so they are not repeated.
fn check_inlined(s: &Strategy, plan: &Plan) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut check = |(d, n): (usize, u64), src: &ExprSrc| {
        let over = d > MAX_INLINED || n > MAX_INLINED_TERMS;
        if over {
            diags.push(s.diag(&src.span, &src.key, format!(
                "with the named signals it reads substituted, this expression is {d} levels deep with {n} terms (at most {MAX_INLINED} levels and {MAX_INLINED_TERMS} terms): signals reading signals too many times over"
            )));
        }
        over
    };
    let mut sig = vec![(1usize, 1u64); plan.signals.len()];
    for SignalId(i) in &plan.signal_order {
        let v = inlined(&plan.signals[*i].1, &sig);
        sig[*i] = if check(v, &s.signals[*i].1) {
            (1, 1)
        } else {
            v
        };
    }
    for (r, rule) in s.rules.iter().zip(&plan.rules) {
        if let (Some(src), Some(n)) = (&r.when, &rule.when) {
            check(inlined(n, &sig), src);
        }
        if let (Some(sel), Target::Select { candidates, .. }) = (&r.select, &rule.target) {
            if let Some((_, n)) = candidates.first() {
                check(inlined(n, &sig), &sel.score);
            }
        }
    }
    for ((_, src), (_, n)) in s.regimes.iter().zip(&plan.regimes) {
        check(inlined(n, &sig), src);
    }
    diags
}

impl Plan {
    /// Replaces the trading settings (a sweep variant's) through [`trading`].
    pub fn set_trading(&mut self, t: &TradingSpec) {
        let Trading {
            execution,
            rebalance,
            initial_capital,
        } = trading(t);
        self.execution = execution;
        self.rebalance = rebalance;
        self.initial_capital = initial_capital;
    }

    /// A plan that holds a benchmark's fixed weights from the first bar: no costs, filled at
    /// the close, rebalanced on the benchmark's schedule.
    pub fn for_benchmark(&self, b: &Benchmark) -> Plan {
        Plan {
            n_assets: self.n_assets,
            signals: vec![],
            signal_order: vec![],
            rules: vec![Rule {
                when: None,
                target: Target::Fixed(b.weights.clone()),
            }],
            rebalance: RebalanceSpec {
                schedule: b.rebalance,
                day: crate::spec::PeriodDay::Last,
                every: 1,
                drift_band: None,
                min_hold: 0,
                enter_immediately: true,
            },
            execution: Execution {
                fill: Fill::Close,
                commission: 0.0,
                fixed_cost: 0.0,
                slippage: 0.0,
                ..self.execution
            },
            initial_capital: self.initial_capital,
            benchmarks: vec![],
            extra: vec![],
            regimes: vec![],
        }
    }
}
