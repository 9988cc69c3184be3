//! What a sweep keeps of its rows as they stream by (the rows themselves go to the files): the
//! ranking metric and the Sharpe ratio of each variant (16 bytes a variant, for the
//! distribution's quantiles and the deflated Sharpe ratio's variance), the best rows, and the
//! best value in each heatmap cell.

use super::Sweep;
use crate::stats::{Headline, Metric};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Most cells along one side of a heatmap: an axis with more values is shown in bins of
/// consecutive values, each cell the best over its bin.
pub const MAX_SIDE: usize = 256;

/// Cells along a heatmap side for an axis of `len` values.
pub fn bins(len: usize) -> usize {
    len.min(MAX_SIDE)
}

/// The cell of an axis' value number `i` (of `len`).
pub fn bin_of(i: usize, len: usize) -> usize {
    i * bins(len) / len
}

/// The first value of each cell (the label of a binned axis).
pub fn bin_starts(values: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; bins(values.len())];
    for (i, v) in values.iter().enumerate().rev() {
        out[bin_of(i, values.len())] = *v;
    }
    out
}

pub struct Collector<'a> {
    sweep: &'a Sweep,
    rank: Metric,
    /// How many of the best rows to keep.
    keep: usize,
    heatmaps: Vec<(usize, usize)>,
    /// Per axis: each value's heatmap cell.
    positions: Vec<BTreeMap<u64, usize>>,
    collected: Collected,
}

/// The result of a sweep, without its rows.
pub struct Collected {
    /// The ranking metric of each variant, by variant id.
    pub values: Vec<f64>,
    /// The annualised Sharpe ratio of each variant, by variant id.
    pub sharpes: Vec<f64>,
    /// The best rows, best first (ties in variant order): (variant id, headline).
    pub best: Vec<(usize, Headline)>,
    /// Per heatmap, the best value in each (x, y) cell, row y at `y * bins(xs) + x`.
    pub grids: Vec<Vec<f64>>,
}

impl<'a> Collector<'a> {
    pub fn new(
        sweep: &'a Sweep,
        rank: Metric,
        keep: usize,
        heatmaps: &[(usize, usize)],
    ) -> Collector<'a> {
        let positions = sweep
            .axes
            .iter()
            .map(|a| {
                let mut m = BTreeMap::new();
                for (i, v) in a.values.iter().enumerate() {
                    m.entry(v.to_bits()).or_insert(bin_of(i, a.values.len()));
                }
                m
            })
            .collect();
        let grids = heatmaps
            .iter()
            .map(|&(x, y)| {
                vec![f64::NAN; bins(sweep.axes[x].values.len()) * bins(sweep.axes[y].values.len())]
            })
            .collect();
        Collector {
            sweep,
            rank,
            keep: keep.max(1),
            heatmaps: heatmaps.to_vec(),
            positions,
            collected: Collected {
                values: Vec::new(),
                sharpes: Vec::new(),
                best: Vec::new(),
                grids,
            },
        }
    }

    /// Takes the rows of variants `ids`, which continue the variants taken so far in order.
    pub fn add(&mut self, ids: &[usize], rows: &[Headline]) {
        let c = &mut self.collected;
        for (&id, h) in ids.iter().zip(rows) {
            debug_assert_eq!(id, c.values.len(), "rows arrive in variant order");
            let m = self.rank.of(h);
            c.values.push(m);
            c.sharpes.push(h.curve.sharpe);
            // The first kept row this one beats; equal values keep variant order.
            let at = c
                .best
                .iter()
                .position(|(_, b)| self.rank.best_first(m, self.rank.of(b)) == Ordering::Less)
                .unwrap_or(c.best.len());
            if at < self.keep {
                c.best.insert(at, (id, *h));
                c.best.truncate(self.keep);
            }
            let v = &self.sweep.variants[id];
            for (grid, &(xa, ya)) in c.grids.iter_mut().zip(&self.heatmaps) {
                let x = self.positions[xa][&v[xa].to_bits()];
                let y = self.positions[ya][&v[ya].to_bits()];
                let cell = &mut grid[y * bins(self.sweep.axes[xa].values.len()) + x];
                if self.rank.best_first(m, *cell) == Ordering::Less {
                    *cell = m;
                }
            }
        }
    }

    pub fn finish(self) -> Collected {
        self.collected
    }
}
