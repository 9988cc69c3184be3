//! Hand-built inline SVG charts for the HTML report: lines (linear or log scale, shaded
//! ranges, fill to zero), stacked areas, grouped bars and histograms. Colours come from CSS
//! classes (`s0`..`s5`, `axis`, `grid`, `band`), so the page's light and dark themes apply.
//!
//! Long series are decimated per pixel column (the first, lowest, highest and last point of
//! each column are kept, in order), so a century of daily data draws as it would in full at
//! this size; the numbers themselves are never decimated (they are in the tables and files).

use std::fmt::Write as _;

/// Chart size and plot margins, in SVG user units (the SVG scales to its container's width).
pub const W: f64 = 960.0;
pub const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 28.0;

fn x0() -> f64 {
    LEFT
}
fn x1() -> f64 {
    W - RIGHT
}
fn y0() -> f64 {
    H - BOTTOM
}
fn y1() -> f64 {
    TOP
}

/// Escapes text for SVG/XML content and attributes.
pub fn esc(s: &str) -> String {
    crate::report::xml_escape(s)
}

/// A value axis: linear or log, from `lo` to `hi`.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    /// Counts: ticks on whole numbers only (no "0, 0, 1, 2, 2" from half steps).
    whole: bool,
}

impl Scale {
    fn counts(self) -> Scale {
        Scale {
            whole: true,
            ..self
        }
    }

    fn new(values: impl Iterator<Item = f64>, log: bool, include_zero: bool) -> Scale {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = if log { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        if include_zero && !log {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi <= lo {
            hi = lo + if log { lo } else { 1.0 };
        }
        if log {
            // Padded like a linear axis, so the lowest value does not sit on the x-axis.
            let pad = (hi.ln() - lo.ln()) * 0.04;
            Scale {
                lo: lo.ln() - pad,
                hi: hi.ln() + pad,
                log,
                whole: false,
            }
        } else {
            let pad = (hi - lo) * 0.04;
            Scale {
                lo: if lo == 0.0 { 0.0 } else { lo - pad },
                hi: if hi == 0.0 { 0.0 } else { hi + pad },
                log,
                whole: false,
            }
        }
    }
    fn t(&self, v: f64) -> f64 {
        let v = if self.log { v.ln() } else { v };
        (v - self.lo) / (self.hi - self.lo)
    }
    fn y(&self, v: f64) -> f64 {
        y0() - self.t(v) * (y0() - y1())
    }
    /// Tick values: 1-2-5 steps on a linear axis; 1-2-5 (or powers of 10) on a log axis.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (lo, hi) = (self.lo.exp(), self.hi.exp());
            let decades = (hi / lo).log10();
            let mults: &[f64] = if decades > 4.0 {
                &[1.0]
            } else if decades > 1.5 {
                &[1.0, 3.0]
            } else {
                &[1.0, 2.0, 5.0]
            };
            let mut out = Vec::new();
            let mut p = 10f64.powf(lo.log10().floor());
            while p <= hi * 1.0001 {
                for m in mults {
                    let v = p * m;
                    if v >= lo * 0.9999 && v <= hi * 1.0001 {
                        out.push(v);
                    }
                }
                p *= 10.0;
            }
            if decades > 8.0 {
                let step = (decades / 6.0).ceil() as usize;
                out = out.into_iter().step_by(step).collect();
            }
            out
        } else {
            let span = self.hi - self.lo;
            let raw = span / 6.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 2.5, 5.0, 10.0]
                .iter()
                .map(|m| m * mag)
                .find(|s| span / s <= 7.0)
                .unwrap_or(10.0 * mag);
            let step = if self.whole {
                step.max(1.0).ceil()
            } else {
                step
            };
            let mut v = (self.lo / step).ceil() * step;
            let mut out = Vec::new();
            while v <= self.hi + step * 1e-9 {
                out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
                v += step;
            }
            out
        }
    }
}

/// The x axis: dates as days (rotor's `Date`), or plain numbers (bars after an event).
#[derive(Clone, Copy)]
struct TimeAxis {
    lo: f64,
    hi: f64,
    dates: bool,
}

impl TimeAxis {
    fn new(x: &[f64]) -> TimeAxis {
        let lo = x.first().copied().unwrap_or(0.0);
        let hi = x.last().copied().unwrap_or(1.0).max(lo + 1.0);
        TimeAxis {
            lo,
            hi,
            dates: true,
        }
    }
    fn x(&self, v: f64) -> f64 {
        x0() + (v - self.lo) / (self.hi - self.lo) * (x1() - x0())
    }
    /// Year ticks (1 January), at most about 10; round numbers on a plain axis.
    fn ticks(&self) -> Vec<(f64, String)> {
        if !self.dates {
            let s = Scale {
                lo: self.lo,
                hi: self.hi,
                log: false,
                whole: false,
            };
            return s.ticks().into_iter().map(|v| (v, format!("{v}"))).collect();
        }
        let (y_lo, _, _) = crate::date::to_ymd(self.lo as i32);
        let (y_hi, _, _) = crate::date::to_ymd(self.hi as i32);
        let span = (y_hi - y_lo).max(1);
        let step = [1, 2, 5, 10, 20, 25, 50]
            .into_iter()
            .find(|s| span / s <= 10)
            .unwrap_or(100);
        let mut out = Vec::new();
        let mut y = (y_lo + 1).div_euclid(step) * step;
        if y <= y_lo {
            y += step;
        }
        while y <= y_hi {
            let d = crate::date::from_ymd(y, 1, 1) as f64;
            if d > self.lo && d < self.hi {
                out.push((d, y.to_string()));
            }
            y += step;
        }
        if out.is_empty() {
            // Less than a year: the first days of a few months.
            let (y, m, _) = crate::date::to_ymd(self.lo as i32);
            let (mut yy, mut mm) = (y, m);
            loop {
                mm += 1;
                if mm > 12 {
                    mm = 1;
                    yy += 1;
                }
                let d = crate::date::from_ymd(yy, mm, 1) as f64;
                if d >= self.hi {
                    break;
                }
                out.push((d, format!("{yy}-{mm:02}")));
            }
            let every = out.len().div_ceil(8).max(1);
            out = out.into_iter().step_by(every).collect();
        }
        out
    }
}

/// Keeps, per pixel column, the first, lowest, highest and last point, in order.
fn decimate(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() < 2 * (x1() - x0()) as usize {
        return points.to_vec();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let col = points[i].0.floor();
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < points.len() && points[j].0.floor() == col {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = vec![i, lo, hi, j - 1];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| points[k]));
        i = j;
    }
    out
}

/// An SVG path through the points, breaking at gaps (NaN).
fn path(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let mut pen = false;
    for &(x, y) in points {
        if !y.is_finite() {
            pen = false;
            continue;
        }
        let _ = write!(d, "{}{:.1},{:.1}", if pen { "L" } else { "M" }, x, y);
        pen = true;
    }
    d
}

fn open(out: &mut String, title: &str, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}"><title>{}</title>"#,
        esc(label),
        esc(title)
    );
}

fn y_axis(out: &mut String, s: &Scale, fmt: &dyn Fn(f64) -> String) {
    for v in s.ticks() {
        let y = s.y(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0(),
            x1(),
            x0() - 6.0,
            y + 4.0,
            esc(&fmt(v))
        );
    }
}

fn time_axis(out: &mut String, t: &TimeAxis) {
    for (d, label) in t.ticks() {
        let x = t.x(d);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y1(),
            y0(),
            y0() + 18.0,
            esc(&label)
        );
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
        x0(),
        x1(),
        y0(),
        y0()
    );
}

fn legend(out: &mut String, names: &[&str]) {
    let mut x = x0();
    for (i, n) in names.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect class="f{}" x="{x:.1}" y="8" width="12" height="4"/><text class="legend" x="{:.1}" y="14">{}</text>"#,
            i % 6,
            x + 16.0,
            esc(n)
        );
        x += 28.0 + 7.0 * n.chars().count() as f64;
    }
}

/// The names of shaded regions, right-aligned on the legend's line, each after a swatch.
fn region_legend(out: &mut String, names: &[&str]) {
    let mut x = x1();
    for (i, n) in names.iter().enumerate().rev() {
        x -= 7.0 * n.chars().count() as f64;
        let _ = write!(
            out,
            r#"<rect class="region f{}" x="{:.1}" y="4" width="12" height="12"/><text class="legend" x="{x:.1}" y="14">{}</text>"#,
            i % 6,
            x - 16.0,
            esc(n)
        );
        x -= 28.0;
    }
}

/// One line of a [`lines`] chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

/// Options of a [`lines`] chart.
pub struct Lines<'a> {
    pub label: &'a str,
    /// Dates as days, one per value.
    pub x: &'a [f64],
    pub series: Vec<Series<'a>>,
    pub log: bool,
    pub format: &'a dyn Fn(f64) -> String,
    /// Shaded date ranges (from, to), e.g. the worst drawdowns.
    pub bands: Vec<(f64, f64)>,
    /// Fill the first series down to zero (an underwater chart).
    pub fill: bool,
    /// Include zero in the value axis and draw it.
    pub zero: bool,
    /// `x` are dates (days); otherwise plain numbers.
    pub dates: bool,
    /// A shaded interval (low, high) around the first series.
    pub interval: Option<(&'a [f64], &'a [f64])>,
    /// Date ranges shaded in the colour of their group (group, from, to), with each group's
    /// name for the legend: the regimes that held.
    pub regions: Vec<(usize, f64, f64)>,
    pub region_names: Vec<&'a str>,
}

/// A time-series line chart.
pub fn lines(c: &Lines) -> String {
    let t = TimeAxis {
        dates: c.dates,
        ..TimeAxis::new(c.x)
    };
    let band = c
        .interval
        .into_iter()
        .flat_map(|(lo, hi)| lo.iter().chain(hi.iter()).copied());
    let s = Scale::new(
        c.series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .chain(band),
        c.log,
        c.zero,
    );
    let mut out = String::new();
    open(&mut out, c.label, c.label);
    for &(a, b) in &c.bands {
        let (xa, xb) = (t.x(a), t.x(b));
        let _ = write!(
            out,
            r#"<rect class="band" x="{xa:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
            y1(),
            (xb - xa).max(1.0),
            y0() - y1()
        );
    }
    for &(g, a, b) in &c.regions {
        let (xa, xb) = (t.x(a), t.x(b));
        let _ = write!(
            out,
            r#"<rect class="region f{}" x="{xa:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
            g % 6,
            y1(),
            (xb - xa).max(0.5),
            y0() - y1()
        );
    }
    y_axis(&mut out, &s, c.format);
    time_axis(&mut out, &t);
    if c.zero && !c.log {
        let y = s.y(0.0);
        let _ = write!(
            out,
            r#"<line class="axis" x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/>"#,
            x0(),
            x1()
        );
    }
    if let Some((lo, hi)) = c.interval {
        let point = |k: usize, v: f64| (t.x(c.x[k]), s.y(v));
        let n = c.x.len().min(lo.len()).min(hi.len());
        let both = |k: &usize| lo[*k].is_finite() && hi[*k].is_finite();
        let upper: Vec<(f64, f64)> = (0..n).filter(both).map(|k| point(k, hi[k])).collect();
        let lower: Vec<(f64, f64)> = (0..n).rev().filter(both).map(|k| point(k, lo[k])).collect();
        if !upper.is_empty() {
            let mut d = path(&decimate(&upper));
            d.push_str(&path(&decimate_rev(&lower)).replacen('M', "L", 1));
            let _ = write!(out, r#"<path class="f0 interval" d="{d}Z"/>"#);
        }
    }
    for (i, ser) in c.series.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            c.x.iter()
                .zip(ser.values)
                .map(|(&x, &v)| {
                    let ok = v.is_finite() && (!c.log || v > 0.0);
                    (t.x(x), if ok { s.y(v) } else { f64::NAN })
                })
                .collect();
        let pts = decimate(&pts);
        let d = path(&pts);
        if c.fill && i == 0 {
            let base = s.y(0.0);
            if let (Some(first), Some(last)) = (pts.first(), pts.last()) {
                let _ = write!(
                    out,
                    r#"<path class="f{i} area" d="M{:.1},{base:.1}{}L{:.1},{base:.1}Z"/>"#,
                    first.0,
                    d.replacen('M', "L", 1),
                    last.0
                );
            }
        }
        let _ = write!(out, r#"<path class="s{} line" d="{d}"/>"#, i % 6);
    }
    let names: Vec<&str> = c.series.iter().map(|s| s.name).collect();
    if names.len() > 1 || !c.fill {
        legend(&mut out, &names);
    }
    region_legend(&mut out, &c.region_names);
    out.push_str("</svg>");
    out
}

/// Weights over time, stacked (long positions; shorts and leverage draw past 0 and 1).
pub fn stacked(label: &str, x: &[f64], layers: &[(&str, Vec<f64>)]) -> String {
    let t = TimeAxis::new(x);
    let n = x.len();
    let mut tops = vec![vec![0.0; n]; layers.len() + 1];
    for (i, (_, w)) in layers.iter().enumerate() {
        let below = tops[i].clone();
        for (k, top) in tops[i + 1].iter_mut().enumerate() {
            *top = below[k] + w.get(k).copied().unwrap_or(0.0).max(0.0);
        }
    }
    let s = Scale::new(
        tops.iter().flatten().copied().chain([0.0, 1.0]),
        false,
        true,
    );
    let mut out = String::new();
    open(&mut out, label, label);
    y_axis(&mut out, &s, &|v| format!("{:.0}%", v * 100.0));
    time_axis(&mut out, &t);
    for i in 0..layers.len() {
        let upper: Vec<(f64, f64)> = (0..n).map(|k| (t.x(x[k]), s.y(tops[i + 1][k]))).collect();
        let lower: Vec<(f64, f64)> = (0..n).rev().map(|k| (t.x(x[k]), s.y(tops[i][k]))).collect();
        let (upper, lower) = (decimate(&upper), decimate_rev(&lower));
        let mut d = path(&upper);
        d.push_str(&path(&lower).replacen('M', "L", 1));
        d.push('Z');
        let _ = write!(out, r#"<path class="f{} area" d="{d}"/>"#, i % 6);
    }
    let names: Vec<&str> = layers.iter().map(|l| l.0).collect();
    legend(&mut out, &names);
    out.push_str("</svg>");
    out
}

/// [`decimate`] of points listed right to left.
fn decimate_rev(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut fwd: Vec<(f64, f64)> = points.iter().rev().copied().collect();
    fwd = decimate(&fwd);
    fwd.reverse();
    fwd
}

/// Grouped bars: one group per category, one bar per series.
pub fn bars(
    label: &str,
    categories: &[String],
    series: &[(&str, Vec<f64>)],
    format: &dyn Fn(f64) -> String,
) -> String {
    let s = Scale::new(
        series.iter().flat_map(|(_, v)| v.iter().copied()),
        false,
        true,
    );
    let mut out = String::new();
    open(&mut out, label, label);
    y_axis(&mut out, &s, format);
    let n = categories.len().max(1) as f64;
    let group = (x1() - x0()) / n;
    let bar = (group * 0.8 / series.len().max(1) as f64).max(0.5);
    let base = s.y(0.0);
    let every = categories.len().div_ceil(16).max(1);
    for (c, name) in categories.iter().enumerate() {
        let gx = x0() + group * c as f64 + group * 0.1;
        for (i, (_, v)) in series.iter().enumerate() {
            let val = v[c];
            if !val.is_finite() {
                continue;
            }
            let y = s.y(val);
            let _ = write!(
                out,
                r#"<rect class="f{}" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}"><title>{} {}: {}</title></rect>"#,
                i % 6,
                gx + bar * i as f64,
                y.min(base),
                (y - base).abs().max(0.5),
                esc(name),
                esc(series[i].0),
                esc(&format(val))
            );
        }
        if c % every == 0 {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                gx + group * 0.4,
                y0() + 18.0,
                esc(name)
            );
        }
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{:.1}" x2="{:.1}" y1="{base:.1}" y2="{base:.1}"/>"#,
        x0(),
        x1()
    );
    let names: Vec<&str> = series.iter().map(|s| s.0).collect();
    legend(&mut out, &names);
    out.push_str("</svg>");
    out
}

/// A histogram of `values` in `bins` equal bins, with optional marked values (drawn as
/// vertical lines with a label).
pub fn histogram(
    label: &str,
    values: &[f64],
    bins: usize,
    format: &dyn Fn(f64) -> String,
    marks: &[(&str, f64)],
) -> String {
    histogram_of(
        label,
        crate::stats::distribution::histogram(values, bins).as_ref(),
        format,
        marks,
    )
}

/// A histogram already binned (as `summary.json` keeps a sweep's).
pub fn histogram_of(
    label: &str,
    h: Option<&crate::stats::distribution::Histogram>,
    format: &dyn Fn(f64) -> String,
    marks: &[(&str, f64)],
) -> String {
    let mut out = String::new();
    open(&mut out, label, label);
    let Some(h) = h else {
        out.push_str("</svg>");
        return out;
    };
    let (lo, hi, width, counts) = (h.lo, h.hi, h.width, &h.counts);
    let bins = counts.len();
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    let ys = Scale::new([0.0, top].into_iter(), false, true).counts();
    y_axis(&mut out, &ys, &|c| format!("{c:.0}"));
    let xs = |x: f64| x0() + (x - lo) / (width * bins as f64) * (x1() - x0());
    for (b, c) in counts.iter().enumerate() {
        let (a, z) = (xs(lo + width * b as f64), xs(lo + width * (b + 1) as f64));
        let y = ys.y(*c as f64);
        let _ = write!(
            out,
            r#"<rect class="f0" x="{a:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{} to {}: {c}</title></rect>"#,
            (z - a - 0.5).max(0.5),
            y0() - y,
            esc(&format(lo + width * b as f64)),
            esc(&format(lo + width * (b + 1) as f64))
        );
    }
    for k in 0..=4 {
        let x = lo + (hi - lo) * k as f64 / 4.0;
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            xs(x),
            y0() + 18.0,
            esc(&format(x))
        );
    }
    for (name, m) in marks {
        if !m.is_finite() {
            continue;
        }
        let x = xs(m.clamp(lo, hi));
        // The label on the side with room.
        let (lx, anchor) = if x > (x0() + x1()) / 2.0 {
            (x - 4.0, "end")
        } else {
            (x + 4.0, "start")
        };
        let _ = write!(
            out,
            r#"<line class="mark" x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}"/><text class="legend" x="{lx:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            y1(),
            y0(),
            y1() + 12.0,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A heatmap: `cells[y][x]` as coloured squares (CSS classes from `class_of`), labelled axes
/// (every k-th label when they are many), the `mark` cell outlined.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    label: &str,
    x_name: &str,
    xs: &[String],
    y_name: &str,
    ys: &[String],
    cells: &[Vec<f64>],
    class_of: &dyn Fn(f64) -> String,
    format: &dyn Fn(f64) -> String,
    mark: Option<(usize, usize)>,
) -> String {
    let mut out = String::new();
    open(&mut out, label, label);
    let (nx, ny) = (xs.len().max(1) as f64, ys.len().max(1) as f64);
    let (w, h) = ((x1() - x0()) / nx, (y0() - y1()) / ny);
    for (j, row) in cells.iter().enumerate() {
        for (i, v) in row.iter().enumerate() {
            let _ = write!(
                out,
                r#"<rect class="{}" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}"><title>{x_name} {}, {y_name} {}: {}</title></rect>"#,
                class_of(*v),
                x0() + w * i as f64,
                y1() + h * j as f64,
                w + 0.05,
                h + 0.05,
                esc(&xs[i]),
                esc(&ys[j]),
                esc(&format(*v))
            );
        }
    }
    let every_x = (xs.len() / 16).max(1);
    for (i, name) in xs.iter().enumerate().step_by(every_x) {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x0() + w * (i as f64 + 0.5),
            y0() + 16.0,
            esc(name)
        );
    }
    let every_y = (ys.len() / 10).max(1);
    for (j, name) in ys.iter().enumerate().step_by(every_y) {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0() - 6.0,
            y1() + h * (j as f64 + 0.5) + 4.0,
            esc(name)
        );
    }
    if let Some((i, j)) = mark {
        let _ = write!(
            out,
            r#"<rect class="winner" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}"/>"#,
            x0() + w * i as f64,
            y1() + h * j as f64,
            w.max(3.0),
            h.max(3.0)
        );
    }
    let _ = write!(
        out,
        r#"<text class="legend" x="{:.1}" y="16">{} across, {} down</text>"#,
        x0(),
        esc(x_name),
        esc(y_name)
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_extremes_in_order() {
        let pts: Vec<(f64, f64)> = (0..20000)
            .map(|i| (x0() + i as f64 / 40.0, (i as f64 * 0.37).sin()))
            .collect();
        let d = decimate(&pts);
        assert!(d.len() < pts.len() / 5, "{}", d.len());
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
        let max = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert!(d.iter().any(|p| p.1 == max));
    }

    #[test]
    fn linear_ticks_are_round_and_cover() {
        let s = Scale::new([-0.23, 0.41].into_iter(), false, true);
        let t = s.ticks();
        assert!(t.contains(&0.0));
        assert!(t.first().unwrap() >= &s.lo && t.last().unwrap() <= &s.hi);
        let l = Scale::new([900.0, 1.2e9].into_iter(), true, false);
        assert!(l.ticks().len() <= 10, "{:?}", l.ticks());
        // The lowest value of a log axis sits above the x-axis, not on it.
        assert!(l.y(900.0) < y0() - 1.0);
    }

    #[test]
    fn count_axes_label_whole_numbers_once() {
        for top in [1.0, 2.0, 3.0, 5.0, 7.0, 40.0] {
            let s = Scale::new([0.0, top].into_iter(), false, true).counts();
            let labels: Vec<String> = s.ticks().iter().map(|c| format!("{c:.0}")).collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(labels, unique, "top {top}");
            assert!(s.ticks().iter().all(|t| t.fract() == 0.0), "top {top}");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
