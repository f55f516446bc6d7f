//! The embedded SQLite [`Store`](thermaliq_store::Store): one file under the data directory, WAL
//! journal, `synchronous = FULL` so that a write the caller saw succeed
//! survives a crash or a `kill -9` (and a power cut).
//!
//! One module per area (`calculations`, `tokens`, `facilities`, `readings`,
//! `jobs`, `schedule`, `idempotency`, `audit`); `pool` opens the file, `errors` sorts
//! SQLite's errors, `timestamps` is the stored text form of time stamps; `store`
//! wires them into the [`Store`](thermaliq_store::Store) trait.

mod audit;
mod baselines;
mod calculations;
mod errors;
mod facilities;
mod idempotency;
mod jobs;
mod pool;
mod readings;
mod schedule;
mod store;
mod timestamps;
mod tokens;

pub use errors::classify;
pub use pool::{PoolSettings, SqliteStore};
pub use timestamps::format_time;
