//! Time stamps and delays as every backend stores them.

use std::time::Duration;

use time::OffsetDateTime;

/// `t` in UTC, truncated to the microsecond (as every stored time stamp).
///
/// Never panics: an instant whose UTC form is past year 9999 keeps its
/// offset (callers refuse it first with [`crate::check_time`]).
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000)
        .unwrap_or_else(|_| unreachable!("a whole number of microseconds is a valid nanosecond"))
}

/// Delays (leases, back-offs) are capped at about 30 years, so "now + delay"
/// stays a time stamp both backends can store.
pub const MAX_DELAY: Duration = Duration::from_secs(1_000_000_000);

/// `d`, at most [`MAX_DELAY`].
pub fn capped_delay(d: Duration) -> Duration {
    d.min(MAX_DELAY)
}
