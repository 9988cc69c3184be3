//! Charts (PNG and SVG) with plotters: equity against benchmarks on a log scale, drawdown, and
//! allocation over time. PNG text is drawn with a bundled font (DejaVu Sans, `assets/`), so no
//! system font lookup happens and the pictures are the same on every machine.

use crate::date::{self, Date};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::DrawingErrorKind;
use plotters_bitmap::BitMapBackendError;
use std::path::Path;
use std::sync::Once;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 600;
/// At most this many points per line: a chart is ~1,100 pixels wide.
const MAX_POINTS: usize = 2400;

/// Draws one chart twice, as `<stem>.png` (bitmap, bundled font) and `<stem>.svg`.
macro_rules! png_and_svg {
    ($dir:expr, $stem:expr, $draw:ident, $($arg:expr),*) => {{
        register_font();
        let size = (WIDTH, HEIGHT);
        let png = $dir.join(format!("{}.png", $stem));
        $draw(BitMapBackend::new(&png, size).into_drawing_area(), $($arg),*).map_err(|f| f.into(&png))?;
        let svg = $dir.join(format!("{}.svg", $stem));
        $draw(SVGBackend::new(&svg, size).into_drawing_area(), $($arg),*).map_err(|f| f.into(&svg))?;
    }};
}

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The bundled font is a valid TrueType file; failing here would be a build defect.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        );
    });
}

/// A date as a fractional year, the x axis of every chart.
fn year(d: Date) -> f64 {
    let (y, _, _) = date::to_ymd(d);
    let start = date::from_ymd(y, 1, 1);
    let end = date::from_ymd(y + 1, 1, 1);
    y as f64 + (d - start) as f64 / (end - start) as f64
}

/// Picks at most MAX_POINTS indices, keeping in each bucket the one `pick` prefers (e.g. the
/// lowest drawdown), so extremes survive downsampling.
fn thin(n: usize, pick: impl Fn(usize, usize) -> usize) -> Vec<usize> {
    if n <= MAX_POINTS {
        return (0..n).collect();
    }
    let step = n.div_ceil(MAX_POINTS);
    (0..n)
        .step_by(step)
        .map(|s| (s..(s + step).min(n)).reduce(&pick).unwrap_or(s))
        .collect()
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Why a chart could not be drawn: which chart, and the cause in words; the file it was drawn
/// into is added by [`Failure::into`].
struct Failure {
    what: &'static str,
    why: String,
}

impl Failure {
    /// The error naming the chart's file (named as the output folder's file once the folder is
    /// in place: [`Error::with_path`]).
    fn into(self, file: &Path) -> Error {
        Error::Other(format!(
            "cannot draw {} into {}: {}",
            self.what,
            file.display(),
            self.why
        ))
    }
}

type Drawn = std::result::Result<(), Failure>;

fn err<E: std::error::Error + Send + Sync + 'static>(
    what: &'static str,
) -> impl Fn(DrawingAreaErrorKind<E>) -> Failure {
    move |e| Failure {
        what,
        why: words(&e),
    }
}

/// A drawing error in the words of its cause (a full disk: "No space left on device (os error
/// 28)"), without plotters' layers ("backend error: Drawing backend error: ...") or the bitmap
/// backend's debug structure (`IOError(Os { code: 28, .. })`).
fn words<E: std::error::Error + Send + Sync + 'static>(e: &DrawingAreaErrorKind<E>) -> String {
    let DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(inner)) = e else {
        return e.to_string();
    };
    match (inner as &dyn std::error::Error).downcast_ref::<BitMapBackendError>() {
        Some(BitMapBackendError::IOError(io)) => io.to_string(),
        Some(BitMapBackendError::ImageError(img)) => img.to_string(),
        Some(other) => format!("{other:?}"),
        None => inner.to_string(),
    }
}

/// A compact axis label: 950, 12k, 3.4M, 1.5B.
fn money(v: f64) -> String {
    let (x, unit) = match v.abs() {
        a if a >= 1e12 => (v / 1e12, "T"),
        a if a >= 1e9 => (v / 1e9, "B"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let text = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    format!("{text}{unit}")
}

/// Draws the legend and writes the picture out: the last step of every chart with series.
fn finish<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    mut chart: ChartContext<'a, DB, CT>,
    root: DrawingArea<DB, Shift>,
    legend: SeriesLabelPosition,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()
}

/// One named line.
pub struct Line<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

fn equity_chart<DB: DrawingBackend<ErrorType: 'static>>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    dates: &[Date],
    lines: &[Line],
) -> Drawn {
    let e = err::<DB::ErrorType>("the equity chart");
    root.fill(&WHITE).map_err(&e)?;
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.values.iter())
        .filter(|v| **v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo * 0.9, hi * 1.1)
    } else {
        (0.5, 2.0)
    };
    let (x0, x1) = (year(dates[0]), year(dates[dates.len() - 1]));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, (lo..hi).log_scale())
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| money(*y))
        .y_desc("equity (log scale)")
        .draw()
        .map_err(&e)?;
    for (i, l) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let idx = thin(l.values.len(), |a, _| a);
        chart
            .draw_series(LineSeries::new(
                idx.iter()
                    .filter(|&&t| l.values[t] > 0.0)
                    .map(|&t| (year(dates[t]), l.values[t])),
                color.stroke_width(2),
            ))
            .map_err(&e)?
            .label(l.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    finish(chart, root, SeriesLabelPosition::UpperLeft).map_err(&e)
}

fn drawdown_chart<DB: DrawingBackend<ErrorType: 'static>>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    dates: &[Date],
    dd: &[f64],
) -> Drawn {
    let e = err::<DB::ErrorType>("the drawdown chart");
    root.fill(&WHITE).map_err(&e)?;
    let lo = dd.iter().copied().fold(0.0, f64::min).min(-0.01) * 1.05;
    let (x0, x1) = (year(dates[0]), year(dates[dates.len() - 1]));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, lo..0.0)
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .y_desc("drawdown from peak")
        .draw()
        .map_err(&e)?;
    let idx = thin(dd.len(), |a, b| if dd[b] < dd[a] { b } else { a });
    chart
        .draw_series(
            AreaSeries::new(
                idx.iter().map(|&t| (year(dates[t]), dd[t])),
                0.0,
                PALETTE[3].mix(0.35),
            )
            .border_style(PALETTE[3]),
        )
        .map_err(&e)?;
    root.present().map_err(&e)?;
    Ok(())
}

fn allocation_chart<DB: DrawingBackend<ErrorType: 'static>>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    dates: &[Date],
    names: &[String],
    weights: &[f64],
) -> Drawn {
    let e = err::<DB::ErrorType>("the allocation chart");
    root.fill(&WHITE).map_err(&e)?;
    let k = names.len();
    let n = dates.len();
    let idx = thin(n, |a, _| a);
    // Stacked long weights; a short position is drawn as a line below zero.
    let mut hi: f64 = 1.0;
    let mut lo: f64 = 0.0;
    for t in 0..n {
        let row = &weights[t * k..(t + 1) * k];
        hi = hi.max(row.iter().filter(|w| **w > 0.0).sum());
        lo = lo.min(row.iter().copied().fold(0.0, f64::min));
    }
    let (x0, x1) = (year(dates[0]), year(dates[n - 1]));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, lo * 1.05..hi * 1.05)
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .y_desc("weight (rest: cash)")
        .draw()
        .map_err(&e)?;
    // Draw the tallest stack first so each lower layer shows on top of it.
    for a in (0..k).rev() {
        let color = PALETTE[a % PALETTE.len()];
        let top = |t: usize| {
            weights[t * k..t * k + a + 1]
                .iter()
                .filter(|w| **w > 0.0)
                .sum::<f64>()
        };
        chart
            .draw_series(AreaSeries::new(
                idx.iter().map(|&t| (year(dates[t]), top(t))),
                0.0,
                color,
            ))
            .map_err(&e)?
            .label(names[a].as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled()));
        if lo < 0.0 {
            chart
                .draw_series(LineSeries::new(
                    idx.iter()
                        .map(|&t| (year(dates[t]), weights[t * k + a].min(0.0))),
                    color.stroke_width(1),
                ))
                .map_err(&e)?;
        }
    }
    finish(chart, root, SeriesLabelPosition::UpperRight).map_err(&e)
}

/// What the three charts show.
pub struct ChartData<'a> {
    pub title: &'a str,
    pub dates: &'a [Date],
    pub lines: Vec<Line<'a>>,
    pub drawdown: &'a [f64],
    pub asset_names: &'a [String],
    pub weights: &'a [f64],
}

/// Writes `equity`, `drawdown` and `allocation` charts as `.png` and `.svg` into `dir`.
pub fn write_all(dir: &Path, c: &ChartData) -> Result<()> {
    let eq_title = format!("{}: equity (log scale)", c.title);
    let dd_title = format!("{}: drawdown", c.title);
    let al_title = format!("{}: allocation", c.title);
    png_and_svg!(dir, "equity", equity_chart, &eq_title, c.dates, &c.lines);
    png_and_svg!(
        dir,
        "drawdown",
        drawdown_chart,
        &dd_title,
        c.dates,
        c.drawdown
    );
    png_and_svg!(
        dir,
        "allocation",
        allocation_chart,
        &al_title,
        c.dates,
        c.asset_names,
        c.weights
    );
    Ok(())
}

/// Writes one equity chart (`<stem>.png` and `<stem>.svg`) with the given lines.
pub fn write_equity(
    dir: &Path,
    stem: &str,
    title: &str,
    dates: &[Date],
    lines: &[Line],
) -> Result<()> {
    png_and_svg!(dir, stem, equity_chart, title, dates, lines);
    Ok(())
}

/// A heatmap grid: `values[yi * xs.len() + xi]`, NaN for combinations with no variant.
pub struct Heatmap<'a> {
    pub title: &'a str,
    pub x_name: &'a str,
    pub xs: &'a [f64],
    pub y_name: &'a str,
    pub ys: &'a [f64],
    pub values: &'a [f64],
    pub metric: &'a str,
    /// The chosen variant's cell, marked.
    pub mark: Option<(usize, usize)>,
}

/// Viridis-like colour for t in [0, 1] (interpolated between five anchors of the viridis map).
fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * 4.0;
    let i = (pos.floor() as usize).min(3);
    let f = pos - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap_chart<DB: DrawingBackend<ErrorType: 'static>>(
    root: DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> Drawn {
    let e = err::<DB::ErrorType>("the heatmap");
    root.fill(&WHITE).map_err(&e)?;
    let (main, bar) = root.split_horizontally(WIDTH - 110);
    let finite = h.values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (nx, ny) = (h.xs.len(), h.ys.len());
    let mut chart = ChartBuilder::on(&main)
        .caption(h.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        // Cell i spans [i - 0.5, i + 0.5], so whole-number ticks sit at cell centres.
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(&e)?;
    let xs = h.xs;
    let ys = h.ys;
    let label = |vals: &[f64], p: f64| -> String {
        if (p - p.round()).abs() > 1e-6 || p < -0.1 {
            return String::new();
        }
        vals.get(p.round() as usize)
            .map(|v| format!("{v}"))
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(h.x_name)
        .y_desc(h.y_name)
        .x_labels(nx.min(12))
        .y_labels(ny.min(12))
        .x_label_formatter(&|x| label(xs, *x))
        .y_label_formatter(&|y| label(ys, *y))
        .draw()
        .map_err(&e)?;
    chart
        .draw_series(
            (0..ny)
                .flat_map(|yi| (0..nx).map(move |xi| (xi, yi)))
                .map(|(xi, yi)| {
                    let v = h.values[yi * nx + xi];
                    let color = if v.is_finite() {
                        viridis((v - lo) / span)
                    } else {
                        RGBColor(230, 230, 230)
                    };
                    let (x, y) = (xi as f64, yi as f64);
                    Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], color.filled())
                }),
        )
        .map_err(&e)?;
    if let Some((mx, my)) = h.mark {
        let (x, y) = (mx as f64, my as f64);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                RED.stroke_width(3),
            )))
            .map_err(&e)?;
        chart
            .draw_series(std::iter::once(Cross::new((x, y), 6, RED.stroke_width(2))))
            .map_err(&e)?;
    }
    // Colour bar.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(50)
        .margin_bottom(50)
        .margin_right(10)
        .y_label_area_size(60)
        .caption(h.metric, ("sans-serif", 14))
        .build_cartesian_2d(0.0..1.0, lo..lo + span)
        .map_err(&e)?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_label_style(("sans-serif", 13))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(&e)?;
    cb.draw_series((0..100).map(|i| {
        let (a, b) = (
            lo + span * i as f64 / 100.0,
            lo + span * (i + 1) as f64 / 100.0,
        );
        Rectangle::new([(0.0, a), (1.0, b)], viridis(i as f64 / 99.0).filled())
    }))
    .map_err(&e)?;
    root.present().map_err(&e)?;
    Ok(())
}

/// Writes a heatmap as `<stem>.png` and `<stem>.svg`.
pub fn write_heatmap(dir: &Path, stem: &str, h: &Heatmap) -> Result<()> {
    png_and_svg!(dir, stem, heatmap_chart, h);
    Ok(())
}

/// The average path after events with its band, against all days' average path.
pub struct EventPath<'a> {
    pub title: &'a str,
    /// (bar, mean, low, high) for the events; bars with no event data are skipped.
    pub events: Vec<(usize, f64, f64, f64)>,
    /// (bar, mean) over all days.
    pub all_days: Vec<(usize, f64)>,
}

fn event_path_chart<DB: DrawingBackend<ErrorType: 'static>>(
    root: DrawingArea<DB, Shift>,
    p: &EventPath,
) -> Drawn {
    let e = err::<DB::ErrorType>("the event path chart");
    root.fill(&WHITE).map_err(&e)?;
    let max_k = p
        .events
        .iter()
        .map(|x| x.0)
        .chain(p.all_days.iter().map(|x| x.0))
        .max()
        .unwrap_or(1)
        .max(1);
    let vals = p
        .events
        .iter()
        .flat_map(|x| [x.1, x.2, x.3])
        .chain(p.all_days.iter().map(|x| x.1))
        .filter(|v| v.is_finite());
    let (lo, hi) = vals.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.08).max(1e-4);
    let mut chart = ChartBuilder::on(&root)
        .caption(p.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_k as f64, (lo - pad)..(hi + pad))
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_desc("bars after the event")
        .y_label_formatter(&|y| format!("{:.1}%", y * 100.0))
        .y_desc("average cumulative return")
        .draw()
        .map_err(&e)?;
    let band: Vec<(f64, f64)> = p
        .events
        .iter()
        .map(|x| (x.0 as f64, x.3))
        .chain(p.events.iter().rev().map(|x| (x.0 as f64, x.2)))
        .collect();
    if band.len() > 2 {
        chart
            .draw_series(std::iter::once(Polygon::new(band, PALETTE[0].mix(0.2))))
            .map_err(&e)?;
    }
    chart
        .draw_series(LineSeries::new(
            p.events.iter().map(|x| (x.0 as f64, x.1)),
            PALETTE[0].stroke_width(2),
        ))
        .map_err(&e)?
        .label("after events (band: bootstrap interval of the mean)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], PALETTE[0].stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            p.all_days.iter().map(|x| (x.0 as f64, x.1)),
            PALETTE[7].stroke_width(2),
        ))
        .map_err(&e)?
        .label("all days")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], PALETTE[7].stroke_width(2)));
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (max_k as f64, 0.0)],
            BLACK.mix(0.4),
        )))
        .map_err(&e)?;
    finish(chart, root, SeriesLabelPosition::UpperLeft).map_err(&e)
}

/// Writes the event path chart as `<stem>.png` and `<stem>.svg`.
pub fn write_event_path(dir: &Path, stem: &str, p: &EventPath) -> Result<()> {
    png_and_svg!(dir, stem, event_path_chart, p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels() {
        assert_eq!(money(950.0), "950");
        assert_eq!(money(12_000.0), "12k");
        assert_eq!(money(3_400_000.0), "3.4M");
        assert_eq!(money(1.5e9), "1.5B");
        assert_eq!(money(0.5), "0.5");
    }

    #[test]
    fn fractional_years() {
        assert_eq!(year(date::from_ymd(2024, 1, 1)), 2024.0);
        assert!((year(date::from_ymd(2023, 7, 2)) - (2023.0 + 182.0 / 365.0)).abs() < 1e-12);
    }

    #[test]
    fn thinning_keeps_extremes() {
        let v: Vec<f64> = (0..10_000)
            .map(|i| if i == 4321 { -5.0 } else { 0.0 })
            .collect();
        let idx = thin(v.len(), |a, b| if v[b] < v[a] { b } else { a });
        assert!(idx.len() <= MAX_POINTS);
        assert!(idx.contains(&4321));
    }
}
