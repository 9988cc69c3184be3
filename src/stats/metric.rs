//! The one list of headline metrics: each one's name (as in `stats.json`, CSV columns, flags and
//! baselines), which way is better, and how to read it from a run's [`Headline`]. Every command
//! that names, ranks, compares or prints a headline metric goes through [`Metric`].

use super::{Curve, Headline};
use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    TotalReturn,
    Cagr,
    Volatility,
    Sharpe,
    Sortino,
    MaxDrawdown,
    Calmar,
    UlcerIndex,
    Trades,
    AnnualTurnover,
    TotalCosts,
    TimeInMarket,
    FinalEquity,
}

use Metric::*;

impl Metric {
    /// Every metric, in the column order of `sweep.csv`.
    pub const ALL: [Metric; 13] = [
        TotalReturn,
        Cagr,
        Volatility,
        Sharpe,
        Sortino,
        MaxDrawdown,
        Calmar,
        UlcerIndex,
        Trades,
        AnnualTurnover,
        TotalCosts,
        TimeInMarket,
        FinalEquity,
    ];

    /// The metrics a `rotor check` baseline records and compares with a tolerance, in file
    /// order (the trade count is compared exactly, beside them).
    pub const CHECKED: [Metric; 12] = [
        FinalEquity,
        TotalReturn,
        Cagr,
        Volatility,
        Sharpe,
        Sortino,
        MaxDrawdown,
        Calmar,
        UlcerIndex,
        AnnualTurnover,
        TotalCosts,
        TimeInMarket,
    ];

    /// A fraction the terminal prints as a percentage (a return, a volatility, a drawdown, a
    /// share of time), as opposed to a ratio, a count or an amount.
    pub fn is_fraction(self) -> bool {
        matches!(
            self,
            TotalReturn | Cagr | Volatility | MaxDrawdown | UlcerIndex | TimeInMarket
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            TotalReturn => "total_return",
            Cagr => "cagr",
            Volatility => "volatility",
            Sharpe => "sharpe",
            Sortino => "sortino",
            MaxDrawdown => "max_drawdown",
            Calmar => "calmar",
            UlcerIndex => "ulcer_index",
            Trades => "trades",
            AnnualTurnover => "annual_turnover",
            TotalCosts => "total_costs",
            TimeInMarket => "time_in_market",
            FinalEquity => "final_equity",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// A metric a `rotor check` baseline records (one of [`Metric::CHECKED`]), by name.
    pub fn checked(name: &str) -> Option<Metric> {
        Metric::from_name(name).filter(|m| Metric::CHECKED.contains(m))
    }

    /// Whether a larger value is better; `None` for metrics with no better direction (a
    /// trade count, time in the market), which cannot rank variants.
    pub fn higher_is_better(self) -> Option<bool> {
        match self {
            TotalReturn | Cagr | Sharpe | Sortino | Calmar | FinalEquity => Some(true),
            // Drawdown depth is negative: closer to zero (larger) is better.
            MaxDrawdown => Some(true),
            Volatility | UlcerIndex | AnnualTurnover | TotalCosts => Some(false),
            Trades | TimeInMarket => None,
        }
    }

    /// Metrics a sweep can rank variants by.
    pub fn rankable() -> impl Iterator<Item = Metric> {
        Metric::ALL
            .into_iter()
            .filter(|m| m.higher_is_better().is_some())
    }

    /// The metric of an equity curve alone (`None` for trading metrics and the final equity,
    /// which a window of a curve does not have): what walk-forward windows rank by.
    pub fn of_curve(self, c: &Curve) -> Option<f64> {
        Some(match self {
            TotalReturn => c.total_return,
            Cagr => c.cagr,
            Volatility => c.volatility,
            Sharpe => c.sharpe,
            Sortino => c.sortino,
            MaxDrawdown => c.max_drawdown,
            Calmar => c.calmar,
            UlcerIndex => c.ulcer_index,
            Trades | AnnualTurnover | TotalCosts | TimeInMarket | FinalEquity => return None,
        })
    }

    /// Whether walk-forward windows can rank by this metric.
    pub fn on_windows(self) -> bool {
        self.higher_is_better().is_some() && self.of_curve(&Curve::NAN).is_some()
    }

    /// The metric's value in a run's headline numbers.
    pub fn of(self, h: &Headline) -> f64 {
        match self {
            Trades => h.trades as f64,
            AnnualTurnover => h.annual_turnover,
            TotalCosts => h.total_costs,
            TimeInMarket => h.time_in_market,
            FinalEquity => h.curve.final_equity,
            m => m.of_curve(&h.curve).unwrap_or(f64::NAN),
        }
    }

    /// Sets the metric's value in headline numbers (the inverse of [`Metric::of`]): how a
    /// sweep's rows written by shards are read back.
    pub fn set(self, h: &mut Headline, v: f64) {
        let c = &mut h.curve;
        match self {
            TotalReturn => c.total_return = v,
            Cagr => c.cagr = v,
            Volatility => c.volatility = v,
            Sharpe => c.sharpe = v,
            Sortino => c.sortino = v,
            MaxDrawdown => c.max_drawdown = v,
            Calmar => c.calmar = v,
            UlcerIndex => c.ulcer_index = v,
            Trades => h.trades = v as usize,
            AnnualTurnover => h.annual_turnover = v,
            TotalCosts => h.total_costs = v,
            TimeInMarket => h.time_in_market = v,
            FinalEquity => c.final_equity = v,
        }
    }

    /// Orders two values of this metric, best first; an undefined value (NaN) comes last.
    pub fn best_first(self, x: f64, y: f64) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (x.is_nan(), y.is_nan()) {
            (true, true) => Equal,
            (true, false) => Greater,
            (false, true) => Less,
            _ if self.higher_is_better() == Some(false) => x.total_cmp(&y),
            _ => y.total_cmp(&x),
        }
    }

    /// Names, comma-separated, for help texts and messages.
    pub fn names(list: impl IntoIterator<Item = Metric>) -> String {
        list.into_iter()
            .map(Metric::name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Metric::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown metric `{name}` (metrics: {})",
                Metric::names(Metric::ALL)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_directions() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("sharp"), None);
        // set is the inverse of of, for every metric.
        let mut h = crate::stats::Headline {
            curve: Curve::NAN,
            trades: 0,
            annual_turnover: 0.0,
            total_costs: 0.0,
            time_in_market: 0.0,
        };
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            m.set(&mut h, i as f64 + 1.0);
        }
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m.of(&h), i as f64 + 1.0, "{m}");
        }
        assert_eq!(Metric::Volatility.higher_is_better(), Some(false));
        assert!(Metric::rankable().all(|m| m != Metric::Trades));
        assert!(Metric::Sharpe.on_windows() && !Metric::FinalEquity.on_windows());
        let mut v = [1.0, f64::NAN, 3.0, 2.0];
        v.sort_by(|a, b| Metric::Sharpe.best_first(*a, *b));
        assert_eq!(v[..3], [3.0, 2.0, 1.0]);
        assert!(v[3].is_nan());
        v.sort_by(|a, b| Metric::Volatility.best_first(*a, *b));
        assert_eq!(v[..3], [1.0, 2.0, 3.0]);
    }
}
