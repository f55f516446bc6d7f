//! Meter data: facilities and their channels, reading ingest, and the
//! aggregation of a time period's readings into the energies the engine
//! computes from, with a data-quality report.
//!
//! Pure, synchronous and deterministic like the rest of the crate: no clock
//! (`now` comes in as data), no I/O. The store streams readings into a
//! [`ChannelAccumulator`] (or a [`FacilityAggregator`]) ordered by tag then
//! timestamp, in chunks of any size; memory stays O(1) per channel however
//! long the period.
//!
//! - [`facility`]: the facility model and its validation.
//! - [`ingest`]: JSON batch, NDJSON and CSV readings with per-row errors.
//! - [`aggregate`]: per-channel energy over a period (interval energies
//!   prorated, power by the trapezoid rule, counters differenced).
//! - [`quality`]: completeness, bad/uncertain shares, stale channels,
//!   outliers, the 0–100 score, and the [`NormalizedInput`] builder.
//! - [`schedule`]: hourly and daily periods in the facility's time zone.
//! - [`source`]: where a channel's readings come from (`push`, `energy_meter`,
//!   `modbus`, `mqtt`, `historian`) and `data_quality.sources`.
//!
//! [`NormalizedInput`]: crate::request::NormalizedInput

pub mod aggregate;
pub mod facility;
pub mod ingest;
pub mod quality;
pub mod schedule;
pub mod source;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

pub use aggregate::{
    ChannelAccumulator, ChannelResult, FacilityAggregator, FetchWindow, ReadingCounts,
    fetch_window, sort_readings,
};
pub use facility::{
    Channel, ChannelKind, ChannelRole, ChannelUnit, Facility, ProcessType, Schedule, Stamping,
    parse_facility,
};
pub use ingest::{
    CsvColumns, IngestOptions, IngestRow, ParsedReadings, ReadingsFormat, RowChecker, RowError,
    parse_readings,
};
pub use quality::{
    CompletenessFailure, DataQualityReport, build_normalized_input, engine_input_from_readings,
};
pub use schedule::closed_periods;
pub use source::{
    ChannelSource, ModbusDataType, ModbusSource, RegisterType, ServedFrom, SourceUse, WordOrder,
    attach_sources,
};

/// The quality flag of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Used as measured.
    #[default]
    Good,
    /// Used, and counted in the data-quality report.
    Uncertain,
    /// Not used: treated as a missing reading.
    Bad,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
        }
    }

    /// Parses `good`, `uncertain` or `bad` (lower case, as stored).
    pub fn parse(text: &str) -> Option<Quality> {
        match text {
            "good" => Some(Quality::Good),
            "uncertain" => Some(Quality::Uncertain),
            "bad" => Some(Quality::Bad),
            _ => None,
        }
    }
}

/// One stored reading of one channel, as the store hands it to the
/// accumulator. The value is in the channel's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub timestamp: OffsetDateTime,
    pub value: f64,
    pub quality: Quality,
}

impl Reading {
    pub fn new(timestamp: OffsetDateTime, value: f64, quality: Quality) -> Self {
        Self {
            timestamp,
            value,
            quality,
        }
    }

    pub fn good(timestamp: OffsetDateTime, value: f64) -> Self {
        Self::new(timestamp, value, Quality::Good)
    }
}

/// `MAX_INTERPOLATION_GAP_MINUTES` default: power and counter readings
/// further apart than this are not bridged.
pub const DEFAULT_MAX_INTERPOLATION_GAP_MINUTES: i64 = 15;
/// A channel is stale when it has no usable reading in the last this many
/// expected intervals of the period.
pub const DEFAULT_STALE_INTERVALS: u32 = 2;
/// The completeness below which a calculation warns (lenient) or fails (strict).
pub const DEFAULT_MIN_COMPLETENESS: f64 = 0.95;

/// The settings of an aggregation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregationOptions {
    /// `MAX_INTERPOLATION_GAP_MINUTES`: the longest stretch between two usable
    /// power or counter readings that is bridged. A channel whose declared
    /// `interval_minutes` is longer is bridged across one interval instead.
    pub max_interpolation_gap: Duration,
    /// See [`DEFAULT_STALE_INTERVALS`].
    pub stale_intervals: u32,
}

impl Default for AggregationOptions {
    fn default() -> Self {
        Self {
            max_interpolation_gap: Duration::minutes(DEFAULT_MAX_INTERPOLATION_GAP_MINUTES),
            stale_intervals: DEFAULT_STALE_INTERVALS,
        }
    }
}
