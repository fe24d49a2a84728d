//! numpy's legacy `RandomState` (MT19937), bit for bit, so that the paper's splits come out identical
//! (METHODS §2). Only what the splits, the random-embedding controls and the bootstrap need is here.
//!
//! ```
//! use perturb_check::numpy_random::LegacyRandomState;
//! // np.random.seed(1); np.random.choice(10, 3, replace=False) -> array([2, 9, 6])
//! let mut random = LegacyRandomState::new(1);
//! assert_eq!(random.choice(&(0..10).collect::<Vec<_>>(), 3), [2, 9, 6]);
//! ```

const STATE_LENGTH: usize = 624;
const SHIFT: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// `0..=max` for [`LegacyRandomState::draw`], with numpy's rejection mask: `max` with every lower bit set.
#[derive(Clone, Copy, Debug)]
pub struct Interval {
    max: u64,
    mask: u64,
}

impl Interval {
    pub fn new(max: u64) -> Interval {
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        Interval { max, mask }
    }

    /// `0..n` (numpy's `randint(0, n)`), for n ≥ 1.
    pub fn below(n: usize) -> Interval {
        Interval::new((n - 1) as u64)
    }
}

/// The state of `np.random.seed(seed)`.
#[derive(Clone)]
pub struct LegacyRandomState {
    state: [u32; STATE_LENGTH],
    /// The state's tempered outputs, made for the whole state at each regeneration (a loop that vectorises).
    tempered: [u32; STATE_LENGTH],
    position: usize,
    /// The second value of the last polar Box–Muller pair, as numpy keeps it.
    cached_gauss: Option<f64>,
}

impl LegacyRandomState {
    /// `np.random.seed(seed)`: MT19937 `init_genrand(seed)`.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; STATE_LENGTH];
        state[0] = seed;
        for index in 1..STATE_LENGTH {
            let previous = state[index - 1];
            state[index] = 1_812_433_253u32.wrapping_mul(previous ^ (previous >> 30)).wrapping_add(index as u32);
        }
        LegacyRandomState { state, tempered: [0; STATE_LENGTH], position: STATE_LENGTH, cached_gauss: None }
    }

    fn regenerate(&mut self) {
        let twist = |upper: u32, lower: u32| {
            let mixed = (upper & UPPER_MASK) | (lower & LOWER_MASK);
            (mixed >> 1) ^ if mixed & 1 == 1 { MATRIX_A } else { 0 }
        };
        // The reference loop (`state[(i + SHIFT) % N] ^ twist(state[i], state[(i + 1) % N])` for each i) in its
        // three ranges, without a remainder per element.
        let state = &mut self.state;
        for index in 0..STATE_LENGTH - SHIFT {
            state[index] = state[index + SHIFT] ^ twist(state[index], state[index + 1]);
        }
        for index in STATE_LENGTH - SHIFT..STATE_LENGTH - 1 {
            state[index] = state[index + SHIFT - STATE_LENGTH] ^ twist(state[index], state[index + 1]);
        }
        state[STATE_LENGTH - 1] = state[SHIFT - 1] ^ twist(state[STATE_LENGTH - 1], state[0]);
        for (tempered, &value) in self.tempered.iter_mut().zip(state.iter()) {
            let mut value = value;
            value ^= value >> 11;
            value ^= (value << 7) & 0x9d2c_5680;
            value ^= (value << 15) & 0xefc6_0000;
            *tempered = value ^ (value >> 18);
        }
        self.position = 0;
    }

    /// The next 32-bit output of MT19937.
    pub fn next_u32(&mut self) -> u32 {
        if self.position >= STATE_LENGTH {
            self.regenerate();
        }
        let value = self.tempered[self.position];
        self.position += 1;
        value
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's `random_interval`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        self.draw(&Interval::new(max))
    }

    /// [`Self::random_interval`] of the interval's `max`, its mask worked out once for many draws.
    #[inline]
    pub fn draw(&mut self, interval: &Interval) -> u64 {
        let Interval { max, mask } = *interval;
        if max == 0 {
            return 0;
        }
        loop {
            let value =
                if max <= u64::from(u32::MAX) { u64::from(self.next_u32()) & mask } else { self.next_u64() & mask };
            if value <= max {
                return value;
            }
        }
    }

    /// `out.len()` draws of [`Self::draw`] in turn, consuming exactly the outputs they would: below 2^32 the
    /// masked outputs are kept or rejected without a branch, which the bootstrap's millions of draws repay.
    pub fn draws(&mut self, interval: &Interval, out: &mut [u64]) {
        let Interval { max, mask } = *interval;
        if max == 0 || max > u64::from(u32::MAX) {
            out.iter_mut().for_each(|value| *value = self.draw(interval));
            return;
        }
        let (max, mask) = (max as u32, mask as u32);
        let (n, mut kept) = (out.len(), 0);
        while kept < n {
            if self.position >= STATE_LENGTH {
                self.regenerate();
            }
            let mut used = 0;
            for &output in &self.tempered[self.position..] {
                let candidate = output & mask;
                // Written in any case, kept only when in range: a rejected one is overwritten by the next.
                out[kept] = u64::from(candidate);
                used += 1;
                kept += usize::from(candidate <= max);
                if kept == n {
                    break;
                }
            }
            self.position += used;
        }
    }

    /// `permutation(n)`: `arange(n)` shuffled in place by Fisher–Yates from the end.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut values: Vec<usize> = (0..n).collect();
        for index in (1..n).rev() {
            let other = self.random_interval(index as u64) as usize;
            values.swap(index, other);
        }
        values
    }

    /// `choice(items, k, replace=False)` = `items[permutation(len(items))[:k]]`.
    pub fn choice<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        self.permutation(items.len()).into_iter().take(k).map(|index| items[index].clone()).collect()
    }

    /// `random_sample()`: a double in [0, 1) from 53 random bits.
    pub fn random_f64(&mut self) -> f64 {
        let high = f64::from(self.next_u32() >> 5);
        let low = f64::from(self.next_u32() >> 6);
        (high * 67_108_864.0 + low) / 9_007_199_254_740_992.0
    }

    /// `standard_normal()` of the legacy generator: the polar Box–Muller method, caching the second value.
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(value) = self.cached_gauss.take() {
            return value;
        }
        loop {
            let x1 = 2.0 * self.random_f64() - 1.0;
            let x2 = 2.0 * self.random_f64() - 1.0;
            let radius_squared = x1 * x1 + x2 * x2;
            if radius_squared < 1.0 && radius_squared != 0.0 {
                let factor = (-2.0 * libm::log(radius_squared) / radius_squared).sqrt();
                self.cached_gauss = Some(factor * x1);
                return factor * x2;
            }
        }
    }

    /// `randint(0, n)` for n ≥ 1 (numpy's legacy `randint` draws through the same masked rejection).
    pub fn below(&mut self, n: usize) -> usize {
        self.draw(&Interval::below(n)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_draws_at_once_are_the_draws_one_at_a_time() {
        for (seed, max) in
            [(1, 0u64), (7, 1), (3, 309), (5, 511), (9, 512), (11, 70_000), (2, u64::from(u32::MAX)), (4, 1 << 40)]
        {
            let (mut one, mut many) = (LegacyRandomState::new(seed), LegacyRandomState::new(seed));
            let interval = Interval::new(max);
            // Lengths that end inside a state, on its end and across several regenerations.
            for length in [1, 5, 623, 624, 1000, 3001] {
                let mut out = vec![0u64; length];
                many.draws(&interval, &mut out);
                let expected: Vec<u64> = (0..length).map(|_| one.random_interval(max)).collect();
                assert_eq!(out, expected, "max {max}, {length} draws");
            }
            // Both consumed the same outputs: what follows is the same.
            assert_eq!(one.next_u32(), many.next_u32(), "max {max}");
        }
    }
}
