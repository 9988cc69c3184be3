//! The data layer: load every file a strategy names, check it, and align it on one calendar.
//!
//! * Traded assets are aligned on the dates they all share inside the requested range.
//! * Auxiliary series are joined as-of: on bar t, the last value dated on or before
//!   `t - lag_days`; never a value from the future. Too stale a value is an error.
//! * The simulator receives a [`Panel`]: dense `f64` columns indexed by asset id.

pub mod load;

use crate::date::{self, Date};
use crate::error::{Diagnostic, Error, Result};
use crate::spec::{MissingPolicy, SeriesKind, Source, Strategy, Unit};
use load::Frame;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Provenance of one input file, written to `stats.json`.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub rows: usize,
}

/// Aligned, checked data for one strategy.
#[derive(Debug, Clone)]
pub struct Panel {
    pub dates: Vec<Date>,
    pub asset_names: Vec<String>,
    /// Per asset: total-return close (a price level, or the index compounded from returns).
    pub close: Vec<Vec<f64>>,
    /// Per asset: opening price on the same basis, when the strategy names an `open` column.
    pub open: Vec<Option<Vec<f64>>>,
    pub series_names: Vec<String>,
    /// Per auxiliary series: the as-of value on each bar (NaN before its first usable value).
    pub series: Vec<Vec<f64>>,
    /// Cash return earned over (t-1, t] on each bar; 0 on the first bar.
    pub cash_ret: Vec<f64>,
    /// Calendar days between bar t-1 and bar t (0 on the first bar), for fee accruals.
    pub gap_days: Vec<f64>,
    /// Day-count denominator used for annual rates and fees.
    pub day_count: f64,
    pub inputs: Vec<InputFile>,
    /// Dates inside the range that some traded asset lacked (and so are not bars).
    pub dropped_dates: usize,
}

impl Panel {
    pub fn len(&self) -> usize {
        self.dates.len()
    }
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// Files read once per load, whatever number of series name them.
#[derive(Default)]
pub struct FileCache {
    frames: BTreeMap<PathBuf, Frame>,
}

impl FileCache {
    pub fn get(&mut self, path: &Path) -> Result<&Frame> {
        if !self.frames.contains_key(path) {
            let f = Frame::read(path)?;
            self.frames.insert(path.to_path_buf(), f);
        }
        Ok(&self.frames[path])
    }

    fn inputs(&self) -> Vec<InputFile> {
        self.frames
            .values()
            .map(|f| InputFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
                rows: f.rows(),
            })
            .collect()
    }
}

/// A column with its dates, as read.
struct Raw {
    dates: Vec<Date>,
    values: Vec<f64>,
}

fn read_raw(cache: &mut FileCache, src: &Source, column: &str) -> Result<Raw> {
    let f = cache.get(&src.file)?;
    Ok(Raw {
        dates: f.dates(&src.date_column)?,
        values: f.numbers(column)?,
    })
}

fn err(path: &Path, key: &str, msg: String) -> Error {
    Error::input(Diagnostic::new(path, msg).key(key))
}

fn located(cache: &mut FileCache, path: &Path, row: usize, key: &str, msg: String) -> Error {
    match cache.get(path) {
        Ok(f) => Error::input(f.locate(row, Diagnostic::new(path, msg).key(key))),
        Err(e) => e,
    }
}

/// Loads and aligns everything `strategy` names.
pub fn load_panel(strategy: &Strategy) -> Result<Panel> {
    let mut cache = FileCache::default();
    load_panel_with(strategy, &mut cache)
}

pub fn load_panel_with(strategy: &Strategy, cache: &mut FileCache) -> Result<Panel> {
    // 1. Traded assets, as read.
    let mut raws = Vec::new();
    for a in &strategy.assets {
        let raw = read_raw(cache, &a.source, &a.source.column)?;
        let open = match &a.open {
            Some(col) => Some(cache.get(&a.source.file)?.numbers(col)?),
            None => None,
        };
        raws.push((raw, open));
    }

    // 2. The range: as asked, and covered by every traded asset.
    let first = raws.iter().map(|(r, _)| r.dates[0]).max().unwrap_or(0);
    let last = raws
        .iter()
        .map(|(r, _)| *r.dates.last().unwrap_or(&0))
        .min()
        .unwrap_or(0);
    let start = strategy.start.unwrap_or(first);
    let end = strategy.end.unwrap_or(last);
    for (a, (r, _)) in strategy.assets.iter().zip(&raws) {
        let (f, l) = (r.dates[0], *r.dates.last().unwrap_or(&r.dates[0]));
        // A returns series needs the day before `start` too? No: its index starts at the first
        // bar's close, so its first in-range row is enough.
        if f > start {
            return Err(err(
                &a.source.file,
                &a.source.column,
                format!(
                "asset `{}` starts on {}, after the requested start {}: set `start` to {} or later",
                a.name, date::format(f), date::format(start), date::format(f)),
            ));
        }
        if l < end {
            return Err(err(
                &a.source.file,
                &a.source.column,
                format!(
                "asset `{}` ends on {}, before the requested end {}: set `end` to {} or earlier",
                a.name, date::format(l), date::format(end), date::format(l)),
            ));
        }
    }
    if start > end {
        return Err(err(
            &strategy.path,
            "start",
            format!(
                "the assets share no dates: the latest first date is {}, the earliest last date {}",
                date::format(first),
                date::format(last)
            ),
        ));
    }

    // 3. The calendar: dates in range that every traded asset has.
    let mut calendar: Vec<Date> = Vec::new();
    let mut in_range_union = std::collections::BTreeSet::new();
    for (r, _) in &raws {
        for d in &r.dates {
            if *d >= start && *d <= end {
                in_range_union.insert(*d);
            }
        }
    }
    for d in &in_range_union {
        if raws.iter().all(|(r, _)| r.dates.binary_search(d).is_ok()) {
            calendar.push(*d);
        }
    }
    let dropped_dates = in_range_union.len() - calendar.len();
    if calendar.len() < 2 {
        return Err(err(
            &strategy.path,
            "start",
            format!(
                "only {} shared trading day(s) between {} and {}: a backtest needs at least 2",
                calendar.len(),
                date::format(start),
                date::format(end)
            ),
        ));
    }

    // 4. Each asset on the calendar, as a total-return level.
    let mut close = Vec::new();
    let mut open = Vec::new();
    for (a, (r, o)) in strategy.assets.iter().zip(&raws) {
        let rows: Vec<usize> = calendar
            .iter()
            .map(|d| r.dates.binary_search(d).unwrap_or(0))
            .collect();
        let key = &a.source.column;
        let c = match a.source.kind {
            SeriesKind::Returns => {
                let scale = if a.source.unit == Unit::Percent {
                    0.01
                } else {
                    1.0
                };
                // Compound every in-range row (dates dropped from the calendar included, so no
                // return is lost), level 1.0 at the first bar's close.
                let first_row = rows[0];
                let mut level = 1.0;
                let mut levels = Vec::with_capacity(rows.len());
                let mut next = 0;
                for (row, v) in r.values.iter().enumerate().skip(first_row) {
                    if next == rows.len() {
                        break;
                    }
                    if row > first_row {
                        let mut ret = v * scale;
                        if !ret.is_finite() {
                            if a.missing == MissingPolicy::Ffill && v.is_nan() {
                                ret = 0.0;
                            } else {
                                return Err(located(cache, &a.source.file, row, key, format!(
                                    "missing or non-finite return for asset `{}` on {} (set `missing = \"ffill\"` to treat a missing return as 0)",
                                    a.name, date::format(r.dates[row]))));
                            }
                        }
                        if ret <= -1.0 {
                            return Err(located(cache, &a.source.file, row, key, format!(
                                "return of {v} on {} would wipe out the asset (a return must be above -100%; is `unit` right?)",
                                date::format(r.dates[row]))));
                        }
                        level *= 1.0 + ret;
                    }
                    if row == rows[next] {
                        levels.push(level);
                        next += 1;
                    }
                }
                levels
            }
            _ => {
                let mut out = Vec::with_capacity(rows.len());
                let mut prev = f64::NAN;
                for &row in &rows {
                    let mut v = r.values[row];
                    if v.is_nan() && a.missing == MissingPolicy::Ffill && prev.is_finite() {
                        v = prev;
                    }
                    if !v.is_finite() {
                        return Err(located(cache, &a.source.file, row, key, format!(
                            "missing price for asset `{}` on {} (set `missing = \"ffill\"` on the asset to carry the last price)",
                            a.name, date::format(r.dates[row]))));
                    }
                    if v <= 0.0 {
                        return Err(located(
                            cache,
                            &a.source.file,
                            row,
                            key,
                            format!(
                                "expected a positive price, found {v} on {}",
                                date::format(r.dates[row])
                            ),
                        ));
                    }
                    out.push(v);
                    prev = v;
                }
                out
            }
        };
        let o = match (o, &a.open) {
            (Some(ov), Some(col)) => {
                let mut out = Vec::with_capacity(rows.len());
                for (i, &row) in rows.iter().enumerate() {
                    let mut v = ov[row];
                    if v.is_nan() && a.missing == MissingPolicy::Ffill {
                        v = c[i];
                    }
                    if !(v.is_finite() && v > 0.0) {
                        return Err(located(
                            cache,
                            &a.source.file,
                            row,
                            col,
                            format!(
                                "expected a positive opening price for asset `{}` on {}, found {}",
                                a.name,
                                date::format(r.dates[row]),
                                if v.is_nan() {
                                    "an empty cell".into()
                                } else {
                                    v.to_string()
                                }
                            ),
                        ));
                    }
                    out.push(v);
                }
                Some(out)
            }
            _ => None,
        };
        close.push(c);
        open.push(o);
    }

    // 5. Auxiliary series, as-of with lag and a staleness limit.
    let mut series = Vec::new();
    for s in &strategy.series {
        let raw = read_raw(cache, &s.source, &s.source.column)?;
        let mut out = Vec::with_capacity(calendar.len());
        for &t in &calendar {
            let cutoff = t - s.lag_days as i32;
            // Index of the last row dated <= cutoff that has a value.
            let mut i = raw.dates.partition_point(|d| *d <= cutoff);
            let mut v = f64::NAN;
            let mut vd = 0;
            while i > 0 {
                i -= 1;
                if raw.values[i].is_finite() {
                    v = raw.values[i];
                    vd = raw.dates[i];
                    break;
                }
            }
            if v.is_finite() && cutoff - vd > s.max_stale_days as i32 {
                return Err(err(&s.source.file, &s.source.column, format!(
                    "series `{}`: on {} the newest value is from {}, older than max_stale_days = {} (the series may end early: set `end`, or raise max_stale_days)",
                    s.name, date::format(t), date::format(vd), s.max_stale_days)));
            }
            out.push(v);
        }
        series.push(out);
    }

    // 6. Cash.
    let day_count = strategy.cash.day_count as f64;
    let mut gap_days = vec![0.0; calendar.len()];
    for t in 1..calendar.len() {
        gap_days[t] = (calendar[t] - calendar[t - 1]) as f64;
    }
    let mut cash_ret = vec![0.0; calendar.len()];
    if let Some(src) = &strategy.cash.rate {
        let raw = read_raw(cache, src, &src.column)?;
        let scale = if src.unit == Unit::Percent { 0.01 } else { 1.0 };
        for t in 1..calendar.len() {
            match src.kind {
                SeriesKind::Returns => {
                    // A per-day return must exist for the exact day.
                    let v = raw
                        .dates
                        .binary_search(&calendar[t])
                        .ok()
                        .map(|i| raw.values[i]);
                    match v {
                        Some(v) if v.is_finite() => cash_ret[t] = v * scale,
                        _ => {
                            return Err(err(&src.file, &src.column, format!(
                                "cash return missing for {} (a `kind = \"returns\"` cash series needs a value on every bar)",
                                date::format(calendar[t]))))
                        }
                    }
                }
                _ => {
                    // The rate in force over (t-1, t] is the last one published on or before t-1.
                    let prev = calendar[t - 1];
                    let mut i = raw.dates.partition_point(|d| *d <= prev);
                    let mut found = None;
                    while i > 0 {
                        i -= 1;
                        if raw.values[i].is_finite() {
                            found = Some((raw.dates[i], raw.values[i]));
                            break;
                        }
                    }
                    match found {
                        Some((d, v)) if prev - d <= 10 => cash_ret[t] = v * scale * gap_days[t] / day_count,
                        Some((d, _)) => {
                            return Err(err(&src.file, &src.column, format!(
                                "cash rate: on {} the newest value is from {}, more than 10 days old (the rate series may end before the range: set `end`, or use another rate)",
                                date::format(prev), date::format(d))))
                        }
                        None => {
                            return Err(err(&src.file, &src.column, format!(
                                "cash rate has no value on or before {}: the series starts later than the backtest",
                                date::format(prev))))
                        }
                    }
                }
            }
        }
    }

    Ok(Panel {
        dates: calendar,
        asset_names: strategy.assets.iter().map(|a| a.name.clone()).collect(),
        close,
        open,
        series_names: strategy.series.iter().map(|s| s.name.clone()).collect(),
        series,
        cash_ret,
        gap_days,
        day_count,
        inputs: cache.inputs(),
        dropped_dates,
    })
}
