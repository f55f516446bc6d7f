//! Sorting SQLite's errors into [`StoreError`]s.

use thermaliq_store::{StoreError, short_message};

pub(crate) fn unavailable(err: sqlx::Error) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// Sorts by SQLite's primary result code (the extended code's low byte,
/// <https://www.sqlite.org/rescode.html>):
/// * SQLITE_CONSTRAINT (19): unique and primary key → `Duplicate`; check,
///   foreign key, not null → `Rejected` (the data); so are SQLITE_TOOBIG (18)
///   and SQLITE_MISMATCH (20);
/// * SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_IOERR (10), SQLITE_FULL (13),
///   SQLITE_CANTOPEN (14), a pool timeout or I/O error → `Unavailable`;
/// * SQLITE_CORRUPT (11), SQLITE_NOTADB (26) → `Corrupt`;
/// * anything else (an SQL error: a bug) → `Backend`.
///
/// Public for SQL run directly on the store's connections (and its tests).
pub fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            unavailable(err)
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(short_message(db.message()))
        }
        sqlx::Error::Database(db) => match primary_code(db.code().as_deref()) {
            Some(18..=20) => StoreError::Rejected {
                field: constraint_field(db.message()),
                reason: short_message(db.message()),
            },
            Some(5 | 6 | 10 | 13 | 14) => unavailable(err),
            Some(11 | 26) => StoreError::Corrupt(short_message(db.message())),
            _ => StoreError::Backend(short_message(&err.to_string())),
        },
        sqlx::Error::Encode(e) => StoreError::Rejected {
            field: None,
            reason: short_message(&e.to_string()),
        },
        _ => StoreError::Backend(short_message(&err.to_string())),
    }
}

fn primary_code(code: Option<&str>) -> Option<i32> {
    code.and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff)
}

/// The column a constraint message names: `NOT NULL constraint failed:
/// calculations.facility_id` → `facility_id`, `CHECK constraint failed:
/// max_attempts >= 1` → `max_attempts`; none for `FOREIGN KEY constraint
/// failed`.
fn constraint_field(message: &str) -> Option<String> {
    let (_, what) = message.split_once(": ")?;
    let what = what.rsplit_once('.').map_or(
        what,
        |(table, column)| {
            if table.contains(' ') { what } else { column }
        },
    );
    let field: String = what
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!field.is_empty()).then_some(field)
}

/// SQLITE_CONSTRAINT_FOREIGNKEY (787).
pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("787"))
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(e)
}

/// SQLite result codes after which the transaction is still active with the
/// failed statement's changes backed out: SQLITE_CONSTRAINT (19, with every
/// extended code: unique, primary key, check, foreign key, not null),
/// SQLITE_TOOBIG (18) and SQLITE_MISMATCH (20).
pub(crate) fn fails_only_its_statement(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 18..=20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_messages_name_their_column() {
        // Messages as SQLite 3 words them (sqlite3.c, sqlite3HaltConstraint).
        assert_eq!(
            constraint_field("NOT NULL constraint failed: calculations.facility_id").as_deref(),
            Some("facility_id")
        );
        assert_eq!(
            constraint_field("CHECK constraint failed: max_attempts >= 1").as_deref(),
            Some("max_attempts")
        );
        assert_eq!(constraint_field("FOREIGN KEY constraint failed"), None);
        assert_eq!(primary_code(Some("2067")), Some(19));
        assert_eq!(primary_code(Some("517")), Some(5));
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }
}
