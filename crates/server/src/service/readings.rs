//! Calculations from stored meter readings: the imperative shell around
//! `core::readings`. Readings stream from the store page by page (keyset
//! pagination, `CALCULATION_CHUNK_SIZE` rows at a time) into O(1)-memory
//! per-channel accumulators, so memory stays bounded however long the period.

use std::collections::BTreeSet;

use thermaliq_core::readings::{
    AggregationOptions, Facility, FacilityAggregator, Quality, Reading, ServedFrom, SourceUse,
    attach_sources, engine_input_from_readings, fetch_window, parse_facility,
};
use thermaliq_core::request::{NormalizedInput, TimePeriod};
use thermaliq_core::{EngineSettings, FieldProblem};
use thermaliq_store::ReadingQuality;

use super::ServiceError;
use crate::state::AppState;

/// Loads and parses a facility's stored configuration.
pub async fn load_facility(state: &AppState, facility_id: &str) -> Result<Facility, ServiceError> {
    let record = state.store.get_facility(facility_id).await?.ok_or_else(|| {
        ServiceError::Unprocessable(vec![FieldProblem::new(
            "facility_id",
            format!(
                "{facility_id} has no facility configuration: create it with POST /v1/thermaliq/facilities \
                 (its channels say which readings are inputs and outputs), or give the energies inline"
            ),
        )])
    })?;
    parse_facility(record.document.as_bytes()).map_err(|e| {
        ServiceError::Internal(format!(
            "stored facility {facility_id} is not readable: {e}"
        ))
    })
}

pub fn aggregation_options(state: &AppState) -> AggregationOptions {
    AggregationOptions {
        max_interpolation_gap: time::Duration::minutes(i64::from(
            state.settings.readings.max_interpolation_gap_minutes,
        )),
        ..AggregationOptions::default()
    }
}

/// The engine input and settings of a period computed from stored readings.
pub async fn engine_input(
    state: &AppState,
    facility_id: &str,
    period: TimePeriod,
) -> Result<(NormalizedInput, EngineSettings), ServiceError> {
    let facility = load_facility(state, facility_id).await?;
    let options = aggregation_options(state);
    let window = fetch_window(&facility, &period, &options);
    let limits = &state.settings.readings;

    let available = state
        .store
        .count_readings(facility_id, window.start, window.end)
        .await?;
    if available > limits.max_data_points_per_calculation && !limits.enable_calculation_chunking {
        return Err(ServiceError::CalculationFailed {
            message: format!(
                "{available} readings in the period exceed MAX_DATA_POINTS_PER_CALCULATION ({}): shorten the \
                 period or set ENABLE_CALCULATION_CHUNKING=true",
                limits.max_data_points_per_calculation
            ),
            details: vec![FieldProblem::new(
                "time_period",
                "holds more readings than MAX_DATA_POINTS_PER_CALCULATION",
            )],
            calculation_id: None,
        });
    }
    let page_size = if limits.enable_streaming_calculation {
        limits.calculation_chunk_size
    } else {
        u32::try_from(limits.max_data_points_per_calculation.max(1)).unwrap_or(u32::MAX)
    };

    let mut aggregator = FacilityAggregator::new(&facility, &period, &options);
    // Channels with an external period source (energy meters) are pulled
    // first; their stored readings, if any, are not mixed in.
    let (pulled, mut sources) = pull_external(state, &facility, window).await?;
    for p in &pulled {
        for r in &p.readings {
            aggregator.push(&p.tag, *r);
        }
    }
    let pulled_tags: BTreeSet<&str> = pulled.iter().map(|p| p.tag.as_str()).collect();
    let mut after: Option<(String, time::OffsetDateTime)> = None;
    let mut retrieved: u64 = 0;
    loop {
        let page = state
            .store
            .read_readings_page(
                facility_id,
                window.start,
                window.end,
                after.as_ref().map(|(tag, t)| (tag.as_str(), *t)),
                page_size,
            )
            .await?;
        let last_page = (page.len() as u64) < u64::from(page_size);
        retrieved += page.len() as u64;
        for r in &page {
            let quality = match r.quality {
                ReadingQuality::Good => Quality::Good,
                ReadingQuality::Uncertain => Quality::Uncertain,
                ReadingQuality::Bad => Quality::Bad,
            };
            if !pulled_tags.contains(r.tag.as_str()) {
                aggregator.push(&r.tag, Reading::new(r.timestamp, r.value, quality));
            }
        }
        match page.last() {
            Some(r) if !last_page => after = Some((r.tag.clone(), r.timestamp)),
            _ => break,
        }
    }
    // On the request span too, so every later line of this request (a
    // `CalculationError` refusal included) carries the count the runbook reads.
    tracing::Span::current().record("data_point_count", retrieved);
    tracing::info!(
        data_point_count = retrieved,
        chunk_size = page_size,
        "Data points retrieved"
    );
    let mut input = engine_input_from_readings(&facility, &period, aggregator.finish())?;
    // `data_quality.sources`: every channel, in the facility's order.
    sources.sort_by_key(|s| {
        facility
            .channels
            .iter()
            .position(|c| c.tag == s.channel)
            .unwrap_or(usize::MAX)
    });
    attach_sources(&mut input, sources);
    let mut settings = state.settings.engine;
    if let Some(threshold) = facility.energy_balance_threshold {
        settings.energy_balance_threshold = threshold;
    }
    Ok((input, settings))
}

/// The readings of every channel a registered [`super::sources::PeriodSource`]
/// serves, and the `data_quality.sources` entry of every channel.
async fn pull_external(
    state: &AppState,
    facility: &Facility,
    window: thermaliq_core::readings::FetchWindow,
) -> Result<(Vec<super::sources::PeriodPull>, Vec<SourceUse>), ServiceError> {
    let mut pulled = Vec::new();
    for source in state.period_sources.iter() {
        let channels: Vec<_> = facility
            .channels
            .iter()
            .filter(|c| c.source.kind() == source.kind())
            .collect();
        if !channels.is_empty() {
            pulled.extend(source.pull(facility, channels, window).await?);
        }
    }
    let mut uses: Vec<SourceUse> = pulled
        .iter()
        .map(|p| SourceUse {
            channel: p.tag.clone(),
            source: facility.channel(&p.tag).map_or("push", |c| c.source.kind()),
            served_from: p.served_from,
            age_seconds: p.age_seconds,
        })
        .collect();
    for c in &facility.channels {
        if !pulled.iter().any(|p| p.tag == c.tag) {
            uses.push(SourceUse {
                channel: c.tag.clone(),
                source: c.source.kind(),
                served_from: ServedFrom::Store,
                age_seconds: None,
            });
        }
    }
    Ok((pulled, uses))
}

/// What an ingest stored and what it refused.
#[derive(Debug)]
pub struct IngestOutcome {
    pub accepted_rows: usize,
    pub summary: thermaliq_store::InsertSummary,
    pub errors: Vec<thermaliq_core::readings::RowError>,
}

/// Ingests a readings body for a facility: good rows land even when others
/// are refused. Idempotent on (facility, tag, timestamp): a re-sent batch
/// counts once; rows flagged `correction` replace the stored value and are
/// audited under `actor`.
pub async fn ingest(
    state: &AppState,
    facility_id: &str,
    body: &[u8],
    format: thermaliq_core::readings::ReadingsFormat,
    actor: &str,
) -> Result<IngestOutcome, ServiceError> {
    use thermaliq_store::{AuditEntry, NewReading};
    let facility = load_facility(state, facility_id).await?;
    let now = time::OffsetDateTime::now_utc();
    let parsed = thermaliq_core::readings::parse_readings(
        body,
        format,
        &facility,
        &thermaliq_core::readings::IngestOptions::new(now),
    )?;
    let rows: Vec<NewReading> = parsed
        .rows
        .iter()
        .map(|r| NewReading {
            tag: r.tag.clone(),
            timestamp: r.timestamp,
            value: r.value,
            quality: match r.quality {
                Quality::Good => ReadingQuality::Good,
                Quality::Uncertain => ReadingQuality::Uncertain,
                Quality::Bad => ReadingQuality::Bad,
            },
            correction: r.correction,
        })
        .collect();
    let audit = AuditEntry {
        occurred_at: now,
        actor: actor.to_owned(),
        action: "readings.correct".to_owned(),
        subject: facility_id.to_owned(),
        detail: "{}".to_owned(),
    };
    let any_correction = rows.iter().any(|r| r.correction);
    let summary = if rows.is_empty() {
        thermaliq_store::InsertSummary::default()
    } else {
        state
            .store
            .insert_readings(facility_id, &rows, any_correction.then_some(&audit))
            .await?
    };
    tracing::info!(
        rows = rows.len() as u64,
        inserted = summary.inserted,
        duplicates = summary.duplicates,
        corrected = summary.corrected,
        rejected = parsed.errors.len() as u64,
        "Readings ingested"
    );
    Ok(IngestOutcome {
        accepted_rows: rows.len(),
        summary,
        errors: parsed.errors,
    })
}
