//! Calendar-period returns: the equity at the last bar of a period over the equity at the last
//! bar of the previous one (the first period starts from the first bar's equity).

use crate::date::{self, Date};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PeriodReturn {
    /// `YYYY-MM` for months, `YYYY` for years.
    pub period: String,
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub ret: f64,
}

fn by_key(
    equity: &[f64],
    dates: &[Date],
    key: impl Fn(Date) -> (i32, u32),
    label: impl Fn((i32, u32)) -> String,
) -> Vec<PeriodReturn> {
    let mut out = Vec::new();
    let mut base = equity[0];
    for t in 0..dates.len() {
        let k = key(dates[t]);
        let last = t + 1 == dates.len() || key(dates[t + 1]) != k;
        if last && t > 0 {
            out.push(PeriodReturn {
                period: label(k),
                ret: equity[t] / base - 1.0,
            });
            base = equity[t];
        }
    }
    out
}

pub fn monthly(equity: &[f64], dates: &[Date]) -> Vec<PeriodReturn> {
    by_key(
        equity,
        dates,
        |d| {
            let (y, m, _) = date::to_ymd(d);
            (y, m)
        },
        |(y, m)| format!("{y:04}-{m:02}"),
    )
}

pub fn yearly(equity: &[f64], dates: &[Date]) -> Vec<PeriodReturn> {
    by_key(
        equity,
        dates,
        |d| (date::to_ymd(d).0, 0),
        |(y, _)| format!("{y:04}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::from_ymd;

    #[test]
    fn months_and_years() {
        let dates = [
            from_ymd(2020, 12, 30),
            from_ymd(2020, 12, 31),
            from_ymd(2021, 1, 4),
            from_ymd(2021, 1, 29),
            from_ymd(2021, 2, 1),
        ];
        let eq = [100.0, 110.0, 99.0, 121.0, 133.1];
        let m = monthly(&eq, &dates);
        let got: Vec<(&str, f64)> = m.iter().map(|p| (p.period.as_str(), p.ret)).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, "2020-12");
        assert!((got[0].1 - 0.1).abs() < 1e-12);
        assert!((got[1].1 - 0.1).abs() < 1e-12); // 121 / 110
        assert!((got[2].1 - 0.1).abs() < 1e-12); // 133.1 / 121
        let y = yearly(&eq, &dates);
        assert_eq!(y.len(), 2);
        assert!((y[1].ret - 0.21).abs() < 1e-12); // 133.1 / 110
    }

    /// Months of a run that starts and ends mid-month: the first starts from the first bar's
    /// equity, the last ends on the last bar; a month without bars is absent, not zero.
    #[test]
    fn partial_first_and_last_months() {
        let d = |y, m, day| from_ymd(y, m, day);
        let dates = [
            d(2020, 1, 15),
            d(2020, 1, 31),
            d(2020, 3, 2),
            d(2020, 3, 31),
            d(2020, 4, 7),
        ];
        let e = [100.0, 110.0, 99.0, 104.0, 106.08];
        let m = monthly(&e, &dates);
        let got: Vec<(&str, f64)> = m.iter().map(|p| (p.period.as_str(), p.ret)).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, "2020-01");
        assert!((got[0].1 - 0.10).abs() < 1e-15);
        assert_eq!(got[1].0, "2020-03");
        assert!((got[1].1 - (104.0 / 110.0 - 1.0)).abs() < 1e-15);
        assert_eq!(got[2].0, "2020-04");
        assert!((got[2].1 - 0.02).abs() < 1e-12);
    }
}
