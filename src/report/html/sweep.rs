//! The reports of `rotor sweep` and `rotor walkforward`, from their folders' `summary.json`
//! and CSV files.

use super::svg::{self, Lines, Series};
use super::{figure, heat, num_cell, page, section, Csv};
use crate::error::Result;
use crate::report::fixed;
use crate::report::sweep::{HeatmapSummary, Ranked, SweepSummary, WalkforwardSummary};
use crate::stats::Metric;
use crate::sweep::collect::MAX_SIDE;
use maud::{html, Markup};
use std::path::Path;

fn show(m: Metric, v: f64) -> String {
    match m {
        Metric::Sharpe | Metric::Sortino | Metric::Calmar => fixed(v, 3),
        Metric::Trades => format!("{v}"),
        Metric::FinalEquity | Metric::TotalCosts => fixed(v, 2),
        _ => crate::report::pct(v),
    }
}

pub fn render_sweep(s: &SweepSummary) -> Result<Markup> {
    let name = &s.strategy;
    let rank = s.rank_by;
    // Everything below comes from summary.json, which keeps what the page needs of every row
    // (the heatmap cells, the histogram): the rows themselves are never read.
    let d = &s.distribution;
    let h = &s.honesty;
    let body = html! {
        section id="header" {
            h1 { (name) ": parameter sweep" }
            dl.facts {
                dt { "Variants" } dd { (s.variants) " (" (s.variants_before_constraints) " before constraints)" }
                dt { "Swept" } dd { @for (i, a) in s.axes.iter().enumerate() {
                    @if i > 0 { ", " } code { (a.path) } " (" (a.name) ", " (a.values.len()) " values)" } }
                @if !s.constraints.is_empty() {
                    dt { "Constraints" } dd { @for x in &s.constraints { code { (x) } " " } }
                }
                dt { "Ranked by" } dd { (rank.name()) }
                dt { "Engine" } dd { "rotor " (s.engine.version) }
            }
        }
        (section("ranking", "Best variants", html! {
            div.wide { table {
                thead { tr { th.num { "rank" } th.num { "variant" } @for a in &s.axes { th.num { (a.name) } }
                    @for m in Metric::ALL { th.num { (m.name()) } } } }
                tbody { @for t in &s.top { tr {
                    td.num { (t.rank) } td.num { (t.variant) }
                    @for a in &s.axes { td.num { (param(t, &a.path)) } }
                    @for m in Metric::ALL { @let v = m.of(&t.metrics); (num_cell(&show(m, v), v)) }
                } } }
            } }
        }))
        (section("heatmaps", "Heatmaps", html! {
            @match &s.heatmaps {
                None => { p.muted { "This summary.json was written by an older rotor, which did not keep the heatmap cells: rerun the sweep." } }
                Some(maps) if maps.is_empty() => { p.muted { "One swept parameter: no heatmap (the ranking table and the distribution below show it)." } }
                Some(maps) => { @for m in maps { (heatmap(m, rank)) } }
            }
        }))
        (section("distribution", "The ranking metric over all variants", html! {
            (figure(svg::histogram_of(&format!("{} over all variants", rank.name()), d.histogram.as_ref(),
                &|v| fixed(v, 2), &[("winner", d.winner)]),
                &format!("Distribution of {} over the {} variants; the dashed line marks the winner.", rank.name(), s.variants)))
            dl.facts {
                dt { "Mean, standard deviation" } dd { (fixed(d.mean, 3)) ", " (fixed(d.stdev, 3)) }
                dt { "5th, 50th, 95th percentile" } dd { (fixed(d.p05, 3)) ", " (fixed(d.median, 3)) ", " (fixed(d.p95, 3)) }
                dt { "Winner" } dd { (fixed(d.winner, 3)) ": " (fixed(d.winner_z, 2)) " standard deviations above the mean, at or above " (fixed(d.winner_percentile * 100.0, 1)) " % of the variants" }
            }
        }))
        (section("honesty", "Is the winner's Sharpe ratio real?", html! {
            dl.facts {
                dt { "Probabilistic Sharpe ratio" } dd { (fixed(h.probabilistic_sharpe, 3)) }
                dt { "Deflated Sharpe ratio" } dd { (fixed(h.deflated_sharpe, 3)) }
                dt { "Trials" } dd { (h.trials) }
            }
            p { "The probabilistic Sharpe ratio is the probability that the winner's true Sharpe ratio is above zero, given how many returns it has and their skew and kurtosis." }
            p { "The deflated Sharpe ratio is the same probability against the Sharpe ratio that the best of " (h.trials) " strategies with no skill would show by luck (" (fixed(h.expected_max_sharpe * crate::conventions::BARS_PER_YEAR.sqrt(), 3)) " a year here): below 0.95, the winner may just be the luckiest variant." }
        }))
    };
    Ok(page(&format!("{name}: rotor sweep report"), body))
}

/// A ranked variant's value of the swept path `path` (NaN when the row lacks it).
fn param(t: &Ranked, path: &str) -> f64 {
    t.params
        .iter()
        .find(|(p, _)| p == path)
        .map_or(f64::NAN, |(_, v)| *v)
}

/// A heatmap of `summary.json`: the best value of the ranking metric in each (x, y) cell, as a
/// coloured SVG grid.
fn heatmap(m: &HeatmapSummary, rank: Metric) -> Markup {
    let (xs, ys, cells) = (&m.xs, &m.ys, &m.values);
    let grid: Vec<Vec<f64>> = (0..ys.len())
        .map(|y| {
            (0..xs.len())
                .map(|x| cells.get(y * xs.len() + x).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let finite: Vec<f64> = cells.iter().copied().filter(|v| v.is_finite()).collect();
    let mid = crate::stats::returns::median(&finite);
    let scale = finite.iter().map(|v| (v - mid).abs()).fold(0.0, f64::max);
    let sign = if rank.higher_is_better() == Some(false) {
        -1.0
    } else {
        1.0
    };
    let mark = Some((m.mark[0], m.mark[1]));
    let labels = |v: &[f64]| v.iter().map(|x| format!("{x}")).collect::<Vec<_>>();
    let (xn, yn) = (m.x_name.as_str(), m.y_name.as_str());
    let per = |k: usize| m.values_per_cell[k];
    let chart = svg::heatmap(
        &format!("Best {} by {xn} and {yn}", rank.name()),
        xn,
        &labels(xs),
        yn,
        &labels(ys),
        &grid,
        &|v| heat(sign * (v - mid), scale),
        &|v| fixed(v, 3),
        mark,
    );
    figure(
        chart,
        &format!(
            "The best {} over the other parameters in each cell of {xn} (across) by {yn} (down): green better, red worse than the median cell; the outlined cell is the winner.{}",
            rank.name(),
            if per(0) > 1 || per(1) > 1 {
                format!(" An axis of more than {MAX_SIDE} values is shown in bins of consecutive values (up to {} x {} per cell), labelled by their first value.", per(0), per(1))
            } else {
                String::new()
            }
        ),
    )
}

pub fn render_walkforward(dir: &Path, s: &WalkforwardSummary) -> Result<Markup> {
    let r = &s.result;
    let name = &s.strategy;
    let metric = r.metric.name();
    let eq = Csv::read(&dir.join("oos_equity.csv"))?;
    let (days, equity) = (eq.days("date")?, eq.numbers("equity")?);
    let windows = &r.windows;
    let axes: Vec<&str> = s.axes.iter().map(|a| a.name.as_str()).collect();
    let labels: Vec<String> = (0..windows.len()).map(|k| k.to_string()).collect();
    let is: Vec<f64> = windows.iter().map(|w| w.train_metric).collect();
    let oos: Vec<f64> = windows.iter().map(|w| w.test_metric).collect();
    let o = &r.out_of_sample;
    let body = html! {
        section id="header" {
            h1 { (name) ": walk-forward test" }
            dl.facts {
                dt { "Windows" } dd { (windows.len()) " (" (if r.anchored { "anchored" } else { "rolling" }) ")" }
                dt { "Variants" } dd { (s.variants) }
                dt { "Chosen by" } dd { (metric) " over each training span" }
                dt { "Engine" } dd { "rotor " (s.engine.version) }
            }
        }
        (section("equity", "Out-of-sample equity", html! {
            (figure(svg::lines(&Lines { label: "Out-of-sample equity", x: &days,
                series: vec![Series { name: "out of sample", values: &equity }], log: true,
                format: &|v| fixed(v, 0), bands: vec![], fill: false, zero: false, dates: true, interval: None,
                regions: vec![], region_names: vec![] }),
                "The test spans chained: on each, the variant that was best on the training span before it."))
            dl.facts {
                dt { "CAGR" } dd { (crate::report::pct(o.cagr)) }
                dt { "Sharpe" } dd { (fixed(o.sharpe, 2)) }
                dt { "Max drawdown" } dd { (crate::report::pct(o.max_drawdown)) }
            }
        }))
        (section("degradation", "In sample against out of sample", html! {
            (figure(svg::bars(&format!("{metric}: training span against test span"), &labels,
                &[("in sample (training)", is.clone()), ("out of sample (test)", oos.clone())], &|v| fixed(v, 2)),
                "Per window: the chosen variant's metric on its training span and on the test span that follows."))
            dl.facts {
                dt { "Mean in sample" } dd { (fixed(r.in_sample_mean, 3)) }
                dt { "Mean out of sample" } dd { (fixed(r.out_of_sample_mean, 3)) }
                dt { "Ratio (degradation)" } dd { (fixed(r.degradation_ratio, 3)) }
            }
        }))
        (section("windows", "Windows", html! {
            div.wide { table {
                thead { tr { th.num { "#" } th { "train" } th { "test" } th.num { "variant" }
                    @for a in &axes { th.num { (a) } } th.num { "in sample" } th.num { "out of sample" } } }
                tbody { @for (k, w) in windows.iter().enumerate() { tr {
                    td.num { (k) }
                    td { (w.train_start) " to " (w.train_end) }
                    td { (w.test_start) " to " (w.test_end) }
                    td.num { (w.variant) }
                    @for p in &w.params { td.num { (p) } }
                    (num_cell(&fixed(is[k], 3), is[k])) (num_cell(&fixed(oos[k], 3), oos[k]))
                } } }
            } }
        }))
    };
    Ok(page(&format!("{name}: rotor walk-forward report"), body))
}
