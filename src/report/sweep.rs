//! Outputs of `rotor sweep` and `rotor walkforward`.

use super::{fixed, num, pct, write_file};
use crate::data::load::{write_parquet, OutColumn};
use crate::date;
use crate::error::Result;
use crate::plot;
use crate::stats::{Headline, Metric};
use crate::sweep::walkforward::WalkForward;
use crate::sweep::{Distribution, Honesty, Sweep};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

pub fn sweep_csv(sw: &Sweep, results: &[Headline]) -> String {
    let mut s = String::from("variant");
    for a in &sw.axes {
        let _ = write!(s, ",{}", a.path);
    }
    for c in Metric::ALL {
        let _ = write!(s, ",{c}");
    }
    s.push('\n');
    for (i, (v, h)) in sw.variants.iter().zip(results).enumerate() {
        let _ = write!(s, "{i}");
        for x in v {
            let _ = write!(s, ",{}", num(*x));
        }
        for c in Metric::ALL {
            let _ = write!(s, ",{}", num(c.of(h)));
        }
        s.push('\n');
    }
    s
}

fn sweep_parquet(path: &Path, sw: &Sweep, results: &[Headline]) -> Result<()> {
    let mut cols = vec![(
        "variant".to_owned(),
        OutColumn::U64((0..results.len() as u64).collect()),
    )];
    for (k, a) in sw.axes.iter().enumerate() {
        cols.push((
            a.path.clone(),
            OutColumn::F64(sw.variants.iter().map(|v| v[k]).collect()),
        ));
    }
    for c in Metric::ALL {
        let column = if c == Metric::Trades {
            OutColumn::U64(results.iter().map(|h| h.trades as u64).collect())
        } else {
            OutColumn::F64(results.iter().map(|h| c.of(h)).collect())
        };
        cols.push((c.name().to_owned(), column));
    }
    write_parquet(path, cols)
}

#[derive(Serialize)]
struct Ranked<'a> {
    rank: usize,
    variant: usize,
    params: serde_json::Map<String, serde_json::Value>,
    metrics: &'a Headline,
}

fn params_of(sw: &Sweep, v: usize) -> serde_json::Map<String, serde_json::Value> {
    sw.axes
        .iter()
        .zip(&sw.variants[v])
        .map(|(a, x)| (a.path.clone(), serde_json::json!(x)))
        .collect()
}

/// Everything a sweep report needs.
pub struct SweepReport<'a> {
    pub strategy: &'a str,
    pub sweep: &'a Sweep,
    pub results: &'a [Headline],
    pub rank_by: Metric,
    pub order: &'a [usize],
    pub top: usize,
    pub honesty: &'a Honesty,
    pub distribution: &'a Distribution,
    /// (x axis index, y axis index) pairs to draw.
    pub heatmaps: &'a [(usize, usize)],
}

pub fn summary_json(r: &SweepReport) -> String {
    let best = r.order[0];
    let v = serde_json::json!({
        "schema": "rotor.sweep/1",
        "engine": { "name": "rotor", "version": env!("CARGO_PKG_VERSION") },
        "strategy": r.strategy,
        "variants": r.results.len(),
        "variants_before_constraints": r.sweep.product,
        "axes": r.sweep.axes,
        "constraints": r.sweep.constraints,
        "rank_by": r.rank_by,
        "best": Ranked { rank: 1, variant: best, params: params_of(r.sweep, best), metrics: &r.results[best] },
        "top": r.order.iter().take(r.top).enumerate().map(|(k, &i)| Ranked { rank: k + 1, variant: i, params: params_of(r.sweep, i), metrics: &r.results[i] }).collect::<Vec<_>>(),
        "honesty": r.honesty,
        "distribution": r.distribution,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The best value of the ranking metric in each (x, y) cell, over the other parameters.
pub fn heatmap_grid(r: &SweepReport, xa: usize, ya: usize) -> (Vec<f64>, Option<(usize, usize)>) {
    let xs = &r.sweep.axes[xa].values;
    let ys = &r.sweep.axes[ya].values;
    let mut grid = vec![f64::NAN; xs.len() * ys.len()];
    let pos = |vals: &[f64], x: f64| vals.iter().position(|v| *v == x).unwrap_or(0);
    for (v, h) in r.sweep.variants.iter().zip(r.results) {
        let m = r.rank_by.of(h);
        let cell = &mut grid[pos(ys, v[ya]) * xs.len() + pos(xs, v[xa])];
        if r.rank_by.best_first(m, *cell) == std::cmp::Ordering::Less {
            *cell = m;
        }
    }
    let best = &r.sweep.variants[r.order[0]];
    (grid, Some((pos(xs, best[xa]), pos(ys, best[ya]))))
}

/// Writes sweep.csv, sweep.parquet, summary.json and the heatmaps into `dir`.
pub fn write(dir: &Path, r: &SweepReport) -> Result<()> {
    write_file(dir, "sweep.csv", &sweep_csv(r.sweep, r.results))?;
    sweep_parquet(&dir.join("sweep.parquet"), r.sweep, r.results)?;
    write_file(dir, "summary.json", &summary_json(r))?;
    for &(xa, ya) in r.heatmaps {
        let (grid, mark) = heatmap_grid(r, xa, ya);
        let (x, y) = (&r.sweep.axes[xa], &r.sweep.axes[ya]);
        let title = format!(
            "{}: best {} by {} x {}",
            r.strategy, r.rank_by, x.name, y.name
        );
        plot::write_heatmap(
            dir,
            &format!("heatmap_{}_{}", x.name, y.name),
            &plot::Heatmap {
                title: &title,
                x_name: &x.path,
                xs: &x.values,
                y_name: &y.path,
                ys: &y.values,
                values: &grid,
                metric: r.rank_by.name(),
                mark,
            },
        )?;
    }
    Ok(())
}

/// The terminal summary: the best variants and the honest statistics of the winner.
pub fn summary_text(r: &SweepReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} variants ({} before constraints), ranked by {}",
        r.strategy,
        r.results.len(),
        r.sweep.product,
        r.rank_by
    );
    let _ = write!(s, "\n{:>4} {:>8}", "rank", "variant");
    for a in &r.sweep.axes {
        let _ = write!(s, " {:>14}", a.name);
    }
    let _ = writeln!(
        s,
        " {:>8} {:>8} {:>8} {:>9} {:>7}",
        "CAGR", "Sharpe", "Sortino", "Max DD", "trades"
    );
    for (k, &i) in r.order.iter().take(r.top).enumerate() {
        let h = &r.results[i];
        let _ = write!(s, "{:>4} {:>8}", k + 1, i);
        for x in &r.sweep.variants[i] {
            let _ = write!(s, " {:>14}", format!("{x}"));
        }
        let _ = writeln!(
            s,
            " {:>8} {:>8} {:>8} {:>9} {:>7}",
            pct(h.curve.cagr),
            fixed(h.curve.sharpe, 3),
            fixed(h.curve.sortino, 3),
            pct(h.curve.max_drawdown),
            h.trades
        );
    }
    let d = r.distribution;
    let _ = writeln!(
        s,
        "\n{} over all variants: mean {}, median {}, 5%-95% {} to {}; the winner's {} is {} standard deviations above the mean",
        d.metric,
        fixed(d.mean, 3),
        fixed(d.median, 3),
        fixed(d.p05, 3),
        fixed(d.p95, 3),
        fixed(d.winner, 3),
        fixed(d.winner_z, 3)
    );
    let h = r.honesty;
    let _ = writeln!(
        s,
        "Honest Sharpe of the winner: probabilistic Sharpe ratio {} (P[true Sharpe > 0]); deflated Sharpe ratio {} \
         (P[true Sharpe > {} a year, the best that {} unskilled trials would show])",
        fixed(h.probabilistic_sharpe, 3),
        fixed(h.deflated_sharpe, 3),
        fixed(h.expected_max_sharpe * crate::signal::BARS_PER_YEAR.sqrt(), 3),
        h.trials
    );
    s
}

pub fn windows_csv(wf: &WalkForward, sw: &Sweep) -> String {
    let mut s = String::from("window,train_start,train_end,test_start,test_end,variant");
    for a in &sw.axes {
        let _ = write!(s, ",{}", a.path);
    }
    let _ = writeln!(s, ",train_{m},test_{m}", m = wf.metric);
    for (k, w) in wf.windows.iter().enumerate() {
        let _ = write!(
            s,
            "{k},{},{},{},{},{}",
            w.train_start, w.train_end, w.test_start, w.test_end, w.variant
        );
        for x in &w.params {
            let _ = write!(s, ",{}", num(*x));
        }
        let _ = writeln!(s, ",{},{}", num(w.train_metric), num(w.test_metric));
    }
    s
}

pub fn write_walkforward(dir: &Path, strategy: &str, wf: &WalkForward, sw: &Sweep) -> Result<()> {
    write_file(dir, "windows.csv", &windows_csv(wf, sw))?;
    let mut eq = String::from("date,equity\n");
    for (d, e) in wf.dates.iter().zip(&wf.equity) {
        let _ = writeln!(eq, "{},{}", date::format(*d), num(*e));
    }
    write_file(dir, "oos_equity.csv", &eq)?;
    let v = serde_json::json!({
        "schema": "rotor.walkforward/1",
        "engine": { "name": "rotor", "version": env!("CARGO_PKG_VERSION") },
        "strategy": strategy,
        "axes": sw.axes,
        "variants": sw.variants.len(),
        "result": wf,
    });
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    write_file(dir, "summary.json", &text)?;
    let title = format!("{strategy}: walk-forward out-of-sample equity");
    plot::write_equity(
        dir,
        "oos_equity",
        &title,
        &wf.dates,
        &[plot::Line {
            name: "out of sample",
            values: &wf.equity,
        }],
    )
}

pub fn walkforward_text(strategy: &str, wf: &WalkForward, sw: &Sweep) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{strategy}: walk-forward over {} windows ({}), {} variants, chosen by {}",
        wf.windows.len(),
        if wf.anchored { "anchored" } else { "rolling" },
        sw.variants.len(),
        wf.metric
    );
    let _ = write!(s, "\n{:>3}  {:23}  {:23}", "#", "train", "test");
    for a in &sw.axes {
        let _ = write!(s, " {:>12}", a.name);
    }
    let _ = writeln!(s, " {:>9} {:>9}", "IS", "OOS");
    for (k, w) in wf.windows.iter().enumerate() {
        let _ = write!(
            s,
            "{k:>3}  {} {}  {} {}",
            w.train_start, w.train_end, w.test_start, w.test_end
        );
        for x in &w.params {
            let _ = write!(s, " {:>12}", format!("{x}"));
        }
        let _ = writeln!(
            s,
            " {:>9} {:>9}",
            fixed(w.train_metric, 3),
            fixed(w.test_metric, 3)
        );
    }
    let o = &wf.out_of_sample;
    let _ = writeln!(
        s,
        "\nOut of sample ({} to {}): CAGR {}, Sharpe {}, max drawdown {}\nIn-sample mean {} {} vs out-of-sample mean {}: ratio {}",
        date::format(wf.dates[0]),
        date::format(wf.dates[wf.dates.len() - 1]),
        pct(o.cagr),
        fixed(o.sharpe, 3),
        pct(o.max_drawdown),
        wf.metric,
        fixed(wf.in_sample_mean, 3),
        fixed(wf.out_of_sample_mean, 3),
        fixed(wf.degradation_ratio, 3)
    );
    s
}

/// `top_equity.csv`: the equity curves of the best variants, one column per variant.
pub fn curves_csv(dates: &[crate::date::Date], curves: &[(usize, Vec<f64>)]) -> String {
    let mut s = String::from("date");
    for (i, _) in curves {
        let _ = write!(s, ",variant_{i}");
    }
    s.push('\n');
    for (t, d) in dates.iter().enumerate() {
        s.push_str(&date::format(*d));
        for (_, c) in curves {
            let _ = write!(s, ",{}", num(c[t]));
        }
        s.push('\n');
    }
    s
}
