//! The types of a checked strategy file, with their defaults (each written once, here).

use crate::date::{self, Date};
use crate::error::{Diagnostic, SourceFile};
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};

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
    /// The data file, resolved as [`crate::spec::data_path`] says.
    pub file: PathBuf,
    pub column: String,
    pub date_column: String,
    pub kind: SeriesKind,
    pub unit: Unit,
    #[serde(skip)]
    pub span: Range<usize>,
    /// The full key of `file` (`assets.iwm.file`), for messages.
    #[serde(skip)]
    pub key: String,
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
    /// Annual dividend yield added to a price index's returns (`y x days / 365` a bar).
    pub dividend_yield_bps: f64,
    /// A daily-reset leveraged or inverse fund rebuilt from an underlying asset; `source` is
    /// then the real fund spliced in from its first date (`splice`), if any.
    pub synthetic: Option<Synthetic>,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// `synthetic = { underlying, leverage, expense_bps, spread_bps }`.
#[derive(Debug, Clone, Serialize)]
pub struct Synthetic {
    /// Name of the asset whose total return the fund multiplies.
    pub underlying: String,
    pub leverage: f64,
    /// Annual expense ratio, charged 1/252 a bar.
    pub expense_bps: f64,
    /// Annual financing spread over the cash rate on the swapped notional.
    pub spread_bps: f64,
    /// Whether a real fund is spliced in (`splice = { file, column }`, kept in `source`).
    pub spliced: bool,
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

/// Starting equity when `initial_capital` is not given.
pub const DEFAULT_CAPITAL: f64 = 10_000.0;

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

impl Default for CashSpec {
    fn default() -> Self {
        CashSpec {
            rate: None,
            day_count: crate::conventions::CASH_DAY_COUNT,
            financing_spread_bps: 0.0,
            borrow_fee_bps: 0.0,
        }
    }
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

impl Default for RebalanceSpec {
    /// Daily decisions on every bar, no band, no holding period.
    fn default() -> Self {
        RebalanceSpec {
            schedule: Schedule::Daily,
            day: PeriodDay::Last,
            every: 1,
            drift_band: None,
            min_hold: 0,
            enter_immediately: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    NextOpen,
    NextClose,
    /// Decide and fill on the same close (same-bar execution: flagged in every output).
    Close,
}

impl Fill {
    /// The spelling of the strategy file and of `stats.json`.
    pub fn name(self) -> &'static str {
        match self {
            Fill::NextOpen => "next_open",
            Fill::NextClose => "next_close",
            Fill::Close => "close",
        }
    }
}

impl std::fmt::Display for Fill {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name())
    }
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

impl Default for ExecutionSpec {
    /// No costs, fills at the next close (the reader picks `next_open` when every asset has
    /// opening prices), trades under 1 bp of equity not sent.
    fn default() -> Self {
        ExecutionSpec {
            fill: Fill::NextClose,
            fill_defaulted: true,
            commission_bps: 0.0,
            fixed_cost: 0.0,
            slippage_bps: 0.0,
            min_trade_bps: 1.0,
        }
    }
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
    pub tolerances: Vec<(crate::stats::Metric, f64)>,
    /// Also require the equity-curve and trade-list hashes to match exactly.
    pub hashes: bool,
}

/// Default tolerance of checked metrics: results are bit-identical on the same code and data,
/// so this only absorbs last-digit differences of libm across platforms.
pub const DEFAULT_TOLERANCE: f64 = 1e-9;

impl Default for CheckSpec {
    fn default() -> Self {
        CheckSpec {
            tolerance: DEFAULT_TOLERANCE,
            tolerances: vec![],
            hashes: true,
        }
    }
}

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
    /// Where `start` and `end` are written, for messages about the range.
    #[serde(skip)]
    pub dates_at: (Range<usize>, Range<usize>),
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
    /// `[regimes]`: named conditions the results are broken down by, in file order.
    #[serde(serialize_with = "ser_pairs")]
    pub regimes: Vec<(String, ExprSrc)>,
    /// `[sweep]`, read with the file; `None` without one.
    #[serde(skip)]
    pub sweep: Option<super::sweep::SweepSpec>,
    /// The file this came from, and its text (for error positions found later).
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub text: String,
    /// Problems that do not stop a run (an unused declaration), with their place in the file:
    /// printed as `warning:` lines by `run` and `validate`.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

/// Writes name/value pairs as a JSON object, in file order.
fn ser_pairs<S: serde::Serializer, K: Serialize, T: Serialize>(
    pairs: &[(K, T)],
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

/// A strategy's trading settings as written (basis points, bars): what `plan::trading` turns
/// into the simulator's units, the one conversion runs and sweeps share, and all that a sweep of
/// a trading path (`execution.commission_bps`, `rebalance.every`, ...) changes.
#[derive(Debug, Clone)]
pub struct TradingSpec {
    pub execution: ExecutionSpec,
    pub financing_spread_bps: f64,
    pub borrow_fee_bps: f64,
    pub rebalance: RebalanceSpec,
    pub initial_capital: f64,
}

impl Strategy {
    /// The trading settings, gathered from their sections.
    pub fn trading(&self) -> TradingSpec {
        TradingSpec {
            execution: self.execution.clone(),
            financing_spread_bps: self.cash.financing_spread_bps,
            borrow_fee_bps: self.cash.borrow_fee_bps,
            rebalance: self.rebalance.clone(),
            initial_capital: self.initial_capital,
        }
    }

    /// Writes trading settings back into their sections.
    pub fn set_trading(&mut self, t: TradingSpec) {
        self.execution = t.execution;
        self.cash.financing_spread_bps = t.financing_spread_bps;
        self.cash.borrow_fee_bps = t.borrow_fee_bps;
        self.rebalance = t.rebalance;
        self.initial_capital = t.initial_capital;
    }

    /// A strategy of the shared sections only, everything else at its default: what an event
    /// study loads and compiles (it has no rules).
    pub(crate) fn from_common(path: &Path, text: &str, c: super::common::Common) -> Strategy {
        Strategy {
            version: FORMAT_VERSION,
            name: c.name,
            description: c.description,
            start: c.start,
            end: c.end,
            dates_at: c.dates_at,
            warmup: c.warmup,
            initial_capital: DEFAULT_CAPITAL,
            params: c.params,
            assets: c.assets,
            series: c.series,
            cash: c.cash,
            signals: c.signals,
            rules: vec![],
            rebalance: RebalanceSpec::default(),
            execution: ExecutionSpec::default(),
            benchmarks: vec![],
            check: CheckSpec::default(),
            regimes: vec![],
            sweep: None,
            path: path.to_path_buf(),
            text: text.to_owned(),
            warnings: vec![],
        }
    }

    /// Every data source the strategy names, in file order: assets (a synthetic fund's splice,
    /// none for a synthetic fund without one), series, the cash rate.
    pub fn data_sources(&self) -> Vec<&Source> {
        let assets = self
            .assets
            .iter()
            .filter(|a| a.synthetic.as_ref().is_none_or(|s| s.spliced))
            .map(|a| &a.source);
        assets
            .chain(self.series.iter().map(|s| &s.source))
            .chain(self.cash.rate.iter())
            .collect()
    }

    /// Every file a run of this strategy reads: the strategy itself and its data files.
    pub fn input_files(&self) -> Vec<&Path> {
        let mut out = vec![self.path.as_path()];
        out.extend(self.data_sources().into_iter().map(|s| s.file.as_path()));
        out
    }

    /// A diagnostic pointing at `span` of this strategy's file.
    pub fn diag(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> Diagnostic {
        SourceFile::new(&self.path, &self.text).diag(span.start, key, message)
    }
}
