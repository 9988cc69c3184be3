//! A sweep split across machines: shard I of N runs the variants whose id % N == I and writes
//! its rows with a manifest; `rotor sweep merge` checks the shards against each other and
//! rebuilds the one-machine outputs from them. The shard's index and count come from a flag
//! (`--shard I/N`) or from the environment a scheduler sets (`--shard auto`).

use crate::data::load::{Frame, OutColumn};
use crate::error::{Diagnostic, Error, Result};
use crate::stats::{Curve, Headline, Metric};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether variant `id` belongs to this shard.
    pub fn has(&self, id: usize) -> bool {
        id % self.count == self.index
    }

    /// This shard's variants of a sweep of `n`, in order.
    pub fn ids(&self, n: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        (self.index.min(n)..n).step_by(self.count)
    }
}

fn whole(what: &str, v: &str) -> std::result::Result<usize, String> {
    v.trim()
        .parse::<usize>()
        .map_err(|_| format!("{what}: expected a whole number >= 0, found \"{v}\""))
}

fn checked(index: usize, count: usize, origin: &str) -> std::result::Result<Shard, String> {
    if count == 0 {
        return Err(format!("{origin}: the shard count must be at least 1"));
    }
    if index >= count {
        return Err(format!(
            "{origin}: shard index {index} is not below the shard count {count} (indices are 0 to {})",
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// `I/N` (0-based index I of N shards).
pub fn parse(flag: &str) -> std::result::Result<Shard, String> {
    let Some((i, n)) = flag.split_once('/') else {
        return Err(format!(
            "expected I/N (shard I of N, counting from 0) or `auto`, found \"{flag}\""
        ));
    };
    checked(whole("the index", i)?, whole("the count", n)?, flag)
}

/// The schedulers whose array-job variables `--shard auto` reads: (name, index variable, count
/// variable, whether the index counts from 1).
pub const SCHEDULERS: [(&str, &str, &str, bool); 4] = [
    ("Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", "", false),
    (
        "Slurm job array",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        false,
    ),
    (
        "AWS Batch array job",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "AWS_BATCH_JOB_ARRAY_SIZE",
        false,
    ),
    (
        "GitLab parallel job",
        "CI_NODE_INDEX",
        "CI_NODE_TOTAL",
        true,
    ),
];

/// The shard from the scheduler's environment (`var` reads a variable). Kubernetes gives only
/// the index: the count is `--shard-count`. A Slurm array need not start at 0: the index is
/// `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`. Missing, malformed or conflicting values are
/// errors that name the variables.
pub fn from_env(
    count_flag: Option<usize>,
    var: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Shard, String> {
    let mut found: Vec<(&str, Shard)> = Vec::new();
    for (name, index_var, count_var, one_based) in SCHEDULERS {
        let Some(iv) = var(index_var) else { continue };
        let mut index = whole(index_var, &iv)?;
        let count = if count_var.is_empty() {
            count_flag.ok_or_else(|| {
                format!("{index_var} is set ({name}) but the shard count is not: give --shard-count N (the Job's completions)")
            })?
        } else {
            let cv = var(count_var)
                .ok_or_else(|| format!("{index_var} is set ({name}) but {count_var} is not"))?;
            whole(count_var, &cv)?
        };
        if one_based {
            index = index.checked_sub(1).ok_or_else(|| {
                format!("{index_var}: expected a number from 1 (it counts from 1), found 0")
            })?;
        }
        if index_var == "SLURM_ARRAY_TASK_ID" {
            if let Some(min) = var("SLURM_ARRAY_TASK_MIN") {
                let min = whole("SLURM_ARRAY_TASK_MIN", &min)?;
                index = index.checked_sub(min).ok_or_else(|| {
                    format!("SLURM_ARRAY_TASK_ID {index} is below SLURM_ARRAY_TASK_MIN {min}")
                })?;
            }
        }
        let origin = format!("{name} ({index_var})");
        found.push((name, checked(index, count, &origin)?));
    }
    let Some(&(first_name, first)) = found.first() else {
        let vars: Vec<&str> = SCHEDULERS.iter().map(|s| s.1).collect();
        return Err(format!(
            "--shard auto: none of the schedulers' variables is set ({}); give --shard I/N",
            vars.join(", ")
        ));
    };
    if let Some((name, other)) = found.iter().find(|(_, s)| *s != first) {
        return Err(format!(
            "--shard auto: the environment is ambiguous: {first_name} says shard {} of {}, {name} says {} of {}",
            first.index, first.count, other.index, other.count
        ));
    }
    if let Some(n) = count_flag {
        if n != first.count {
            return Err(format!(
                "--shard-count {n} conflicts with {first_name}, which says {}",
                crate::error::count(first.count, "shard", "shards")
            ));
        }
    }
    Ok(first)
}

/// What a shard folder records besides its rows: enough to check that shards belong together
/// and to rebuild the sweep they are part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub engine_version: String,
    /// The strategy file as given on the command line, its name and the sha256 of its text.
    pub strategy_file: PathBuf,
    pub strategy: String,
    pub strategy_sha256: String,
    /// The `--param` flags of the sweep.
    pub params: Vec<String>,
    /// Every data file read, with its sha256.
    pub inputs: Vec<(PathBuf, String)>,
    /// Variants in the whole sweep.
    pub variants: usize,
    pub shard: Shard,
    /// Rows in this shard's `rows.parquet`.
    pub rows: usize,
    /// The sha256 of `rows.parquet`, checked before the merge reads it (a damaged Parquet file
    /// can make its reader abort).
    pub rows_sha256: String,
}

pub const SCHEMA: &str = "rotor.shard/2";
pub const MANIFEST: &str = "shard.json";
pub const ROWS: &str = "rows.parquet";

/// The Parquet columns of a shard's rows: `variant` and every headline metric.
pub fn columns(ids: &[usize], rows: &[Headline]) -> Vec<(String, OutColumn)> {
    let mut cols = vec![(
        "variant".to_owned(),
        OutColumn::U64(ids.iter().map(|&i| i as u64).collect()),
    )];
    cols.extend(metric_columns(rows));
    cols
}

/// One Parquet column per headline metric, in [`Metric::ALL`] order (the trade count as an
/// integer): the metric columns of `sweep.parquet` and of a shard's rows.
pub fn metric_columns(rows: &[Headline]) -> Vec<(String, OutColumn)> {
    let mut cols = Vec::new();
    for c in Metric::ALL {
        let column = if c == Metric::Trades {
            OutColumn::U64(rows.iter().map(|h| h.trades as u64).collect())
        } else {
            OutColumn::F64(rows.iter().map(|h| c.of(h)).collect())
        };
        cols.push((c.name().to_owned(), column));
    }
    cols
}

/// A shard folder as read back: its manifest and its rows (variant id, metrics).
pub struct Read {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub rows: Vec<(usize, Headline)>,
}

/// Reads a shard folder written by `rotor sweep --shard`.
pub fn read(dir: &Path) -> Result<Read> {
    let mpath = dir.join(MANIFEST);
    if !mpath.is_file() {
        return Err(Error::input(Diagnostic::new(
            dir,
            format!(
                "not a sweep shard folder: it has no {MANIFEST} (written by `rotor sweep --shard`)"
            ),
        )));
    }
    let manifest: Manifest = crate::error::read_json(&mpath)?;
    if manifest.schema != SCHEMA {
        return Err(Error::input(
            Diagnostic::new(
                &mpath,
                format!(
                    "unsupported shard schema \"{}\"; this rotor reads \"{SCHEMA}\"",
                    manifest.schema
                ),
            )
            .key("schema"),
        ));
    }
    let rows_path = dir.join(ROWS);
    let bytes =
        crate::error::read_file(&rows_path, "shard rows file", crate::error::MAX_DATA_FILE)?;
    if crate::data::load::sha256_hex(&bytes) != manifest.rows_sha256 {
        return Err(Error::input(
            Diagnostic::new(
                &rows_path,
                format!("changed since the shard was written: its sha256 is not the one in {MANIFEST}; rerun this shard"),
            ),
        ));
    }
    let frame = Frame::from_verified_bytes(&rows_path, bytes)?;
    let ids = frame.metric_values("variant")?;
    let cols: Vec<Vec<f64>> = Metric::ALL
        .iter()
        .map(|m| frame.metric_values(m.name()))
        .collect::<Result<_>>()?;
    let mut rows = Vec::with_capacity(ids.len());
    for (r, id) in ids.iter().enumerate() {
        let mut h = Headline {
            curve: Curve::NAN,
            trades: 0,
            annual_turnover: f64::NAN,
            total_costs: f64::NAN,
            time_in_market: f64::NAN,
        };
        for (m, col) in Metric::ALL.iter().zip(&cols) {
            m.set(&mut h, col[r]);
        }
        rows.push((*id as usize, h));
    }
    if rows.len() != manifest.rows {
        return Err(Error::input(Diagnostic::new(
            dir.join(ROWS),
            format!(
                "{} rows, but {MANIFEST} says {}: the shard is incomplete",
                rows.len(),
                manifest.rows
            ),
        )));
    }
    Ok(Read {
        dir: dir.to_path_buf(),
        manifest,
        rows,
    })
}

fn bad(dir: &Path, msg: String) -> Error {
    Error::input(Diagnostic::new(dir.join(MANIFEST), msg))
}

/// Checks that the shards belong to one sweep and cover it exactly, and returns every
/// variant's headline in variant order, with the manifest they share.
pub fn assemble(shards: &[Read]) -> Result<(Manifest, Vec<Headline>)> {
    let Some(first) = shards.first() else {
        return Err(Error::Other(
            "rotor sweep merge: give at least one shard folder".into(),
        ));
    };
    let m0 = &first.manifest;
    let version = env!("CARGO_PKG_VERSION");
    for s in shards {
        let m = &s.manifest;
        if m.engine_version != version {
            return Err(bad(&s.dir, format!("written by rotor {}, this is rotor {version}: rerun the shard with this version", m.engine_version)));
        }
        let differs = |what: &str| {
            bad(
                &s.dir,
                format!(
                    "{what} differs from that of {} (the shards are not of one sweep)",
                    first.dir.display()
                ),
            )
        };
        if m.strategy_sha256 != m0.strategy_sha256 || m.strategy != m0.strategy {
            return Err(differs("the strategy"));
        }
        if m.inputs != m0.inputs {
            return Err(differs("the data (an input's sha256)"));
        }
        if m.params != m0.params || m.variants != m0.variants {
            return Err(differs("the swept parameters"));
        }
        if m.shard.count != m0.shard.count {
            return Err(differs("the shard count"));
        }
    }
    let n = m0.shard.count;
    let mut seen: Vec<Option<&Path>> = vec![None; n];
    for s in shards {
        let i = s.manifest.shard.index;
        if i >= n {
            return Err(bad(
                &s.dir,
                format!("shard index {i} is not below the shard count {n}"),
            ));
        }
        if let Some(other) = seen[i] {
            return Err(bad(
                &s.dir,
                format!("shard {i} of {n} is given twice (also {})", other.display()),
            ));
        }
        seen[i] = Some(&s.dir);
    }
    let missing: Vec<String> = (0..n)
        .filter(|&i| seen[i].is_none())
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(Diagnostic::new(
            &first.dir,
            format!(
                "shard(s) {} of {n} missing: every shard 0 to {} must be given once",
                missing.join(", "),
                n - 1
            ),
        )));
    }
    let mut out: Vec<Option<Headline>> = vec![None; m0.variants];
    for s in shards {
        for (id, h) in &s.rows {
            if *id >= m0.variants || !s.manifest.shard.has(*id) {
                return Err(bad(
                    &s.dir,
                    format!(
                        "variant {id} does not belong to shard {} of {n} of a {}-variant sweep",
                        s.manifest.shard.index, m0.variants
                    ),
                ));
            }
            if out[*id].replace(*h).is_some() {
                return Err(bad(&s.dir, format!("variant {id} appears twice")));
            }
        }
    }
    let absent = out.iter().filter(|h| h.is_none()).count();
    if absent > 0 {
        return Err(Error::input(Diagnostic::new(
            &first.dir,
            format!("{absent} variant(s) of {} are in no shard", m0.variants),
        )));
    }
    Ok((m0.clone(), out.into_iter().flatten().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    #[test]
    fn flags() {
        assert_eq!(parse("2/7"), Ok(Shard { index: 2, count: 7 }));
        assert!(parse("7/7")
            .unwrap_err()
            .contains("not below the shard count 7"));
        assert!(parse("0/0").unwrap_err().contains("at least 1"));
        assert!(parse("1-4").unwrap_err().contains("expected I/N"));
        assert!(parse("a/4").unwrap_err().contains("whole number"));
        let s = parse("2/3").unwrap();
        assert_eq!(s.ids(10).collect::<Vec<_>>(), [2, 5, 8]);
        assert!(s.ids(10).all(|i| s.has(i)));
        assert_eq!(parse("5/9").unwrap().ids(2).len(), 0);
    }

    #[test]
    fn each_schedulers_variables() {
        let s = |i, n| Ok(Shard { index: i, count: n });
        assert_eq!(
            from_env(Some(5), &env(&[("JOB_COMPLETION_INDEX", "3")])),
            s(3, 5)
        );
        assert!(from_env(None, &env(&[("JOB_COMPLETION_INDEX", "3")]))
            .unwrap_err()
            .contains("--shard-count"));
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        assert_eq!(from_env(None, &env(&slurm)), s(4, 8));
        // An array declared --array=1-8 starts at 1.
        let slurm1 = [
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        assert_eq!(from_env(None, &env(&slurm1)), s(7, 8));
        assert!(from_env(None, &env(&[("SLURM_ARRAY_TASK_ID", "4")]))
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_COUNT is not"));
        let aws = [
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
        ];
        assert_eq!(from_env(None, &env(&aws)), s(0, 2));
        // GitLab counts from 1.
        let gl = [("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")];
        assert_eq!(from_env(None, &env(&gl)), s(2, 3));
        assert!(from_env(
            None,
            &env(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")])
        )
        .unwrap_err()
        .contains("counts from 1"));
        // Out of range, conflicting, missing, malformed.
        assert!(from_env(
            None,
            &env(&[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "3")])
        )
        .unwrap_err()
        .contains("not below"));
        let both = [aws[0], aws[1], gl[0], gl[1]];
        assert!(from_env(None, &env(&both))
            .unwrap_err()
            .contains("ambiguous"));
        assert!(from_env(Some(3), &env(&aws))
            .unwrap_err()
            .contains("conflicts"));
        assert!(from_env(None, &env(&[]))
            .unwrap_err()
            .contains("none of the schedulers"));
        assert!(from_env(Some(2), &env(&[("JOB_COMPLETION_INDEX", "x")]))
            .unwrap_err()
            .contains("whole number"));
    }
}
