//! The sections strategies and event files share: the header (`version`, `name`,
//! `description`, `start`, `end`, `warmup`), `[params]`, `[assets]`, `[series]`, `[cash]` and
//! `[signals]`, read once here with every check that goes with them: the name is a safe folder
//! name, and params, assets, series and signals share one namespace.

use super::reader::{join, number_of, table_of, valid_name, Cx, Table};
use super::types::*;
use super::value::{Node, Value};
use crate::date::{self, Date};
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

/// Keys of the shared sections, for a file's list of allowed top-level keys.
pub(crate) const COMMON_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "start",
    "end",
    "warmup",
    "params",
    "assets",
    "series",
    "cash",
    "signals",
];

/// The shared sections, as read.
pub(crate) struct Common {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub start: Option<Date>,
    pub end: Option<Date>,
    /// Where `start` and `end` are written (empty when they are not).
    pub dates_at: (Range<usize>, Range<usize>),
    pub warmup: Warmup,
    pub params: Vec<(String, f64)>,
    pub assets: Vec<AssetSpec>,
    pub series: Vec<SeriesSpec>,
    pub cash: CashSpec,
    pub signals: Vec<(String, ExprSrc)>,
}

/// Reads the shared sections of a strategy or event file.
pub(crate) fn read_common(cx: &mut Cx, top: &mut Table) -> Common {
    let version = read_version(cx, top);
    let name = read_name(cx, top);
    let description = top
        .string(cx, "description")
        .map(|s| s.0)
        .unwrap_or_default();
    let (start, end) = read_dates(cx, top);
    let at = |top: &mut Table, key| top.get(key).map(|n| n.span()).unwrap_or_default();
    let dates_at = (at(top, "start"), at(top, "end"));
    let warmup = read_warmup(cx, top);
    let params = read_params(cx, top);
    let assets = read_assets(cx, top);
    let series = read_series(cx, top);
    let cash = read_cash(cx, top);
    let signals = read_signals(cx, top);
    let param_spans = key_spans(top, "params");
    check_namespace(cx, &param_spans, &assets, &series, &signals);
    if assets.is_empty() && !top.entries.iter().any(|(k, _)| k.get_ref() == "assets") {
        cx.err(
            &(0..0),
            "assets",
            "missing required table [assets] (at least one traded asset)",
        );
    }
    Common {
        version,
        name,
        description,
        start,
        dates_at,
        end,
        warmup,
        params,
        assets,
        series,
        cash,
        signals,
    }
}

fn read_version(cx: &mut Cx, top: &mut Table) -> i64 {
    match top.integer(cx, "version", 0, i64::MAX) {
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
    }
}

/// Whether `name` can name an output folder: letters, digits, `-`, `_` and `.`, not starting
/// with a `.` (so never `..`, a path separator or a hidden file). Every command that writes a
/// folder named after a file's `name` relies on this check.
pub fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn read_name(cx: &mut Cx, top: &mut Table) -> String {
    match top.req_string(cx, "name") {
        Some((n, span)) => {
            if !is_folder_name(&n) {
                cx.err(&span, "name", format!("expected a name of letters, digits, '-', '_' or '.' not starting with '.' (it names the output folder), found \"{n}\""));
            }
            n
        }
        None => String::new(),
    }
}

fn read_dates(cx: &mut Cx, top: &mut Table) -> (Option<Date>, Option<Date>) {
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
    (start, end)
}

/// The keys of a top-level table with their places in the file.
fn key_spans(top: &Table, section: &str) -> Vec<(String, Range<usize>)> {
    top.entries
        .iter()
        .filter(|(k, _)| k.get_ref() == section)
        .filter_map(|(_, node)| match node.get_ref() {
            Value::Table(entries) => Some(entries),
            _ => None,
        })
        .flatten()
        .map(|(k, _)| (k.get_ref().clone(), k.span()))
        .collect()
}

/// Names share one namespace in expressions: each may be declared once, and none may be a
/// keyword or a function name.
fn check_namespace(
    cx: &mut Cx,
    params: &[(String, Range<usize>)],
    assets: &[AssetSpec],
    series: &[SeriesSpec],
    signals: &[(String, ExprSrc)],
) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let reserved = ["cash", "_", "and", "or", "not", "true", "false"];
    // In file order, so the later of two declarations is the one reported.
    let mut named: Vec<(&str, &str, Range<usize>)> = params
        .iter()
        .map(|(n, span)| (n.as_str(), "params", span.clone()))
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
        )
        .collect();
    named.sort_by_key(|(_, _, span)| span.start);
    let mut errors = Vec::new();
    for (n, section, span) in named {
        if reserved.contains(&n) || crate::expr::is_function(n) {
            errors.push((
                span.clone(),
                format!("{section}.{n}"),
                format!("`{n}` is reserved (a keyword or function name); choose another name"),
            ));
        } else if n == "date" {
            errors.push((
                span.clone(),
                format!("{section}.{n}"),
                "`date` is the first column of every file rotor writes (weights.csv has a column per asset); choose another name".into(),
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(m, _)| *m == n) {
            errors.push((span, format!("{section}.{n}"), format!("the name `{n}` is already used in [{other}]; names must be unique across params, assets, series and signals")));
        } else {
            seen.push((n, section));
        }
    }
    for (span, key, msg) in errors {
        cx.err(&span, &key, msg);
    }
}

/// `warmup = "all"` (the default), or a whole number of bars (0 turns warm-up off).
pub(crate) fn read_warmup(cx: &mut Cx, top: &mut Table) -> Warmup {
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
pub(crate) fn named<T>(
    cx: &mut Cx,
    top: &mut Table,
    section: &str,
    what: &str,
    read: impl Fn(&mut Cx, &Node, &str) -> Option<T>,
) -> Vec<(String, T)> {
    let Some(t) = top.table(cx, section) else {
        return vec![];
    };
    entries(cx, &t, section, what)
        .filter_map(|(name, node, key)| Some((name.get_ref().clone(), read(cx, node, &key)?)))
        .collect()
}

/// The entries of a table whose keys are names usable in expressions, each name checked:
/// (name with its place, value, key path).
pub(crate) fn entries<'t>(
    cx: &mut Cx,
    t: &Table<'t>,
    section: &str,
    what: &str,
) -> impl Iterator<Item = (&'t Spanned<String>, &'t Node, String)> {
    for (k, _) in t.entries {
        if !valid_name(k.get_ref()) {
            cx.err(
                &k.span(),
                &join(section, k.get_ref()),
                format!("expected a {what} name of letters, digits and '_' starting with a letter"),
            );
        }
    }
    let section = section.to_owned();
    t.entries
        .iter()
        .map(move |(k, node)| (k, node, join(&section, k.get_ref())))
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
    let kinds: &[(&str, SeriesKind)] = &[
        ("price", SeriesKind::Price),
        ("returns", SeriesKind::Returns),
        ("rate", SeriesKind::Rate),
    ];
    let kinds = if allow_rate { kinds } else { &kinds[..2] };
    let kind = t.choice(cx, "kind", kinds).unwrap_or(SeriesKind::Price);
    let unit_given = t.entries.iter().any(|(k, _)| k.get_ref() == "unit");
    let unit = match t.choice(
        cx,
        "unit",
        &[("percent", Unit::Percent), ("decimal", Unit::Decimal)],
    ) {
        Some(u) => u,
        None if kind == SeriesKind::Rate => Unit::Percent,
        None => Unit::Decimal,
    };
    if kind == SeriesKind::Returns && !unit_given {
        let span = t.span.clone();
        cx.err(&span, &t.path("unit"), "a `kind = \"returns\"` series needs `unit = \"percent\"` or `unit = \"decimal\"` (guessing would silently scale returns by 100)");
    }
    let (file, span) = file?;
    Some(Source {
        file: super::data_path(cx.path, &file),
        column: column?.0,
        date_column,
        kind,
        unit,
        span,
        key: t.path("file"),
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
    for (name, node, key) in entries(cx, &t, "assets", "asset") {
        let Some(mut at) = table_of(cx, node, &key) else {
            continue;
        };
        let syn_node = at.get("synthetic");
        let splice_node = at.get("splice");
        let synthetic = syn_node
            .and_then(|n| read_synthetic(cx, n, &join(&key, "synthetic")))
            .map(|s| Synthetic {
                spliced: splice_node.is_some(),
                ..s
            });
        let source = match (syn_node, splice_node) {
            (Some(_), Some(splice)) => {
                let path = join(&key, "splice");
                table_of(cx, splice, &path).and_then(|mut st| {
                    let src = read_source(cx, &mut st, false);
                    st.finish(cx, &["file", "column", "date_column"]);
                    src
                })
            }
            (None, Some(splice)) => {
                cx.err(&splice.span(), &join(&key, "splice"), "`splice` needs `synthetic`: it names the real fund that replaces the synthetic one from its first date");
                read_source(cx, &mut at, false)
            }
            // No file: messages about the asset's dates name the strategy file.
            (Some(_), None) => Some(Source {
                file: cx.path.to_path_buf(),
                column: "synthetic".into(),
                ..placeholder_source(node.span())
            }),
            (None, None) => read_source(cx, &mut at, false),
        };
        if syn_node.is_some() {
            if let Some(f) = at.get("file") {
                cx.err(&f.span(), &join(&key, "file"), "an asset is either read from a `file` or `synthetic`, not both (put the real fund in `splice = { file, column }`)");
            }
            let _ = at.get("column"); // reported with `file`
        }
        let open = at.string(cx, "open").map(|s| s.0);
        let missing = at
            .choice(
                cx,
                "missing",
                &[
                    ("error", MissingPolicy::Error),
                    ("ffill", MissingPolicy::Ffill),
                ],
            )
            .unwrap_or(MissingPolicy::Error);
        let dividend_yield_bps = at.non_negative(cx, "dividend_yield_bps", 0.0);
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
        if dividend_yield_bps > 0.0 {
            let span = at
                .get("dividend_yield_bps")
                .map(|n| n.span())
                .unwrap_or_default();
            let path = join(&key, "dividend_yield_bps");
            if syn_node.is_some() || source.as_ref().is_some_and(|s| s.kind != SeriesKind::Price) {
                cx.err(&span, &path, "a dividend yield is added to a price index (`kind = \"price\"`), not to returns or a synthetic fund");
            } else if open.is_some() {
                cx.err(&span, &path, "a dividend yield cannot be combined with `open` (the opening prices would be on another basis)");
            }
        }
        if syn_node.is_some() && open.is_some() {
            let span = at.get("open").map(|n| n.span()).unwrap_or_default();
            cx.err(
                &span,
                &join(&key, "open"),
                "a synthetic fund has no opening prices: it fills at closes",
            );
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
                "dividend_yield_bps",
                "synthetic",
                "splice",
            ],
        );
        // An asset whose entry has errors is still named, so expressions that use it do not
        // report a second, misleading "unknown name" (the run is refused anyway).
        let source = source.unwrap_or_else(|| placeholder_source(node.span()));
        out.push(AssetSpec {
            name: name.get_ref().clone(),
            source,
            open,
            missing,
            dividend_yield_bps,
            synthetic,
            span: name.span(),
        });
    }
    check_underlyings(cx, &out);
    out
}

/// `synthetic = { underlying, leverage, expense_bps, spread_bps }`.
fn read_synthetic(cx: &mut Cx, node: &Node, path: &str) -> Option<Synthetic> {
    let mut t = table_of(cx, node, path)?;
    let underlying = t.req_string(cx, "underlying");
    let leverage = match t.number(cx, "leverage") {
        Some((v, span)) if v == 0.0 || v.abs() > 10.0 => {
            cx.err(&span, &join(path, "leverage"), format!("expected a leverage other than 0, at most 10 either way (3 for a 3x fund, -1 for an inverse fund), found {v}"));
            None
        }
        Some((v, _)) => Some(v),
        None => {
            if t.get("leverage").is_none() {
                let span = t.span.clone();
                cx.err(
                    &span,
                    &join(path, "leverage"),
                    "missing required key (a number: 3 for a 3x fund, -1 for an inverse fund)",
                );
            }
            None
        }
    };
    let expense_bps = t.non_negative(cx, "expense_bps", 0.0);
    let spread_bps = t.non_negative(cx, "spread_bps", 0.0);
    t.finish(cx, &["underlying", "leverage", "expense_bps", "spread_bps"]);
    let (underlying, span) = underlying?;
    Some(Synthetic {
        underlying,
        leverage: leverage?,
        expense_bps,
        spread_bps,
        spliced: false,
        span,
    })
}

/// A synthetic fund's underlying is another asset of the file, read from a file.
fn check_underlyings(cx: &mut Cx, assets: &[AssetSpec]) {
    for a in assets {
        let Some(s) = &a.synthetic else { continue };
        let key = format!("assets.{}.synthetic.underlying", a.name);
        match assets.iter().find(|b| b.name == s.underlying) {
            None => {
                let names: Vec<&str> = assets
                    .iter()
                    .filter(|b| b.synthetic.is_none())
                    .map(|b| b.name.as_str())
                    .collect();
                cx.err(
                    &s.span,
                    &key,
                    format!(
                        "unknown asset `{}`; the underlying is an asset read from a file: {}",
                        s.underlying,
                        names.join(", ")
                    ),
                );
            }
            Some(b) if b.synthetic.is_some() => {
                cx.err(&s.span, &key, format!("`{}` is synthetic itself; the underlying must be an asset read from a file", s.underlying));
            }
            Some(_) => {}
        }
    }
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
        key: String::new(),
    }
}

pub(crate) fn read_series(cx: &mut Cx, top: &mut Table) -> Vec<SeriesSpec> {
    let Some(t) = top.table(cx, "series") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (name, node, key) in entries(cx, &t, "series", "series") {
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
            .integer(cx, "lag_days", 0, super::MAX_DAYS)
            .map(|v| v.0 as u32)
            .unwrap_or(0);
        let max_stale_days = st
            .integer(cx, "max_stale_days", 0, super::MAX_DAYS)
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
                name: name.get_ref().clone(),
                source: Source {
                    file: super::data_path(cx.path, &file),
                    column,
                    date_column,
                    kind: SeriesKind::Price,
                    unit: Unit::Decimal,
                    span,
                    key: join(&key, "file"),
                },
                lag_days,
                max_stale_days,
                span: name.span(),
            });
        }
    }
    out
}

pub(crate) fn read_cash(cx: &mut Cx, top: &mut Table) -> CashSpec {
    let mut cash = CashSpec::default();
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
    if let Some((v, span)) = t.integer(cx, "day_count", 1, 366) {
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
    cash.financing_spread_bps =
        t.non_negative(cx, "financing_spread_bps", cash.financing_spread_bps);
    cash.borrow_fee_bps = t.non_negative(cx, "borrow_fee_bps", cash.borrow_fee_bps);
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
