//! Sliding-window counters for throttling sign-in failures and sign-ups.
//!
//! In memory, per process: enough for one server. A deployment with several instances needs a
//! shared limiter (database or Redis); the interface stays the same.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Keys are pruned when the map grows past this, so a flood of distinct keys cannot grow memory
/// without bound.
const PRUNE_ABOVE_KEYS: usize = 10_000;

#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds until a slot frees up)` when `key` already used up its allowance.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    /// Checks and counts in one step: `Ok` (and the event is counted) while `key` has
    /// allowance left, `Err(seconds until a slot frees up)` otherwise. Parallel callers can
    /// never all pass on the same last slot, and a refused attempt is not counted. `Ok(true)`
    /// when this event took the last slot.
    pub fn acquire(&self, key: &str) -> Result<bool, u64> {
        self.acquire_at(key, Instant::now())
    }

    /// Takes back the latest event counted for `key` (a reservation that turned out not to
    /// be a failure).
    pub fn give_back(&self, key: &str) {
        let mut hits = self.lock();
        if let Some(times) = hits.get_mut(key) {
            times.pop_back();
        }
    }

    /// Counts one event; returns true when this event used up the allowance.
    pub fn record(&self, key: &str) -> bool {
        self.record_at(key, Instant::now())
    }

    pub fn reset(&self, key: &str) {
        self.lock().remove(key);
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut hits = self.lock();
        let Some(times) = hits.get_mut(key) else {
            return Ok(());
        };
        self.forget_old(times, now);
        if times.len() < self.limit as usize {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let free_at = oldest + self.window;
        Err(free_at.saturating_duration_since(now).as_secs().max(1))
    }

    fn acquire_at(&self, key: &str, now: Instant) -> Result<bool, u64> {
        // One lock for the check and the count: that is what makes the limit hold.
        let mut hits = self.lock();
        if let Some(times) = hits.get_mut(key) {
            self.forget_old(times, now);
            if times.len() >= self.limit as usize {
                let oldest = times.front().copied().unwrap_or(now);
                let free_at = oldest + self.window;
                return Err(free_at.saturating_duration_since(now).as_secs().max(1));
            }
        }
        Ok(self.push(&mut hits, key, now))
    }

    fn record_at(&self, key: &str, now: Instant) -> bool {
        let mut hits = self.lock();
        self.push(&mut hits, key, now)
    }

    fn push(&self, hits: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) -> bool {
        if hits.len() > PRUNE_ABOVE_KEYS {
            let window = self.window;
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = hits.entry(key.to_string()).or_default();
        self.forget_old(times, now);
        times.push_back(now);
        times.len() >= self.limit as usize
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding the lock cannot leave the counters inconsistent.
        self.hits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let throttle = Throttle::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!throttle.record_at("a", t0));
        assert!(!throttle.record_at("a", t0 + Duration::from_secs(10)));
        assert!(throttle.record_at("a", t0 + Duration::from_secs(20)));
        assert_eq!(
            throttle.check_at("a", t0 + Duration::from_secs(30)),
            Err(30)
        );
        assert_eq!(throttle.check_at("b", t0), Ok(()), "keys are independent");
        assert_eq!(throttle.check_at("a", t0 + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn acquire_counts_only_what_it_lets_through_even_in_parallel() {
        let throttle = std::sync::Arc::new(Throttle::new(5, Duration::from_secs(60)));
        let passed: usize = (0..50)
            .map(|_| {
                let t = throttle.clone();
                std::thread::spawn(move || t.acquire("a").is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum();
        assert_eq!(passed, 5);
        assert!(throttle.acquire("a").is_err());
    }

    #[test]
    fn reset_clears_a_key() {
        let throttle = Throttle::new(1, Duration::from_secs(60));
        throttle.record("a");
        assert!(throttle.check("a").is_err());
        throttle.reset("a");
        assert!(throttle.check("a").is_ok());
    }
}
