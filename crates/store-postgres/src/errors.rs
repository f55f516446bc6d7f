//! Sorting PostgreSQL's errors into [`StoreError`]s.

use thermaliq_store::StoreError;

/// SQLSTATEs meaning the server is going away or not accepting connections.
pub(crate) fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_unavailable_code) => {
            StoreError::Unavailable(err.to_string())
        }
        _ => StoreError::Backend(err.to_string()),
    }
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
pub(crate) fn is_statement_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => !db.code().as_deref().is_some_and(is_unavailable_code),
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
    }
}
