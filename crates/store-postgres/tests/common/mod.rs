//! Fresh PostgreSQL databases for tests: one per test, named
//! `thermaliq_test_<pid>_<n>`, created through a maintenance connection to
//! `DATABASE_URL` and dropped when the test passes (databases left by a test
//! process that no longer runs are dropped by the next run).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// `DATABASE_URL` if it names a PostgreSQL server; prints why not otherwise.
pub fn database_url(what: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
        Ok(_) => {
            skip_or_fail(&format!("DATABASE_URL is not postgres:// ({what})"));
            None
        }
        Err(_) => {
            skip_or_fail(&format!("DATABASE_URL not set ({what})"));
            None
        }
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

pub struct TestDb {
    pub name: String,
    /// URL of the fresh database.
    pub url: String,
    admin_url: String,
}

impl TestDb {
    /// Creates an empty database, or `None` (after printing `SKIPPED: ...`)
    /// without `DATABASE_URL`.
    pub async fn create(what: &str) -> Option<TestDb> {
        let admin_url = database_url(what)?;
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("maintenance connection to DATABASE_URL");
        drop_stale(&mut admin).await;
        let name = format!(
            "thermaliq_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        drop_sql(&name)
            .execute(&mut admin)
            .await
            .expect("drop leftover database");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {}",
            ident(&name)
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        Some(TestDb {
            name,
            url,
            admin_url,
        })
    }

    /// A plain connection to the test database (the operator's `psql`).
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// Drops the database (closing what is still connected to it).
    pub async fn drop_database(&self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let _ = drop_sql(&self.name).execute(&mut admin).await;
            admin.close().await.ok();
        }
    }
}

/// Drops `thermaliq_test_<pid>_*` databases whose process is gone.
async fn drop_stale(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'thermaliq\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name
            .strip_prefix("thermaliq_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = drop_sql(&name).execute(&mut *admin).await;
        }
    }
}

/// A quoted identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn drop_sql(name: &str) -> sqlx::RawSql {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        ident(name)
    )))
}

/// A test that needs a service the environment does not provide: skipped on
/// a developer's machine, a failure where `THERMALIQ_REQUIRE_SERVICES=1`
/// (set by `.ci/run`), so CI never passes by skipping.
fn skip_or_fail(reason: &str) {
    if std::env::var("THERMALIQ_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("THERMALIQ_REQUIRE_SERVICES=1 but {reason}");
    }
    println!("SKIPPED: {reason}");
}
