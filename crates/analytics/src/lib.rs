//! `thermaliq-analytics`: what the numbers mean over time and against others.
//!
//! Pure and deterministic, like `thermaliq-core`: no I/O, no clock, no
//! randomness that is not seeded by the caller. The server loads stored
//! calculations and readings, calls these functions, and renders the result.
//!
//! - [`regression`]: OLS baselines with every statistic and the validity
//!   verdict, and the search over every combination of up to four variables
//!   (ISO 50006, DOE EnPI / VERIFI rules).
//! - [`baseline`]: expected vs actual energy, savings, SEnPI and CUSUM
//!   against a baseline equation.
//! - [`trend`]: interval series of efficiency, rolling mean, linear trend
//!   in points per year with its 95 % interval, change points on the mean
//!   flagged as degradation.
//! - [`uncertainty`]: GUM / ASME PTC 19.1 propagation (Taylor with
//!   numerical sensitivities, seeded Monte Carlo), and both applied to the
//!   engine's efficiencies of a `NormalizedInput`.
//! - [`rng`]: a seeded generator for Monte Carlo and generated test data.
//! - [`benchmark`]: published reference efficiencies (with sources) that
//!   apply, the gap in points and in energy a year; fleet percentiles.
//! - [`special`]: Student-t and F distributions from the regularized
//!   incomplete beta function.

pub mod baseline;
pub mod benchmark;
pub mod drivers;
pub mod error;
mod linalg;
pub mod regression;
pub mod rng;
pub mod special;
pub mod trend;
pub mod uncertainty;

pub use error::AnalyticsError;
