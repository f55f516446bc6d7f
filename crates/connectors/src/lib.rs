//! `thermaliq-connectors`: I/O with services outside ThermalIQ's own store.
//!
//! - [`cache`]: the shared cache (Redis when `REDIS_URL` is set, with an
//!   in-process fallback that keeps answering while Redis is away).

pub mod cache;
pub mod energy_meter;
