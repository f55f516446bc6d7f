//! One module per resource, each with its own `router()`.

pub mod admin;
pub mod analytics;
pub mod calculations;
pub mod facilities;
pub mod health;
pub mod jobs;
pub mod meters;
pub mod openapi;
pub mod physics;
pub mod reports;
pub mod sankey;
pub mod ui;
