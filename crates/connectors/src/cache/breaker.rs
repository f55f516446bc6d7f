//! A circuit breaker in front of Redis (issue 12, item 14).
//!
//! Without it every cached read waited up to `redis_timeout` while Redis was
//! down or frozen (throughput −98 %). Closed, calls go to Redis; after
//! [`FAILURES_TO_OPEN`] failures in a row it opens and calls skip Redis at
//! once (an atomic load), served from the in-process map. Only the background
//! probe closes it again: no request pays for finding out that Redis is back.
//! The pattern is Nygard's, *Release It!* (2nd ed., 2018), ch. 5 "Circuit
//! Breaker", with the half-open trial done by the probe instead of by traffic.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Consecutive failures (errors or timeouts) that open the breaker: one slow
/// answer is a blip, three in a row is an outage.
pub const FAILURES_TO_OPEN: u32 = 3;

/// Invalidations remembered while open, replayed before Redis is used again;
/// past this many the whole namespace is dropped instead.
pub const MAX_MISSED_INVALIDATIONS: usize = 256;

#[derive(Debug, Default)]
pub struct Breaker {
    open: AtomicBool,
    failures: AtomicU32,
    /// Patterns (`*` globs) removed locally while Redis was skipped; `None`
    /// in the list's place means "too many: drop everything".
    missed: Mutex<Option<Vec<String>>>,
    overflowed: AtomicBool,
}

/// The invalidations Redis missed while the breaker was open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missed {
    /// These patterns, in order.
    Patterns(Vec<String>),
    /// Too many to list: drop every key of every namespace.
    Everything,
}

/// What [`Breaker::on_failure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Unchanged,
    Opened,
}

impl Breaker {
    /// Whether a call may go to Redis now.
    pub fn allows(&self) -> bool {
        !self.open.load(Ordering::Acquire)
    }

    pub fn is_open(&self) -> bool {
        !self.allows()
    }

    /// A call answered: the run of failures is over.
    pub fn on_success(&self) {
        self.failures.store(0, Ordering::Release);
    }

    /// A call failed; opens the breaker at the [`FAILURES_TO_OPEN`]th in a row.
    pub fn on_failure(&self) -> Transition {
        let run = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if run >= FAILURES_TO_OPEN && !self.open.swap(true, Ordering::AcqRel) {
            Transition::Opened
        } else {
            Transition::Unchanged
        }
    }

    /// Remembers an invalidation Redis did not get (the breaker was open or
    /// the call failed), so stale shared entries cannot outlive it.
    pub fn remember_invalidation(&self, pattern: &str) {
        let mut missed = self.lock();
        let list = missed.get_or_insert_with(Vec::new);
        if list.len() >= MAX_MISSED_INVALIDATIONS {
            self.overflowed.store(true, Ordering::Release);
            list.clear();
        } else if !self.overflowed.load(Ordering::Acquire) {
            list.push(pattern.to_owned());
        }
    }

    /// The invalidations to replay before closing.
    pub fn take_missed(&self) -> Missed {
        let list = self.lock().take().unwrap_or_default();
        if self.overflowed.swap(false, Ordering::AcqRel) {
            Missed::Everything
        } else {
            Missed::Patterns(list)
        }
    }

    /// Puts back what could not be replayed (the probe's replay failed).
    pub fn restore_missed(&self, replay: Missed) {
        match replay {
            Missed::Everything => self.overflowed.store(true, Ordering::Release),
            Missed::Patterns(list) => list.iter().for_each(|p| self.remember_invalidation(p)),
        }
    }

    /// The probe reached Redis and replayed what was missed: close.
    /// Returns whether it was open.
    pub fn close(&self) -> bool {
        self.failures.store(0, Ordering::Release);
        self.open.swap(false, Ordering::AcqRel)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<String>>> {
        self.missed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Event {
        Success,
        Failure,
        Close,
        Invalidate,
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            3 => Just(Event::Success),
            4 => Just(Event::Failure),
            1 => Just(Event::Close),
            2 => Just(Event::Invalidate),
        ]
    }

    proptest! {
        /// Over any sequence of outcomes: the breaker is open exactly when
        /// FAILURES_TO_OPEN failures came in a row since the last close or
        /// success-while-closed, stays open whatever calls report until the
        /// probe closes it, and opens once per outage.
        #[test]
        fn opens_on_a_run_of_failures_and_only_the_probe_closes_it(
            events in proptest::collection::vec(event(), 0..200)
        ) {
            let breaker = Breaker::default();
            let (mut run, mut open, mut opened) = (0u32, false, 0usize);
            for e in &events {
                match e {
                    Event::Success => { breaker.on_success(); run = 0; }
                    Event::Failure => {
                        if breaker.on_failure() == Transition::Opened { opened += 1; }
                        run += 1;
                        if run >= FAILURES_TO_OPEN { open = true; }
                    }
                    Event::Close => { prop_assert_eq!(breaker.close(), open); run = 0; open = false; }
                    Event::Invalidate => breaker.remember_invalidation("calculation:*"),
                }
                prop_assert_eq!(breaker.is_open(), open, "after {:?}", e);
                prop_assert_eq!(breaker.allows(), !open);
            }
            let outages = count_outages(&events);
            prop_assert_eq!(opened, outages);
        }

        /// Every invalidation made while Redis was unreachable is replayed
        /// (or, past the bound, the namespace is dropped); none is lost.
        #[test]
        fn missed_invalidations_are_replayed_or_overflow_to_a_full_drop(
            patterns in proptest::collection::vec("[a-z]{1,6}:\\*", 0..600),
            fail_replay in any::<bool>(),
        ) {
            let breaker = Breaker::default();
            for p in &patterns { breaker.remember_invalidation(p); }
            let mut replay = breaker.take_missed();
            if fail_replay {
                breaker.restore_missed(replay);
                replay = breaker.take_missed();
            }
            match replay {
                Missed::Patterns(list) => {
                    prop_assert!(patterns.len() <= MAX_MISSED_INVALIDATIONS);
                    prop_assert_eq!(list, patterns);
                }
                Missed::Everything => prop_assert!(patterns.len() > MAX_MISSED_INVALIDATIONS),
            }
            prop_assert_eq!(breaker.take_missed(), Missed::Patterns(Vec::new()));
        }
    }

    /// Outages in an event list by the definition: a run of FAILURES_TO_OPEN
    /// failures (not broken by a success) while closed opens one.
    fn count_outages(events: &[Event]) -> usize {
        let (mut run, mut open, mut n) = (0, false, 0);
        for e in events {
            match e {
                Event::Success => run = 0,
                Event::Failure => {
                    run += 1;
                    if run >= FAILURES_TO_OPEN && !open {
                        open = true;
                        n += 1;
                    }
                }
                Event::Close => {
                    open = false;
                    run = 0;
                }
                Event::Invalidate => {}
            }
        }
        n
    }
}
