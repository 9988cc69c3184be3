//! The conventions every figure rests on, in one place (`docs/metrics.md`, "Conventions"):
//! how many bars make a year when a per-bar figure is annualised, how many days make a year when
//! a date range becomes years of compound growth, and the day count of cash accrual. A leaf:
//! it imports nothing of rotor but the date type.

use crate::date::Date;

/// Bars (trading days) in a year: annualises per-bar means (`x 252`) and deviations
/// (`x sqrt(252)`), the convention of every peer (quantstats, vectorbt, bt, pyfolio).
pub const BARS_PER_YEAR: f64 = 252.0;

/// Days in an average calendar year: what turns a date range into years for compound growth
/// (CAGR is calendar-time, not bar-counted).
pub const DAYS_PER_YEAR: f64 = 365.25;

/// The default day count of cash accrual (`[cash] day_count`): an annual rate f earns
/// `f x days / 360` over `days` calendar days (money-market Actual/360).
pub const CASH_DAY_COUNT: u32 = 360;

/// Calendar years from `a` to `b`.
pub fn years_between(a: Date, b: Date) -> f64 {
    (b - a) as f64 / DAYS_PER_YEAR
}
