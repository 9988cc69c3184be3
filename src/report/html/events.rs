//! The report of `rotor events`, from its folder's `summary.json`.

use super::svg::{self, Lines, Series};
use super::{engine, figure, num_cell, number as f, page, section};
use crate::report::{fixed, pct};
use maud::{html, Markup};
use serde_json::Value;

fn p(v: &Value) -> String {
    if v.is_null() {
        "n/a".into()
    } else {
        pct(f(v))
    }
}

pub fn render(doc: &Value) -> Markup {
    let s = &doc["study"];
    let name = s["name"].as_str().unwrap_or("events").to_owned();
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let (events, horizons, path) = (list(&s["events"]), list(&s["horizons"]), list(&s["path"]));
    let inputs: Vec<String> = list(&s["input_names"])
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_owned())
        .collect();
    let measure = match &s["measure"] {
        Value::String(a) => format!("the forward return of {a}"),
        m => format!(
            "the forward return of {} minus that of {}",
            m["long"].as_str().unwrap_or(""),
            m["short"].as_str().unwrap_or("")
        ),
    };
    let b = &s["bootstrap"];
    let bars: Vec<f64> = path.iter().map(|x| f(&x["bar"])).collect();
    let pick = |k: &str| -> Vec<f64> { path.iter().map(|x| f(&x[k])).collect() };
    let (mean, low, high, all) = (pick("mean"), pick("low"), pick("high"), pick("all_days"));
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
            @if let Some(d) = doc["study"]["description"].as_str() { p { (d) } }
            dl.facts {
                dt { "Condition" } dd { code { (s["condition"].as_str().unwrap_or("")) } }
                dt { "Period" } dd { (s["start"].as_str().unwrap_or("")) " to " (s["end"].as_str().unwrap_or("")) ", " (s["bars"]) " bars" }
                dt { "Events" } dd { (events.len()) " (the condition held on " (s["condition_days"]) " days; cooldown " (s["cooldown"]) " bars)" }
                dt { "Measured" } dd { (measure) }
                dt { "Engine" } dd { (engine(doc)) }
            }
        }
        (section("horizons", "What came next", html! {
            div.wide { table {
                thead { tr { th.num { "horizon" } th.num { "events" } th.num { "missing" } th.num { "mean" } th.num { "median" } th.num { "hit" }
                    th.num { "all days mean" } th.num { "difference" } th.num { "low" } th.num { "high" } th.num { "p" } } }
                tbody { @for h in &horizons { tr {
                    td.num { "+" (h["horizon"]) } td.num { (h["events"]) } td.num { (h["missing"]) }
                    (num_cell(&p(&h["mean"]), f(&h["mean"]))) (num_cell(&p(&h["median"]), f(&h["median"])))
                    (num_cell(&p(&h["hit_rate"]), f(&h["hit_rate"]))) (num_cell(&p(&h["all_mean"]), f(&h["all_mean"])))
                    (num_cell(&p(&h["difference"]), f(&h["difference"])))
                    (num_cell(&p(&h["ci_low"]), f(&h["ci_low"]))) (num_cell(&p(&h["ci_high"]), f(&h["ci_high"])))
                    (num_cell(&if h["p_value"].is_null() { "n/a".into() } else { crate::report::p_text(f(&h["p_value"])) }, f(&h["p_value"])))
                } } }
            } }
            p.muted { "Difference: mean after events minus mean over all days, with a " (fixed(f(&b["confidence"]) * 100.0, 0)) " % interval and a two-sided p-value from a "
                (b["method"].as_str().unwrap_or("")) " (" (b["samples"]) " samples, blocks of " (b["block"]) " bars, seed " (b["seed"]) "). Missing: events too close to the end of the data for the horizon." }
        }))
        (section("path", "Average path", figure(chart, "Mean cumulative forward return after events, shaded: its 95 % event-resampling band; and the mean over all days.")))
        (section("events", "Events", html! {
            div.wide { table {
                thead { tr { th { "date" } @for n in &inputs { th.num { (n) } }
                    @for h in &horizons { th.num { "+" (h["horizon"]) } } } }
                tbody { @for e in &events { tr {
                    td { (e["date"].as_str().unwrap_or("")) }
                    @for v in list(&e["inputs"]) { (num_cell(&fixed(f(&v), 4), f(&v))) }
                    @for v in list(&e["forward"]) { (num_cell(&p(&v), f(&v))) }
                } } }
            } }
        }))
    };
    page(&format!("{name}: rotor event study"), body)
}
