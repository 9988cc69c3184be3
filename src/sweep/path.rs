//! What a sweep can set: one enum, resolved once from the path the user wrote, that knows its
//! spelling, which values are valid, and how to write a value into a strategy or a plan.

use crate::plan::Plan;
use crate::spec::Strategy;
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
    /// Resolves `path` against the strategy, or says what can be swept.
    pub fn parse(s: &Strategy, path: &str) -> Result<SweepPath, String> {
        if let Some(p) = path.strip_prefix("params.") {
            if s.params.iter().any(|(n, _)| n == p) {
                return Ok(Param(p.to_owned()));
            }
            let known: Vec<&str> = s.params.iter().map(|(n, _)| n.as_str()).collect();
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
            Every => whole && (1.0..=crate::spec::MAX_BARS as f64).contains(&x),
            MinHold => whole && (0.0..=crate::spec::MAX_BARS as f64).contains(&x),
            DriftBand => (0.0..1.0).contains(&x),
            InitialCapital => x > 0.0 && x.is_finite(),
            Commission | Slippage => (0.0..crate::spec::MAX_COST_BPS).contains(&x),
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
            Commission => s.execution.commission_bps = x,
            Slippage => s.execution.slippage_bps = x,
            FixedCost => s.execution.fixed_cost = x,
            MinTrade => s.execution.min_trade_bps = x,
            FinancingSpread => s.cash.financing_spread_bps = x,
            BorrowFee => s.cash.borrow_fee_bps = x,
            Every => s.rebalance.every = x as usize,
            DriftBand => s.rebalance.drift_band = (x > 0.0).then_some(x),
            MinHold => s.rebalance.min_hold = x as usize,
            InitialCapital => s.initial_capital = x,
        }
    }

    /// Writes a checked trading value into a compiled plan: the plan-side twin of [`set`]
    /// (`every_variant_equals_a_plain_run_of_its_strategy` checks that the two agree). A
    /// `params.` value is already in the group's compiled plan.
    ///
    /// [`set`]: SweepPath::set
    pub fn set_plan(&self, p: &mut Plan, x: f64) {
        match self {
            Param(_) => {}
            Commission => p.execution.commission = x / 1e4,
            Slippage => p.execution.slippage = x / 1e4,
            FixedCost => p.execution.fixed_cost = x,
            MinTrade => p.execution.min_trade = x / 1e4,
            FinancingSpread => p.execution.financing_spread = x / 1e4,
            BorrowFee => p.execution.borrow_fee = x / 1e4,
            Every => p.rebalance.every = x as usize,
            DriftBand => p.rebalance.drift_band = (x > 0.0).then_some(x),
            MinHold => p.rebalance.min_hold = x as usize,
            InitialCapital => p.initial_capital = x,
        }
    }
}

impl Serialize for SweepPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}
