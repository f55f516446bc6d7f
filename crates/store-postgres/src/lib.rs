//! The PostgreSQL [`Store`](thermaliq_store::Store) (`DATABASE_URL=postgres://...`): the same schema and
//! behaviour as the embedded SQLite store, for many replicas sharing one
//! database.
//!
//! Durability: every write is a committed transaction (single statements in
//! autocommit, multi-statement writes in an explicit transaction), so a method
//! that returns `Ok` has been committed by the server.
//!
//! Faults: errors that mean "the database is not there right now" (pool
//! timeout, closed pool, I/O, connection refused, `57P01` admin shutdown,
//! `57P02` crash shutdown, `57P03` cannot connect now, `53300` too many
//! connections, class `08` connection exceptions) are
//! [`StoreError::Unavailable`](thermaliq_store::StoreError::Unavailable); a connection lost under a call (e.g. its backend
//! was killed with `pg_terminate_backend`) is discarded and the call is retried
//! once on a fresh connection when that cannot apply a write twice (see
//! [`PostgresStore`]).
//!
//! Refusals: data the server refuses (class 22 data exceptions such as a NUL
//! byte, `22021`; class 23 constraints other than unique; `54000` an index
//! entry too big) is [`StoreError::Rejected`](thermaliq_store::StoreError::Rejected), naming the column when the
//! server does; transient conflicts and limits (class 40 deadlock or
//! serialisation failure, class 53, `55P03`, `57014`) are `Unavailable`;
//! other errors (SQL errors, a bug) are `Backend`. See [`classify`].
//!
//! One module per area (`calculations` and `group` for the group commit,
//! `tokens`, `facilities`, `readings` with `partitions`, `jobs`, `schedule`,
//! `idempotency`, `audit`); `pool` connects and migrates, `errors` sorts
//! PostgreSQL's errors, `retry` is the lost-connection policy; `store` wires
//! them into the [`Store`](thermaliq_store::Store) trait.

mod retry;

mod audit;
mod baselines;
mod calculations;
mod errors;
mod facilities;
mod group;
pub mod health;
mod idempotency;
mod jobs;
mod partitions;
mod pool;
mod readings;
mod schedule;
mod store;
mod tokens;

pub use errors::classify;
pub use pool::{PoolSettings, PostgresStore, tcp_address};
