//! How a rebuilt (synthetic) fund tracked its real fund on the dates both have: the
//! correlation and regression slope of their daily returns and the difference of their
//! annualised returns (docs/metrics.md, "Synthetic funds").

use super::regime::annual_return;
use super::relative::cov;
use super::returns::{simple_returns, stdev};
use crate::date::{self, Date};
use serde::Serialize;

/// The fund rebuilt: its name and the settings it was rebuilt with.
#[derive(Debug, Clone, Copy)]
pub struct Fund<'a> {
    pub asset: &'a str,
    pub underlying: &'a str,
    pub leverage: f64,
    pub expense_bps: f64,
    pub spread_bps: f64,
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

/// Compares the real and the synthetic levels on `dates` (the dates both have, at least 2):
/// daily returns between consecutive common dates.
pub fn check(fund: Fund, dates: &[Date], real: &[f64], rebuilt: &[f64]) -> Check {
    let (ra, rs) = (simple_returns(real), simple_returns(rebuilt));
    let c = cov(&ra, &rs);
    Check {
        asset: fund.asset.to_owned(),
        underlying: fund.underlying.to_owned(),
        leverage: fund.leverage,
        expense_bps: fund.expense_bps,
        spread_bps: fund.spread_bps,
        from: date::format(dates[0]),
        to: date::format(dates[dates.len() - 1]),
        days: ra.len(),
        correlation: c / (stdev(&ra) * stdev(&rs)),
        slope: c / cov(&rs, &rs),
        tracking_difference: annual_return(&ra) - annual_return(&rs),
    }
}
