//! The `regimes` section of the run report: the equity curve shaded by regime, and the table of
//! each regime's statistics (the terminal's columns, from `stats.json`).

use super::svg::{self, Lines, Series};
use super::{figure, num_cell, section};
use crate::report::pct;
use crate::report::regimes::{difference_text, COLUMNS};
use crate::stats::regime::Regimes;
use maud::{html, Markup};

/// Most regimes one chart shades (one colour each).
const PER_CHART: usize = 6;

/// Regimes in file order, grouped so that the regimes of a group never hold on the same bar
/// (each chart's shading is then unambiguous): a regime joins the current group when it is
/// exclusive of every member and the group has room, else it starts the next group.
fn groups(held: &[(String, Vec<bool>)]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![];
    for (i, (_, h)) in held.iter().enumerate() {
        let fits = out.last().is_some_and(|g| {
            g.len() < PER_CHART
                && g.iter()
                    .all(|&j| !h.iter().zip(&held[j].1).any(|(a, b)| *a && *b))
        });
        match out.last_mut() {
            Some(g) if fits => g.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Spells of `held` as date ranges: from the first bar's date to the date after its last bar
/// (the span its returns were earned over), or the last date.
fn spans(days: &[f64], held: &[bool]) -> Vec<(f64, f64)> {
    let mut out = vec![];
    let mut start = None;
    for t in 0..=held.len() {
        let on = t < held.len() && held[t];
        match (on, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push((days[s], days[t.min(days.len() - 1)]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The section: a chart per group of exclusive regimes, then the table.
pub fn render(
    name: &str,
    regimes: &Regimes,
    held: &[(String, Vec<bool>)],
    days: &[f64],
    series: &[Series],
    money: &dyn Fn(f64) -> String,
) -> Markup {
    let charts: Vec<String> = groups(held)
        .iter()
        .map(|g| {
            let regions = g
                .iter()
                .enumerate()
                .flat_map(|(k, &i)| {
                    spans(days, &held[i].1)
                        .into_iter()
                        .map(move |(a, b)| (k, a, b))
                })
                .collect();
            svg::lines(&Lines {
                label: "Growth of the initial capital (log scale), shaded by regime",
                x: days,
                series: series
                    .iter()
                    .map(|s| Series {
                        name: s.name,
                        values: s.values,
                    })
                    .collect(),
                log: true,
                format: money,
                bands: vec![],
                fill: false,
                zero: false,
                dates: true,
                interval: None,
                regions,
                region_names: g.iter().map(|&i| held[i].0.as_str()).collect(),
            })
        })
        .collect();
    let level = pct(regimes.settings.level).replace(".00", "");
    section(
        "regimes",
        "Regimes",
        html! {
            p.muted {
                "A day's return counts in the regimes that held at the previous close. A regime's days are chained: its return is annualised by their count (252 a year), its worst drawdown is that of the chained days. Strategy - benchmark: the difference in annualised return, with a " (level) " interval from a block bootstrap of the regime's paired days (" (regimes.settings.samples) " samples, blocks of " (regimes.settings.block) " days, seed " (regimes.settings.seed) ")."
            }
            @for c in charts {
                (figure(c, "Equity of the strategy and its benchmarks, log scale; shaded: the bars on which each regime held (regimes that can hold together are on separate charts)."))
            }
            div.wide { table {
                thead { tr {
                    th { "regime" } th { "series" } th.num { "days" } th.num { "share" } th.num { "spells" }
                    @for (h, _, _) in COLUMNS { th.num { (h) } }
                    th.num { "strategy - benchmark [" (level) "]" }
                } }
                tbody { @for r in &regimes.rows {
                    tr data-key=(r.name) {
                        th title=(r.condition) { (r.name) }
                        td { (name) }
                        (num_cell(&r.days.to_string(), r.days as f64))
                        (num_cell(&pct(r.share), r.share))
                        (num_cell(&r.spells.to_string(), r.spells as f64))
                        @for (_, _, cell) in COLUMNS {
                            @let c = cell(&r.strategy);
                            (num_cell(&c.text, c.value.unwrap_or(f64::NAN)))
                        }
                        td {}
                    }
                    @for b in &r.benchmarks {
                        tr data-key={ (r.name) "/" (b.benchmark) } {
                            th {} td { (b.benchmark) } td {} td {} td {}
                            @for (_, _, cell) in COLUMNS {
                                @let c = cell(&b.perf);
                                (num_cell(&c.text, c.value.unwrap_or(f64::NAN)))
                            }
                            (num_cell(&difference_text(&b.difference), b.difference.value))
                        }
                    }
                } }
            } }
            p.muted { "Conditions: " @for (i, r) in regimes.rows.iter().skip(1).enumerate() {
                @if i > 0 { "; " } code { (r.name) " = " (r.condition) }
            } }
        },
    )
}
