//! The circular block bootstrap shared by event studies and the confidence intervals of a run:
//! a seeded generator and block resampling of indices. Each replicate draws from its own
//! stream (seed mixed with the replicate number), so results do not depend on the thread count.

/// SplitMix64: a small, fast, well-mixed generator; the stream depends only on the seed.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// A circular block bootstrap index sequence of length n.
pub fn block_indices(rng: &mut SplitMix, n: usize, block: usize) -> Vec<usize> {
    let mut idx = Vec::with_capacity(n);
    while idx.len() < n {
        let start = rng.below(n);
        for j in 0..block.min(n - idx.len()) {
            idx.push((start + j) % n);
        }
    }
    idx
}

/// The generator of replicate `i` of a bootstrap seeded with `seed`.
pub fn replicate_rng(seed: u64, i: usize) -> SplitMix {
    SplitMix(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
}
