//! Everything rotor writes: the terminal summary, `stats.json`, the CSV files and the charts.
//! A run's folder is written whole into a temporary sibling folder and renamed into place, so a
//! failure never leaves half a result.

pub mod csv;
pub mod events;
pub mod folder;
pub mod html;
pub mod regimes;
pub mod sweep;

use self::csv::Csv;
use crate::data::Panel;
use crate::date;
use crate::error::{Error, Result};
use crate::plot;
use crate::sim::{RunResult, Runs};
use crate::spec::Strategy;
use crate::stats::{self, Stats};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Version of the `stats.json` layout (see `docs/output.md`).
pub const STATS_SCHEMA: &str = "rotor.stats/2";

/// The run's calendar and its warm-up: one value for the summary and `stats.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Calendar {
    pub start: String,
    pub end: String,
    pub bars: usize,
    /// Dates in the range that some traded asset lacked.
    pub dropped_dates: usize,
    /// Bars of history before `start` that signals could look back on.
    pub warmup_bars: usize,
    /// The first of those bars.
    pub warmup_from: Option<String>,
    /// The first date on which the rules were known, so a decision could be made (`None`: never).
    pub first_decision: Option<String>,
    /// The date of the strategy's first fill (`None`: it never traded).
    #[serde(default)]
    pub first_invested: Option<String>,
    /// The date whose close found the equity at zero or below: trading stopped there.
    #[serde(default)]
    pub ruined: Option<String>,
}

impl Calendar {
    pub fn of(panel: &Panel, run: &RunResult) -> Calendar {
        Calendar {
            start: date::format(panel.dates[0]),
            end: date::format(panel.dates[panel.len() - 1]),
            bars: panel.len(),
            dropped_dates: panel.dropped_dates,
            warmup_bars: panel.warmup,
            warmup_from: panel.history_start().map(date::format),
            first_decision: run.first_known.map(|t| date::format(panel.dates[t])),
            first_invested: run.trades.first().map(|t| date::format(panel.dates[t.bar])),
            ruined: run.ruined.map(|t| date::format(panel.dates[t])),
        }
    }

    /// The summary's lines about warm-up: how much history there was, and a notice when the
    /// rules were still unknown on `start` (the strategy held cash until they were known).
    pub fn warmup_text(&self) -> String {
        let mut out = match &self.warmup_from {
            Some(from) => format!(
                "warm-up: {} of history before {} (from {from})\n",
                count(self.warmup_bars, "bar", "bars"),
                self.start
            ),
            None => format!("warm-up: none (no history before {})\n", self.start),
        };
        match &self.first_decision {
            Some(d) if *d == self.start => {}
            Some(d) => {
                let invested = match &self.first_invested {
                    Some(f) => format!("the strategy held cash until its first fill on {f}"),
                    None => "the strategy never traded".into(),
                };
                out.push_str(&format!(
                    "NOTE: the rules were unknown on {} (not enough history for their lookbacks): the first bar a decision could be made was {d}, and {invested}\n",
                    self.start
                ))
            }
            None => out.push_str(
                "NOTE: the rules were never known (not enough history for their lookbacks): the strategy held cash throughout\n",
            ),
        }
        out
    }
}

/// The engine that wrote a result file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EngineInfo {
    pub name: String,
    pub version: String,
}

impl EngineInfo {
    /// This rotor.
    pub fn this() -> EngineInfo {
        EngineInfo {
            name: "rotor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// How decisions were filled (`stats.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ExecutionNote {
    pub fill: crate::spec::Fill,
    pub same_bar_execution: bool,
    pub note: String,
}

/// The conventions the numbers follow (`stats.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Conventions {
    pub bars_per_year: f64,
    pub days_per_year_for_cagr: f64,
    pub stdev: String,
    pub excess_returns_over: String,
}

/// A benchmark's statistics (`stats.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BenchmarkStats {
    pub name: String,
    pub metrics: Stats,
}

/// `stats.json` of `rotor run` (schema [`STATS_SCHEMA`]): written by the run and read back by
/// its report (and `rotor report DIR`) with this one type.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StatsFile {
    pub schema: String,
    pub engine: EngineInfo,
    /// The strategy as resolved (every default filled in), as `spec::Strategy` serialises it:
    /// shown, not computed with, so it is read back as it is.
    pub strategy: serde_json::Value,
    pub inputs: Vec<crate::data::InputFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synthetic: Vec<crate::stats::tracking::Check>,
    pub calendar: Calendar,
    pub execution: ExecutionNote,
    pub conventions: Conventions,
    pub metrics: Stats,
    pub benchmarks: Vec<BenchmarkStats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regimes: Option<stats::regime::Regimes>,
}

/// The full result of `rotor run`: statistics of the strategy and each benchmark.
pub struct Report {
    pub strategy: Stats,
    pub benchmarks: Vec<(String, Stats)>,
    /// Performance by regime (`None` without `[regimes]`).
    pub regimes: Option<stats::regime::Regimes>,
    /// Which regimes held at each close.
    pub held: regimes::Held,
}

/// The statistics of a run and its benchmarks; `held` says which regimes held at each close.
pub fn build(panel: &Panel, runs: &Runs, held: regimes::Held) -> Report {
    let regimes = (!held.is_empty()).then(|| {
        let r = stats::returns::simple_returns(&runs.strategy.equity);
        let b: Vec<(String, Vec<f64>)> = runs
            .benchmarks
            .iter()
            .map(|(n, b)| (n.clone(), stats::returns::simple_returns(&b.equity)))
            .collect();
        stats::regime::compute(&held, &r, &panel.cash_ret[1..], &b)
    });
    Report {
        strategy: crate::sim::statistics(panel, &runs.strategy, &runs.benchmarks),
        benchmarks: runs
            .benchmarks
            .iter()
            .map(|(n, r)| (n.clone(), crate::sim::statistics(panel, r, &[])))
            .collect(),
        regimes,
        held,
    }
}

/// The `stats.json` of a run.
pub fn stats_file(
    strategy: &Strategy,
    panel: &Panel,
    runs: &Runs,
    report: &Report,
) -> Result<StatsFile> {
    let same_bar = runs.strategy.same_bar;
    Ok(StatsFile {
        schema: STATS_SCHEMA.into(),
        engine: EngineInfo::this(),
        // Fails only on what JSON cannot hold (a path that is not UTF-8).
        strategy: serde_json::to_value(strategy).map_err(unwritable)?,
        inputs: panel.inputs.clone(),
        synthetic: synthetic_checks(panel),
        calendar: Calendar::of(panel, &runs.strategy),
        execution: ExecutionNote {
            fill: strategy.execution.fill,
            same_bar_execution: same_bar,
            note: if same_bar {
                "SAME-BAR EXECUTION: decisions are filled at the close they were computed from; results are optimistic"
            } else {
                "decisions at a close are filled at a later price"
            }
            .into(),
        },
        conventions: Conventions {
            bars_per_year: crate::conventions::BARS_PER_YEAR,
            days_per_year_for_cagr: crate::conventions::DAYS_PER_YEAR,
            stdev: "sample (n - 1)".into(),
            excess_returns_over: "the strategy's cash series".into(),
        },
        metrics: report.strategy.clone(),
        benchmarks: report
            .benchmarks
            .iter()
            .map(|(n, s)| BenchmarkStats {
                name: n.clone(),
                metrics: s.clone(),
            })
            .collect(),
        regimes: report.regimes.clone(),
    })
}

/// Why stats.json cannot be written (JSON holds only UTF-8 text: a path that is not).
fn unwritable(e: serde_json::Error) -> Error {
    Error::Other(format!("cannot write stats.json: {e}"))
}

pub fn stats_json(
    strategy: &Strategy,
    panel: &Panel,
    runs: &Runs,
    report: &Report,
) -> Result<String> {
    let file = stats_file(strategy, panel, runs, report)?;
    // NaN and infinities become null.
    let mut s = serde_json::to_string_pretty(&file).map_err(unwritable)?;
    s.push('\n');
    Ok(s)
}

/// Escapes text for XML, SVG and HTML content and attributes (the one escaping function of the
/// report, the charts and `rotor check --format junit`). Characters XML 1.0 cannot hold (control
/// characters other than tab and line breaks) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub use crate::error::count;

/// A p-value with 3 decimals; one below 0.0005 (the bootstrap's floor 1/(samples + 1) for 2,000
/// samples is 0.0005) is "< 0.001", never "0.000".
pub fn p_text(p: f64) -> String {
    if !p.is_finite() {
        "n/a".into()
    } else if p < 0.0005 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// The `warning:` lines of a run: the strategy's (unused declarations) and its data's
/// (plausibility), one a line.
pub fn warning_lines(strategy: &Strategy, panel: &Panel) -> String {
    strategy
        .warnings
        .iter()
        .chain(&panel.warnings)
        .map(|w| format!("warning: {w}\n"))
        .collect()
}

/// A number for CSV files: shortest round-trip form, empty when undefined.
pub(crate) fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

pub fn equity_csv(panel: &Panel, runs: &Runs) -> String {
    let mut head: Vec<&str> = vec!["date", "equity", "cash", "drawdown", "cash_return"];
    head.extend(runs.benchmarks.iter().map(|(n, _)| n.as_str()));
    let mut c = Csv::text(head);
    let dd = stats::drawdown::series(&runs.strategy.equity);
    for (t, d) in dd.iter().enumerate() {
        let mut row = vec![
            date::format(panel.dates[t]),
            num(runs.strategy.equity[t]),
            num(runs.strategy.cash[t]),
            num(*d),
            num(panel.cash_ret[t]),
        ];
        row.extend(runs.benchmarks.iter().map(|(_, b)| num(b.equity[t])));
        c.put(row);
    }
    c.into_string()
}

pub fn weights_csv(panel: &Panel, run: &RunResult) -> String {
    let k = run.n_assets;
    let mut head: Vec<&str> = vec!["date"];
    head.extend(panel.asset_names.iter().map(String::as_str));
    head.push("cash");
    let mut c = Csv::text(head);
    for t in 0..panel.len() {
        let mut row = vec![date::format(panel.dates[t])];
        row.extend(run.weights[t * k..(t + 1) * k].iter().map(|w| num(*w)));
        row.push(num(run.cash[t] / run.equity[t]));
        c.put(row);
    }
    c.into_string()
}

pub fn trades_csv(panel: &Panel, run: &RunResult) -> String {
    let mut c = Csv::text([
        "date",
        "asset",
        "quantity",
        "price",
        "notional",
        "commission",
        "slippage",
    ]);
    for tr in &run.trades {
        c.put([
            date::format(panel.dates[tr.bar]),
            panel.asset_names[tr.asset.0].clone(),
            num(tr.quantity),
            num(tr.price),
            num(tr.quantity * tr.price),
            num(tr.commission),
            num(tr.slippage),
        ]);
    }
    c.into_string()
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(|e| Error::io(format!("cannot write {}", p.display()), e))
}

/// Writes one file atomically: into a temporary file beside it, then renamed over it, so a
/// failure never leaves half a file (a baseline, a rebuilt report).
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create folder {}", dir.display()), e))?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&tmp, text)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
        .and_then(|_| {
            std::fs::rename(&tmp, path)
                .map_err(|e| Error::io(format!("cannot replace {}", path.display()), e))
        });
    if written.is_err() {
        // Nothing half-written stays beside the file (it would make its folder look foreign).
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Which optional files a command writes besides its data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// The PNG and SVG charts.
    pub charts: bool,
    /// `report.html`.
    pub report: bool,
}

/// Writes every output of a run into `out`, atomically.
pub fn write_outputs(
    out: &Path,
    strategy: &Strategy,
    panel: &Panel,
    runs: &Runs,
    report: &Report,
    files: Outputs,
) -> Result<()> {
    folder::write_dir_atomically(out, "run", |tmp| {
        let stats = stats_json(strategy, panel, runs, report)?;
        write_file(tmp, "stats.json", &stats)?;
        write_file(tmp, "equity.csv", &equity_csv(panel, runs))?;
        write_file(tmp, "weights.csv", &weights_csv(panel, &runs.strategy))?;
        write_file(tmp, "trades.csv", &trades_csv(panel, &runs.strategy))?;
        if !report.held.is_empty() {
            write_file(tmp, regimes::FILE, &regimes::csv(panel, &report.held))?;
        }
        if files.charts {
            let dd = stats::drawdown::series(&runs.strategy.equity);
            let mut lines = vec![plot::Line {
                name: &strategy.name,
                values: &runs.strategy.equity,
            }];
            for (n, b) in &runs.benchmarks {
                lines.push(plot::Line {
                    name: n,
                    values: &b.equity,
                });
            }
            let title = if runs.strategy.same_bar {
                format!("{} [SAME-BAR EXECUTION]", strategy.name)
            } else {
                strategy.name.clone()
            };
            plot::write_all(
                tmp,
                &plot::ChartData {
                    title: &title,
                    dates: &panel.dates,
                    lines,
                    drawdown: &dd,
                    asset_names: &panel.asset_names,
                    weights: &runs.strategy.weights,
                },
            )?;
        }
        if files.report {
            // From the values in memory: the same page `rotor report DIR` builds from the files.
            // (stats.json as just written, read back as `rotor report` reads it).
            let stats = crate::error::parse_json(&tmp.join("stats.json"), &stats)?;
            write_file(
                tmp,
                html::FILE,
                &html::run_page(stats, panel, runs, report)?,
            )?;
        }
        Ok(())
    })
}

/// Each spliced synthetic fund's check against its real fund (stats.json, the summary,
/// `rotor validate`).
pub fn synthetic_checks(panel: &Panel) -> Vec<crate::stats::tracking::Check> {
    panel
        .synthetic
        .iter()
        .map(|o| {
            let s = &o.synthetic;
            let fund = crate::stats::tracking::Fund {
                asset: &o.asset,
                underlying: &s.underlying,
                leverage: s.leverage,
                expense_bps: s.expense_bps,
                spread_bps: s.spread_bps,
            };
            crate::stats::tracking::check(fund, &o.dates, &o.real, &o.rebuilt)
        })
        .collect()
}

/// A synthetic fund's check as one line for the terminal.
pub fn synthetic_line(c: &crate::stats::tracking::Check) -> String {
    format!(
        "synthetic `{}` ({}x `{}`, expense {} bps, spread {} bps) against the real fund, {} to {} ({} days): correlation {:.4}, slope {:.3}, tracking difference {:+.2}% a year",
        c.asset,
        c.leverage,
        c.underlying,
        c.expense_bps,
        c.spread_bps,
        c.from,
        c.to,
        c.days,
        c.correlation,
        c.slope,
        c.tracking_difference * 100.0
    )
}

/// A fraction as a percentage with 2 decimals for the terminal, "n/a" when undefined.
pub(crate) fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", decimals(v * 100.0, 2))
    } else {
        "n/a".into()
    }
}

/// `v` with `places` decimals; a value that rounds to zero is "0.00", never "-0.00".
pub(crate) fn decimals(v: f64, places: usize) -> String {
    let s = format!("{v:.places$}");
    if printed_zero(&s) {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// Whether a number's text shows zero (every digit 0): such a cell is neutral, not coloured.
pub(crate) fn printed_zero(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text.chars().all(|c| !c.is_ascii_digit() || c == '0')
}

/// A number with `decimals` decimals for the terminal, "n/a" when undefined.
pub(crate) fn fixed(v: f64, places: usize) -> String {
    if v.is_finite() {
        decimals(v, places)
    } else {
        "n/a".into()
    }
}

/// One cell of the summary table: its text, and the number behind it (when it is one).
pub struct Cell {
    pub text: String,
    pub value: Option<f64>,
}

fn p(v: f64) -> Cell {
    Cell {
        text: pct(v),
        value: Some(v),
    }
}
fn f2(v: f64) -> Cell {
    Cell {
        text: fixed(v, 2),
        value: Some(v),
    }
}
fn t(text: String) -> Cell {
    Cell { text, value: None }
}

/// A row of the summary: its label, the `stats.json` key of its number (a path in `metrics`),
/// and its cell.
pub type Row = (&'static str, &'static str, fn(&Stats) -> Cell);

/// The headline table, for the terminal summary and the report's `summary` section alike.
pub const SUMMARY_ROWS: &[Row] = &[
    ("Total return", "total_return", |s| p(s.total_return)),
    ("CAGR", "cagr", |s| p(s.cagr)),
    ("Volatility (ann.)", "volatility", |s| p(s.volatility)),
    ("Sharpe", "sharpe", |s| f2(s.sharpe)),
    ("Sortino", "sortino", |s| f2(s.sortino)),
    ("Max drawdown", "max_drawdown.depth", |s| {
        p(s.max_drawdown.depth)
    }),
    ("  peak", "max_drawdown.peak", |s| {
        t(s.max_drawdown.peak.clone())
    }),
    ("  trough", "max_drawdown.trough", |s| {
        t(s.max_drawdown.trough.clone())
    }),
    ("  recovered", "max_drawdown.recovery", |s| {
        t(s.max_drawdown
            .recovery
            .clone()
            .unwrap_or_else(|| "not yet".into()))
    }),
    ("Calmar", "calmar", |s| f2(s.calmar)),
    ("Ulcer index", "ulcer_index", |s| p(s.ulcer_index)),
    ("Best day", "best_day.value", |s| p(s.best_day.value)),
    ("Worst day", "worst_day.value", |s| p(s.worst_day.value)),
    ("Best year", "best_year.value", |s| {
        s.best_year.as_ref().map_or(t(String::new()), |d| Cell {
            text: format!("{} {}", pct(d.value), d.date),
            value: Some(d.value),
        })
    }),
    ("Worst year", "worst_year.value", |s| {
        s.worst_year.as_ref().map_or(t(String::new()), |d| Cell {
            text: format!("{} {}", pct(d.value), d.date),
            value: Some(d.value),
        })
    }),
    ("Time in market", "time_in_market", |s| p(s.time_in_market)),
    ("Trades", "trades", |s| Cell {
        text: s.trades.to_string(),
        value: Some(s.trades as f64),
    }),
    ("Turnover (ann.)", "annual_turnover", |s| {
        p(s.annual_turnover)
    }),
    ("Costs", "total_costs", |s| f2(s.total_costs)),
    ("Final equity", "final_equity", |s| f2(s.final_equity)),
];

/// The relative metrics' columns (terminal heading, report heading, cell), for the terminal
/// summary and the report's `summary` section alike.
pub type RelativeColumn = (
    &'static str,
    &'static str,
    fn(&stats::relative::Relative) -> Cell,
);

pub const RELATIVE_COLUMNS: &[RelativeColumn] = &[
    ("beta", "beta", |r| f2(r.beta)),
    ("alpha", "alpha", |r| p(r.alpha)),
    ("corr", "correlation", |r| f2(r.correlation)),
    ("TE", "tracking error", |r| p(r.tracking_error)),
    ("IR", "information ratio", |r| f2(r.information_ratio)),
    ("up cap", "up capture", |r| f2(r.up_capture)),
    ("down cap", "down capture", |r| f2(r.down_capture)),
];

/// The terminal summary: the strategy beside its benchmarks, then relative metrics.
pub fn summary(strategy: &Strategy, panel: &Panel, runs: &Runs, report: &Report) -> String {
    let mut cols: Vec<(&str, &Stats)> = vec![(strategy.name.as_str(), &report.strategy)];
    for (n, s) in &report.benchmarks {
        cols.push((n.as_str(), s));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} to {}, {} ({:.1} years){}",
        strategy.name,
        date::format(panel.dates[0]),
        date::format(panel.dates[panel.len() - 1]),
        count(panel.len(), "bar", "bars"),
        report.strategy.years,
        if panel.dropped_dates > 0 {
            format!(
                ", {} not shared by all assets dropped",
                count(panel.dropped_dates, "date", "dates")
            )
        } else {
            String::new()
        }
    );
    out.push_str(&Calendar::of(panel, &runs.strategy).warmup_text());
    if let Some(t) = runs.strategy.ruined {
        let _ = writeln!(
            out,
            "RUINED on {}: the equity fell to {} (leverage or shorts lost more than everything); the strategy stopped trading there, and its CAGR and risk-adjusted ratios are undefined",
            date::format(panel.dates[t]),
            num(runs.strategy.equity[t])
        );
    }
    out.push_str(&warning_lines(strategy, panel));
    for c in synthetic_checks(panel) {
        let _ = writeln!(out, "{}", synthetic_line(&c));
    }
    if runs.strategy.same_bar {
        out.push_str("WARNING: same-bar execution (fill = \"close\"): each decision is filled at the close it was computed from. Results are optimistic.\n");
    }
    let rows = SUMMARY_ROWS;
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(6);
    let cells: Vec<Vec<String>> = cols
        .iter()
        .map(|(_, s)| rows.iter().map(|r| (r.2)(s).text).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .zip(&cells)
        .map(|((n, _), c)| c.iter().map(|x| x.len()).max().unwrap_or(0).max(n.len()))
        .collect();
    let _ = write!(out, "\n{:w0$}", "");
    for ((n, _), w) in cols.iter().zip(&widths) {
        let _ = write!(out, "  {n:>w$}");
    }
    out.push('\n');
    for (i, (label, _, _)) in rows.iter().enumerate() {
        let _ = write!(out, "{label:w0$}");
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", c[i]);
        }
        out.push('\n');
    }
    if !report.strategy.relative.is_empty() {
        let _ = write!(out, "\nAgainst benchmarks  ");
        for (short, _, _) in RELATIVE_COLUMNS {
            let _ = write!(out, " {short:>8}");
        }
        out.push('\n');
        for r in &report.strategy.relative {
            let _ = write!(out, "  {:18}", r.benchmark);
            for (_, _, cell) in RELATIVE_COLUMNS {
                let _ = write!(out, " {:>8}", cell(r).text);
            }
            out.push('\n');
        }
    }
    if let Some(r) = &report.regimes {
        out.push_str(&regimes::summary(&strategy.name, r));
        for w in regimes::warnings(strategy, panel, &report.held) {
            let _ = writeln!(out, "warning: {w}");
        }
    }
    out
}
