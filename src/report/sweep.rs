//! Outputs of `rotor sweep` and `rotor walkforward`.

use super::csv::Csv;
use super::{fixed, num, pct, write_file, EngineInfo};
use crate::data::load::{OutColumn, ParquetStream};
use crate::date;
use crate::error::Result;
use crate::plot;
use crate::stats::{Headline, Metric};
use crate::sweep::collect::{bin_of, bin_starts, bins};
use crate::sweep::walkforward::WalkForward;
use crate::sweep::{Distribution, Honesty, Sweep};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// `sweep.csv` and `sweep.parquet`, written as the rows stream by (one row group of the Parquet
/// file per call): one row per variant, its id, its swept values and every headline metric.
pub struct RowWriter<'a> {
    sweep: &'a Sweep,
    csv: Csv<std::io::BufWriter<std::fs::File>>,
    parquet: ParquetStream,
}

impl<'a> RowWriter<'a> {
    pub fn create(dir: &Path, sweep: &'a Sweep) -> Result<RowWriter<'a>> {
        let mut head = vec!["variant".to_string()];
        head.extend(sweep.axes.iter().map(|a| a.path.clone()));
        head.extend(Metric::ALL.iter().map(|c| c.to_string()));
        Ok(RowWriter {
            sweep,
            csv: Csv::create(&dir.join("sweep.csv"), head)?,
            parquet: ParquetStream::create(&dir.join("sweep.parquet")),
        })
    }

    /// The rows of variants `ids`.
    pub fn write(&mut self, ids: &[usize], rows: &[Headline]) -> Result<()> {
        let mut row: Vec<String> = Vec::new();
        for (&i, h) in ids.iter().zip(rows) {
            row.clear();
            row.push(i.to_string());
            row.extend(self.sweep.variants[i].iter().map(|x| num(*x)));
            row.extend(Metric::ALL.iter().map(|c| num(c.of(h))));
            self.csv.row(&row)?;
        }
        self.parquet.write(columns(self.sweep, ids, rows))
    }

    pub fn finish(self) -> Result<()> {
        self.csv.finish()?;
        self.parquet.finish(columns(self.sweep, &[], &[]))
    }
}

/// The Parquet columns of rows `ids`: `variant`, each swept path, each metric.
fn columns(sw: &Sweep, ids: &[usize], rows: &[Headline]) -> Vec<(String, OutColumn)> {
    let mut cols = vec![(
        "variant".to_owned(),
        OutColumn::U64(ids.iter().map(|&i| i as u64).collect()),
    )];
    for (k, a) in sw.axes.iter().enumerate() {
        cols.push((
            a.path.clone(),
            OutColumn::F64(ids.iter().map(|&i| sw.variants[i][k]).collect()),
        ));
    }
    cols.extend(crate::sweep::shard::metric_columns(rows));
    cols
}

/// The schema of a sweep's `summary.json`.
pub const SWEEP_SCHEMA: &str = "rotor.sweep/1";

/// A swept path as `summary.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisSummary {
    pub path: String,
    pub name: String,
    pub values: Vec<f64>,
}

/// A ranked variant: its rank (1 = best), id, swept values by path (in axis order) and its
/// headline metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub rank: usize,
    pub variant: usize,
    #[serde(with = "ordered")]
    pub params: Vec<(String, f64)>,
    pub metrics: Headline,
}

/// `summary.json` of `rotor sweep` (schema [`SWEEP_SCHEMA`]): written and read back (by the
/// report) with this one type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepSummary {
    pub schema: String,
    pub engine: EngineInfo,
    pub strategy: String,
    pub variants: usize,
    pub variants_before_constraints: usize,
    pub axes: Vec<AxisSummary>,
    pub constraints: Vec<String>,
    pub rank_by: Metric,
    pub best: Ranked,
    pub top: Vec<Ranked>,
    pub honesty: Honesty,
    pub distribution: Distribution,
    /// Absent from a file of a rotor before the heatmap cells were kept.
    #[serde(default)]
    pub heatmaps: Option<Vec<HeatmapSummary>>,
}

/// A map of names to numbers in a given order (a JSON object; `null` is NaN).
mod ordered {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for (k, x) in v {
            m.serialize_entry(k, x)?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<(String, f64)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = vec![];
                while let Some((k, v)) = map.next_entry::<String, Option<f64>>()? {
                    out.push((k, v.unwrap_or(f64::NAN)));
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// The schema of a walk-forward test's `summary.json`.
pub const WALKFORWARD_SCHEMA: &str = "rotor.walkforward/1";

/// `summary.json` of `rotor walkforward` (schema [`WALKFORWARD_SCHEMA`]): written and read
/// back (by the report) with this one type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WalkforwardSummary {
    pub schema: String,
    pub engine: EngineInfo,
    pub strategy: String,
    pub axes: Vec<AxisSummary>,
    pub variants: usize,
    pub result: WalkForward,
}

fn axes_of(sw: &Sweep) -> Vec<AxisSummary> {
    sw.axes
        .iter()
        .map(|a| AxisSummary {
            path: a.path.clone(),
            name: a.name.clone(),
            values: a.values.clone(),
        })
        .collect()
}

fn ranked(sw: &Sweep, rank: usize, v: usize, h: &Headline) -> Ranked {
    Ranked {
        rank,
        variant: v,
        params: sw
            .axes
            .iter()
            .zip(&sw.variants[v])
            .map(|(a, x)| (a.path.clone(), *x))
            .collect(),
        metrics: *h,
    }
}

/// Everything a sweep report needs (the rows themselves are in the files).
pub struct SweepReport<'a> {
    pub strategy: &'a str,
    pub sweep: &'a Sweep,
    pub rank_by: Metric,
    /// The best rows, best first: (variant id, headline).
    pub best: &'a [(usize, Headline)],
    /// How many of them to print and keep in summary.json.
    pub top: usize,
    pub honesty: &'a Honesty,
    pub distribution: &'a Distribution,
    /// (x axis index, y axis index) pairs with the best value in each of their cells; the
    /// first `drawn` of them (those asked for with `--heatmap`) are also PNG/SVG files.
    pub heatmaps: &'a [(usize, usize)],
    pub grids: &'a [Vec<f64>],
    pub drawn: usize,
}

/// The heatmap pairs a sweep keeps: those asked for, else the first two axes (for the report).
pub fn heatmap_pairs(sw: &Sweep, asked: &[(usize, usize)]) -> Vec<(usize, usize)> {
    if asked.is_empty() && sw.axes.len() >= 2 {
        vec![(0, 1)]
    } else {
        asked.to_vec()
    }
}

/// One heatmap as `summary.json` keeps it: its axes' cells (binned when an axis has more than
/// [`crate::sweep::collect::MAX_SIDE`] values), the best value in each cell and the winner's cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatmapSummary {
    pub x: String,
    pub y: String,
    pub x_name: String,
    pub y_name: String,
    /// The first value of each cell along each axis, and how many values a cell spans at most.
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub values_per_cell: [usize; 2],
    /// Row-major: the cell (x, y) at `y * xs.len() + x`; `null` where no variant is defined.
    #[serde(deserialize_with = "crate::stats::vec_f64_or_nan")]
    pub values: Vec<f64>,
    pub mark: [usize; 2],
}

fn heatmaps_out(r: &SweepReport) -> Vec<HeatmapSummary> {
    let winner = &r.sweep.variants[r.best[0].0];
    r.heatmaps
        .iter()
        .zip(r.grids)
        .map(|(&(xa, ya), grid)| {
            let (x, y) = (&r.sweep.axes[xa], &r.sweep.axes[ya]);
            let pos = |vals: &[f64], v: f64| vals.iter().position(|a| *a == v).unwrap_or(0);
            let cell = |vals: &[f64], v: f64| bin_of(pos(vals, v), vals.len());
            let per = |vals: &[f64]| vals.len().div_ceil(bins(vals.len()));
            HeatmapSummary {
                x: x.path.clone(),
                y: y.path.clone(),
                x_name: x.name.clone(),
                y_name: y.name.clone(),
                xs: bin_starts(&x.values),
                ys: bin_starts(&y.values),
                values_per_cell: [per(&x.values), per(&y.values)],
                values: grid.clone(),
                mark: [cell(&x.values, winner[xa]), cell(&y.values, winner[ya])],
            }
        })
        .collect()
}

/// The summary of a sweep, from its results.
pub fn summary(r: &SweepReport) -> SweepSummary {
    let (best, h) = &r.best[0];
    SweepSummary {
        schema: SWEEP_SCHEMA.into(),
        engine: EngineInfo::this(),
        strategy: r.strategy.to_owned(),
        variants: r.sweep.variants.len(),
        variants_before_constraints: r.sweep.product,
        axes: axes_of(r.sweep),
        constraints: r.sweep.constraints.clone(),
        rank_by: r.rank_by,
        best: ranked(r.sweep, 1, *best, h),
        top: r
            .best
            .iter()
            .take(r.top)
            .enumerate()
            .map(|(k, (i, h))| ranked(r.sweep, k + 1, *i, h))
            .collect(),
        honesty: r.honesty.clone(),
        distribution: r.distribution.clone(),
        heatmaps: Some(heatmaps_out(r)),
    }
}

pub fn summary_json(r: &SweepReport) -> String {
    let mut s = serde_json::to_string_pretty(&summary(r)).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes summary.json and the heatmaps into `dir` (the rows are written by [`RowWriter`]).
pub fn write(dir: &Path, r: &SweepReport) -> Result<()> {
    write_file(dir, "summary.json", &summary_json(r))?;
    for h in heatmaps_out(r).iter().take(r.drawn) {
        let binned = |name: &str, per: usize| {
            if per > 1 {
                format!("{name} (up to {per} values per cell)")
            } else {
                name.to_owned()
            }
        };
        let title = format!(
            "{}: best {} by {} x {}",
            r.strategy,
            r.rank_by,
            binned(&h.x_name, h.values_per_cell[0]),
            binned(&h.y_name, h.values_per_cell[1])
        );
        plot::write_heatmap(
            dir,
            &format!("heatmap_{}_{}", h.x_name, h.y_name),
            &plot::Heatmap {
                title: &title,
                x_name: &h.x,
                xs: &h.xs,
                y_name: &h.y,
                ys: &h.ys,
                values: &h.values,
                metric: r.rank_by.name(),
                mark: Some((h.mark[0], h.mark[1])),
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
        "{}: {} ({} before constraints), ranked by {}",
        r.strategy,
        super::count(r.sweep.variants.len(), "variant", "variants"),
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
    for (k, (i, h)) in r.best.iter().take(r.top).enumerate() {
        let i = *i;
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
    // The ranking metric in the unit the table above prints it in.
    let v = |x: f64| {
        if r.rank_by.is_fraction() {
            pct(x)
        } else {
            fixed(x, 3)
        }
    };
    let _ = writeln!(
        s,
        "\n{} over all variants: mean {}, median {}, 5%-95% {} to {}; the winner's {} is {} standard deviations above the mean",
        d.metric,
        v(d.mean),
        v(d.median),
        v(d.p05),
        v(d.p95),
        v(d.winner),
        fixed(d.winner_z, 3)
    );
    let h = r.honesty;
    let _ = writeln!(
        s,
        "Honest Sharpe of the winner: probabilistic Sharpe ratio {} (P[true Sharpe > 0]); deflated Sharpe ratio {} \
         (P[true Sharpe > {} a year, the best that {} unskilled trials would show])",
        fixed(h.probabilistic_sharpe, 3),
        fixed(h.deflated_sharpe, 3),
        fixed(h.expected_max_sharpe * crate::conventions::BARS_PER_YEAR.sqrt(), 3),
        h.trials
    );
    s
}

pub fn windows_csv(wf: &WalkForward, sw: &Sweep) -> String {
    let mut head: Vec<String> = [
        "window",
        "train_start",
        "train_end",
        "test_start",
        "test_end",
        "variant",
    ]
    .map(String::from)
    .to_vec();
    head.extend(sw.axes.iter().map(|a| a.path.clone()));
    head.push(format!("train_{}", wf.metric));
    head.push(format!("test_{}", wf.metric));
    let mut c = Csv::text(head);
    for (k, w) in wf.windows.iter().enumerate() {
        let mut row = vec![
            k.to_string(),
            w.train_start.to_string(),
            w.train_end.to_string(),
            w.test_start.to_string(),
            w.test_end.to_string(),
            w.variant.to_string(),
        ];
        row.extend(w.params.iter().map(|x| num(*x)));
        row.push(num(w.train_metric));
        row.push(num(w.test_metric));
        c.put(row);
    }
    c.into_string()
}

pub fn write_walkforward(dir: &Path, strategy: &str, wf: &WalkForward, sw: &Sweep) -> Result<()> {
    write_file(dir, "windows.csv", &windows_csv(wf, sw))?;
    let mut eq = Csv::text(["date", "equity"]);
    for (d, e) in wf.dates.iter().zip(&wf.equity) {
        eq.put([date::format(*d), num(*e)]);
    }
    write_file(dir, "oos_equity.csv", &eq.into_string())?;
    let v = WalkforwardSummary {
        schema: WALKFORWARD_SCHEMA.into(),
        engine: EngineInfo::this(),
        strategy: strategy.to_owned(),
        axes: axes_of(sw),
        variants: sw.variants.len(),
        result: wf.clone(),
    };
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
        "{strategy}: walk-forward over {} ({}), {}, chosen by {}",
        super::count(wf.windows.len(), "window", "windows"),
        if wf.anchored { "anchored" } else { "rolling" },
        super::count(sw.variants.len(), "variant", "variants"),
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
    let mut head = vec!["date".to_string()];
    head.extend(curves.iter().map(|(i, _)| format!("variant_{i}")));
    let mut c = Csv::text(head);
    for (t, d) in dates.iter().enumerate() {
        let mut row = vec![date::format(*d)];
        row.extend(curves.iter().map(|(_, curve)| num(curve[t])));
        c.put(row);
    }
    c.into_string()
}
