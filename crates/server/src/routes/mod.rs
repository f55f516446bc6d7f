//! One module per resource, each with its own `router()`.

pub mod calculations;
pub mod health;
pub mod physics;
