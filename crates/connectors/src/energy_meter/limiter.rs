//! The client-side request limiter of one replica
//! (`ENERGY_METER_MAX_REQUESTS_PER_MINUTE`) and the replica-wide hold a
//! `429 Retry-After` puts on every request to the vendor.
//!
//! The schedule is the Generic Cell Rate Algorithm (ITU-T I.371, the
//! "virtual scheduling" form) used as a scheduler rather than a policer: a
//! request that does not conform waits until it does. With emission
//! interval T = 60 s / N and a tolerance of (b − 1)·T, any window of W
//! seconds holds at most W/T + b requests, so a minute holds at most N + b;
//! b = max(1, N/25) keeps a minute within 4 % of N while letting a short
//! burst (a batch's pages) go out without waiting.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The pure schedule, in nanoseconds since an arbitrary origin (tests drive
/// it with a virtual clock).
#[derive(Debug, Clone)]
pub struct Schedule {
    interval_ns: u128,
    tolerance_ns: u128,
    /// Theoretical arrival time of the next request.
    tat_ns: u128,
    /// No request before this (a `Retry-After`).
    hold_until_ns: u128,
}

impl Schedule {
    pub fn per_minute(max_requests: u32) -> Self {
        let n = u128::from(max_requests.max(1));
        let interval_ns = 60_000_000_000 / n;
        let burst = (n / 25).max(1);
        Self {
            interval_ns,
            tolerance_ns: (burst - 1) * interval_ns,
            tat_ns: 0,
            hold_until_ns: 0,
        }
    }

    /// The burst the tolerance allows.
    pub fn burst(&self) -> u128 {
        self.tolerance_ns / self.interval_ns + 1
    }

    /// When a request asking at `now_ns` may go, and books that slot.
    pub fn book(&mut self, now_ns: u128) -> u128 {
        let earliest = now_ns.max(self.hold_until_ns);
        let go = earliest.max(self.tat_ns.saturating_sub(self.tolerance_ns));
        self.tat_ns = self.tat_ns.max(go) + self.interval_ns;
        go
    }

    /// Holds every request until `until_ns` (a `429 Retry-After`).
    pub fn hold(&mut self, until_ns: u128) {
        self.hold_until_ns = self.hold_until_ns.max(until_ns);
    }

    pub fn hold_until(&self) -> u128 {
        self.hold_until_ns
    }
}

/// The replica's limiter: one per connector, shared by every request.
pub struct Limiter {
    origin: Instant,
    schedule: Mutex<Schedule>,
}

impl Limiter {
    pub fn new(max_requests_per_minute: u32) -> Self {
        Self {
            origin: Instant::now(),
            schedule: Mutex::new(Schedule::per_minute(max_requests_per_minute)),
        }
    }

    fn now_ns(&self) -> u128 {
        self.origin.elapsed().as_nanos()
    }

    /// Waits for this request's slot. A hold that arrives while waiting is
    /// honoured too: the slot is re-booked after it.
    pub async fn acquire(&self) {
        loop {
            let go = {
                let mut s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
                s.book(self.now_ns())
            };
            let wait = go.saturating_sub(self.now_ns());
            if wait > 0 {
                tokio::time::sleep(Duration::from_nanos(wait as u64)).await;
            }
            let held = {
                let s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
                s.hold_until() > self.now_ns()
            };
            if !held {
                return;
            }
        }
    }

    /// Holds every request of this replica for `seconds` from now.
    pub fn hold_for(&self, pause: Duration) {
        let until = self.now_ns() + pause.as_nanos();
        self.schedule
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .hold(until);
    }

    /// How long requests are still held, if they are.
    pub fn held_for(&self) -> Option<Duration> {
        let s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        let left = s.hold_until().saturating_sub(self.now_ns());
        (left > 0).then(|| Duration::from_nanos(left as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: u128 = 60_000_000_000;

    proptest! {
        /// However requests arrive, no 60 s window holds more than N + b
        /// of them, none goes before it asked, and none inside a hold.
        #[test]
        fn a_minute_never_holds_more_than_the_limit_plus_the_burst(
            n in 1u32..2_000,
            gaps_ms in proptest::collection::vec(0u64..3_000, 1..400),
            hold_at in 0usize..400,
            hold_ms in 0u64..20_000,
        ) {
            let mut s = Schedule::per_minute(n);
            let mut now = 0u128;
            let mut sent = Vec::new();
            let mut hold = None;
            for (i, gap) in gaps_ms.iter().enumerate() {
                now += u128::from(*gap) * 1_000_000;
                if i == hold_at {
                    let until = now + u128::from(hold_ms) * 1_000_000;
                    s.hold(until);
                    hold = Some((now, until));
                }
                let go = s.book(now);
                prop_assert!(go >= now);
                if let Some((from, until)) = hold {
                    prop_assert!(!(go >= from && go < until), "a request went during the hold");
                }
                sent.push(go);
            }
            let cap = u128::from(n) + s.burst();
            for (i, start) in sent.iter().enumerate() {
                let in_window = sent[i..].iter().take_while(|t| **t < start + MINUTE).count() as u128;
                prop_assert!(in_window <= cap, "{in_window} > {cap}");
            }
        }
    }

    #[test]
    fn a_busy_minute_is_within_five_percent_of_the_limit() {
        // Everyone asks at once, continuously: the schedule is the limit.
        for n in [50u32, 100, 600, 1_000] {
            let mut s = Schedule::per_minute(n);
            let sent = (0..10 * n)
                .map(|_| s.book(0))
                .filter(|t| *t < MINUTE)
                .count();
            let err = (sent as f64 - f64::from(n)).abs() / f64::from(n);
            assert!(err <= 0.05, "n={n}: {sent} in the first minute");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_later_request() {
        let limiter = Limiter::new(6_000);
        limiter.acquire().await;
        limiter.hold_for(Duration::from_secs(7));
        let before = Instant::now();
        limiter.acquire().await;
        assert!(before.elapsed() >= Duration::from_secs(7));
    }
}
