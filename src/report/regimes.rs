//! The regimes of a run in its outputs: `regimes.csv` (which regimes held at each close), the
//! terminal table and its columns (shared with the report), and the warnings about regimes that
//! never hold.

use super::{f2, p, pct, Cell};
use crate::data::Panel;
use crate::date;
use crate::error::Diagnostic;
use crate::spec::Strategy;
use crate::stats::regime::{return_days, Perf, Regime, Regimes};
use std::fmt::Write as _;

/// The file of regime membership.
pub const FILE: &str = "regimes.csv";

/// Which regimes held at each close: (name, condition, one flag per bar of the run).
pub type Held = Vec<(String, String, Vec<bool>)>;

/// A regime's performance columns (terminal heading, `stats.json` key, cell), for the terminal
/// summary and the report's `regimes` section alike.
pub type Column = (&'static str, &'static str, fn(&Perf) -> Cell);

pub const COLUMNS: &[Column] = &[
    ("return", "annual_return", |r| p(r.annual_return)),
    ("volatility", "volatility", |r| p(r.volatility)),
    ("Sharpe", "sharpe", |r| f2(r.sharpe)),
    ("hit rate", "hit_rate", |r| p(r.hit_rate)),
    ("worst DD", "worst_drawdown", |r| p(r.worst_drawdown)),
];

/// What `rotor check` compares of each regime: its share of days and the strategy's numbers in
/// it (the keys of [`COLUMNS`]).
pub fn checked_keys() -> Vec<&'static str> {
    std::iter::once("share")
        .chain(COLUMNS.iter().map(|(_, key, _)| *key))
        .collect()
}

/// The values of [`checked_keys`] for one regime.
pub fn checked(row: &Regime) -> Vec<(&'static str, f64)> {
    std::iter::once(("share", row.share))
        .chain(
            COLUMNS
                .iter()
                .map(|(_, key, cell)| (*key, cell(&row.strategy).value.unwrap_or(f64::NAN))),
        )
        .collect()
}

/// `date,<regime>...`: 1 where the regime held at the close, else 0.
pub fn csv(panel: &Panel, held: &Held) -> String {
    let mut head = vec!["date"];
    head.extend(held.iter().map(|(n, _, _)| n.as_str()));
    let mut c = super::csv::Csv::text(head);
    for t in 0..panel.len() {
        let mut row = vec![date::format(panel.dates[t])];
        row.extend(
            held.iter()
                .map(|(_, _, h)| if h[t] { "1" } else { "0" }.to_string()),
        );
        c.put(row);
    }
    c.into_string()
}

/// A warning for each regime that holds on no day of the run, naming its place in the strategy
/// file (a warning, not an error: the run is still valid, the regime's numbers are undefined).
pub fn warnings(strategy: &Strategy, panel: &Panel, held: &Held) -> Vec<Diagnostic> {
    let range = format!(
        "{} to {}",
        date::format(panel.dates[0]),
        date::format(panel.dates[panel.len() - 1])
    );
    strategy
        .regimes
        .iter()
        .zip(held)
        .filter(|(_, (_, _, h))| !return_days(h).contains(&true))
        .map(|((_, src), _)| {
            strategy.diag(
                &src.span,
                &src.key,
                format!("the regime never holds on a day of the run ({range}): its statistics are undefined"),
            )
        })
        .collect()
}

/// A signed percentage for differences.
fn signed(v: f64) -> String {
    if v.is_finite() {
        // A difference that rounds to zero is shown as +0.00%, whatever its sign.
        let s = format!("{:+.2}%", v * 100.0);
        if s == "-0.00%" {
            "+0.00%".into()
        } else {
            s
        }
    } else {
        "n/a".into()
    }
}

/// The difference column's text: `+1.23% [-0.40%, +2.90%]`.
pub fn difference_text(d: &crate::stats::confidence::Interval) -> String {
    format!(
        "{} [{}, {}]",
        signed(d.value),
        signed(d.low),
        signed(d.high)
    )
}

/// The terminal table: per regime its days, share and spells, then a line for the strategy and
/// one per benchmark with the strategy's difference from it.
pub fn summary(strategy_name: &str, regimes: &Regimes) -> String {
    // Cells first, so each column is as wide as its widest cell.
    let mut lines: Vec<Vec<String>> = vec![];
    for r in &regimes.rows {
        let mut line = vec![
            r.name.clone(),
            r.days.to_string(),
            pct(r.share),
            r.spells.to_string(),
            strategy_name.to_owned(),
        ];
        line.extend(COLUMNS.iter().map(|(_, _, cell)| cell(&r.strategy).text));
        line.push(String::new());
        lines.push(line);
        for b in &r.benchmarks {
            let mut line = vec![String::new(); 4];
            line.push(b.benchmark.clone());
            line.extend(COLUMNS.iter().map(|(_, _, cell)| cell(&b.perf).text));
            line.push(difference_text(&b.difference));
            lines.push(line);
        }
    }
    let mut head = vec!["regime", "days", "share", "spells", "series"];
    head.extend(COLUMNS.iter().map(|c| c.0));
    head.push("strategy - benchmark");
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].len())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!(
        "\nRegimes (a day's return counts in the regimes that held at the previous close; strategy - benchmark: annualised return, {:.0}% bootstrap interval)\n",
        regimes.settings.level * 100.0
    );
    let row = |out: &mut String, cells: &[&str]| {
        let last = cells.len() - 1;
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            match i {
                0 | 4 => {
                    let _ = write!(out, "{c:w$}  ");
                }
                _ if i == last => out.push_str(c),
                _ => {
                    let _ = write!(out, "{c:>w$}  ");
                }
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    };
    row(&mut out, &head);
    for l in &lines {
        row(&mut out, &l.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}
