//! `report.html`: one self-contained page per output folder, built from the folder's own files
//! (so `rotor report DIR` rebuilds exactly what the command wrote, and every number on the
//! page is the one in `stats.json` or `summary.json`).
//!
//! Templates are [`maud`]: compile-time checked, escaping every interpolated string by default,
//! no template files to ship. CSS is inline, charts are inline SVG ([`svg`]), there is no
//! script and no reference to any host: the page works offline from a `file://` URL, prints to
//! A4 or Letter without cutting a chart, and follows the browser's dark mode.

mod events;
mod regimes;
mod run;
pub mod svg;
mod sweep;

use crate::data::load::Frame;
use crate::error::{Diagnostic, Error, Result};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::path::Path;

/// The report's file name in an output folder.
pub const FILE: &str = "report.html";

/// Builds the report of an output folder from its files: `stats.json` makes it a run's, else
/// the schema of its `summary.json` says whose (read once, and handed to the page).
pub fn render(dir: &Path) -> Result<String> {
    if dir.join("stats.json").is_file() {
        return Ok(run::render(dir)?.into_string());
    }
    let path = dir.join("summary.json");
    let text = crate::error::read_text(&path, "result file").map_err(|e| match e {
        Error::Io { .. } => Error::input(Diagnostic::new(
            dir,
            "not a rotor output folder: expected stats.json (rotor run) or summary.json (rotor sweep, walkforward or events)",
        )),
        other => other,
    })?;
    // The schema says which type the file is (read once, then typed).
    #[derive(serde::Deserialize)]
    struct Schema {
        #[serde(default)]
        schema: String,
    }
    let schema: Schema = crate::error::parse_json(&path, &text)?;
    let page = match schema.schema.as_str() {
        s if s.starts_with("rotor.sweep/") => {
            sweep::render_sweep(&crate::error::parse_json(&path, &text)?)?
        }
        s if s.starts_with("rotor.walkforward/") => {
            sweep::render_walkforward(dir, &crate::error::parse_json(&path, &text)?)?
        }
        s if s.starts_with("rotor.events/") => {
            events::render(&crate::error::parse_json(&path, &text)?)
        }
        other => {
            return Err(Error::input(
                Diagnostic::new(&path, format!("unknown schema \"{other}\"")).key("schema"),
            ))
        }
    };
    Ok(page.into_string())
}

/// The report of a run, from its values in memory: the same page [`render`] builds from the
/// run's folder (`tests/report.rs` checks the bytes).
pub fn run_page(
    stats: super::StatsFile,
    panel: &crate::data::Panel,
    runs: &crate::sim::Runs,
    report: &super::Report,
) -> Result<String> {
    Ok(run::render_run(&run::of_run(stats, panel, runs, report))?.into_string())
}

/// Writes `report.html` into an output folder, from the folder's files.
pub fn write(dir: &Path) -> Result<()> {
    super::write_file(dir, FILE, &render(dir)?)
}

/// A CSV file of an output folder, read with the data layer's reader and checks.
pub(crate) struct Csv {
    frame: Frame,
}

impl Csv {
    pub fn read(path: &Path) -> Result<Csv> {
        Ok(Csv {
            frame: Frame::read(path)?,
        })
    }
    pub fn columns(&self) -> Vec<String> {
        self.frame.column_names()
    }
    pub fn rows(&self) -> usize {
        self.frame.rows()
    }
    /// A date column, as days.
    pub fn days(&self, name: &str) -> Result<Vec<f64>> {
        Ok(self.frame.dates(name)?.iter().map(|&d| d as f64).collect())
    }
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        self.frame.numbers(name)
    }
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        self.frame.text(name)
    }
}

/// A whole page: title, the header section's content, then the sections.
pub(crate) fn page(title: &str, sections: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "rotor " (env!("CARGO_PKG_VERSION")) };
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main { (sections) }
            }
        }
    }
}

/// A section with a stable id and a heading.
pub(crate) fn section(id: &str, heading: &str, body: Markup) -> Markup {
    html! {
        section id=(id) {
            h2 { (heading) }
            (body)
        }
    }
}

/// An inline SVG chart in a figure that is never cut across printed pages.
pub(crate) fn figure(svg: String, caption: &str) -> Markup {
    html! {
        figure {
            (PreEscaped(svg))
            figcaption { (caption) }
        }
    }
}

/// A table cell with a number: its text, and the exact value in `data-value` (shortest
/// round-trip form, empty when undefined) so a reader or a test can take the number itself.
pub(crate) fn num_cell(text: &str, value: f64) -> Markup {
    let exact = if value.is_finite() {
        format!("{value}")
    } else {
        String::new()
    };
    html! { td.num data-value=(exact) { (text) } }
}

/// The class of a return's colour: its sign and one of five intensities relative to `scale`.
pub(crate) fn heat(value: f64, scale: f64) -> String {
    if !value.is_finite() || value == 0.0 || scale <= 0.0 {
        return "h0".into();
    }
    let level = ((value.abs() / scale) * 5.0).ceil().clamp(1.0, 5.0) as u8;
    format!("{}{level}", if value > 0.0 { "hp" } else { "hn" })
}

/// Colours as CSS variables (light, then dark), layout, tables, charts and print rules.
const CSS: &str = r#"
:root{--bg:#ffffff;--fg:#1d2430;--muted:#5b6675;--line:#d9dee6;--panel:#f5f7fa;--band:rgba(214,69,65,.10);
--s0:#1f5fbf;--s1:#d9822b;--s2:#2e9e5b;--s3:#8e44ad;--s4:#c0392b;--s5:#16a0a8;
--pos:46,158,91;--neg:214,69,65;--warn-bg:#fff4e5;--warn-fg:#8a4b00}
@media (prefers-color-scheme: dark){:root{--bg:#14181f;--fg:#e4e8ee;--muted:#9aa5b4;--line:#2d3440;--panel:#1b2029;
--band:rgba(240,110,100,.16);--s0:#6ea8ff;--s1:#f0a35e;--s2:#5fd08f;--s3:#c08ae0;--s4:#ff7b72;--s5:#4fd2d9;
--pos:95,208,143;--neg:255,123,114;--warn-bg:#3a2a12;--warn-fg:#ffcf8a}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 10px;padding-top:6px;border-top:2px solid var(--line)}
section{margin:0 0 28px}p{margin:6px 0}.muted{color:var(--muted)}
.banner{background:var(--warn-bg);color:var(--warn-fg);border:1px solid currentColor;border-radius:6px;padding:8px 12px;margin:10px 0;font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:10px 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13.5px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{color:var(--muted);font-weight:600}td.num,th.num{text-align:right}
.wide{overflow-x:auto}
table.heat td{min-width:52px;text-align:right;border:1px solid var(--bg)}
.h0{}.hp1{background:rgba(var(--pos),.12)}.hp2{background:rgba(var(--pos),.24)}.hp3{background:rgba(var(--pos),.38)}.hp4{background:rgba(var(--pos),.52)}.hp5{background:rgba(var(--pos),.68)}
.hn1{background:rgba(var(--neg),.12)}.hn2{background:rgba(var(--neg),.24)}.hn3{background:rgba(var(--neg),.38)}.hn4{background:rgba(var(--neg),.52)}.hn5{background:rgba(var(--neg),.68)}
figure{margin:8px 0 16px;break-inside:avoid;page-break-inside:avoid}figcaption{color:var(--muted);font-size:13px}
svg.chart{width:100%;height:auto;display:block;background:var(--panel);border-radius:6px}
svg .grid{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg .tick,svg .legend{fill:var(--muted);font-size:12px;font-family:inherit}svg .legend{fill:var(--fg)}
svg .line{fill:none;stroke-width:1.4;stroke-linejoin:round}svg .area{opacity:.55;stroke:none}
svg .band{fill:var(--band)}svg .region{opacity:.16;stroke:none}svg .interval{opacity:.18;stroke:none}svg .winner{fill:none;stroke:var(--fg);stroke-width:2}
svg rect.h0{fill:var(--panel)}svg rect.hp1{fill:rgba(var(--pos),.15)}svg rect.hp2{fill:rgba(var(--pos),.3)}svg rect.hp3{fill:rgba(var(--pos),.45)}svg rect.hp4{fill:rgba(var(--pos),.65)}svg rect.hp5{fill:rgba(var(--pos),.85)}
svg rect.hn1{fill:rgba(var(--neg),.15)}svg rect.hn2{fill:rgba(var(--neg),.3)}svg rect.hn3{fill:rgba(var(--neg),.45)}svg rect.hn4{fill:rgba(var(--neg),.65)}svg rect.hn5{fill:rgba(var(--neg),.85)}svg .mark{stroke:var(--s4);stroke-width:2;stroke-dasharray:4 3}
svg .s0{stroke:var(--s0)}svg .s1{stroke:var(--s1)}svg .s2{stroke:var(--s2)}svg .s3{stroke:var(--s3)}svg .s4{stroke:var(--s4)}svg .s5{stroke:var(--s5)}
svg .f0{fill:var(--s0)}svg .f1{fill:var(--s1)}svg .f2{fill:var(--s2)}svg .f3{fill:var(--s3)}svg .f4{fill:var(--s4)}svg .f5{fill:var(--s5)}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 20px}@media (max-width:760px){.cols{grid-template-columns:1fr}}
pre{background:var(--panel);padding:10px;border-radius:6px;overflow-x:auto;font-size:12px}
a{color:var(--s0)}
@media print{@page{size:auto;margin:14mm}body{font-size:11pt;background:#fff;color:#000}main{max-width:none;padding:0}
section{break-inside:auto}h2{break-after:avoid;page-break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}
svg.chart{background:#fff}.wide{overflow:visible}}
"#;
