//! Sorting SQLite's errors into [`StoreError`]s.

use thermaliq_store::StoreError;

pub(crate) fn unavailable(err: sqlx::Error) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            unavailable(err)
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the file past the busy timeout.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6" | "517")) => {
            unavailable(err)
        }
        _ => StoreError::Backend(err.to_string()),
    }
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
