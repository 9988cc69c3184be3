//! The strategy file as the user wrote it, checked.
//!
//! [`load`] parses a TOML strategy (format version 1, documented in `docs/strategy-format.md`)
//! into a [`Strategy`]. Every value keeps its place in the file, so every problem is reported with
//! file, line, column, key and what was expected — and all problems are reported at once.
//! Names and expressions are resolved later, in [`crate::plan`], which also reports with spans.
//!
//! * [`types`]: what a checked file holds, with every default written once;
//! * [`common`]: the sections strategies and event files share (header, params, assets, series,
//!   cash, signals) and their checks: one reader for both kinds of file;
//! * [`rules`], [`trading`]: the strategy's own sections; [`sweep`]: `[sweep]` and the paths a
//!   sweep sets;
//! * [`reader`], [`value`]: spanned TOML values and a reader that collects every problem.

pub(crate) mod common;
pub(crate) mod reader;
pub(crate) mod rules;
pub mod sweep;
pub(crate) mod trading;
pub mod types;
pub mod value;

pub use common::is_folder_name;
pub use types::*;

use common::{read_common, COMMON_KEYS};
use reader::{Cx, Table};

use crate::error::{Diagnostics, Result};
use std::path::{Path, PathBuf};

/// The most bars any lookback, horizon, holding period or schedule step may span: 1,000,000
/// (about 4,000 years of trading days; the longest shipped data has 26,000 bars).
pub const MAX_BARS: i64 = 1_000_000;

/// Commission and slippage are below 10,000 bps (100 % of the traded notional): a cost of all
/// the money traded or more is not a cost model, and made prices negative.
pub const MAX_COST_BPS: f64 = 10_000.0;

/// The largest weight of one asset, long or short: 100 times equity.
pub const MAX_WEIGHT: f64 = 100.0;

/// The most calendar days a publication lag or staleness limit may span (100 years).
pub const MAX_DAYS: i64 = 36_600;

/// Top-level keys of a strategy besides the shared ones.
const STRATEGY_KEYS: &[&str] = &[
    "initial_capital",
    "rules",
    "rebalance",
    "execution",
    "benchmarks",
    "check",
    "sweep",
    "regimes",
];

/// Where a data file a strategy (or event file) names is read from, so that a strategy runs the
/// same from any working folder. An absolute path is used as written. A relative path resolves
/// against the strategy's project folder ([`project_dir`]); when it is missing there but exists
/// relative to the working folder, that one is used (as before project folders existed).
pub fn data_path(strategy: &Path, file: &str) -> PathBuf {
    let rel = Path::new(file);
    if rel.is_absolute() {
        return rel.to_path_buf();
    }
    match project_dir(strategy) {
        Some(base) if base.join(rel).exists() || !rel.exists() => base.join(rel),
        _ => rel.to_path_buf(),
    }
}

/// The project folder of a strategy file: the nearest folder, from the strategy's own folder
/// upwards (the filesystem root excluded), that holds a `rotor.toml` file or a `data/` folder;
/// `None` when there is none (relative paths then resolve against the working folder). Given
/// relative to the working folder when it is inside it (`""` for the working folder itself).
pub fn project_dir(strategy: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    let dir = strategy.parent()?;
    let abs = if dir.as_os_str().is_empty() {
        cwd.clone()
    } else {
        dir.canonicalize().ok()?
    };
    let found = abs
        .ancestors()
        .filter(|a| a.parent().is_some())
        .find(|a| a.join("rotor.toml").is_file() || a.join("data").is_dir())?;
    Some(match found.strip_prefix(&cwd) {
        Ok(inside) => inside.to_path_buf(),
        Err(_) => found.to_path_buf(),
    })
}

/// The two kinds of TOML file rotor reads besides baselines: told apart by their tables, so a
/// command given the other kind says so instead of listing its keys as unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `[[rules]]` (and maybe `[sweep]`): `run`, `sweep`, `walkforward`, `check`.
    Strategy,
    /// `[event]`: `rotor events`.
    Events,
}

impl FileKind {
    /// An event file has an `[event]` table and no `[[rules]]`; anything else (a file that does
    /// not parse included) is read as a strategy, whose reader reports its problems.
    pub fn of(text: &str) -> FileKind {
        match text.parse::<toml::Table>() {
            Ok(t) if t.contains_key("event") && !t.contains_key("rules") => FileKind::Events,
            _ => FileKind::Strategy,
        }
    }

    /// The kind of the file at `path` (a strategy when it cannot be read: its reader says why).
    pub fn of_file(path: &Path) -> FileKind {
        crate::error::read_text(path, "strategy file")
            .map_or(FileKind::Strategy, |t| FileKind::of(&t))
    }
}

/// Reads and checks a strategy file. Relative data paths are resolved as [`data_path`] says.
pub fn load(path: &Path) -> Result<Strategy> {
    parse(path, &read(path)?)
}

/// The text of a strategy file.
pub fn read(path: &Path) -> Result<String> {
    crate::error::read_text(path, "strategy file")
}

/// Parses strategy text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Strategy> {
    let (strategy, diags) = parse_partial(path, text)?;
    diags.into_result(strategy)
}

/// Parses strategy text as far as it goes: the strategy (with placeholders where entries had
/// errors) and every problem found. Only a TOML syntax error stops it early. Used to report
/// problems of later stages (names, expressions) together with these.
pub fn parse_partial(path: &Path, text: &str) -> Result<(Strategy, Diagnostics)> {
    let doc = value::parse_file(path, text)?;
    let mut cx = Cx {
        path,
        text,
        diags: Diagnostics::default(),
    };
    let whole = 0..text.len();
    let mut top = Table::new("", &doc, whole.clone());
    let strategy = read_strategy(&mut cx, &mut top);
    let mut allowed = COMMON_KEYS.to_vec();
    allowed.extend(STRATEGY_KEYS);
    top.finish(&mut cx, &allowed);
    let mut strategy = strategy;
    strategy.path = path.to_path_buf();
    strategy.text = text.to_owned();
    Ok((strategy, cx.diags))
}

fn read_strategy(cx: &mut Cx, top: &mut Table) -> Strategy {
    let c = read_common(cx, top);
    let initial_capital = match top.number(cx, "initial_capital") {
        Some((v, span)) if v <= 0.0 => {
            cx.err(
                &span,
                "initial_capital",
                format!("expected a number > 0, found {v}"),
            );
            DEFAULT_CAPITAL
        }
        Some((v, _)) => v,
        None => DEFAULT_CAPITAL,
    };
    let rules = rules::read_rules(cx, top);
    let rebalance = trading::read_rebalance(cx, top);
    let execution = trading::read_execution(cx, top, &c.assets);
    let benchmarks = trading::read_benchmarks(cx, top);
    let check = trading::read_check(cx, top);
    // Regimes are labels of conditions, not names in expressions: the same checks as signals.
    let regimes = common::named(cx, top, "regimes", "regime", common::expr_src);
    // regimes.csv: date, then a column per regime.
    for (name, src) in &regimes {
        if name == "date" {
            cx.err(
                &src.span,
                &format!("regimes.{name}"),
                "`date` is the first column of regimes.csv; choose another regime name",
            );
        }
    }
    // [sweep] is checked by `rotor sweep` / `rotor walkforward` (crate::sweep); a run ignores
    // its problems.
    let sweep = top
        .get("sweep")
        .map(|node| sweep::read(cx, node, &c.params));
    Strategy {
        sweep,
        version: c.version,
        initial_capital,
        rules,
        rebalance,
        execution,
        benchmarks,
        check,
        regimes,
        ..Strategy::from_common(&PathBuf::new(), "", c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    const MINIMAL: &str = r#"
version = 1
name = "t"
[assets]
a = { file = "a.csv", column = "close" }
[[rules]]
otherwise = true
weights = { a = 1.0 }
"#;

    fn errs(text: &str) -> Vec<String> {
        match parse(Path::new("s.toml"), text) {
            Ok(_) => vec![],
            Err(Error::Input(d)) => d.0.iter().map(|d| d.to_string()).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn minimal_parses_with_defaults() {
        let s = parse(Path::new("s.toml"), MINIMAL).unwrap();
        assert_eq!(s.assets.len(), 1);
        assert_eq!(s.execution.fill, Fill::NextClose);
        assert!(s.execution.fill_defaulted);
        assert_eq!(s.rebalance.schedule, Schedule::Daily);
        assert_eq!(s.initial_capital, 10_000.0);
    }

    #[test]
    fn reports_every_problem_with_line_and_key() {
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\nstrat = 1\ninitial_capital = \"x\"",
        ) + "[execution]\ncomission_bps = 5\nfill = \"tomorrow\"\n";
        let e = errs(&text);
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e[0].contains("s.toml:5:19: `initial_capital`: expected a number, found a string"),
            "{}",
            e[0]
        );
        assert!(e.iter().any(|m| m
            .contains("`execution.comission_bps`: unknown key (did you mean `commission_bps`?)")));
        assert!(e
            .iter()
            .any(|m| m.contains("s.toml:13:8: `execution.fill`: expected one of \"next_open\"")));
        assert!(e
            .iter()
            .any(|m| m.starts_with("s.toml:4:1: `strat`: unknown key")));
    }

    #[test]
    fn returns_need_a_unit_and_rules_need_a_fallback() {
        let text = r#"
version = 1
name = "t"
[assets]
a = { file = "a.csv", column = "r", kind = "returns" }
[[rules]]
when = "ret(a, 5) > 0"
weights = { a = 1 }
"#;
        let e = errs(text);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e[0].contains("`assets.a.unit`"));
        assert!(e[1].contains("the last rule must be `otherwise = true`"));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = errs("version = 1\nname = \n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("s.toml:2:"), "{}", e[0]);
    }

    #[test]
    fn schedule_aliases() {
        let s = parse(
            Path::new("s.toml"),
            &(MINIMAL.to_owned() + "[rebalance]\nschedule = \"month-start\"\n"),
        )
        .unwrap();
        assert_eq!(
            (s.rebalance.schedule, s.rebalance.day),
            (Schedule::Monthly, PeriodDay::First)
        );
    }
}
