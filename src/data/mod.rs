//! The data layer: load every file a strategy names, check it, and align it on one calendar.
//!
//! [`load_panel`] runs five steps, each a function below:
//!
//! 1. [`read_assets`]: read each traded asset's columns and check every row of them (a corrupt,
//!    non-finite or implausible cell is an error wherever it is in the file);
//! 2. [`resolve_range`]: the requested `[start, end]`, which every traded asset must cover;
//! 3. [`align`]: the calendar, the dates every traded asset shares, extended back before `start`
//!    for warm-up (signals look back on these bars; the simulation starts at `start`);
//! 4. [`asset_levels`] and [`join_series`]: each asset as a total-return level on the calendar;
//!    auxiliary series joined as-of (on bar t the last value dated on or before
//!    `t - lag_days`, never a value from the future; too stale a value is an error);
//! 5. [`cash_returns`]: what cash earns on each bar from `start` on.
//!
//! The simulator receives a [`Panel`]: dense `f64` columns indexed by asset id.

pub mod load;
pub mod plausible;
pub mod sources;
pub mod synthetic;

use crate::date::{self, Date};
use crate::error::{Diagnostic, Error, Result};
use crate::spec::{AssetSpec, MissingPolicy, SeriesKind, Source, Strategy, Unit, Warmup};
use load::Frame;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Provenance of one input file, written to `stats.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub rows: usize,
    /// First and last date of the file's date column (as read by the strategy).
    pub first: Option<String>,
    pub last: Option<String>,
    /// From `sources.toml` beside the file, when there is one (see `data/README.md`).
    pub publisher: Option<String>,
    pub note: Option<String>,
}

/// Aligned, checked data for one strategy, on the bars of `[start, end]`: what the simulation,
/// the statistics and every output see.
///
/// Signals and rules may look back before `start`: the bars of the warm-up, with the run's own
/// bars after them, are in [`Panel::history`], which only the signal layer reads.
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
    /// Cash return earned over (t-1, t] on each bar; 0 on the first bar (and on warm-up bars
    /// of the history: no money is invested before `start`).
    pub cash_ret: Vec<f64>,
    /// Calendar days between bar t-1 and bar t (0 on the first bar), for fee accruals.
    pub gap_days: Vec<f64>,
    /// Day-count denominator used for annual rates and fees.
    pub day_count: f64,
    pub inputs: Vec<InputFile>,
    /// Dates inside `[start, end]` that some traded asset lacked (and so are not bars).
    pub dropped_dates: usize,
    /// Bars of history before `start` (the first bar of this panel).
    pub warmup: usize,
    /// Each spliced synthetic fund beside its real fund, where both exist (measured by
    /// `stats::tracking`).
    pub synthetic: Vec<synthetic::Overlap>,
    /// Doubts about the data (plausibility checks, [`plausible`]): printed as `warning:` lines.
    pub warnings: Vec<crate::error::Diagnostic>,
    /// The warm-up bars followed by this panel's bars (`None` when there is no warm-up); set
    /// by [`Panel::with_history`], read through [`Panel::history`].
    pub history: Option<Arc<Panel>>,
}

impl Panel {
    pub fn len(&self) -> usize {
        self.dates.len()
    }
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// The run's panel from a calendar whose first `full.warmup` bars come before `start`.
    pub fn with_history(mut full: Panel) -> Panel {
        let w = full.warmup;
        full.history = None;
        if w == 0 {
            return full;
        }
        let tail = |v: &Vec<f64>| v[w..].to_vec();
        let mut cash_ret = tail(&full.cash_ret);
        cash_ret[0] = 0.0;
        let mut gap_days = tail(&full.gap_days);
        gap_days[0] = 0.0;
        Panel {
            dates: full.dates[w..].to_vec(),
            asset_names: full.asset_names.clone(),
            close: full.close.iter().map(tail).collect(),
            open: full.open.iter().map(|o| o.as_ref().map(tail)).collect(),
            series_names: full.series_names.clone(),
            series: full.series.iter().map(tail).collect(),
            cash_ret,
            gap_days,
            day_count: full.day_count,
            inputs: full.inputs.clone(),
            dropped_dates: full.dropped_dates,
            warmup: w,
            synthetic: full.synthetic.clone(),
            warnings: full.warnings.clone(),
            history: Some(Arc::new(full)),
        }
    }

    /// The whole calendar, the `warmup` bars before `start` first: what signals and rules are
    /// evaluated on. Bar `t` of this panel is bar `t + warmup` of its history.
    pub fn history(&self) -> &Panel {
        self.history.as_deref().unwrap_or(self)
    }

    /// The first date of the warm-up history, when there is one.
    pub fn history_start(&self) -> Option<Date> {
        (self.warmup > 0).then(|| self.history().dates[0])
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

    fn inputs(&self) -> Result<Vec<InputFile>> {
        let mut out = Vec::new();
        let mut folders = BTreeMap::new();
        for f in self.frames.values() {
            let dir = f.path.parent().unwrap_or(Path::new("")).to_path_buf();
            if !folders.contains_key(&dir) {
                folders.insert(dir.clone(), sources::Folder::read(&dir)?);
            }
            let source = folders[&dir].of(&f.path);
            let range = f.date_range();
            out.push(InputFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
                rows: f.rows(),
                first: range.map(|r| date::format(r.0)),
                last: range.map(|r| date::format(r.1)),
                publisher: source.publisher,
                note: source.note,
            });
        }
        Ok(out)
    }
}

/// A column with its dates, as read: every date valid and ascending, every value finite or
/// NaN for an empty cell.
struct Raw {
    /// Shared with the file's other columns (parsed once, see `Frame::dates`).
    dates: std::rc::Rc<[Date]>,
    values: Vec<f64>,
}

impl Raw {
    fn first(&self) -> Date {
        self.dates[0]
    }
    fn last(&self) -> Date {
        self.dates[self.dates.len() - 1]
    }
}

/// Reads every data file the strategy names, reporting every one that cannot be read at once,
/// each at the place in the strategy file that names it, with its full key and the path tried
/// (and, for a missing relative path, the folder it resolved against).
fn read_all(s: &Strategy, cache: &mut FileCache) -> Result<()> {
    let mut diags = crate::error::Diagnostics::default();
    let mut failed: Vec<&Path> = vec![];
    for src in s.data_sources() {
        match cache.get(&src.file) {
            Ok(_) => {}
            Err(Error::Io { context, source }) => {
                let mut msg = format!("{context}: {source}");
                if source.kind() == std::io::ErrorKind::NotFound {
                    msg.push_str(&resolved_against(s, &src.file));
                }
                diags.push(s.diag(&src.span, &src.key, msg));
            }
            // A parse error names the data file itself; once per file.
            Err(Error::Input(d)) if !failed.contains(&src.file.as_path()) => {
                failed.push(&src.file);
                diags.extend(d);
            }
            Err(Error::Input(_)) => {}
            Err(e) => return Err(e),
        }
    }
    diags.into_result(())
}

/// Where a missing relative data path was looked for, for its message.
fn resolved_against(s: &Strategy, file: &Path) -> String {
    match crate::spec::project_dir(&s.path) {
        Some(dir) if file.is_relative() => {
            let shown = if dir.as_os_str().is_empty() {
                "the working folder, which is".to_string()
            } else {
                dir.display().to_string() + ","
            };
            format!(" (a relative path is read from {shown} the strategy's project folder: the nearest folder from the strategy's own upwards that holds rotor.toml or data/)")
        }
        None if file.is_relative() => " (a relative path is read from the working folder: no folder from the strategy's own upwards holds rotor.toml or data/)".to_string(),
        _ => String::new(),
    }
}

/// A column and its dates. A file that cannot be read is reported at the place in the strategy
/// file that names it.
fn read_raw(s: &Strategy, cache: &mut FileCache, src: &Source, column: &str) -> Result<Raw> {
    // `read_all` has read every file (and reported those it could not).
    let f = cache.get(&src.file)?;
    // A column the file lacks is also reported at the strategy line that names it.
    for (col, key) in [(&src.date_column[..], ".date_column"), (column, ".column")] {
        if let Err(Error::Input(mut d)) = f.require(col) {
            let key = src.key.replace(".file", key);
            let what = format!("{}: {}", src.file.display(), d.0[0].message);
            d.0.insert(0, s.diag(&src.span, &key, what));
            return Err(Error::Input(d));
        }
    }
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
    read_all(strategy, cache)?;
    // The cash series, read once: for the cash returns and for synthetic funds' financing.
    let cash = match &strategy.cash.rate {
        Some(src) => Some((src, read_raw(strategy, cache, src, &src.column)?)),
        None => None,
    };
    let (assets, synthetic) = read_assets(strategy, cache, cash.as_ref())?;
    // Each series read against its declaration: errors stop the load, doubts are warnings.
    let mut warnings = vec![];
    let mut errors = crate::error::Diagnostics::default();
    let mut judge = |src: &Source, role, raw: &Raw| {
        let (e, w) = plausible::check(src, role, &raw.dates, &raw.values, unit_scale(src.unit));
        e.into_iter().for_each(|d| errors.push(d));
        warnings.extend(w);
    };
    for (a, d) in strategy.assets.iter().zip(&assets) {
        if a.synthetic.is_none() {
            judge(&a.source, plausible::Role::Asset, &d.raw);
        }
    }
    if let Some((src, raw)) = &cash {
        judge(src, plausible::Role::Cash, raw);
    }
    errors.into_result(())?;
    let series = strategy
        .series
        .iter()
        .map(|s| read_raw(strategy, cache, &s.source, &s.source.column))
        .collect::<Result<Vec<Raw>>>()?;
    let (start, end) = resolve_range(strategy, &assets)?;
    let cal = align(strategy, &assets, &series, start, end)?;
    let mut close = Vec::new();
    let mut open = Vec::new();
    for (spec, data) in strategy.assets.iter().zip(&assets) {
        let (c, o) = asset_levels(cache, spec, data, &cal.dates)?;
        close.push(c);
        open.push(o);
    }
    let series = join_series(strategy, &series, &cal.dates)?;
    let gap_days = gap_days(&cal.dates);
    let day_count = strategy.cash.day_count as f64;
    let cash_ret = cash_returns(strategy, cash.as_ref(), &cal.dates, cal.warmup, &gap_days)?;
    Ok(Panel::with_history(Panel {
        dates: cal.dates,
        asset_names: strategy.assets.iter().map(|a| a.name.clone()).collect(),
        close,
        open,
        series_names: strategy.series.iter().map(|s| s.name.clone()).collect(),
        series,
        cash_ret,
        gap_days,
        day_count,
        inputs: cache.inputs()?,
        dropped_dates: cal.dropped,
        warmup: cal.warmup,
        synthetic,
        warnings,
        history: None,
    }))
}

/// The strategy's cash series as read, with its source.
type Cash<'a> = (&'a Source, Raw);

/// One traded asset as read: its close (or return) column and its open column.
struct AssetData {
    raw: Raw,
    open: Option<Vec<f64>>,
}

/// Step 1: every traded asset's columns, each row checked for what its kind allows; a price
/// index with a dividend yield as a total-return level; synthetic funds built from their
/// underlying (with the check of each against its real fund).
fn read_assets(
    strategy: &Strategy,
    cache: &mut FileCache,
    cash: Option<&Cash>,
) -> Result<(Vec<AssetData>, Vec<synthetic::Overlap>)> {
    let mut out: Vec<Option<AssetData>> = Vec::new();
    for a in &strategy.assets {
        if a.synthetic.is_some() {
            out.push(None);
            continue;
        }
        let mut raw = read_raw(strategy, cache, &a.source, &a.source.column)?;
        check_asset_column(
            cache,
            a,
            &raw.dates,
            &raw.values,
            &a.source.column,
            a.source.kind,
        )?;
        if a.dividend_yield_bps > 0.0 {
            raw.values = with_dividends(&raw, a.dividend_yield_bps / 1e4);
        }
        let open = match &a.open {
            Some(col) => {
                let v = cache.get(&a.source.file)?.numbers(col)?;
                check_asset_column(cache, a, &raw.dates, &v, col, SeriesKind::Price)?;
                Some(v)
            }
            None => None,
        };
        out.push(Some(AssetData { raw, open }));
    }
    let mut checks = Vec::new();
    for (i, a) in strategy.assets.iter().enumerate() {
        let Some(syn) = &a.synthetic else { continue };
        // The spec checked that the underlying is an asset read from a file.
        let Some(u) = strategy
            .assets
            .iter()
            .position(|b| b.name == syn.underlying)
        else {
            continue;
        };
        let Some(under) = &out[u] else { continue };
        let (data, check) =
            build_synthetic(strategy, cache, cash, a, syn, &strategy.assets[u], under)?;
        checks.extend(check);
        out[i] = Some(data);
    }
    Ok((out.into_iter().flatten().collect(), checks))
}

/// A price index's levels with an annual dividend yield `y` added: each bar's price return
/// plus `y x days / 365`, compounded (empty cells stay empty and are skipped).
fn with_dividends(raw: &Raw, y: f64) -> Vec<f64> {
    let mut out = raw.values.clone();
    let mut last: Option<(usize, f64)> = None; // (row, level) of the last price
    for (i, &p) in raw.values.iter().enumerate() {
        if p.is_nan() {
            continue;
        }
        out[i] = match last {
            None => p,
            Some((j, level)) => {
                let gap = (raw.dates[i] - raw.dates[j]) as f64;
                level * (p / raw.values[j] + y * gap / 365.0)
            }
        };
        last = Some((i, out[i]));
    }
    out
}

/// An asset's total-return level on each of its own dates with a value (a price, or returns
/// compounded from 1).
fn own_levels(a: &AssetSpec, raw: &Raw) -> (Vec<Date>, Vec<f64>) {
    let (mut dates, mut levels) = (Vec::new(), Vec::new());
    let scale = unit_scale(a.source.unit);
    let mut level = 1.0;
    for (d, &v) in raw.dates.iter().zip(&raw.values) {
        if v.is_nan() {
            continue;
        }
        match a.source.kind {
            SeriesKind::Returns => {
                if !dates.is_empty() {
                    level *= 1.0 + v * scale;
                }
                levels.push(level);
            }
            _ => levels.push(v),
        }
        dates.push(*d);
    }
    (dates, levels)
}

/// A synthetic fund on its underlying's dates (from the first on which cash is known), spliced
/// to the real fund from the real fund's first date when there is one.
#[allow(clippy::too_many_arguments)]
fn build_synthetic(
    strategy: &Strategy,
    cache: &mut FileCache,
    cash: Option<&Cash>,
    a: &AssetSpec,
    syn: &crate::spec::Synthetic,
    under_spec: &AssetSpec,
    under: &AssetData,
) -> Result<(AssetData, Option<synthetic::Overlap>)> {
    let (ud, ul) = own_levels(under_spec, &under.raw);
    // The first date from which cash is known (a rate published on or before it, or a
    // per-day return on the day after it).
    // ... and the last: the synthetic fund ends where cash is no longer known (a later
    // requested end is then refused as for any asset that ends early).
    let (t0, t1) = match cash {
        Some((src, raw)) => {
            let last = match src.kind {
                SeriesKind::Returns => raw.last(),
                _ => raw.last() + 10,
            };
            (
                ud.partition_point(|d| *d < raw.first()),
                ud.partition_point(|d| *d <= last),
            )
        }
        None => (0, ud.len()),
    };
    if t1 < t0 + 2 {
        return Err(Error::input(strategy.diag(
            &syn.span,
            &format!("assets.{}.synthetic.underlying", a.name),
            format!(
                "the underlying `{}` has fewer than 2 dates on which the cash rate is known",
                syn.underlying
            ),
        )));
    }
    let day_count = strategy.cash.day_count as f64;
    let (dates, mut levels) = (&ud[t0..t1], vec![100.0]);
    for t in 1..dates.len() {
        let gap = (dates[t] - dates[t - 1]) as f64;
        let c = match cash {
            Some((src, raw)) => cash_accrual(strategy, src, raw, dates[t - 1], dates[t], gap)?,
            None => 0.0,
        };
        let r = ul[t0 + t] / ul[t0 + t - 1] - 1.0;
        levels.push(levels[t - 1] * (1.0 + synthetic::daily_return(syn, r, c, gap, day_count)));
    }
    if !syn.spliced {
        let raw = Raw {
            dates: dates.into(),
            values: levels,
        };
        return Ok((AssetData { raw, open: None }, None));
    }
    let real = read_raw(strategy, cache, &a.source, &a.source.column)?;
    check_asset_column(
        cache,
        a,
        &real.dates,
        &real.values,
        &a.source.column,
        SeriesKind::Price,
    )?;
    let (rd, rl) = own_levels(a, &real);
    if rd.is_empty() {
        return Err(err(
            &a.source.file,
            &a.source.column,
            format!("the real fund of `{}` has no prices", a.name),
        ));
    }
    if rd[0] < dates[0] {
        return Err(Error::input(strategy.diag(&a.source.span, &format!("assets.{}.splice.file", a.name), format!(
            "the real fund starts on {}, before its synthetic history can ({}, the first date of the underlying `{}` with a known cash rate): a splice replaces the synthetic fund from the real one's first date, so it must start later",
            date::format(rd[0]), date::format(dates[0]), syn.underlying))));
    }
    let check = synthetic::overlap(&a.name, syn, (dates, &levels), (&rd, &rl));
    // Synthetic up to the real fund's first date, the real fund's returns from it on.
    let k = dates.partition_point(|d| *d <= rd[0]);
    let at_splice = levels[k - 1];
    let mut all_dates: Vec<Date> = dates[..k].to_vec();
    let mut values: Vec<f64> = levels[..k].to_vec();
    if dates[k - 1] != rd[0] {
        all_dates.push(rd[0]);
        values.push(at_splice);
    }
    for j in 1..rd.len() {
        all_dates.push(rd[j]);
        values.push(at_splice * rl[j] / rl[0]);
    }
    let raw = Raw {
        dates: all_dates.into(),
        values,
    };
    Ok((AssetData { raw, open: None }, check))
}

/// The smallest price rotor accepts: below it a price is a corrupt cell (or a unit mistake),
/// and returns computed from it would overflow.
pub const MIN_PRICE: f64 = 1e-300;

/// Whole-column checks of a traded asset's column: prices are positive and plausible, returns
/// above -100 %. Empty cells (NaN) are judged later, where they fall on the calendar. Only the
/// first bad row is described (no message is built for the good ones).
fn check_asset_column(
    cache: &mut FileCache,
    a: &AssetSpec,
    dates: &[Date],
    values: &[f64],
    column: &str,
    kind: SeriesKind,
) -> Result<()> {
    let scale = unit_scale(a.source.unit);
    let bad = |v: f64| match kind {
        SeriesKind::Returns => v * scale <= -1.0,
        SeriesKind::Price | SeriesKind::Rate => v < MIN_PRICE,
    };
    // NaN (an empty cell) compares false: judged later, where it falls on the calendar.
    let Some(row) = values.iter().position(|&v| bad(v)) else {
        return Ok(());
    };
    let (v, day) = (values[row], date::format(dates[row]));
    let msg = match kind {
        SeriesKind::Returns => format!(
            "return of {v} on {day} would wipe out the asset (a return must be above -100%; is `unit` right?)"
        ),
        _ if v <= 0.0 => format!("expected a positive price, found {v} on {day}"),
        _ => format!(
            "{v:e} on {day} is not a plausible price (below {MIN_PRICE:e}); is the column right?"
        ),
    };
    Err(located(cache, &a.source.file, row, column, msg))
}

fn unit_scale(unit: Unit) -> f64 {
    if unit == Unit::Percent {
        0.01
    } else {
        1.0
    }
}

/// One line per asset: its name, file and date range, for messages about ranges.
fn ranges_text(strategy: &Strategy, assets: &[AssetData]) -> String {
    strategy
        .assets
        .iter()
        .zip(assets)
        .map(|(a, d)| {
            format!(
                "\n  asset `{}`: {} from {} to {}",
                a.name,
                a.source.file.display(),
                date::format(d.raw.first()),
                date::format(d.raw.last())
            )
        })
        .collect()
}

/// Step 2: the requested range (`start` defaults to the latest first date, `end` to the earliest
/// last date of the traded assets), which every traded asset must cover.
fn resolve_range(strategy: &Strategy, assets: &[AssetData]) -> Result<(Date, Date)> {
    let first = assets.iter().map(|d| d.raw.first()).max().unwrap_or(0);
    let last = assets.iter().map(|d| d.raw.last()).min().unwrap_or(0);
    let start = strategy.start.unwrap_or(first);
    let end = strategy.end.unwrap_or(last);
    // A `start` after the data end (or an `end` before they begin) is the file's line, with the
    // data's range.
    let outside = |key: &str, what: String| {
        let at = if key == "start" {
            &strategy.dates_at.0
        } else {
            &strategy.dates_at.1
        };
        Error::input(strategy.diag(
            at,
            key,
            format!("{what}; the data:{}", ranges_text(strategy, assets)),
        ))
    };
    if strategy.start.is_some() && start > last {
        return Err(outside(
            "start",
            format!(
                "{} is after the last date the assets share, {}",
                date::format(start),
                date::format(last)
            ),
        ));
    }
    if strategy.end.is_some() && end < first {
        return Err(outside(
            "end",
            format!(
                "{} is before the first date the assets share, {}",
                date::format(end),
                date::format(first)
            ),
        ));
    }
    for (a, d) in strategy.assets.iter().zip(assets) {
        let (f, l) = (d.raw.first(), d.raw.last());
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
                "the assets share no dates: the latest first date is {}, the earliest last date {}; the assets' files:{}",
                date::format(first),
                date::format(last),
                ranges_text(strategy, assets)
            ),
        ));
    }
    Ok((start, end))
}

/// The calendar of a run.
struct Calendar {
    /// Warm-up bars, then the bars of `[start, end]`.
    dates: Vec<Date>,
    warmup: usize,
    /// Dates in `[start, end]` that some traded asset lacked.
    dropped: usize,
}

/// Step 3: the dates every traded asset has, in `[start, end]`, preceded by the warm-up bars:
/// with `warmup = "all"` every shared date back to the latest first date of the traded assets
/// and of the series that start by `start` (a series that starts later cannot be warm on
/// `start` anyway); with a number N, at most the N shared dates before `start`.
fn align(
    strategy: &Strategy,
    assets: &[AssetData],
    series: &[Raw],
    start: Date,
    end: Date,
) -> Result<Calendar> {
    let earliest = assets
        .iter()
        .map(|d| d.raw.first())
        .chain(series.iter().map(Raw::first).filter(|&f| f <= start))
        .max()
        .unwrap_or(start)
        .min(start);
    let lo = match strategy.warmup {
        Warmup::Bars(0) => start,
        _ => earliest,
    };
    let mut union = BTreeSet::new();
    for d in assets {
        let from = d.raw.dates.partition_point(|x| *x < lo);
        union.extend(d.raw.dates[from..].iter().take_while(|x| **x <= end));
    }
    let shared: Vec<Date> = union
        .iter()
        .copied()
        .filter(|x| assets.iter().all(|d| d.raw.dates.binary_search(x).is_ok()))
        .collect();
    let before = shared.partition_point(|x| *x < start);
    let warmup = match strategy.warmup {
        Warmup::All => before,
        Warmup::Bars(n) => before.min(n),
    };
    let dates = shared[before - warmup..].to_vec();
    let in_range = union.range(start..).count();
    let live = dates.len() - warmup;
    if live < 2 {
        return Err(err(
            &strategy.path,
            "start",
            format!(
                "only {} shared trading day(s) between {} and {}: a backtest needs at least 2; the assets' files:{}",
                live,
                date::format(start),
                date::format(end),
                ranges_text(strategy, assets)
            ),
        ));
    }
    Ok(Calendar {
        dates,
        warmup,
        dropped: in_range - live,
    })
}

/// Step 4a: one asset on the calendar as a total-return level (its open too, when it has one).
fn asset_levels(
    cache: &mut FileCache,
    a: &AssetSpec,
    data: &AssetData,
    calendar: &[Date],
) -> Result<(Vec<f64>, Option<Vec<f64>>)> {
    let r = &data.raw;
    let rows: Vec<usize> = calendar
        .iter()
        .map(|d| r.dates.binary_search(d).unwrap_or(0))
        .collect();
    let key = &a.source.column;
    let close = match a.source.kind {
        SeriesKind::Returns => {
            let scale = unit_scale(a.source.unit);
            // Compound every row from the first bar on (dates dropped from the calendar
            // included, so no return is lost), level 1.0 at the first bar's close.
            let first_row = rows[0];
            let mut level = 1.0;
            let mut levels = Vec::with_capacity(rows.len());
            let mut next = 0;
            for (row, v) in r.values.iter().enumerate().skip(first_row) {
                if next == rows.len() {
                    break;
                }
                if row > first_row {
                    let ret = if v.is_nan() {
                        if a.missing != MissingPolicy::Ffill {
                            return Err(located(cache, &a.source.file, row, key, format!(
                                "missing return for asset `{}` on {} (set `missing = \"ffill\"` to treat a missing return as 0)",
                                a.name, date::format(r.dates[row]))));
                        }
                        0.0
                    } else {
                        v * scale
                    };
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
                if v.is_nan() {
                    return Err(located(cache, &a.source.file, row, key, format!(
                        "missing price for asset `{}` on {} (set `missing = \"ffill\"` on the asset to carry the last price)",
                        a.name, date::format(r.dates[row]))));
                }
                out.push(v);
                prev = v;
            }
            out
        }
    };
    let open = match (&data.open, &a.open) {
        (Some(ov), Some(col)) => {
            let mut out = Vec::with_capacity(rows.len());
            for (i, &row) in rows.iter().enumerate() {
                let mut v = ov[row];
                if v.is_nan() && a.missing == MissingPolicy::Ffill {
                    v = close[i];
                }
                if v.is_nan() {
                    return Err(located(
                        cache,
                        &a.source.file,
                        row,
                        col,
                        format!(
                            "expected a positive opening price for asset `{}` on {}, found an empty cell",
                            a.name,
                            date::format(r.dates[row]),
                        ),
                    ));
                }
                out.push(v);
            }
            Some(out)
        }
        _ => None,
    };
    Ok((close, open))
}

/// Step 4b: auxiliary series joined as-of, with their publication lag and a staleness limit.
fn join_series(strategy: &Strategy, raws: &[Raw], calendar: &[Date]) -> Result<Vec<Vec<f64>>> {
    let mut out = Vec::new();
    for (s, raw) in strategy.series.iter().zip(raws) {
        let mut col = Vec::with_capacity(calendar.len());
        for &t in calendar {
            let cutoff = t - s.lag_days as i32;
            let (v, vd) = last_value_on_or_before(raw, cutoff).unwrap_or((f64::NAN, 0));
            if v.is_finite() && cutoff - vd > s.max_stale_days as i32 {
                return Err(err(&s.source.file, &s.source.column, format!(
                    "series `{}`: on {} the newest value is from {}, older than max_stale_days = {} (the series may end early or have a gap: set `start`/`end` or `warmup`, or raise max_stale_days)",
                    s.name, date::format(t), date::format(vd), s.max_stale_days)));
            }
            col.push(v);
        }
        out.push(col);
    }
    Ok(out)
}

/// The last non-empty value dated on or before `day`, with its date.
fn last_value_on_or_before(raw: &Raw, day: Date) -> Option<(f64, Date)> {
    let i = raw.dates.partition_point(|d| *d <= day);
    (0..i)
        .rev()
        .find(|&j| !raw.values[j].is_nan())
        .map(|j| (raw.values[j], raw.dates[j]))
}

fn gap_days(calendar: &[Date]) -> Vec<f64> {
    let mut gaps = vec![0.0; calendar.len()];
    for t in 1..calendar.len() {
        gaps[t] = (calendar[t] - calendar[t - 1]) as f64;
    }
    gaps
}

/// Step 5: the cash return of each bar after `start` (the bar at index `warmup`); warm-up bars
/// earn nothing, so a cash series only has to cover the run itself.
fn cash_returns(
    strategy: &Strategy,
    cash: Option<&Cash>,
    calendar: &[Date],
    warmup: usize,
    gap_days: &[f64],
) -> Result<Vec<f64>> {
    let mut cash_ret = vec![0.0; calendar.len()];
    let Some((src, raw)) = cash else {
        return Ok(cash_ret);
    };
    for t in warmup + 1..calendar.len() {
        cash_ret[t] = cash_accrual(
            strategy,
            src,
            raw,
            calendar[t - 1],
            calendar[t],
            gap_days[t],
        )?;
    }
    Ok(cash_ret)
}

/// What cash earns over (prev, day], `gap` calendar days: a `kind = "returns"` series' value
/// for the exact day, or the annual rate in force (the last one published on or before `prev`,
/// at most 10 days old) x gap / day_count. The one definition of cash, used by the calendar's
/// bars and by synthetic funds.
fn cash_accrual(
    strategy: &Strategy,
    src: &Source,
    raw: &Raw,
    prev: Date,
    day: Date,
    gap: f64,
) -> Result<f64> {
    let scale = unit_scale(src.unit);
    match src.kind {
        SeriesKind::Returns => {
            let v = raw.dates.binary_search(&day).ok().map(|i| raw.values[i]);
            match v {
                Some(v) if !v.is_nan() => Ok(v * scale),
                _ => Err(err(&src.file, &src.column, format!(
                    "cash return missing for {} (a `kind = \"returns\"` cash series needs a value on every bar)",
                    date::format(day)))),
            }
        }
        _ => match last_value_on_or_before(raw, prev) {
            Some((v, d)) if prev - d <= 10 => {
                Ok(v * scale * gap / strategy.cash.day_count as f64)
            }
            Some((_, d)) => Err(err(&src.file, &src.column, format!(
                "cash rate: on {} the newest value is from {}, more than 10 days old (the rate series may end before the range: set `end`, or use another rate)",
                date::format(prev), date::format(d)))),
            None => Err(err(&src.file, &src.column, format!(
                "cash rate has no value on or before {}: the series starts later than the backtest",
                date::format(prev)))),
        },
    }
}
