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

/// The state of `np.random.seed(seed)`.
#[derive(Clone)]
pub struct LegacyRandomState {
    state: [u32; STATE_LENGTH],
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
        LegacyRandomState { state, position: STATE_LENGTH, cached_gauss: None }
    }

    fn regenerate(&mut self) {
        let twist = |upper: u32, lower: u32| {
            let mixed = (upper & UPPER_MASK) | (lower & LOWER_MASK);
            (mixed >> 1) ^ if mixed & 1 == 1 { MATRIX_A } else { 0 }
        };
        for index in 0..STATE_LENGTH {
            let next = self.state[(index + 1) % STATE_LENGTH];
            self.state[index] = self.state[(index + SHIFT) % STATE_LENGTH] ^ twist(self.state[index], next);
        }
        self.position = 0;
    }

    /// The next 32-bit output of MT19937.
    pub fn next_u32(&mut self) -> u32 {
        if self.position >= STATE_LENGTH {
            self.regenerate();
        }
        let mut value = self.state[self.position];
        self.position += 1;
        value ^= value >> 11;
        value ^= (value << 7) & 0x9d2c_5680;
        value ^= (value << 15) & 0xefc6_0000;
        value ^ (value >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's `random_interval`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value =
                if max <= u64::from(u32::MAX) { u64::from(self.next_u32()) & mask } else { self.next_u64() & mask };
            if value <= max {
                return value;
            }
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
        self.random_interval((n - 1) as u64) as usize
    }
}
