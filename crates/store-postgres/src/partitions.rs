//! Monthly partitions of `energy_readings`: which month a reading lands in,
//! creating partitions on demand, and the lock that keeps retention's drops
//! away from inserts.

use sqlx::{Connection, PgConnection};
use time::OffsetDateTime;

use crate::retry::{Failure, commit};

/// Monthly partitions are created for these years; other timestamps land in
/// the DEFAULT partition (never given a monthly partition, so the DEFAULT
/// partition never holds rows of a month that gets one).
pub(crate) const PARTITIONED_YEARS: std::ops::Range<i32> = 2000..2100;

/// Advisory lock key serialising partition DDL (creation, retention's drops)
/// against inserts, which take it shared.
pub(crate) const PARTITION_LOCK: i64 = 0x7468_6572_6d69_7101;

/// The monthly partition holding `t`, if its year is managed.
pub(crate) fn partition_of(t: OffsetDateTime) -> Option<(i32, u8)> {
    let t = t.to_offset(time::UtcOffset::UTC);
    PARTITIONED_YEARS
        .contains(&t.year())
        .then(|| (t.year(), u8::from(t.month())))
}

pub(crate) fn partition_name((year, month): (i32, u8)) -> String {
    format!("energy_readings_p{year:04}{month:02}")
}

/// `(year, month)` back from a partition name.
pub(crate) fn parse_partition_name(name: &str) -> Option<(i32, u8)> {
    let digits = name.strip_prefix("energy_readings_p")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits[..4].parse().ok()?;
    let month: u8 = digits[4..].parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// The first instant of the month (UTC).
pub(crate) fn month_start((year, month): (i32, u8)) -> OffsetDateTime {
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, month, 1)
        .unwrap_or(time::Date::MIN)
        .midnight()
        .assume_utc()
}

pub(crate) fn next_month((year, month): (i32, u8)) -> (i32, u8) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// Creates the monthly partitions named in `missing` (idempotent; under the
/// exclusive partition lock, in its own transaction).
pub(crate) async fn create_partitions(
    conn: &mut PgConnection,
    missing: &[String],
) -> Result<(), Failure> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await?;
    for name in missing {
        let Some(month) = parse_partition_name(name) else {
            continue;
        };
        let from = month_start(month);
        let to = month_start(next_month(month));
        let fmt = time::macros::format_description!("[year]-[month]-[day] 00:00:00+00");
        let (Ok(from), Ok(to)) = (from.format(fmt), to.format(fmt)) else {
            continue;
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF energy_readings \
             FOR VALUES FROM ('{from}') TO ('{to}')"
        )))
        .execute(&mut *tx)
        .await?;
    }
    commit(tx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_partitions_cover_utc_months_of_managed_years() {
        use time::macros::datetime;
        assert_eq!(
            partition_of(datetime!(2025-11-30 23:59:59.999999 UTC)),
            Some((2025, 11))
        );
        assert_eq!(
            partition_of(datetime!(2025-12-01 00:30:00 +01:00)),
            Some((2025, 11)),
            "months are UTC months"
        );
        assert_eq!(partition_of(datetime!(1999-12-31 23:59:59 UTC)), None);
        assert_eq!(partition_of(datetime!(2100-01-01 00:00:00 UTC)), None);
        assert_eq!(partition_name((2025, 1)), "energy_readings_p202501");
        assert_eq!(
            parse_partition_name("energy_readings_p202501"),
            Some((2025, 1))
        );
        assert_eq!(parse_partition_name("energy_readings_default"), None);
        assert_eq!(parse_partition_name("energy_readings_p202513"), None);
        assert_eq!(next_month((2025, 12)), (2026, 1));
        assert_eq!(month_start((2026, 1)), datetime!(2026-01-01 00:00:00 UTC));
    }
}
