//! The strategy file as the user wrote it, checked.
//!
//! [`load`] parses a TOML strategy (format version 1, documented in `docs/strategy-format.md`)
//! into a [`Strategy`]. Every value keeps its place in the file, so every problem is reported with
//! file, line, column, key and what was expected — and all problems are reported at once.
//! Names and expressions are resolved later, in [`crate::plan`], which also reports with spans.

pub(crate) mod reader;
pub mod value;

use reader::{join, number_of, table_of, valid_name, Cx, Table};

use crate::date::{self, Date};
use crate::error::{line_col, Diagnostic, Diagnostics, Error, Result};
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use value::{Node, Value};

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// An expression as written, with where it sits in the file.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct ExprSrc {
    pub text: String,
    #[serde(skip)]
    pub span: Range<usize>,
    /// Path of the key holding it, for messages.
    #[serde(skip)]
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// A price (or total-return index) level.
    Price,
    /// Periodic simple returns, turned into a total-return index.
    Returns,
    /// An annualised interest rate (cash only).
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// A missing cell inside the range is an error.
    Error,
    /// Carry the last price forward (a zero return on that bar).
    Ffill,
}

/// Where a column of numbers comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub file: PathBuf,
    pub column: String,
    pub date_column: String,
    pub kind: SeriesKind,
    pub unit: Unit,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// A traded asset.
#[derive(Debug, Clone, Serialize)]
pub struct AssetSpec {
    pub name: String,
    #[serde(flatten)]
    pub source: Source,
    /// Column of opening prices on the same basis as `column` (enables `next_open` fills).
    pub open: Option<String>,
    pub missing: MissingPolicy,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// An auxiliary (non-traded) series: yields, VIX, Fed funds...
#[derive(Debug, Clone, Serialize)]
pub struct SeriesSpec {
    pub name: String,
    #[serde(flatten)]
    pub source: Source,
    /// A value dated d is usable from calendar day d + lag_days on.
    pub lag_days: u32,
    /// The newest usable value may be at most this many calendar days old.
    pub max_stale_days: u32,
    #[serde(skip)]
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CashSpec {
    /// `None`: cash earns nothing.
    pub rate: Option<Source>,
    /// Day-count denominator for `kind = "rate"` sources (360 for money-market rates).
    pub day_count: u32,
    /// Extra annual spread paid on borrowed cash, in basis points.
    pub financing_spread_bps: f64,
    /// Annual fee on the notional of short positions, in basis points.
    pub borrow_fee_bps: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    Equal,
    InverseVol,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelectSpec {
    pub top: usize,
    /// Score expression with `_` standing for each candidate asset.
    pub score: ExprSrc,
    pub from: Vec<String>,
    pub weighting: Weighting,
    pub vol_lookback: usize,
    /// Total weight spread over the selected assets.
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleSpec {
    /// `None` for the `otherwise = true` fallback.
    pub when: Option<ExprSrc>,
    /// Fixed target weights by asset name (`cash` allowed).
    #[serde(serialize_with = "ser_pairs")]
    pub weights: Vec<(String, f64)>,
    pub select: Option<SelectSpec>,
    #[serde(skip)]
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
    /// Every N bars.
    Every,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodDay {
    First,
    Last,
}

#[derive(Debug, Clone, Serialize)]
pub struct RebalanceSpec {
    pub schedule: Schedule,
    pub day: PeriodDay,
    pub every: usize,
    /// Trade only when some weight is more than this far from its target (absolute weight).
    pub drift_band: Option<f64>,
    /// After a change of allocation, hold it at least this many bars.
    pub min_hold: usize,
    /// Make the first allocation on the first bar whose rule is known, not waiting for the
    /// schedule (later changes follow the schedule).
    pub enter_immediately: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    NextOpen,
    NextClose,
    /// Decide and fill on the same close (same-bar execution: flagged in every output).
    Close,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExecutionSpec {
    pub fill: Fill,
    /// True when `fill` was not written and was chosen from the data.
    pub fill_defaulted: bool,
    pub commission_bps: f64,
    pub fixed_cost: f64,
    pub slippage_bps: f64,
    /// Trades smaller than this share of equity, in basis points, are not sent.
    pub min_trade_bps: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkSpec {
    pub name: String,
    #[serde(serialize_with = "ser_pairs")]
    pub weights: Vec<(String, f64)>,
    pub rebalance: Schedule,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// How much history before `start` signals may look back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Warmup {
    /// Every bar before `start` on which the traded assets (and the series) have data.
    #[default]
    All,
    /// At most this many bars before `start` (0: signals start cold on `start`).
    Bars(usize),
}

impl Serialize for Warmup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Warmup::All => s.serialize_str("all"),
            Warmup::Bars(n) => s.serialize_u64(*n as u64),
        }
    }
}

/// How `rotor check` compares this strategy with its baseline.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSpec {
    /// Default tolerance of every metric: |now - baseline| <= tolerance x max(1, |baseline|).
    pub tolerance: f64,
    /// Per-metric tolerances.
    #[serde(serialize_with = "ser_pairs")]
    pub tolerances: Vec<(String, f64)>,
    /// Also require the equity-curve and trade-list hashes to match exactly.
    pub hashes: bool,
}

/// Default tolerance of checked metrics: results are bit-identical on the same code and data,
/// so this only absorbs last-digit differences of libm across platforms.
pub const DEFAULT_TOLERANCE: f64 = 1e-9;

/// A checked strategy file.
#[derive(Debug, Clone, Serialize)]
pub struct Strategy {
    pub version: i64,
    pub name: String,
    pub description: String,
    #[serde(serialize_with = "ser_date")]
    pub start: Option<Date>,
    #[serde(serialize_with = "ser_date")]
    pub end: Option<Date>,
    /// History before `start` that signals, rules and series may use.
    pub warmup: Warmup,
    pub initial_capital: f64,
    #[serde(serialize_with = "ser_pairs")]
    pub params: Vec<(String, f64)>,
    pub assets: Vec<AssetSpec>,
    pub series: Vec<SeriesSpec>,
    pub cash: CashSpec,
    #[serde(serialize_with = "ser_pairs")]
    pub signals: Vec<(String, ExprSrc)>,
    pub rules: Vec<RuleSpec>,
    pub rebalance: RebalanceSpec,
    pub execution: ExecutionSpec,
    pub benchmarks: Vec<BenchmarkSpec>,
    pub check: CheckSpec,
    /// The file this came from, and its text (for error positions found later).
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub text: String,
}

/// Writes name/value pairs as a JSON object, in file order.
fn ser_pairs<S: serde::Serializer, T: Serialize>(
    pairs: &[(String, T)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

fn ser_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&date::format(*d)),
        None => s.serialize_none(),
    }
}

impl Strategy {
    /// A strategy with data and expressions only (no rules): what an event study loads.
    #[allow(clippy::too_many_arguments)]
    pub fn data_only(
        path: &Path,
        text: &str,
        start: Option<Date>,
        end: Option<Date>,
        params: Vec<(String, f64)>,
        assets: Vec<AssetSpec>,
        series: Vec<SeriesSpec>,
        signals: Vec<(String, ExprSrc)>,
    ) -> Strategy {
        Strategy {
            version: FORMAT_VERSION,
            name: String::new(),
            description: String::new(),
            start,
            end,
            warmup: Warmup::All,
            initial_capital: 1.0,
            params,
            assets,
            series,
            cash: CashSpec {
                rate: None,
                day_count: 360,
                financing_spread_bps: 0.0,
                borrow_fee_bps: 0.0,
            },
            signals,
            rules: vec![],
            rebalance: RebalanceSpec {
                schedule: Schedule::Daily,
                day: PeriodDay::Last,
                every: 1,
                drift_band: None,
                min_hold: 0,
                enter_immediately: false,
            },
            execution: ExecutionSpec {
                fill: Fill::Close,
                fill_defaulted: true,
                commission_bps: 0.0,
                fixed_cost: 0.0,
                slippage_bps: 0.0,
                min_trade_bps: 0.0,
            },
            benchmarks: vec![],
            check: CheckSpec {
                tolerance: DEFAULT_TOLERANCE,
                tolerances: vec![],
                hashes: true,
            },
            path: path.to_path_buf(),
            text: text.to_owned(),
        }
    }

    /// A diagnostic pointing at `span` of this strategy's file.
    pub fn diag(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> Diagnostic {
        let (l, c) = line_col(&self.text, span.start);
        Diagnostic::new(&self.path, message).at(l, c).key(key)
    }
}

/// Reads and checks a strategy file. Relative data paths are resolved against the current
/// directory (rotor is run from the project root, like the shipped strategies assume).
pub fn load(path: &Path) -> Result<Strategy> {
    parse(path, &read(path)?)
}

/// The text of a strategy file.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read strategy file {}", path.display()), e))
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
    top.finish(
        &mut cx,
        &[
            "version",
            "name",
            "description",
            "start",
            "end",
            "warmup",
            "initial_capital",
            "params",
            "assets",
            "series",
            "cash",
            "signals",
            "rules",
            "rebalance",
            "execution",
            "benchmarks",
            "check",
            "sweep",
        ],
    );
    let mut strategy = strategy;
    strategy.path = path.to_path_buf();
    strategy.text = text.to_owned();
    Ok((strategy, cx.diags))
}

// ---------------------------------------------------------------------------------------------
// The sections.

fn read_strategy(cx: &mut Cx, top: &mut Table) -> Strategy {
    let version = match top.integer(cx, "version", 0) {
        Some((v, _)) if v == FORMAT_VERSION => v,
        Some((v, span)) => {
            cx.err(
                &span,
                "version",
                format!(
                    "unsupported format version {v}; this rotor reads version {FORMAT_VERSION}"
                ),
            );
            v
        }
        None => {
            if top.entries.iter().all(|(k, _)| k.get_ref() != "version") {
                cx.err(
                    &(0..0),
                    "version",
                    format!("missing required key (expected version = {FORMAT_VERSION})"),
                );
            }
            FORMAT_VERSION
        }
    };
    let name = match top.req_string(cx, "name") {
        Some((n, span)) => {
            if n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                || n.starts_with('.')
            {
                cx.err(&span, "name", format!("expected a name of letters, digits, '-', '_' or '.' (it names the output folder), found \"{n}\""));
            }
            n
        }
        None => String::new(),
    };
    let description = top
        .string(cx, "description")
        .map(|s| s.0)
        .unwrap_or_default();
    let start = top.date(cx, "start");
    let end = top.date(cx, "end");
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            let span = top.get("end").map(|n| n.span()).unwrap_or_default();
            cx.err(
                &span,
                "end",
                format!(
                    "end {} is before start {}",
                    date::format(e),
                    date::format(s)
                ),
            );
        }
    }
    let warmup = read_warmup(cx, top);
    let initial_capital = match top.number(cx, "initial_capital") {
        Some((v, span)) if v <= 0.0 => {
            cx.err(
                &span,
                "initial_capital",
                format!("expected a number > 0, found {v}"),
            );
            10_000.0
        }
        Some((v, _)) => v,
        None => 10_000.0,
    };

    let params = read_params(cx, top);
    let assets = read_assets(cx, top);
    let series = read_series(cx, top);
    let cash = read_cash(cx, top);
    let signals = read_signals(cx, top);
    let rules = read_rules(cx, top);
    let rebalance = read_rebalance(cx, top);
    let execution = read_execution(cx, top, &assets);
    let benchmarks = read_benchmarks(cx, top);
    let check = read_check(cx, top);
    // [sweep] is read by `rotor sweep` / `rotor walkforward` (crate::sweep); a run ignores it.
    let _ = top.get("sweep");

    // Names share one namespace in expressions.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let reserved = ["cash", "_", "and", "or", "not", "true", "false"];
    let named = params
        .iter()
        .map(|(n, _)| (n.as_str(), "params", 0..0))
        .chain(
            assets
                .iter()
                .map(|a| (a.name.as_str(), "assets", a.span.clone())),
        )
        .chain(
            series
                .iter()
                .map(|s| (s.name.as_str(), "series", s.span.clone())),
        )
        .chain(
            signals
                .iter()
                .map(|(n, e)| (n.as_str(), "signals", e.span.clone())),
        );
    let mut dup_errors = Vec::new();
    for (n, section, span) in named {
        if reserved.contains(&n) || crate::expr::is_function(n) {
            dup_errors.push((
                span.clone(),
                format!("{section}.{n}"),
                format!("`{n}` is reserved (a keyword or function name); choose another name"),
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(m, _)| *m == n) {
            dup_errors.push((span, format!("{section}.{n}"), format!("the name `{n}` is already used in [{other}]; names must be unique across params, assets, series and signals")));
        } else {
            seen.push((n, section));
        }
    }
    for (span, key, msg) in dup_errors {
        cx.err(&span, &key, msg);
    }
    if assets.is_empty() && !top.entries.iter().any(|(k, _)| k.get_ref() == "assets") {
        cx.err(
            &(0..0),
            "assets",
            "missing required table [assets] (at least one traded asset)",
        );
    }

    Strategy {
        version,
        name,
        description,
        start,
        end,
        warmup,
        initial_capital,
        params,
        assets,
        series,
        cash,
        signals,
        rules,
        rebalance,
        execution,
        benchmarks,
        check,
        path: PathBuf::new(),
        text: String::new(),
    }
}

/// `warmup = "all"` (the default), or a whole number of bars (0 turns warm-up off).
fn read_warmup(cx: &mut Cx, top: &mut Table) -> Warmup {
    let Some(node) = top.get("warmup") else {
        return Warmup::All;
    };
    match node.get_ref() {
        Value::String(s) if s == "all" => Warmup::All,
        Value::Integer(i) if *i >= 0 => Warmup::Bars(*i as usize),
        other => {
            let found = match other {
                Value::String(s) => format!("\"{s}\""),
                Value::Integer(i) => i.to_string(),
                o => o.type_name().to_owned(),
            };
            cx.err(
                &node.span(),
                "warmup",
                format!("expected \"all\" or a whole number of bars >= 0, found {found}"),
            );
            Warmup::All
        }
    }
}

/// The entries of a table of named things (`[params]`, `[signals]`): each name checked, each
/// value read by `read`.
fn named<T>(
    cx: &mut Cx,
    top: &mut Table,
    section: &str,
    what: &str,
    read: impl Fn(&mut Cx, &Node, &str) -> Option<T>,
) -> Vec<(String, T)> {
    let Some(t) = top.table(cx, section) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (k, node) in t.entries {
        let key = join(section, k.get_ref());
        if !valid_name(k.get_ref()) {
            cx.err(
                &k.span(),
                &key,
                format!("expected a {what} name of letters, digits and '_' starting with a letter"),
            );
        }
        if let Some(v) = read(cx, node, &key) {
            out.push((k.get_ref().clone(), v));
        }
    }
    out
}

pub(crate) fn read_params(cx: &mut Cx, top: &mut Table) -> Vec<(String, f64)> {
    named(cx, top, "params", "parameter", number_of)
}

fn read_source(cx: &mut Cx, t: &mut Table, allow_rate: bool) -> Option<Source> {
    let file = t.req_string(cx, "file");
    let column = t.req_string(cx, "column");
    let date_column = t
        .string(cx, "date_column")
        .map(|s| s.0)
        .unwrap_or_else(|| "date".into());
    let kinds: &[&str] = if allow_rate {
        &["price", "returns", "rate"]
    } else {
        &["price", "returns"]
    };
    let kind = match t.choice(cx, "kind", kinds) {
        Some(0) | None => SeriesKind::Price,
        Some(1) => SeriesKind::Returns,
        Some(_) => SeriesKind::Rate,
    };
    let unit_given = t.entries.iter().any(|(k, _)| k.get_ref() == "unit");
    let unit = match t.choice(cx, "unit", &["percent", "decimal"]) {
        Some(0) => Unit::Percent,
        Some(_) => Unit::Decimal,
        None if kind == SeriesKind::Rate => Unit::Percent,
        None => Unit::Decimal,
    };
    if kind == SeriesKind::Returns && !unit_given {
        let span = t.span.clone();
        cx.err(&span, &t.path("unit"), "a `kind = \"returns\"` series needs `unit = \"percent\"` or `unit = \"decimal\"` (guessing would silently scale returns by 100)");
    }
    let (file, span) = file?;
    Some(Source {
        file: PathBuf::from(file),
        column: column?.0,
        date_column,
        kind,
        unit,
        span,
    })
}

pub(crate) fn read_assets(cx: &mut Cx, top: &mut Table) -> Vec<AssetSpec> {
    let Some(t) = top.table(cx, "assets") else {
        return vec![];
    };
    if t.entries.is_empty() {
        let span = t.span.clone();
        cx.err(&span, "assets", "expected at least one traded asset");
    }
    let mut out = Vec::new();
    for (k, node) in t.entries {
        let key = join("assets", k.get_ref());
        if !valid_name(k.get_ref()) {
            cx.err(
                &k.span(),
                &key,
                "expected an asset name of letters, digits and '_' starting with a letter",
            );
        }
        let Some(mut at) = table_of(cx, node, &key) else {
            continue;
        };
        let source = read_source(cx, &mut at, false);
        let open = at.string(cx, "open").map(|s| s.0);
        let missing = match at.choice(cx, "missing", &["error", "ffill"]) {
            Some(1) => MissingPolicy::Ffill,
            _ => MissingPolicy::Error,
        };
        if let (Some(s), Some(_)) = (&source, &open) {
            if s.kind == SeriesKind::Returns {
                let span = at.get("open").map(|n| n.span()).unwrap_or_default();
                cx.err(
                    &span,
                    &join(&key, "open"),
                    "`open` needs a price series; a returns series has no opening price",
                );
            }
        }
        at.finish(
            cx,
            &[
                "file",
                "column",
                "date_column",
                "kind",
                "unit",
                "open",
                "missing",
            ],
        );
        // An asset whose entry has errors is still named, so expressions that use it do not
        // report a second, misleading "unknown name" (the run is refused anyway).
        let source = source.unwrap_or_else(|| placeholder_source(node.span()));
        out.push(AssetSpec {
            name: k.get_ref().clone(),
            source,
            open,
            missing,
            span: k.span(),
        });
    }
    out
}

/// Stands in for the source of an entry that had errors (never loaded: the file is refused).
fn placeholder_source(span: Range<usize>) -> Source {
    Source {
        file: PathBuf::new(),
        column: String::new(),
        date_column: "date".into(),
        kind: SeriesKind::Price,
        unit: Unit::Decimal,
        span,
    }
}

pub(crate) fn read_series(cx: &mut Cx, top: &mut Table) -> Vec<SeriesSpec> {
    let Some(t) = top.table(cx, "series") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (k, node) in t.entries {
        let key = join("series", k.get_ref());
        if !valid_name(k.get_ref()) {
            cx.err(
                &k.span(),
                &key,
                "expected a series name of letters, digits and '_' starting with a letter",
            );
        }
        let Some(mut st) = table_of(cx, node, &key) else {
            continue;
        };
        let file = st.req_string(cx, "file");
        let column = st.req_string(cx, "column");
        let date_column = st
            .string(cx, "date_column")
            .map(|s| s.0)
            .unwrap_or_else(|| "date".into());
        let lag_days = st
            .integer(cx, "lag_days", 0)
            .map(|v| v.0 as u32)
            .unwrap_or(0);
        let max_stale_days = st
            .integer(cx, "max_stale_days", 0)
            .map(|v| v.0 as u32)
            .unwrap_or(10);
        st.finish(
            cx,
            &[
                "file",
                "column",
                "date_column",
                "lag_days",
                "max_stale_days",
            ],
        );
        {
            let (file, span) = file.unwrap_or_default();
            let column = column.map(|c| c.0).unwrap_or_default();
            out.push(SeriesSpec {
                name: k.get_ref().clone(),
                source: Source {
                    file: PathBuf::from(file),
                    column,
                    date_column,
                    kind: SeriesKind::Price,
                    unit: Unit::Decimal,
                    span,
                },
                lag_days,
                max_stale_days,
                span: k.span(),
            });
        }
    }
    out
}

pub(crate) fn read_cash(cx: &mut Cx, top: &mut Table) -> CashSpec {
    let mut cash = CashSpec {
        rate: None,
        day_count: 360,
        financing_spread_bps: 0.0,
        borrow_fee_bps: 0.0,
    };
    let Some(mut t) = top.table(cx, "cash") else {
        return cash;
    };
    if let Some(node) = t.get("rate") {
        match node.get_ref() {
            Value::Integer(0) => {}
            Value::Float(f) if *f == 0.0 => {}
            Value::Table(_) => {
                if let Some(mut rt) = table_of(cx, node, "cash.rate") {
                    let src = read_source(cx, &mut rt, true);
                    rt.finish(cx, &["file", "column", "date_column", "kind", "unit"]);
                    if let Some(s) = &src {
                        if s.kind == SeriesKind::Price {
                            cx.err(&node.span(), "cash.rate.kind", "expected kind = \"returns\" (per-bar returns, e.g. French RF) or \"rate\" (annualised rate, e.g. DFF)");
                        }
                    }
                    cash.rate = src;
                }
            }
            other => cx.err(
                &node.span(),
                "cash.rate",
                format!(
                    "expected 0 or a table {{ file, column, kind, unit }}, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    if let Some((v, span)) = t.integer(cx, "day_count", 1) {
        if v != 360 && v != 365 {
            cx.err(
                &span,
                "cash.day_count",
                format!("expected 360 or 365, found {v}"),
            );
        } else {
            cash.day_count = v as u32;
        }
    }
    cash.financing_spread_bps = t.non_negative(cx, "financing_spread_bps", 0.0);
    cash.borrow_fee_bps = t.non_negative(cx, "borrow_fee_bps", 0.0);
    t.finish(
        cx,
        &[
            "rate",
            "day_count",
            "financing_spread_bps",
            "borrow_fee_bps",
        ],
    );
    cash
}

pub(crate) fn expr_src(cx: &mut Cx, node: &Node, key: &str) -> Option<ExprSrc> {
    match node.get_ref() {
        Value::String(s) => {
            // Point at the expression's first character, not at the opening quote.
            let span = node.span();
            let raw = &cx.text[span.clone()];
            let start = raw
                .find(s.as_str())
                .map(|i| span.start + i)
                .unwrap_or(span.start);
            if s.trim().is_empty() {
                cx.err(&span, key, "expected an expression, found an empty string");
                return None;
            }
            Some(ExprSrc {
                text: s.clone(),
                span: start..start + s.len(),
                key: key.to_owned(),
            })
        }
        other => {
            cx.err(
                &node.span(),
                key,
                format!(
                    "expected an expression in a string, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

pub(crate) fn read_signals(cx: &mut Cx, top: &mut Table) -> Vec<(String, ExprSrc)> {
    named(cx, top, "signals", "signal", expr_src)
}

fn read_weights(cx: &mut Cx, node: &Node, key: &str) -> Vec<(String, f64)> {
    let Some(t) = table_of(cx, node, key) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (k, v) in t.entries {
        let wkey = join(key, k.get_ref());
        if let Some(w) = number_of(cx, v, &wkey) {
            out.push((k.get_ref().clone(), w));
        }
    }
    out
}

fn read_rules(cx: &mut Cx, top: &mut Table) -> Vec<RuleSpec> {
    let Some(node) = top.get("rules") else {
        cx.err(
            &(0..0),
            "rules",
            "missing required [[rules]] (at least one rule, ending with `otherwise = true`)",
        );
        return vec![];
    };
    let items = match node.get_ref() {
        Value::Array(items) => items,
        other => {
            cx.err(
                &node.span(),
                "rules",
                format!(
                    "expected an array of tables [[rules]], found {}",
                    other.type_name()
                ),
            );
            return vec![];
        }
    };
    let mut out = Vec::new();
    let n = items.len();
    for (i, item) in items.iter().enumerate() {
        let key = format!("rules[{i}]");
        let Some(mut t) = table_of(cx, item, &key) else {
            continue;
        };
        let when = t
            .get("when")
            .and_then(|n| expr_src(cx, n, &format!("{key}.when")));
        let otherwise = t.boolean(cx, "otherwise").map(|b| b.0).unwrap_or(false);
        let weights_node = t.get("weights");
        let weights = weights_node
            .map(|n| read_weights(cx, n, &format!("{key}.weights")))
            .unwrap_or_default();
        let select = t.table(cx, "select").and_then(|mut st| {
            let s = read_select(cx, &mut st);
            st.finish(
                cx,
                &[
                    "top",
                    "score",
                    "from",
                    "weighting",
                    "vol_lookback",
                    "weight",
                ],
            );
            s
        });
        let span = t.span.clone();
        if when.is_some() && otherwise {
            cx.err(
                &span,
                &key,
                "a rule has either `when = \"...\"` or `otherwise = true`, not both",
            );
        }
        if when.is_none() && !otherwise && !t.entries.iter().any(|(k, _)| k.get_ref() == "when") {
            cx.err(
                &span,
                &key,
                "expected `when = \"condition\"` or `otherwise = true`",
            );
        }
        if otherwise && i + 1 != n {
            cx.err(
                &span,
                &key,
                "`otherwise = true` must be the last rule (rules are tried in order)",
            );
        }
        if !otherwise && i + 1 == n && when.is_some() {
            cx.err(&span, &key, "the last rule must be `otherwise = true`: say what to hold when no condition holds");
        }
        if weights_node.is_none()
            && select.is_none()
            && !t.entries.iter().any(|(k, _)| k.get_ref() == "select")
        {
            cx.err(
                &span,
                &key,
                "expected `weights = { asset = weight, ... }` or a `select` table",
            );
        }
        if weights_node.is_some() && select.is_some() {
            cx.err(
                &span,
                &key,
                "a rule has either `weights` or `select`, not both",
            );
        }
        t.finish(cx, &["when", "otherwise", "weights", "select"]);
        out.push(RuleSpec {
            when: if otherwise { None } else { when },
            weights,
            select,
            span,
        });
    }
    if items.is_empty() {
        cx.err(&node.span(), "rules", "expected at least one rule");
    }
    out
}

fn read_select(cx: &mut Cx, t: &mut Table) -> Option<SelectSpec> {
    let top = t.integer(cx, "top", 1).map(|v| v.0 as usize);
    let score = t
        .get("score")
        .and_then(|n| expr_src(cx, n, &t.path("score")));
    if score.is_none() && t.entries.iter().all(|(k, _)| k.get_ref() != "score") {
        let span = t.span.clone();
        cx.err(&span, &t.path("score"), "missing required key (a score expression using `_` for the candidate, e.g. \"ret(_, 63)\")");
    }
    let mut from = Vec::new();
    match t.get("from") {
        Some(node) => match node.get_ref() {
            Value::Array(items) => {
                for item in items {
                    match item.get_ref() {
                        Value::String(s) => from.push(s.clone()),
                        other => cx.err(
                            &item.span(),
                            &t.path("from"),
                            format!("expected asset names, found {}", other.type_name()),
                        ),
                    }
                }
            }
            other => cx.err(
                &node.span(),
                &t.path("from"),
                format!(
                    "expected an array of asset names, found {}",
                    other.type_name()
                ),
            ),
        },
        None => {
            let span = t.span.clone();
            cx.err(
                &span,
                &t.path("from"),
                "missing required key (the candidate assets)",
            );
        }
    }
    let weighting = match t.choice(cx, "weighting", &["equal", "inverse_vol"]) {
        Some(1) => Weighting::InverseVol,
        _ => Weighting::Equal,
    };
    let vol_lookback = t
        .integer(cx, "vol_lookback", 2)
        .map(|v| v.0 as usize)
        .unwrap_or(63);
    let weight = t.number(cx, "weight").map(|v| v.0).unwrap_or(1.0);
    let top = top.unwrap_or(1);
    if !from.is_empty() && top > from.len() {
        let span = t.span.clone();
        cx.err(
            &span,
            &t.path("top"),
            format!("top = {top} but only {} candidates in `from`", from.len()),
        );
    }
    Some(SelectSpec {
        top,
        score: score?,
        from,
        weighting,
        vol_lookback,
        weight,
    })
}

const SCHEDULES: &[&str] = &[
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
    "every",
    "week-end",
    "week-start",
    "month-end",
    "month-start",
    "quarter-end",
    "quarter-start",
    "year-end",
    "year-start",
];

fn schedule_of(i: usize) -> (Schedule, Option<PeriodDay>) {
    use Schedule::*;
    match i {
        0 => (Daily, None),
        1 => (Weekly, None),
        2 => (Monthly, None),
        3 => (Quarterly, None),
        4 => (Yearly, None),
        5 => (Every, None),
        6 => (Weekly, Some(PeriodDay::Last)),
        7 => (Weekly, Some(PeriodDay::First)),
        8 => (Monthly, Some(PeriodDay::Last)),
        9 => (Monthly, Some(PeriodDay::First)),
        10 => (Quarterly, Some(PeriodDay::Last)),
        11 => (Quarterly, Some(PeriodDay::First)),
        12 => (Yearly, Some(PeriodDay::Last)),
        _ => (Yearly, Some(PeriodDay::First)),
    }
}

pub(crate) fn read_rebalance(cx: &mut Cx, top: &mut Table) -> RebalanceSpec {
    let mut r = RebalanceSpec {
        schedule: Schedule::Daily,
        day: PeriodDay::Last,
        every: 1,
        drift_band: None,
        min_hold: 0,
        enter_immediately: false,
    };
    let Some(mut t) = top.table(cx, "rebalance") else {
        return r;
    };
    let mut implied_day = None;
    if let Some(i) = t.choice(cx, "schedule", SCHEDULES) {
        let (s, d) = schedule_of(i);
        r.schedule = s;
        implied_day = d;
    }
    if let Some(i) = t.choice(cx, "day", &["last", "first"]) {
        let day = if i == 0 {
            PeriodDay::Last
        } else {
            PeriodDay::First
        };
        if let Some(implied) = implied_day {
            if implied != day {
                let span = t.get("day").map(|n| n.span()).unwrap_or_default();
                cx.err(&span, "rebalance.day", "contradicts the schedule name (e.g. \"month-end\" already means day = \"last\")");
            }
        }
        r.day = day;
    } else if let Some(d) = implied_day {
        r.day = d;
    }
    match t.integer(cx, "every", 1) {
        Some((n, span)) => {
            if r.schedule != Schedule::Every {
                cx.err(
                    &span,
                    "rebalance.every",
                    "`every` goes with schedule = \"every\"",
                );
            }
            r.every = n as usize;
        }
        None if r.schedule == Schedule::Every => {
            let span = t.span.clone();
            cx.err(
                &span,
                "rebalance.every",
                "schedule = \"every\" needs `every = N` (bars)",
            );
        }
        None => {}
    }
    if let Some((b, span)) = t.number(cx, "drift_band") {
        if b <= 0.0 || b >= 1.0 {
            cx.err(&span, "rebalance.drift_band", format!("expected a weight distance between 0 and 1 (0.05 = 5 percentage points), found {b}"));
        } else {
            r.drift_band = Some(b);
        }
    }
    r.min_hold = t
        .integer(cx, "min_hold", 0)
        .map(|v| v.0 as usize)
        .unwrap_or(0);
    r.enter_immediately = t
        .boolean(cx, "enter_immediately")
        .map(|b| b.0)
        .unwrap_or(false);
    t.finish(
        cx,
        &[
            "schedule",
            "day",
            "every",
            "drift_band",
            "min_hold",
            "enter_immediately",
        ],
    );
    r
}

pub(crate) fn read_execution(cx: &mut Cx, top: &mut Table, assets: &[AssetSpec]) -> ExecutionSpec {
    let all_open = !assets.is_empty() && assets.iter().all(|a| a.open.is_some());
    let mut e = ExecutionSpec {
        fill: if all_open {
            Fill::NextOpen
        } else {
            Fill::NextClose
        },
        fill_defaulted: true,
        commission_bps: 0.0,
        fixed_cost: 0.0,
        slippage_bps: 0.0,
        min_trade_bps: 1.0,
    };
    let Some(mut t) = top.table(cx, "execution") else {
        return e;
    };
    if let Some(i) = t.choice(cx, "fill", &["next_open", "next_close", "close"]) {
        e.fill = [Fill::NextOpen, Fill::NextClose, Fill::Close][i];
        e.fill_defaulted = false;
        if e.fill == Fill::NextOpen {
            for a in assets.iter().filter(|a| a.open.is_none()) {
                let span = t.get("fill").map(|n| n.span()).unwrap_or_default();
                cx.err(&span, "execution.fill", format!("fill = \"next_open\" needs opening prices, but asset `{}` has no `open` column", a.name));
            }
        }
    }
    e.commission_bps = t.non_negative(cx, "commission_bps", 0.0);
    e.fixed_cost = t.non_negative(cx, "fixed_cost", 0.0);
    e.slippage_bps = t.non_negative(cx, "slippage_bps", 0.0);
    e.min_trade_bps = t.non_negative(cx, "min_trade_bps", 1.0);
    t.finish(
        cx,
        &[
            "fill",
            "commission_bps",
            "fixed_cost",
            "slippage_bps",
            "min_trade_bps",
        ],
    );
    e
}

fn read_benchmarks(cx: &mut Cx, top: &mut Table) -> Vec<BenchmarkSpec> {
    let Some(t) = top.table(cx, "benchmarks") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (k, node) in t.entries {
        let key = join("benchmarks", k.get_ref());
        match node.get_ref() {
            Value::String(asset) => out.push(BenchmarkSpec {
                name: k.get_ref().clone(),
                weights: vec![(asset.clone(), 1.0)],
                rebalance: Schedule::Daily,
                span: node.span(),
            }),
            Value::Table(_) => {
                let Some(mut bt) = table_of(cx, node, &key) else {
                    continue;
                };
                let weights = match bt.get("weights") {
                    Some(w) => read_weights(cx, w, &join(&key, "weights")),
                    None => {
                        cx.err(
                            &node.span(),
                            &join(&key, "weights"),
                            "missing required key (e.g. weights = { small = 0.6, large = 0.4 })",
                        );
                        vec![]
                    }
                };
                let rebalance = match bt.choice(
                    cx,
                    "rebalance",
                    &["daily", "monthly", "quarterly", "yearly"],
                ) {
                    Some(1) => Schedule::Monthly,
                    Some(2) => Schedule::Quarterly,
                    Some(3) => Schedule::Yearly,
                    _ => Schedule::Daily,
                };
                bt.finish(cx, &["weights", "rebalance"]);
                out.push(BenchmarkSpec {
                    name: k.get_ref().clone(),
                    weights,
                    rebalance,
                    span: node.span(),
                });
            }
            other => cx.err(
                &node.span(),
                &key,
                format!(
                    "expected an asset name or a table {{ weights = {{...}} }}, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    out
}

pub(crate) fn read_check(cx: &mut Cx, top: &mut Table) -> CheckSpec {
    let mut c = CheckSpec {
        tolerance: DEFAULT_TOLERANCE,
        tolerances: vec![],
        hashes: true,
    };
    let Some(mut t) = top.table(cx, "check") else {
        return c;
    };
    c.tolerance = t.non_negative(cx, "tolerance", DEFAULT_TOLERANCE);
    if let Some(tt) = t.table(cx, "tolerances") {
        for (k, node) in tt.entries {
            let key = join("check.tolerances", k.get_ref());
            if !crate::check::METRICS.contains(&k.get_ref().as_str()) {
                cx.err(
                    &k.span(),
                    &key,
                    format!(
                        "unknown metric; checked metrics are: {}",
                        crate::check::METRICS.join(", ")
                    ),
                );
                continue;
            }
            match number_of(cx, node, &key) {
                Some(v) if v < 0.0 => cx.err(
                    &node.span(),
                    &key,
                    format!("expected a tolerance >= 0, found {v}"),
                ),
                Some(v) => c.tolerances.push((k.get_ref().clone(), v)),
                None => {}
            }
        }
    }
    c.hashes = t.boolean(cx, "hashes").map(|b| b.0).unwrap_or(true);
    t.finish(cx, &["tolerance", "tolerances", "hashes"]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

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
