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
//! used, from it on the real fund's. How the two track each other where both exist is measured
//! above the data layer (`stats::tracking`) from the [`Overlap`] kept here.

use crate::conventions::BARS_PER_YEAR;
use crate::date::Date;
use crate::spec::Synthetic;

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

/// A synthetic fund and its real fund on the dates both have (at least 3): the levels the check
/// of the rebuilt returns compares (`stats::tracking`, computed above the data layer).
#[derive(Debug, Clone)]
pub struct Overlap {
    pub asset: String,
    pub synthetic: Synthetic,
    pub dates: Vec<Date>,
    /// The real fund's levels on `dates`.
    pub real: Vec<f64>,
    /// The synthetic fund's levels on `dates`.
    pub rebuilt: Vec<f64>,
}

/// Real and synthetic levels on the dates both have; `None` without at least 3 common dates.
pub fn overlap(
    asset: &str,
    s: &Synthetic,
    syn: (&[Date], &[f64]),
    real: (&[Date], &[f64]),
) -> Option<Overlap> {
    let mut o = Overlap {
        asset: asset.to_owned(),
        synthetic: s.clone(),
        dates: vec![],
        real: vec![],
        rebuilt: vec![],
    };
    for (i, d) in real.0.iter().enumerate() {
        if let Ok(j) = syn.0.binary_search(d) {
            o.dates.push(*d);
            o.real.push(real.1[i]);
            o.rebuilt.push(syn.1[j]);
        }
    }
    (o.dates.len() >= 3).then_some(o)
}
