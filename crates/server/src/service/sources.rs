//! The seam through which a period calculation pulls readings from an
//! external system instead of the store: one [`PeriodSource`] per source
//! type (`energy_meter` today; a historian plugs in the same way). The
//! readings use case asks each registered source for its channels' window
//! before aggregating, and reports where each channel was served from in
//! `data_quality.sources`.

use std::future::Future;
use std::pin::Pin;

use thermaliq_core::readings::{Channel, Facility, FetchWindow, Reading, ServedFrom};

use super::ServiceError;

/// One channel's readings over the fetch window, ascending by timestamp,
/// in the channel's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodPull {
    pub tag: String,
    pub readings: Vec<Reading>,
    pub served_from: ServedFrom,
    /// Age of cached data (`None` when live).
    pub age_seconds: Option<f64>,
}

pub type PullFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<PeriodPull>, ServiceError>> + Send + 'a>>;

/// A system a period's readings can be pulled from.
pub trait PeriodSource: Send + Sync {
    /// The `source.type` of the channels this serves (`ChannelSource::kind`).
    fn kind(&self) -> &'static str;

    /// The readings of `channels` (all of `facility`, all of this kind) over
    /// `window`: one [`PeriodPull`] per channel, or an error naming what
    /// could not be served. Bounded work: the caller's calculation timeout
    /// applies.
    fn pull<'a>(
        &'a self,
        facility: &'a Facility,
        channels: Vec<&'a Channel>,
        window: FetchWindow,
    ) -> PullFuture<'a>;
}
