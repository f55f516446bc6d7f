//! Cooperative cancellation: a handle the caller keeps to stop a diagram
//! that is no longer wanted (the HTTP request timed out at
//! `SANKEY_GENERATION_TIMEOUT`, the client left), optionally with a deadline
//! the work checks itself, so a blocking thread stops even if nobody calls
//! [`Cancel::cancel`].
//!
//! The work polls the handle every [`CHECK_EVERY`] steps of its loops (one
//! step is one node, link or label) and between stages, and returns
//! [`SankeyError::Cancelled`]. Reading the deadline's clock only decides
//! *whether* to stop: a diagram that finishes is byte-identical with or
//! without a handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::SankeyError;

/// Loop steps between two polls of the handle. An atomic load and, with a
/// deadline, one `Instant::now()` (tens of ns) per 256 steps of work that
/// each take tens of ns or more: well under 1 % overhead, and a cancelled
/// render stops within microseconds.
pub const CHECK_EVERY: u32 = 256;

/// A caller's own stop test, e.g. `move || token.is_cancelled()` over an
/// async runtime's cancellation token (this crate stays runtime-free).
pub type StopCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// A cancellation handle. Clones share the flag: cancel one clone (e.g. in
/// the async task that timed out) and the work holding another stops.
#[derive(Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
    check: Option<StopCheck>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.flag.load(Ordering::Relaxed))
            .field("deadline", &self.deadline)
            .field("check", &self.check.as_ref().map(|_| "Fn() -> bool"))
            .finish()
    }
}

impl Cancel {
    /// A handle that is not cancelled and has no deadline.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// A handle that also counts as cancelled from `deadline` on.
    pub fn with_deadline(deadline: Instant) -> Cancel {
        Cancel {
            deadline: Some(deadline),
            ..Cancel::default()
        }
    }

    /// A handle that also counts as cancelled whenever `check` returns true.
    /// It is called at every poll (every [`CHECK_EVERY`] steps), so it must
    /// be cheap.
    pub fn from_check(check: impl Fn() -> bool + Send + Sync + 'static) -> Cancel {
        Cancel {
            check: Some(Arc::new(check)),
            ..Cancel::default()
        }
    }

    /// Asks the work holding this handle (or a clone) to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called, the deadline has passed or the
    /// check says stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
            || self.deadline.is_some_and(|d| Instant::now() >= d)
            || self.check.as_ref().is_some_and(|c| c())
    }
}

/// Counts loop steps and polls the handle every [`CHECK_EVERY`] of them.
pub(crate) struct Checkpoint<'a> {
    cancel: &'a Cancel,
    stage: &'static str,
    steps: u32,
}

impl<'a> Checkpoint<'a> {
    pub(crate) fn new(cancel: &'a Cancel) -> Checkpoint<'a> {
        Checkpoint {
            cancel,
            stage: "validation",
            steps: 0,
        }
    }

    /// Enters `stage` (named in the error) and polls at once.
    pub(crate) fn stage(&mut self, stage: &'static str) -> Result<(), SankeyError> {
        self.stage = stage;
        self.steps = 0;
        self.poll()
    }

    /// One step of work; polls every [`CHECK_EVERY`] steps.
    #[inline]
    pub(crate) fn tick(&mut self) -> Result<(), SankeyError> {
        self.steps += 1;
        if self.steps >= CHECK_EVERY {
            self.steps = 0;
            return self.poll();
        }
        Ok(())
    }

    fn poll(&self) -> Result<(), SankeyError> {
        if self.cancel.is_cancelled() {
            Err(SankeyError::Cancelled { stage: self.stage })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_clone_shares_the_flag() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
    }

    #[test]
    fn a_deadline_in_the_past_is_cancelled_one_in_the_future_is_not() {
        let past = Cancel::with_deadline(Instant::now());
        assert!(past.is_cancelled());
        let future = Cancel::with_deadline(Instant::now() + Duration::from_secs(3600));
        assert!(!future.is_cancelled());
        future.cancel();
        assert!(future.is_cancelled());
    }

    #[test]
    fn the_checkpoint_polls_every_check_every_steps_and_names_the_stage() {
        let c = Cancel::new();
        let mut cp = Checkpoint::new(&c);
        cp.stage("layout").unwrap();
        c.cancel();
        for _ in 0..CHECK_EVERY - 1 {
            cp.tick().unwrap();
        }
        assert_eq!(cp.tick(), Err(SankeyError::Cancelled { stage: "layout" }));
        assert_eq!(
            cp.stage("rendering"),
            Err(SankeyError::Cancelled { stage: "rendering" })
        );
    }
}
