//! Plausibility of a series against its declaration (documented in docs/strategy-format.md,
//! "Plausibility checks"). A series that cannot be what it says is an error; one that looks
//! wrong is a warning naming the file, the column and the date.
//!
//! * Returns (`kind = "returns"`): a median absolute return above 50 % a bar cannot be returns
//!   in the declared unit (a price column, or percent read as decimal): an error. Above 2 % a
//!   bar for an asset, or 0.2 % a bar for the cash series, is a warning (percent declared as
//!   decimal?); a traded asset whose median absolute return is below 0.01 % a bar is a
//!   warning (decimal declared as percent? a cash-like fund such as BIL is that calm too).
//! * Rates (`kind = "rate"`, annualised): a median above 100 % a year is a warning (percent
//!   declared as decimal?).
//! * Prices: with sigma the robust daily deviation of log returns (1.4826 x their median
//!   absolute deviation), a move of more than 10 sigma and 20 % that the next bar takes back
//!   (their sum within a fifth of the move) is a warning (a bad tick); such a move whose price
//!   ratio is within 2 % of a split factor (2, 3, 4, 5, 8, 10, 20, 50, 100 or their inverses)
//!   and is not taken back is a warning (an unadjusted split).

use crate::date::{self, Date};
use crate::error::Diagnostic;
use crate::spec::{SeriesKind, Source};

/// What a series is used for: its expected size depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Asset,
    Cash,
}

fn median_abs(v: impl Iterator<Item = f64>) -> Option<f64> {
    let mut a: Vec<f64> = v.filter(|x| x.is_finite()).map(f64::abs).collect();
    if a.len() < 20 {
        return None;
    }
    a.sort_by(f64::total_cmp);
    Some(a[a.len() / 2])
}

/// Checks one column as read (`values` in the declared unit, `scale` turning them into
/// decimals). Returns (errors, warnings).
pub fn check(
    src: &Source,
    role: Role,
    dates: &[Date],
    values: &[f64],
    scale: f64,
) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let (mut errors, mut warnings) = (vec![], vec![]);
    let d = |msg: String| Diagnostic::new(&src.file, msg).key(src.column.clone());
    match src.kind {
        SeriesKind::Returns => {
            if let Some(m) = median_abs(values.iter().map(|v| v * scale)) {
                let pct = m * 100.0;
                if m > 0.5 {
                    errors.push(d(format!(
                        "declared `kind = \"returns\"`, but its median absolute return is {pct:.3} % a bar: not returns in the declared unit (a price column? percent values declared `unit = \"decimal\"`?)"
                    )));
                } else if (role == Role::Asset && m > 0.02) || (role == Role::Cash && m > 0.002) {
                    warnings.push(d(format!(
                        "median absolute return {pct:.3} % a bar is large for {}: percent values declared `unit = \"decimal\"`?",
                        if role == Role::Cash { "a cash series" } else { "daily returns" }
                    )));
                } else if role == Role::Asset && m < 1e-4 {
                    warnings.push(d(format!(
                        "median absolute return {pct:.4} % a bar is tiny for a traded asset: decimal values declared `unit = \"percent\"`?"
                    )));
                }
            }
        }
        SeriesKind::Rate => {
            if let Some(m) = median_abs(values.iter().map(|v| v * scale)) {
                if m > 1.0 {
                    warnings.push(d(format!(
                        "median annualised rate {:.1} % is above 100 % a year: percent values declared `unit = \"decimal\"`?",
                        m * 100.0
                    )));
                }
            }
        }
        SeriesKind::Price => ticks(values, dates, &d, &mut warnings),
    }
    (errors, warnings)
}

/// Bad ticks and unadjusted splits in a price column.
fn ticks(
    values: &[f64],
    dates: &[Date],
    d: &dyn Fn(String) -> Diagnostic,
    warnings: &mut Vec<Diagnostic>,
) {
    // Log returns between consecutive known positive prices, with the bar they end on.
    let mut r: Vec<(usize, f64, f64)> = vec![];
    let mut last: Option<usize> = None;
    for (i, &p) in values.iter().enumerate() {
        if !(p.is_finite() && p > 0.0) {
            continue;
        }
        if let Some(j) = last {
            r.push((i, (p / values[j]).ln(), p / values[j]));
        }
        last = Some(i);
    }
    if r.len() < 20 {
        return;
    }
    let mut abs: Vec<f64> = r.iter().map(|x| x.1).collect();
    abs.sort_by(f64::total_cmp);
    let med = abs[abs.len() / 2];
    let mut dev: Vec<f64> = r.iter().map(|x| (x.1 - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let sigma = 1.4826 * dev[dev.len() / 2];
    if sigma <= 0.0 {
        return;
    }
    let factors = [2.0, 3.0, 4.0, 5.0, 8.0, 10.0, 20.0, 50.0, 100.0];
    let mut shown = 0;
    for k in 0..r.len() {
        let (i, x, ratio) = r[k];
        if x.abs() <= 10.0 * sigma || x.abs() <= 0.2f64.ln_1p() || shown >= 5 {
            continue;
        }
        let back = r
            .get(k + 1)
            .is_some_and(|n| (x + n.1).abs() < 0.2 * x.abs());
        let day = date::format(dates[i]);
        if back {
            warnings.push(d(format!(
                "a move of {:+.1} % on {day}, {:.0} times the usual daily deviation, is taken back the next bar: a bad tick?",
                (ratio - 1.0) * 100.0,
                x.abs() / sigma
            )));
            shown += 1;
        } else if let Some(f) = factors
            .iter()
            .find(|f| ((ratio * **f) - 1.0).abs() < 0.02 || ((ratio / **f) - 1.0).abs() < 0.02)
        {
            let (a, b) = if ratio < 1.0 { (1.0, *f) } else { (*f, 1.0) };
            warnings.push(d(format!(
                "the price changes by a ratio of {a}:{b} on {day} and stays there: an unadjusted split? (rotor needs split- and dividend-adjusted prices)"
            )));
            shown += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Unit;

    fn src(kind: SeriesKind) -> Source {
        Source {
            file: "x.csv".into(),
            column: "v".into(),
            date_column: "date".into(),
            kind,
            unit: Unit::Decimal,
            span: 0..0,
            key: "assets.x.file".into(),
        }
    }

    fn prices(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 * (1.0 + 0.01 * ((i as f64) * 1.3).sin()) * 1.0002f64.powi(i as i32))
            .collect()
    }

    #[test]
    fn units_ticks_and_splits() {
        let dates: Vec<Date> = (0..300).map(|i| 18_000 + i).collect();
        // French RF in percent (about 0.01 a day) read as decimal: a warning for cash.
        let rf = vec![0.01; 300];
        let (e, w) = check(&src(SeriesKind::Returns), Role::Cash, &dates, &rf, 1.0);
        assert!(e.is_empty() && w.len() == 1, "{w:?}");
        // The same as percent: fine.
        let (e, w) = check(&src(SeriesKind::Returns), Role::Cash, &dates, &rf, 0.01);
        assert!(e.is_empty() && w.is_empty());
        // A price column declared returns: an error.
        let (e, _) = check(
            &src(SeriesKind::Returns),
            Role::Asset,
            &dates,
            &prices(300),
            1.0,
        );
        assert_eq!(e.len(), 1);
        // Clean prices: nothing.
        let p = prices(300);
        let (e, w) = check(&src(SeriesKind::Price), Role::Asset, &dates, &p, 1.0);
        assert!(e.is_empty() && w.is_empty(), "{w:?}");
        // A 1,000x tick on bar 100, taken back on bar 101.
        let mut t = p.clone();
        t[100] *= 1000.0;
        let (_, w) = check(&src(SeriesKind::Price), Role::Asset, &dates, &t, 1.0);
        assert!(w.len() == 1 && w[0].message.contains("bad tick"), "{w:?}");
        assert!(w[0].message.contains(&date::format(dates[100])));
        // An unadjusted 100:1 split from bar 200 on.
        let mut s = p.clone();
        s[200..].iter_mut().for_each(|v| *v /= 100.0);
        let (_, w) = check(&src(SeriesKind::Price), Role::Asset, &dates, &s, 1.0);
        assert!(w.len() == 1 && w[0].message.contains("1:100"), "{w:?}");
    }
}
