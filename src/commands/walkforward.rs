//! `rotor walkforward`: choose on each training span, run on the next, chain out of sample.

use super::{claim_dir, flag_error, publish, Status};
use crate::error::Result;
use crate::report;
use crate::stats::Metric;
use crate::sweep::{self, walkforward as wf};
use crate::{data, pipeline};
use std::io::Write;
use std::path::Path;

pub struct WalkforwardOptions<'a> {
    pub strategy: &'a Path,
    pub params: &'a [String],
    /// A metric with [`Metric::on_windows`].
    pub rank: Metric,
    pub train: &'a str,
    pub test: &'a str,
    pub step: Option<&'a str>,
    pub anchored: bool,
    pub out: Option<&'a Path>,
    /// Write report.html.
    pub report: bool,
}

pub fn run(o: &WalkforwardOptions, out: &mut dyn Write) -> Result<Status> {
    if !o.rank.on_windows() {
        let ok = Metric::ALL.into_iter().filter(|m| m.on_windows());
        return Err(flag_error(
            "--rank",
            format!(
                "{}: walk-forward ranks by one of {}",
                o.rank,
                Metric::names(ok)
            ),
        ));
    }
    let train = wf::parse_span(o.train).map_err(|m| flag_error("--train", m))?;
    let test = wf::parse_span(o.test).map_err(|m| flag_error("--test", m))?;
    let step = match o.step {
        Some(s) => wf::parse_span(s).map_err(|m| flag_error("--step", m))?,
        None => test,
    };
    let shorter = match (step, test) {
        (wf::Span::Months(a), wf::Span::Months(b)) => a < b,
        (wf::Span::Bars(a), wf::Span::Bars(b)) => a < b,
        _ => false,
    };
    if shorter {
        return Err(flag_error(
            "--step",
            "the step must be at least the test span, so out-of-sample spans do not overlap".into(),
        ));
    }
    let (strategy, _) = pipeline::compile(o.strategy)?;
    let sw = sweep::build(&strategy, o.params)?;
    let dir = claim_dir(o.out, &strategy.name, "-walkforward", &strategy, &[])?;
    let panel = data::load_panel(&strategy)?;
    let windows = wf::windows(&panel.dates, train, test, step, o.anchored)
        .map_err(|m| flag_error("--train/--test/--step", m))?;
    let result = wf::run(&strategy, &panel, &sw, &windows, o.rank, o.anchored)?;
    publish(
        &dir,
        "walkforward",
        o.report,
        |tmp| report::sweep::write_walkforward(tmp, &strategy.name, &result, &sw),
        &report::sweep::walkforward_text(&strategy.name, &result, &sw),
        out,
    )?;
    Ok(Status::Success)
}
