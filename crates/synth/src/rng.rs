//! The small deterministic PRNG of the *post-processing* steps (contribution-bound subset
//! choice and synthesis): xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64,
//! so results depend on the seed alone. It never produces privacy noise: all noise comes
//! from OpenDP's exact discrete Gaussian sampler.

/// xoshiro256** (Blackman & Vigna), seeded from one `u64` through splitmix64.
pub(crate) struct Rng {
    s: [u64; 4],
}

/// One step of splitmix64: advances `state` and returns the next output.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut st = seed;
        Self {
            s: [
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
            ],
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform index in `0..n` (`n >= 1`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_f64() * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// Shuffles `xs` in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// An index drawn with probability proportional to `weights` (non-negative, finite);
    /// `None` when they sum to zero.
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> Option<usize> {
        let total: f64 = weights.iter().sum();
        if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let mut r = self.next_f64() * total;
        let mut last = None;
        for (i, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                if r < w {
                    return Some(i);
                }
                r -= w;
                last = Some(i);
            }
        }
        last
    }
}

/// A seed fixed by `seed` and the sorted item ids of one record alone (FNV-1a, then
/// splitmix64), so a record's contribution-bound subset never depends on other records.
pub(crate) fn record_seed(seed: u64, items: &[u32]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ seed;
    for &i in items {
        for b in i.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    splitmix64(&mut h)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prng_matches_reference_outputs() {
        // splitmix64 from state 0, and xoshiro256** from state [1, 2, 3, 4] (reference C).
        let mut st = 0;
        assert_eq!(splitmix64(&mut st), 0xE220_A839_7B1D_CDAF);
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            vec![11520, 0, 1_509_978_240, 1_215_971_899_390_074_240]
        );
    }

    #[test]
    fn weighted_respects_zero_weights_and_proportions() {
        let mut rng = Rng::new(7);
        assert_eq!(rng.weighted(&[0.0, 0.0]), None);
        let mut hits = [0usize; 3];
        for _ in 0..30_000 {
            hits[rng.weighted(&[1.0, 0.0, 3.0]).unwrap()] += 1;
        }
        assert_eq!(hits[1], 0);
        let share = hits[2] as f64 / 30_000.0;
        assert!((share - 0.75).abs() < 0.02, "share {share}");
    }

    #[test]
    fn record_seed_depends_on_items() {
        assert_eq!(record_seed(1, &[1, 2]), record_seed(1, &[1, 2]));
        assert_ne!(record_seed(1, &[1, 2]), record_seed(1, &[1, 3]));
        assert_ne!(record_seed(1, &[1, 2]), record_seed(2, &[1, 2]));
    }
}
