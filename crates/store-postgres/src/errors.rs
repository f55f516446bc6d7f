//! Sorting PostgreSQL's errors into [`StoreError`]s.

use sqlx::postgres::PgDatabaseError;
use thermaliq_store::{StoreError, short_message};

/// SQLSTATEs meaning the server is going away or not accepting connections.
pub(crate) fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// SQLSTATEs after which the same statement may succeed later: class 40
/// (transaction rollback: serialisation failure, deadlock), class 53
/// (insufficient resources: disk full, out of memory, too many
/// connections), `55P03` lock not available, `57014` statement timeout or
/// cancel, plus [`is_unavailable_code`].
pub(crate) fn is_transient_code(code: &str) -> bool {
    is_unavailable_code(code)
        || code.starts_with("40")
        || code.starts_with("53")
        || matches!(code, "55P03" | "57014")
}

/// SQLSTATEs of data the server refuses (PostgreSQL 15 docs, Appendix A):
/// class 22 data exception (`22021` a NUL byte or bad encoding, `22008`
/// date/time overflow, `22003` number out of range, `22P02` invalid text
/// representation, ...), class 23 integrity constraint violation other than
/// `23505` unique (`23502` not null, `23503` foreign key, `23514` check), and
/// `54000` program limit exceeded (e.g. an index entry over 2704 bytes).
pub(crate) fn is_rejected_code(code: &str) -> bool {
    code.starts_with("22") || (code.starts_with("23") && code != "23505") || code == "54000"
}

/// Sorts an error: unique → `Duplicate`; the data → `Rejected` (naming the
/// column or the constraint's column); transient → `Unavailable`; the rest
/// (SQL errors, class 42: bugs) → `Backend`. Messages are cut short
/// (they may quote the refused value).
///
/// Public for SQL run directly on the store's connections (and its tests).
pub fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(short_message(db.message()))
        }
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if is_transient_code(&code) {
                StoreError::Unavailable(short_message(&err.to_string()))
            } else if is_rejected_code(&code) {
                StoreError::Rejected {
                    field: rejected_field(db.try_downcast_ref::<PgDatabaseError>()),
                    reason: short_message(db.message()),
                }
            } else {
                StoreError::Backend(short_message(&err.to_string()))
            }
        }
        sqlx::Error::Encode(e) => StoreError::Rejected {
            field: None,
            reason: short_message(&e.to_string()),
        },
        _ => StoreError::Backend(short_message(&err.to_string())),
    }
}

/// The column PostgreSQL names (not null), else the column in a constraint
/// named by PostgreSQL's default `<table>_<column>_<fkey|check|key>`.
fn rejected_field(pg: Option<&PgDatabaseError>) -> Option<String> {
    let pg = pg?;
    if let Some(column) = pg.column() {
        return Some(column.to_owned());
    }
    let constraint = pg.constraint()?;
    let rest = pg
        .table()
        .and_then(|t| constraint.strip_prefix(t))
        .and_then(|r| r.strip_prefix('_'))
        .unwrap_or(constraint);
    let column = ["_fkey", "_check", "_key"]
        .iter()
        .find_map(|s| rest.strip_suffix(s))
        .unwrap_or(rest);
    (!column.is_empty() && column != "check").then(|| column.to_owned())
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(e)
}

/// SQLSTATEs of a text that is not a JSON document PostgreSQL accepts.
pub(crate) fn is_bad_json(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("22P02" | "22P05" | "22032" | "22030")
        ),
        _ => false,
    }
}

/// An error of one statement that leaves the connection usable (the
/// transaction is aborted, a ROLLBACK or ROLLBACK TO SAVEPOINT recovers it).
/// A transient error (deadlock, ...) is not: the whole group is retried.
pub(crate) fn is_statement_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => !db.code().as_deref().is_some_and(is_transient_code),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_pool_errors_as_unavailable() {
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::PoolClosed),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::Io(
                std::io::ErrorKind::ConnectionRefused.into()
            )),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        assert!(is_unavailable_code("57P01"));
        assert!(is_unavailable_code("57P03"));
        assert!(is_unavailable_code("08006"));
        assert!(!is_unavailable_code("23505"));
        // Deadlock, serialisation failure, disk full, statement timeout: retry.
        for code in ["40P01", "40001", "53100", "57014", "55P03"] {
            assert!(is_transient_code(code), "{code}");
            assert!(!is_rejected_code(code), "{code}");
        }
        // NUL byte, date/time overflow, foreign key, check, index row too big: the data.
        for code in ["22021", "22008", "23503", "23514", "23502", "54000"] {
            assert!(is_rejected_code(code), "{code}");
            assert!(!is_transient_code(code), "{code}");
        }
        // Unique is Duplicate; an SQL error (undefined column) is a bug.
        assert!(!is_rejected_code("23505"));
        assert!(!is_rejected_code("42703") && !is_transient_code("42703"));
    }
}
