//! `rotor check`: rerun committed strategies and compare them with stored baselines.
//!
//! A baseline (`<strategy dir>/baselines/<name>.toml` unless `--baseline DIR`) holds the
//! headline metrics, final equity, trade count, hashes of the equity curve and trade list, the
//! engine version and the sha256 of each input file. A metric passes when
//! `|now - baseline| <= tolerance x max(1, |baseline|)`; counts and hashes must match exactly.
//! Tolerances: the baseline's `[tolerances]`, else the strategy's `[check]`, else 1e-9.
//!
//! * [`baseline`]: the file, measured from a run, written and read back;
//! * [`compare`]: tolerances and verdicts;
//! * [`render`]: the human, JSON, JUnit and GitHub outputs, one renderer each;
//! * here: finding the strategies, running them (through [`crate::pipeline`]), checking and
//!   blessing.

pub mod baseline;
pub mod compare;
pub mod render;

pub use baseline::{measure, Baseline, BASELINE_SCHEMA};
pub use compare::{compare, within, Checked, Row, Verdict};
pub use render::{counts, summary_line, Format, Render};

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::pipeline::{self, Outcome};
use crate::report::write_atomically;
use crate::spec::CheckSpec;
use std::path::{Path, PathBuf};

/// Strategy files named by `paths`: files as given, folders' `*.toml` files (not recursive,
/// sorted), leaving out a folder's event study files, which come second (`rotor check` reruns
/// strategies; it notes the others).
pub fn discover(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut skipped = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| Error::io(format!("cannot list {}", p.display()), e))?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            let (events, strategies): (Vec<PathBuf>, Vec<PathBuf>) = found
                .into_iter()
                .partition(|f| crate::spec::FileKind::of_file(f) == crate::spec::FileKind::Events);
            skipped.extend(events);
            out.extend(strategies);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::input(Diagnostic::new(
            paths.first().cloned().unwrap_or_default(),
            "no strategy files (*.toml) found",
        )));
    }
    Ok((out, skipped))
}

fn baseline_path(strategy_file: &Path, name: &str, dir: Option<&Path>) -> PathBuf {
    match dir {
        Some(d) => d.join(format!("{name}.toml")),
        None => strategy_file
            .parent()
            .unwrap_or(Path::new("."))
            .join("baselines")
            .join(format!("{name}.toml")),
    }
}

/// Runs every strategy (in parallel) and returns the outcomes, or all input errors at once.
fn run_all(paths: &[PathBuf]) -> Result<Vec<Outcome>> {
    let (files, _) = discover(paths)?;
    let mut outcomes = Vec::new();
    let mut diags = Diagnostics::default();
    for r in pipeline::run_paths(&files) {
        match r {
            Ok(o) => outcomes.push(o),
            Err(Error::Input(d)) => diags.extend(d),
            Err(e) => return Err(e),
        }
    }
    // Two strategies with one name would share one baseline (and drift against each other).
    diags.extend(pipeline::same_names(
        outcomes.iter().map(|o| &o.prepared.strategy),
        "the baselines",
    ));
    diags.into_result(outcomes)
}

/// `rotor check`: compares every strategy with its baseline.
pub fn check(paths: &[PathBuf], baseline_dir: Option<&Path>) -> Result<Vec<Checked>> {
    let outcomes = run_all(paths)?;
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for o in &outcomes {
        let s = &o.prepared.strategy;
        let bpath = baseline_path(&s.path, &s.name, baseline_dir);
        let now = measure(o);
        let text = match crate::error::read_text(&bpath, "baseline") {
            Ok(t) => t,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                out.push(Checked {
                    strategy: s.name.clone(),
                    file: s.path.clone(),
                    baseline_file: bpath,
                    verdict: Verdict::Missing,
                    rows: vec![],
                    inputs_changed: vec![],
                    engine_changed: None,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let base = match Baseline::parse(&bpath, &text) {
            Ok(b) => b,
            Err(Error::Input(d)) => {
                diags.extend(d);
                continue;
            }
            Err(e) => return Err(e),
        };
        let unknown: Vec<_> = base
            .regimes
            .iter()
            .filter(|r| !s.regimes.iter().any(|(n, _)| *n == r.name))
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = s.regimes.iter().map(|(n, _)| n.as_str()).collect();
            for r in unknown {
                let (line, column) = r.at.unwrap_or((1, 1));
                diags.push(
                    Diagnostic::new(&bpath, format!(
                        "unknown regime `{}`: {} has {} (rerun `rotor check --bless` to rewrite the baseline)",
                        r.name,
                        s.path.display(),
                        if known.is_empty() { "no regimes".to_owned() } else { format!("the regimes {}", known.join(", ")) }
                    ))
                    .at(line, column)
                    .key(format!("regimes.{}", r.name)),
                );
            }
            continue;
        }
        let (rows, ok) = compare(&now, &base, &s.check);
        let mut inputs_changed = Vec::new();
        for (p, h) in &now.inputs {
            match base.inputs.iter().find(|(q, _)| q == p) {
                Some((_, bh)) if bh == h => {}
                Some(_) => inputs_changed.push(format!("{p} (sha256 differs)")),
                None => inputs_changed.push(format!("{p} (new input)")),
            }
        }
        for (p, _) in &base.inputs {
            if !now.inputs.iter().any(|(q, _)| q == p) {
                inputs_changed.push(format!("{p} (no longer read)"));
            }
        }
        out.push(Checked {
            strategy: s.name.clone(),
            file: s.path.clone(),
            baseline_file: bpath,
            verdict: if ok { Verdict::Pass } else { Verdict::Drift },
            rows,
            inputs_changed,
            engine_changed: (base.engine_version != now.engine_version)
                .then(|| (base.engine_version.clone(), now.engine_version.clone())),
        });
    }
    diags.into_result(out)
}

/// What `--bless` did to one baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blessed {
    Created,
    Updated(Vec<String>),
    Unchanged,
}

/// `rotor check --bless`: writes or rewrites every baseline; says which changed.
/// What blessing one strategy did: (name, baseline file, what changed, the metrics written
/// as `undefined` because they were not finite numbers).
pub type BlessedFile = (String, PathBuf, Blessed, Vec<String>);

/// Blesses every strategy.
pub fn bless(paths: &[PathBuf], baseline_dir: Option<&Path>) -> Result<Vec<BlessedFile>> {
    let outcomes = run_all(paths)?;
    let mut out = Vec::new();
    for o in &outcomes {
        let s = &o.prepared.strategy;
        let bpath = baseline_path(&s.path, &s.name, baseline_dir);
        let mut now = measure(o);
        let old = match crate::error::read_text(&bpath, "baseline") {
            Ok(t) => Some(t),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        // A hand-set tolerance survives re-blessing; a broken old file is simply replaced.
        let old_base = old.as_deref().and_then(|t| Baseline::parse(&bpath, t).ok());
        // A file that is not a baseline rotor wrote (no header, unreadable) is not replaced.
        if let (Some(t), None) = (&old, &old_base) {
            if !t.starts_with(baseline::HEADER) {
                return Err(Error::input(Diagnostic::new(
                    &bpath,
                    format!("is not a baseline rotor wrote (it does not start with `{}`): refusing to overwrite it; move it away or choose --baseline DIR", baseline::HEADER.trim_end()),
                )));
            }
        }
        if let Some(b) = &old_base {
            now.tolerances = b.tolerances.clone();
        }
        let text = now.to_toml()?;
        let status = match (&old, &old_base) {
            (None, _) => Blessed::Created,
            (Some(t), _) if *t == text => Blessed::Unchanged,
            (Some(_), Some(b)) => {
                let (rows, _) = compare(
                    &now,
                    b,
                    &CheckSpec {
                        tolerance: 0.0,
                        ..CheckSpec::default()
                    },
                );
                let mut changed: Vec<String> = rows
                    .into_iter()
                    .filter(|r| !r.ok)
                    .map(|r| r.metric)
                    .collect();
                if b.inputs != now.inputs {
                    changed.push("inputs".into());
                }
                if b.engine_version != now.engine_version {
                    changed.push("engine_version".into());
                }
                Blessed::Updated(changed)
            }
            (Some(_), None) => Blessed::Updated(vec!["(unreadable old baseline)".into()]),
        };
        if status != Blessed::Unchanged {
            write_atomically(&bpath, &text)?;
        }
        out.push((s.name.clone(), bpath, status, now.undefined()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::DEFAULT_TOLERANCE;
    use crate::stats::Metric;

    #[test]
    fn tolerance_edges() {
        // Relative above 1 in magnitude, absolute below.
        assert!(within(100.0, 100.0 + 1e-7, 1e-9));
        assert!(!within(100.0, 100.0 + 1.01e-7, 1e-9));
        assert!(within(0.5, 0.5 + 0.9e-9, 1e-9));
        assert!(!within(0.5, 0.5 + 1.1e-9, 1e-9));
        assert!(within(-2.0, -2.0 - 1.9e-9, 1e-9));
        assert!(!within(-2.0, -2.0 - 2.1e-9, 1e-9));
        assert!(within(f64::NAN, f64::NAN, 0.0));
        assert!(!within(f64::NAN, 1.0, 1.0));
        assert!(within(3.0, 3.0, 0.0));
    }

    fn sample() -> Baseline {
        Baseline {
            strategy: "s".into(),
            engine_version: "0.1.0".into(),
            start: "2000-01-03".into(),
            end: "2001-01-03".into(),
            bars: 250,
            trades: 12,
            equity_hash: "a".repeat(64),
            trades_hash: "b".repeat(64),
            regimes: vec![],
            metrics: Metric::CHECKED
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, 0.1 * i as f64 + 1e-17))
                .collect(),
            inputs: vec![("data/x.csv".into(), "c".repeat(64))],
            tolerances: vec![(Metric::Cagr, 1e-6)],
        }
    }

    #[test]
    fn round_trips_bit_exactly() {
        let mut b = sample();
        b.metrics[1].1 = f64::NAN;
        b.metrics[2].1 = 1.0 / 3.0;
        let text = b.to_toml().unwrap();
        let back = Baseline::parse(Path::new("b.toml"), &text).unwrap();
        assert_eq!(back.metrics[2].1.to_bits(), b.metrics[2].1.to_bits());
        assert!(back.metrics[1].1.is_nan());
        assert_eq!(back.to_toml().unwrap(), text);
    }

    #[test]
    fn hand_edited_baseline_names_line_and_key() {
        let text = sample()
            .to_toml()
            .unwrap()
            .replace("cagr = ", "cagr = \"x\" # ")
            .replace("trades = 12", "trades = 12\nextra = 1");
        let err = Baseline::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metrics.cagr`: expected a number"), "{err}");
        assert!(err.contains("`extra`: unknown key"), "{err}");
        assert!(err.contains("b.toml:11:1"), "{err}");
    }

    #[test]
    fn baseline_tolerance_overrides_strategy() {
        let base = sample();
        let mut now = sample();
        now.metrics[2].1 += 5e-7; // cagr: within the baseline's 1e-6
        now.metrics[3].1 += 5e-7; // volatility: outside the default 1e-9
        let spec = crate::spec::CheckSpec {
            tolerance: DEFAULT_TOLERANCE,
            tolerances: vec![],
            hashes: true,
        };
        let (rows, ok) = compare(&now, &base, &spec);
        assert!(!ok);
        let bad: Vec<&str> = rows
            .iter()
            .filter(|r| !r.ok)
            .map(|r| r.metric.as_str())
            .collect();
        assert_eq!(bad, ["volatility"]);
    }
}
