//! Synthetic leveraged and inverse funds: a daily-reset fund of leverage L on an underlying,
//! rebuilt from the underlying's total return before the real fund existed, and the check of
//! the rebuilt returns against the real fund where both exist.
//!
//! Daily return on the underlying's date t (R the underlying's total return over (t-1, t],
//! `c` what cash earns over the same days, the strategy's cash accrual — `f x d / 360` for an
//! annual rate f known at t-1 and d calendar days — and `d / 360` the same day count):
//!
//! `r = L R + (1 - L) c - N s d / 360 - ER / 252`
//!
//! where N = |L - 1| is the swapped notional per unit of capital of a long fund (N = |L| for an
//! inverse fund, which earns cash on its collateral and its short proceeds) and s the annual
//! financing spread. Before the real fund's first date (`splice`) the synthetic returns are
//! used, from it on the real fund's.

use crate::date::{self, Date};
use crate::signal::BARS_PER_YEAR;
use crate::spec::Synthetic;
use crate::stats::regime::annual_return;
use crate::stats::relative::cov;
use crate::stats::returns::stdev;
use serde::Serialize;

/// The financing notional per unit of capital: |L - 1| long, |L| inverse.
pub fn notional(leverage: f64) -> f64 {
    if leverage > 0.0 {
        (leverage - 1.0).abs()
    } else {
        leverage.abs()
    }
}

/// One day's synthetic return: `r` the underlying's, `cash` what cash earned over the same
/// days, `gap` the calendar days, `day_count` the cash day count (360).
pub fn daily_return(s: &Synthetic, r: f64, cash: f64, gap: f64, day_count: f64) -> f64 {
    let l = s.leverage;
    l * r + (1.0 - l) * cash
        - notional(l) * s.spread_bps / 1e4 * gap / day_count
        - s.expense_bps / 1e4 / BARS_PER_YEAR
}

/// How the synthetic fund tracked the real one where both exist.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Check {
    pub asset: String,
    pub underlying: String,
    pub leverage: f64,
    pub expense_bps: f64,
    pub spread_bps: f64,
    /// The overlap: first and last date, and the number of daily returns compared.
    pub from: String,
    pub to: String,
    pub days: usize,
    /// Of the daily returns, real against synthetic.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub correlation: f64,
    /// Regression slope of the real fund's daily returns on the synthetic ones.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub slope: f64,
    /// Real minus synthetic annualised return over the overlap (`prod(1 + r)^(252 / m) - 1`,
    /// [`annual_return`]).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub tracking_difference: f64,
}

impl Check {
    /// One line for the terminal.
    pub fn line(&self) -> String {
        format!(
            "synthetic `{}` ({}x `{}`, expense {} bps, spread {} bps) against the real fund, {} to {} ({} days): correlation {:.4}, slope {:.3}, tracking difference {:+.2}% a year",
            self.asset,
            self.leverage,
            self.underlying,
            self.expense_bps,
            self.spread_bps,
            self.from,
            self.to,
            self.days,
            self.correlation,
            self.slope,
            self.tracking_difference * 100.0
        )
    }
}

/// Compares real and synthetic levels on the dates both have: daily returns between
/// consecutive common dates. `None` without at least 3 common dates.
pub fn check(
    asset: &str,
    s: &Synthetic,
    syn: (&[Date], &[f64]),
    real: (&[Date], &[f64]),
) -> Option<Check> {
    let mut pairs: Vec<(Date, f64, f64)> = vec![];
    for (i, d) in real.0.iter().enumerate() {
        if let Ok(j) = syn.0.binary_search(d) {
            pairs.push((*d, real.1[i], syn.1[j]));
        }
    }
    if pairs.len() < 3 {
        return None;
    }
    let ra: Vec<f64> = pairs.windows(2).map(|w| w[1].1 / w[0].1 - 1.0).collect();
    let rs: Vec<f64> = pairs.windows(2).map(|w| w[1].2 / w[0].2 - 1.0).collect();
    let c = cov(&ra, &rs);
    Some(Check {
        asset: asset.to_owned(),
        underlying: s.underlying.clone(),
        leverage: s.leverage,
        expense_bps: s.expense_bps,
        spread_bps: s.spread_bps,
        from: date::format(pairs[0].0),
        to: date::format(pairs[pairs.len() - 1].0),
        days: ra.len(),
        correlation: c / (stdev(&ra) * stdev(&rs)),
        slope: c / cov(&rs, &rs),
        tracking_difference: annual_return(&ra) - annual_return(&rs),
    })
}
