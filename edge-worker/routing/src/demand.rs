//! Per-region demand estimates: for each (region, content) two exponentially decayed request counters, a fast
//! one (recent demand) and a slow one (the baseline). Content whose fast rate clears a floor and outruns its
//! baseline by a factor is rising: the router places it before its demand peaks. The table is bounded; when
//! full, the least-demanded half is forgotten.

use std::collections::HashMap;

use crate::ContentKey;

/// A region as the router knows it (an index into its region table).
pub type RegionKey = u16;

/// Tuning of the estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemandParams {
    /// Half-life of the fast counter, seconds.
    pub fast_half_life_s: f64,
    /// Half-life of the slow counter, seconds.
    pub slow_half_life_s: f64,
    /// Requests per second the fast rate must reach to count as rising.
    pub min_rate: f64,
    /// How many times the slow rate the fast rate must be.
    pub rise_factor: f64,
    /// Most (region, content) pairs tracked.
    pub capacity: usize,
}

impl Default for DemandParams {
    fn default() -> Self {
        Self {
            fast_half_life_s: 30.0,
            slow_half_life_s: 600.0,
            min_rate: 0.05,
            rise_factor: 2.0,
            capacity: 1 << 20,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Counters {
    fast: f64,
    slow: f64,
    at_s: f64,
}

/// The estimates.
#[derive(Debug)]
pub struct Demand {
    params: DemandParams,
    counters: HashMap<(RegionKey, ContentKey), Counters>,
}

fn decayed(value: f64, elapsed_s: f64, half_life_s: f64) -> f64 {
    value * (-elapsed_s * std::f64::consts::LN_2 / half_life_s).exp()
}

impl Demand {
    /// Empty estimates.
    pub fn new(params: DemandParams) -> Self {
        Self {
            params,
            counters: HashMap::new(),
        }
    }

    /// Counts one request for `content` from `region` at `now_s`; whether the content is now rising there.
    pub fn record(&mut self, region: RegionKey, content: ContentKey, now_s: f64) -> bool {
        if self.counters.len() >= self.params.capacity {
            self.forget_least_demanded(now_s);
        }
        let p = self.params;
        let c = self.counters.entry((region, content)).or_insert(Counters {
            fast: 0.0,
            slow: 0.0,
            at_s: now_s,
        });
        let elapsed = (now_s - c.at_s).max(0.0);
        c.fast = decayed(c.fast, elapsed, p.fast_half_life_s) + 1.0;
        c.slow = decayed(c.slow, elapsed, p.slow_half_life_s) + 1.0;
        c.at_s = now_s;
        let rate = |count: f64, half_life: f64| count * std::f64::consts::LN_2 / half_life;
        let (fast, slow) = (
            rate(c.fast, p.fast_half_life_s),
            rate(c.slow, p.slow_half_life_s),
        );
        fast >= p.min_rate && fast >= p.rise_factor * slow
    }

    /// Pairs tracked.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    fn forget_least_demanded(&mut self, now_s: f64) {
        let half = self.params.slow_half_life_s;
        let mut values: Vec<f64> = self
            .counters
            .values()
            .map(|c| decayed(c.slow, now_s - c.at_s, half))
            .collect();
        let middle = values.len() / 2;
        let (_, median, _) = values.select_nth_unstable_by(middle, f64::total_cmp);
        let median = *median;
        self.counters
            .retain(|_, c| decayed(c.slow, now_s - c.at_s, half) > median);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_rises_and_steady_demand_does_not() {
        let mut demand = Demand::new(DemandParams::default());
        // Steady: one request every 10 s for an hour.
        let mut rising = false;
        for i in 0..360 {
            rising = demand.record(1, 7, i as f64 * 10.0);
        }
        assert!(!rising, "steady demand is not rising");
        // A burst: ten requests a second.
        let burst = (0..30).map(|i| demand.record(1, 8, 3600.0 + i as f64 * 0.1));
        assert!(burst.last().unwrap(), "a burst rises");
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut demand = Demand::new(DemandParams {
            capacity: 100,
            ..DemandParams::default()
        });
        for content in 0..1000u64 {
            demand.record(0, content, content as f64);
        }
        assert!(demand.len() <= 100);
    }
}
