//! `[sweep]` as written, and what a sweep can set.
//!
//! [`SweepPath`]: one enum, resolved once from the path the user wrote, that knows its
//! spelling, which values are valid, and how to write a value into a strategy or its trading
//! settings. [`SweepSpec`]: the table read like every other one, each axis resolved and its
//! values checked; its problems are kept for the commands that sweep (`rotor sweep`,
//! `rotor walkforward`: `crate::sweep::build`), and a run ignores them.

use super::reader::Cx;
use super::types::{ExprSrc, Strategy, TradingSpec};
use super::value::{Node, Value};
use crate::error::Diagnostics;
use std::ops::Range;
use toml::Spanned;

/// More variants than this is refused (the product of the axes' lengths).
pub const MAX_VARIANTS: usize = 50_000_000;

/// One swept path of `[sweep]` with its values (checked), at the key's span.
#[derive(Debug, Clone)]
pub struct AxisSpec {
    pub target: SweepPath,
    pub values: Vec<f64>,
    pub span: Range<usize>,
}

/// The `[sweep]` table: its axes in file order, its constraints (each with the span of its
/// string), and the problems found reading them.
#[derive(Debug, Clone, Default)]
pub struct SweepSpec {
    pub axes: Vec<AxisSpec>,
    pub constraints: Vec<(ExprSrc, Range<usize>)>,
    pub problems: Diagnostics,
}

/// Reads `[sweep]` (the value of the top-level key `sweep`) against the strategy's parameters.
pub(crate) fn read(cx: &Cx, node: &Node, params: &[(String, f64)]) -> SweepSpec {
    let mut r = Reader {
        cx: Cx {
            path: cx.path,
            text: cx.text,
            diags: Diagnostics::default(),
        },
        params,
    };
    let (mut axes, mut constraints) = (vec![], vec![]);
    match node.get_ref() {
        Value::Table(entries) => r.walk(entries, "", &mut axes, &mut constraints),
        other => r.cx.err(
            &node.span(),
            "sweep",
            format!("expected a table, found {}", other.type_name()),
        ),
    }
    SweepSpec {
        axes,
        constraints,
        problems: r.cx.diags,
    }
}

struct Reader<'a> {
    cx: Cx<'a>,
    params: &'a [(String, f64)],
}

impl Reader<'_> {
    fn numbers(&mut self, items: &[Node], key: &str) -> Option<Vec<f64>> {
        let mut out = Vec::new();
        for it in items {
            match it.get_ref() {
                Value::Integer(i) => out.push(*i as f64),
                Value::Float(f) if f.is_finite() => out.push(*f),
                other => {
                    self.cx.err(
                        &it.span(),
                        key,
                        format!("expected numbers, found {}", other.type_name()),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A leaf: `[v, ...]`, `{ values = [...] }` or `{ range = [lo, hi], step = s }`.
    fn leaf(&mut self, node: &Node, key: &str) -> Option<Vec<f64>> {
        let span = node.span();
        let values = match node.get_ref() {
            Value::Array(items) => self.numbers(items, key)?,
            Value::Table(entries) => {
                let mut range = None;
                let mut step = None;
                let mut values = None;
                for (k, v) in entries {
                    let sub = format!("{key}.{}", k.get_ref());
                    match (k.get_ref().as_str(), v.get_ref()) {
                        ("range", Value::Array(items)) if items.len() == 2 => {
                            range = Some((self.numbers(items, &sub)?, v.span()))
                        }
                        ("range", _) => {
                            self.cx.err(&v.span(), &sub, "expected [low, high]");
                            return None;
                        }
                        ("step", Value::Integer(i)) => step = Some((*i as f64, v.span())),
                        ("step", Value::Float(f)) => step = Some((*f, v.span())),
                        ("step", other) => {
                            self.cx.err(
                                &v.span(),
                                &sub,
                                format!("expected a number, found {}", other.type_name()),
                            );
                            return None;
                        }
                        ("values", Value::Array(items)) => {
                            values = Some(self.numbers(items, &sub)?)
                        }
                        _ => {
                            self.cx.err(
                                &k.span(),
                                &sub,
                                "unknown key; expected `range` (with optional `step`) or `values`",
                            );
                            return None;
                        }
                    }
                }
                match (range, values) {
                    (Some((r, rspan)), None) => {
                        let (step, sspan) = step.unwrap_or((1.0, rspan.clone()));
                        range_values(r[0], r[1], step)
                            .map_err(|m| {
                                self.cx.err(
                                    if m.contains("step") { &sspan } else { &rspan },
                                    key,
                                    m,
                                )
                            })
                            .ok()?
                    }
                    (None, Some(v)) => v,
                    _ => {
                        self.cx.err(
                            &span,
                            key,
                            "expected `range = [low, high]` or `values = [...]`",
                        );
                        return None;
                    }
                }
            }
            other => {
                self.cx.err(&span, key, format!("expected a list of values or {{ range = [low, high], step = s }}, found {}", other.type_name()));
                return None;
            }
        };
        if values.is_empty() {
            self.cx
                .err(&span, key, "no values to sweep: the list is empty");
            return None;
        }
        Some(values)
    }

    /// Walks nested tables down to leaves, collecting axes.
    fn walk(
        &mut self,
        entries: &[(Spanned<String>, Node)],
        prefix: &str,
        axes: &mut Vec<AxisSpec>,
        constraints: &mut Vec<(ExprSrc, Range<usize>)>,
    ) {
        for (k, node) in entries {
            let path = if prefix.is_empty() {
                k.get_ref().clone()
            } else {
                format!("{prefix}.{}", k.get_ref())
            };
            let key = format!("sweep.{path}");
            if prefix.is_empty() && k.get_ref() == "constraints" {
                match node.get_ref() {
                    Value::Array(items) => {
                        for it in items {
                            match it.get_ref() {
                                Value::String(t) => {
                                    let raw = &self.cx.text[it.span()];
                                    let start = it.span().start + raw.find(t.as_str()).unwrap_or(0);
                                    constraints.push((
                                        ExprSrc {
                                            text: t.clone(),
                                            span: start..start + t.len(),
                                            key: key.clone(),
                                        },
                                        it.span(),
                                    ));
                                }
                                other => self.cx.err(
                                    &it.span(),
                                    &key,
                                    format!(
                                        "expected a condition in a string, found {}",
                                        other.type_name()
                                    ),
                                ),
                            }
                        }
                    }
                    other => self.cx.err(
                        &node.span(),
                        &key,
                        format!("expected a list of conditions, found {}", other.type_name()),
                    ),
                }
                continue;
            }
            let is_leaf_table = matches!(node.get_ref(), Value::Table(e) if e.iter().any(|(k, _)| matches!(k.get_ref().as_str(), "range" | "values" | "step")));
            match node.get_ref() {
                Value::Table(inner) if !is_leaf_table => self.walk(inner, &path, axes, constraints),
                _ => {
                    let target = match SweepPath::parse(self.params, &path) {
                        Ok(t) => t,
                        Err(m) => {
                            self.cx.err(&k.span(), &key, m);
                            continue;
                        }
                    };
                    if let Some(values) = self.leaf(node, &key) {
                        match values.iter().find_map(|&x| target.check(x).err()) {
                            Some(m) => self.cx.err(&node.span(), &key, m),
                            None => axes.push(AxisSpec {
                                target,
                                values,
                                span: k.span(),
                            }),
                        }
                    }
                }
            }
        }
    }
}

/// `low, low + step, ...` up to `high` (included when it lands on the grid).
pub fn range_values(low: f64, high: f64, step: f64) -> std::result::Result<Vec<f64>, String> {
    if step.is_nan() || step <= 0.0 || !step.is_finite() {
        return Err(format!("expected a step > 0, found {step}"));
    }
    if high < low {
        return Err(format!("empty range: high {high} is below low {low}"));
    }
    let n = ((high - low) / step + 1e-9).floor() as usize + 1;
    if n > MAX_VARIANTS {
        return Err(format!("{n} values in one range is too many"));
    }
    // Values are rounded to the decimals of `low` and `step`, so 0..1:0.2 gives 0.6, not
    // 0.6000000000000001.
    let decimals = |x: f64| format!("{x}").split_once('.').map_or(0, |(_, d)| d.len());
    let d = decimals(low).max(decimals(step)).min(15);
    let values: Vec<f64> = (0..n)
        .map(|i| {
            let v = low + i as f64 * step;
            format!("{v:.d$}").parse().unwrap_or(v)
        })
        .collect();
    // A step below what the values can resolve makes identical variants, not a sweep.
    if values.windows(2).any(|w| w[1] <= w[0]) {
        let mut distinct = values.clone();
        distinct.dedup();
        return Err(format!(
            "the step {step} is too small for values of this size: the {n} values collapse to {} distinct ones",
            distinct.len()
        ));
    }
    Ok(values)
}

use serde::{Serialize, Serializer};

/// A sweepable path of a strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepPath {
    /// `params.<name>`: changes signals (variants with different values get their own
    /// signal evaluation).
    Param(String),
    Commission,
    Slippage,
    FixedCost,
    MinTrade,
    FinancingSpread,
    BorrowFee,
    Every,
    DriftBand,
    MinHold,
    InitialCapital,
}

use SweepPath::*;

/// The trading paths, as written.
const TRADING: [(&str, SweepPath); 10] = [
    ("execution.commission_bps", Commission),
    ("execution.slippage_bps", Slippage),
    ("execution.fixed_cost", FixedCost),
    ("execution.min_trade_bps", MinTrade),
    ("cash.financing_spread_bps", FinancingSpread),
    ("cash.borrow_fee_bps", BorrowFee),
    ("rebalance.every", Every),
    ("rebalance.drift_band", DriftBand),
    ("rebalance.min_hold", MinHold),
    ("initial_capital", InitialCapital),
];

impl SweepPath {
    /// Resolves `path` against the strategy's parameters, or says what can be swept.
    pub fn parse(params: &[(String, f64)], path: &str) -> Result<SweepPath, String> {
        if let Some(p) = path.strip_prefix("params.") {
            if params.iter().any(|(n, _)| n == p) {
                return Ok(Param(p.to_owned()));
            }
            let known: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            return Err(if known.is_empty() {
                format!("no parameter `{p}`: declare it in [params] and use it in expressions")
            } else {
                format!(
                    "no parameter `{p}` in [params] (parameters: {})",
                    known.join(", ")
                )
            });
        }
        TRADING
            .iter()
            .find(|(text, _)| *text == path)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| {
                let all: Vec<&str> = TRADING.iter().map(|(t, _)| *t).collect();
                format!(
                    "cannot sweep `{path}`; sweepable paths are params.<name> and {}",
                    all.join(", ")
                )
            })
    }

    /// The path as written (`params.lookback`, `execution.commission_bps`).
    pub fn text(&self) -> String {
        match self {
            Param(p) => format!("params.{p}"),
            other => TRADING
                .iter()
                .find(|(_, p)| p == other)
                .map(|(t, _)| (*t).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The last segment: the name constraints and heatmaps use.
    pub fn name(&self) -> String {
        let t = self.text();
        t.rsplit('.').next().unwrap_or(&t).to_owned()
    }

    /// Whether the value changes signals (a `params.` path) rather than trading only.
    pub fn is_signal(&self) -> bool {
        matches!(self, Param(_))
    }

    /// Whether `x` is a valid value here; the message says what is expected.
    pub fn check(&self, x: f64) -> Result<(), String> {
        let whole = x.fract() == 0.0;
        let ok = match self {
            Param(_) => x.is_finite(),
            Every => whole && (1.0..=super::MAX_BARS as f64).contains(&x),
            MinHold => whole && (0.0..=super::MAX_BARS as f64).contains(&x),
            DriftBand => (0.0..1.0).contains(&x),
            InitialCapital => x > 0.0 && x.is_finite(),
            Commission | Slippage => (0.0..super::MAX_COST_BPS).contains(&x),
            FixedCost | MinTrade | FinancingSpread | BorrowFee => x >= 0.0 && x.is_finite(),
        };
        if ok {
            return Ok(());
        }
        Err(format!(
            "value {x} is not valid for {}: expected {}",
            self.text(),
            match self {
                Param(_) => "a finite number",
                Every => "a whole number of bars from 1 to 1000000",
                MinHold => "a whole number of bars from 0 to 1000000",
                Commission | Slippage => "a number of basis points >= 0 and below 10000 (100 %)",
                DriftBand => "a weight distance from 0 (no band) up to 1",
                InitialCapital => "a number > 0",
                _ => "a number >= 0",
            }
        ))
    }

    /// Writes a checked value into a strategy.
    pub fn set(&self, s: &mut Strategy, x: f64) {
        match self {
            Param(p) => {
                if let Some(slot) = s.params.iter_mut().find(|(n, _)| n == p) {
                    slot.1 = x;
                }
            }
            _ => {
                let mut t = s.trading();
                self.set_trading(&mut t, x);
                s.set_trading(t);
            }
        }
    }

    /// Writes a checked trading value into trading settings as written (basis points, bars),
    /// which `plan::trading` converts for the simulator, as it does a strategy's own. A
    /// `params.` value is not a trading setting: nothing changes.
    pub fn set_trading(&self, t: &mut TradingSpec, x: f64) {
        match self {
            Param(_) => {}
            Commission => t.execution.commission_bps = x,
            Slippage => t.execution.slippage_bps = x,
            FixedCost => t.execution.fixed_cost = x,
            MinTrade => t.execution.min_trade_bps = x,
            FinancingSpread => t.financing_spread_bps = x,
            BorrowFee => t.borrow_fee_bps = x,
            Every => t.rebalance.every = x as usize,
            DriftBand => t.rebalance.drift_band = (x > 0.0).then_some(x),
            MinHold => t.rebalance.min_hold = x as usize,
            InitialCapital => t.initial_capital = x,
        }
    }
}

impl Serialize for SweepPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}
