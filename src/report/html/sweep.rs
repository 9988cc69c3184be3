//! The reports of `rotor sweep` and `rotor walkforward`, from their folders' `summary.json`
//! and CSV files.

use super::svg::{self, Lines, Series};
use super::{distinct, engine, figure, heat, num_cell, number as f, page, section, Csv};
use crate::error::Result;
use crate::report::fixed;
use crate::stats::Metric;
use maud::{html, Markup};
use serde_json::Value;
use std::path::Path;

fn show(m: Metric, v: f64) -> String {
    match m {
        Metric::Sharpe | Metric::Sortino | Metric::Calmar => fixed(v, 3),
        Metric::Trades => format!("{v}"),
        Metric::FinalEquity | Metric::TotalCosts => fixed(v, 2),
        _ => crate::report::pct(v),
    }
}

/// The sweep's heatmap pairs: those written as `heatmap_<x>_<y>.svg`, else the first two axes.
fn heatmap_pairs(dir: &Path, axes: &[(String, String)]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (i, (xn, _)) in axes.iter().enumerate() {
        for (j, (yn, _)) in axes.iter().enumerate() {
            if i != j && dir.join(format!("heatmap_{xn}_{yn}.svg")).is_file() {
                pairs.push((i, j));
            }
        }
    }
    if pairs.is_empty() && axes.len() >= 2 {
        pairs.push((0, 1));
    }
    pairs
}

pub fn render_sweep(dir: &Path, s: &Value) -> Result<Markup> {
    let name = s["strategy"].as_str().unwrap_or("strategy").to_owned();
    let rank =
        Metric::from_name(s["rank_by"].as_str().unwrap_or("sharpe")).unwrap_or(Metric::Sharpe);
    let axes: Vec<(String, String)> = s["axes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["name"].as_str().unwrap_or("").to_owned(),
                        x["path"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Only the ranking metric and the swept values of each row, from the Parquet file: a few
    // bytes a variant, however many there are.
    let wanted: Vec<String> = std::iter::once(rank.name().to_owned())
        .chain(axes.iter().map(|(_, p)| p.clone()))
        .collect();
    let rows = Csv::read_columns(&dir.join("sweep.parquet"), &wanted)?;
    let values = rows.metric_values(rank.name())?;
    let axis_values: Vec<Vec<f64>> = axes
        .iter()
        .map(|(_, p)| rows.metric_values(p))
        .collect::<Result<_>>()?;
    let best = s["best"]["variant"].as_u64().unwrap_or(0) as usize;
    let d = &s["distribution"];
    let h = &s["honesty"];
    let top = s["top"].as_array().cloned().unwrap_or_default();
    let body = html! {
        section id="header" {
            h1 { (name) ": parameter sweep" }
            dl.facts {
                dt { "Variants" } dd { (s["variants"]) " (" (s["variants_before_constraints"]) " before constraints)" }
                dt { "Swept" } dd { @for (i, (n, p)) in axes.iter().enumerate() {
                    @if i > 0 { ", " } code { (p) } " (" (n) ", " (distinct(&axis_values[i]).len()) " values)" } }
                @if let Some(c) = s["constraints"].as_array().filter(|c| !c.is_empty()) {
                    dt { "Constraints" } dd { @for x in c { code { (x.as_str().unwrap_or("")) } " " } }
                }
                dt { "Ranked by" } dd { (rank.name()) }
                dt { "Engine" } dd { (engine(s)) }
            }
        }
        (section("ranking", "Best variants", html! {
            div.wide { table {
                thead { tr { th.num { "rank" } th.num { "variant" } @for (n, _) in &axes { th.num { (n) } }
                    @for m in Metric::ALL { th.num { (m.name()) } } } }
                tbody { @for t in &top { tr {
                    td.num { (t["rank"]) } td.num { (t["variant"]) }
                    @for (_, p) in &axes { td.num { (f(&t["params"][p])) } }
                    @for m in Metric::ALL { @let v = f(&t["metrics"][m.name()]); (num_cell(&show(m, v), v)) }
                } } }
            } }
        }))
        (section("heatmaps", "Heatmaps", html! {
            @let pairs = heatmap_pairs(dir, &axes);
            @if pairs.is_empty() { p.muted { "One swept parameter: no heatmap (the ranking table and the distribution below show it)." } }
            @for (xa, ya) in pairs {
                (heatmap(&axes, &axis_values, &values, rank, (xa, ya), best))
            }
        }))
        (section("distribution", "The ranking metric over all variants", html! {
            (figure(svg::histogram(&format!("{} over all variants", rank.name()), &values, 40,
                &|v| fixed(v, 2), &[("winner", values.get(best).copied().unwrap_or(f64::NAN))]),
                &format!("Distribution of {} over the {} variants; the dashed line marks the winner.", rank.name(), values.len())))
            dl.facts {
                dt { "Mean, standard deviation" } dd { (fixed(f(&d["mean"]), 3)) ", " (fixed(f(&d["stdev"]), 3)) }
                dt { "5th, 50th, 95th percentile" } dd { (fixed(f(&d["p05"]), 3)) ", " (fixed(f(&d["median"]), 3)) ", " (fixed(f(&d["p95"]), 3)) }
                dt { "Winner" } dd { (fixed(f(&d["winner"]), 3)) ": " (fixed(f(&d["winner_z"]), 2)) " standard deviations above the mean, at or above " (fixed(f(&d["winner_percentile"]) * 100.0, 1)) " % of the variants" }
            }
        }))
        (section("honesty", "Is the winner's Sharpe ratio real?", html! {
            dl.facts {
                dt { "Probabilistic Sharpe ratio" } dd { (fixed(f(&h["probabilistic_sharpe"]), 3)) }
                dt { "Deflated Sharpe ratio" } dd { (fixed(f(&h["deflated_sharpe"]), 3)) }
                dt { "Trials" } dd { (h["trials"]) }
            }
            p { "The probabilistic Sharpe ratio is the probability that the winner's true Sharpe ratio is above zero, given how many returns it has and their skew and kurtosis." }
            p { "The deflated Sharpe ratio is the same probability against the Sharpe ratio that the best of " (h["trials"]) " strategies with no skill would show by luck (" (fixed(f(&h["expected_max_sharpe"]) * crate::signal::BARS_PER_YEAR.sqrt(), 3)) " a year here): below 0.95, the winner may just be the luckiest variant." }
        }))
    };
    Ok(page(&format!("{name}: rotor sweep report"), body))
}

/// The best value of the ranking metric in each (x, y) cell, as a coloured SVG grid.
fn heatmap(
    axes: &[(String, String)],
    cols: &[Vec<f64>],
    values: &[f64],
    rank: Metric,
    (xa, ya): (usize, usize),
    best: usize,
) -> Markup {
    let (xs, ys) = (distinct(&cols[xa]), distinct(&cols[ya]));
    let mut grid = vec![vec![f64::NAN; xs.len()]; ys.len()];
    for (i, v) in values.iter().enumerate() {
        let x = xs.iter().position(|a| *a == cols[xa][i]).unwrap_or(0);
        let y = ys.iter().position(|a| *a == cols[ya][i]).unwrap_or(0);
        let cell = &mut grid[y][x];
        if rank.best_first(*v, *cell) == std::cmp::Ordering::Less {
            *cell = *v;
        }
    }
    let finite: Vec<f64> = grid
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let mid = crate::stats::returns::median(&finite);
    let scale = finite.iter().map(|v| (v - mid).abs()).fold(0.0, f64::max);
    let sign = if rank.higher_is_better() == Some(false) {
        -1.0
    } else {
        1.0
    };
    let at = |v: &[f64], x: f64| v.iter().position(|a| *a == x);
    let mark = match (cols[xa].get(best), cols[ya].get(best)) {
        (Some(bx), Some(by)) => at(&xs, *bx).zip(at(&ys, *by)),
        _ => None,
    };
    let labels = |v: &[f64]| v.iter().map(|x| format!("{x}")).collect::<Vec<_>>();
    let chart = svg::heatmap(
        &format!("Best {} by {} and {}", rank.name(), axes[xa].0, axes[ya].0),
        &axes[xa].0,
        &labels(&xs),
        &axes[ya].0,
        &labels(&ys),
        &grid,
        &|v| heat(sign * (v - mid), scale),
        &|v| fixed(v, 3),
        mark,
    );
    figure(
        chart,
        &format!(
            "The best {} over the other parameters in each cell of {} (across) by {} (down): green better, red worse than the median cell; the outlined cell is the winner.",
            rank.name(),
            axes[xa].0,
            axes[ya].0
        ),
    )
}

pub fn render_walkforward(dir: &Path, s: &Value) -> Result<Markup> {
    let r = &s["result"];
    let name = s["strategy"].as_str().unwrap_or("strategy").to_owned();
    let metric = r["metric"].as_str().unwrap_or("sharpe").to_owned();
    let eq = Csv::read(&dir.join("oos_equity.csv"))?;
    let (days, equity) = (eq.days("date")?, eq.numbers("equity")?);
    let windows = r["windows"].as_array().cloned().unwrap_or_default();
    let axes: Vec<String> = s["axes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let labels: Vec<String> = (0..windows.len()).map(|k| k.to_string()).collect();
    let is: Vec<f64> = windows.iter().map(|w| f(&w["train_metric"])).collect();
    let oos: Vec<f64> = windows.iter().map(|w| f(&w["test_metric"])).collect();
    let o = &r["out_of_sample"];
    let body = html! {
        section id="header" {
            h1 { (name) ": walk-forward test" }
            dl.facts {
                dt { "Windows" } dd { (windows.len()) " (" (if r["anchored"].as_bool() == Some(true) { "anchored" } else { "rolling" }) ")" }
                dt { "Variants" } dd { (s["variants"]) }
                dt { "Chosen by" } dd { (metric) " over each training span" }
                dt { "Engine" } dd { (engine(s)) }
            }
        }
        (section("equity", "Out-of-sample equity", html! {
            (figure(svg::lines(&Lines { label: "Out-of-sample equity", x: &days,
                series: vec![Series { name: "out of sample", values: &equity }], log: true,
                format: &|v| fixed(v, 0), bands: vec![], fill: false, zero: false, dates: true, interval: None,
                regions: vec![], region_names: vec![] }),
                "The test spans chained: on each, the variant that was best on the training span before it."))
            dl.facts {
                dt { "CAGR" } dd { (crate::report::pct(f(&o["cagr"]))) }
                dt { "Sharpe" } dd { (fixed(f(&o["sharpe"]), 2)) }
                dt { "Max drawdown" } dd { (crate::report::pct(f(&o["max_drawdown"]))) }
            }
        }))
        (section("degradation", "In sample against out of sample", html! {
            (figure(svg::bars(&format!("{metric}: training span against test span"), &labels,
                &[("in sample (training)", is.clone()), ("out of sample (test)", oos.clone())], &|v| fixed(v, 2)),
                "Per window: the chosen variant's metric on its training span and on the test span that follows."))
            dl.facts {
                dt { "Mean in sample" } dd { (fixed(f(&r["in_sample_mean"]), 3)) }
                dt { "Mean out of sample" } dd { (fixed(f(&r["out_of_sample_mean"]), 3)) }
                dt { "Ratio (degradation)" } dd { (fixed(f(&r["degradation_ratio"]), 3)) }
            }
        }))
        (section("windows", "Windows", html! {
            div.wide { table {
                thead { tr { th.num { "#" } th { "train" } th { "test" } th.num { "variant" }
                    @for a in &axes { th.num { (a) } } th.num { "in sample" } th.num { "out of sample" } } }
                tbody { @for (k, w) in windows.iter().enumerate() { tr {
                    td.num { (k) }
                    td { (w["train_start"].as_str().unwrap_or("")) " to " (w["train_end"].as_str().unwrap_or("")) }
                    td { (w["test_start"].as_str().unwrap_or("")) " to " (w["test_end"].as_str().unwrap_or("")) }
                    td.num { (w["variant"]) }
                    @for p in w["params"].as_array().cloned().unwrap_or_default() { td.num { (f(&p)) } }
                    (num_cell(&fixed(is[k], 3), is[k])) (num_cell(&fixed(oos[k], 3), oos[k]))
                } } }
            } }
        }))
    };
    Ok(page(&format!("{name}: rotor walk-forward report"), body))
}
