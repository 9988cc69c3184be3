//! Calendar dates as days since 1970-01-01 (the representation polars uses for `Date`).
//!
//! Conversions follow Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms
//! (proleptic Gregorian calendar), so no date crate is needed on the hot path.

/// Days since 1970-01-01.
pub type Date = i32;

pub fn from_ymd(y: i32, m: u32, d: u32) -> Date {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe as i32 - 719468
}

pub fn to_ymd(days: Date) -> (i32, u32, u32) {
    let z = days + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = (z - era * 146097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` exactly (a TOML datetime's date part is accepted too).
pub fn parse(text: &str) -> Option<Date> {
    let t = text.trim();
    let t = t.get(..10).filter(|_| {
        t.len() == 10 || t.as_bytes().get(10) == Some(&b'T') || t.as_bytes().get(10) == Some(&b' ')
    })?;
    let b = t.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| -> Option<u32> {
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let y = num(&t[0..4])? as i32;
    let m = num(&t[5..7])?;
    let d = num(&t[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(from_ymd(y, m, d))
}

pub fn format(days: Date) -> String {
    let (y, m, d) = to_ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// ISO weekday: Monday = 1 ... Sunday = 7.
pub fn weekday(days: Date) -> u32 {
    // 1970-01-01 was a Thursday (4).
    ((days.rem_euclid(7) + 3) % 7 + 1) as u32
}

/// A key shared by all days of one Monday-to-Sunday week: the day number of its Monday.
pub fn week_key(days: Date) -> i64 {
    // The Monday that starts this week identifies it.
    (days - (weekday(days) as i32 - 1)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        assert_eq!(from_ymd(1970, 1, 1), 0);
        assert_eq!(from_ymd(2000, 3, 1), 11017);
        assert_eq!(from_ymd(1926, 7, 1), -15890);
        for d in -40000..40000 {
            let (y, m, dd) = to_ymd(d);
            assert_eq!(from_ymd(y, m, dd), d);
        }
        assert_eq!(format(from_ymd(1927, 1, 3)), "1927-01-03");
    }

    #[test]
    fn parse_rejects_bad_dates() {
        assert_eq!(parse("2024-02-29"), Some(from_ymd(2024, 2, 29)));
        assert_eq!(parse("2023-02-29"), None);
        assert_eq!(parse("2023-13-01"), None);
        assert_eq!(parse("2023-1-01"), None);
        assert_eq!(parse("abcd-01-01"), None);
        assert_eq!(parse("1927-01-01T00:00:00"), Some(from_ymd(1927, 1, 1)));
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday(from_ymd(2026, 11, 21)), 6); // a Saturday
        assert_eq!(weekday(from_ymd(2024, 1, 1)), 1); // a Monday
        assert_eq!(
            week_key(from_ymd(2024, 1, 7)),
            week_key(from_ymd(2024, 1, 1))
        );
        assert_ne!(
            week_key(from_ymd(2024, 1, 8)),
            week_key(from_ymd(2024, 1, 7))
        );
    }
}
