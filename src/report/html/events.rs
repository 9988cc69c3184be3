//! The report of `rotor events`, from its folder's `summary.json`.

use super::svg::{self, Lines, Series};
use super::{figure, num_cell, page, section};
use crate::events::file::Measure;
use crate::report::events::EventsSummary;
use crate::report::{fixed, pct};
use maud::{html, Markup};

fn p(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), pct)
}

fn nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

pub fn render(doc: &EventsSummary) -> Markup {
    let s = &doc.study;
    let name = &s.name;
    let (events, horizons, path) = (&s.events, &s.horizons, &s.path);
    let inputs = &s.input_names;
    let measure = match &s.measure {
        Measure::Asset(a) => format!("the forward return of {a}"),
        Measure::Spread { long, short } => {
            format!("the forward return of {long} minus that of {short}")
        }
    };
    let b = &s.bootstrap;
    let bars: Vec<f64> = path.iter().map(|x| x.bar as f64).collect();
    let (mean, low, high): (Vec<f64>, Vec<f64>, Vec<f64>) = (
        path.iter().map(|x| nan(x.mean)).collect(),
        path.iter().map(|x| nan(x.low)).collect(),
        path.iter().map(|x| nan(x.high)).collect(),
    );
    let all: Vec<f64> = path.iter().map(|x| x.all_days).collect();
    let chart = svg::lines(&Lines {
        label: "Average path after events",
        x: &bars,
        series: vec![
            Series {
                name: "after events (mean)",
                values: &mean,
            },
            Series {
                name: "all days",
                values: &all,
            },
        ],
        log: false,
        format: &|v| format!("{:.1}%", v * 100.0),
        bands: vec![],
        fill: false,
        zero: true,
        dates: false,
        interval: Some((&low, &high)),
        regions: vec![],
        region_names: vec![],
    });
    let body = html! {
        section id="header" {
            h1 { (name) ": event study" }
            dl.facts {
                dt { "Condition" } dd { code { (s.condition) } }
                dt { "Period" } dd { (s.start) " to " (s.end) ", " (s.bars) " bars" }
                dt { "Events" } dd { (events.len()) " (the condition held on " (s.condition_days) " days; cooldown " (s.cooldown) " bars)" }
                dt { "Measured" } dd { (measure) }
                dt { "Engine" } dd { "rotor " (doc.engine.version) }
            }
        }
        (section("horizons", "What came next", html! {
            div.wide { table {
                thead { tr { th.num { "horizon" } th.num { "events" } th.num { "missing" } th.num { "mean" } th.num { "median" } th.num { "hit" }
                    th.num { "all days mean" } th.num { "difference" } th.num { "low" } th.num { "high" } th.num { "p" } } }
                tbody { @for h in horizons { tr {
                    td.num { "+" (h.horizon) } td.num { (h.events) } td.num { (h.missing) }
                    (num_cell(&p(h.mean), nan(h.mean))) (num_cell(&p(h.median), nan(h.median)))
                    (num_cell(&p(h.hit_rate), nan(h.hit_rate))) (num_cell(&pct(h.all_mean), h.all_mean))
                    (num_cell(&p(h.difference), nan(h.difference)))
                    (num_cell(&p(h.ci_low), nan(h.ci_low))) (num_cell(&p(h.ci_high), nan(h.ci_high)))
                    (num_cell(&h.p_value.map_or_else(|| "n/a".into(), crate::report::p_text), nan(h.p_value)))
                } } }
            } }
            p.muted { "Difference: mean after events minus mean over all days, with a " (fixed(b.settings.confidence * 100.0, 0)) " % interval and a two-sided p-value from a "
                (b.method) " (" (b.settings.samples) " samples, blocks of " (b.settings.block) " bars, seed " (b.settings.seed) "). Missing: events too close to the end of the data for the horizon." }
        }))
        (section("path", "Average path", figure(chart, "Mean cumulative forward return after events, shaded: its 95 % event-resampling band; and the mean over all days.")))
        (section("events", "Events", html! {
            div.wide { table {
                thead { tr { th { "date" } @for n in inputs { th.num { (n) } }
                    @for h in horizons { th.num { "+" (h.horizon) } } } }
                tbody { @for e in events { tr {
                    td { (e.date) }
                    @for v in &e.inputs { (num_cell(&fixed(*v, 4), *v)) }
                    @for v in &e.forward { (num_cell(&p(*v), nan(*v))) }
                } } }
            } }
        }))
    };
    page(&format!("{name}: rotor event study"), body)
}
