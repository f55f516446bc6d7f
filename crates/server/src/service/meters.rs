//! Energy meters on the vendor's REST API: the [`PeriodSource`] of
//! `energy_meter` channels, and the connectivity check behind `GET
//! /v1/thermaliq/admin/meters/check` and `thermaliq meters check`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connectors::energy_meter::{
    CheckOutcome, EnergyMeterClient, EnergyMeterError, MeterObserver, MeterQuery, Served,
    VendorReading,
};
use serde::Serialize;
use thermaliq_core::readings::{
    Channel, ChannelSource, ChannelUnit, Facility, FetchWindow, Quality, Reading, ServedFrom,
};
use thermo::power::PowerUnit;
use thermo::units::EnergyUnit;

use super::ServiceError;
use super::sources::{PeriodPull, PeriodSource, PullFuture};
use crate::metrics::{MeterErrorLabels, MeterRequestLabels, Metrics};

/// Counts the connector's requests and failures in the Prometheus metrics.
pub struct MeterMetrics(pub Arc<Metrics>);

impl MeterObserver for MeterMetrics {
    fn request(&self, facility_id: &str, endpoint: &'static str, status: &str) {
        self.0
            .energy_meter_requests
            .get_or_create(&MeterRequestLabels {
                facility_id: facility_id.to_owned(),
                endpoint: endpoint.to_owned(),
                status: status.to_owned(),
            })
            .inc();
    }

    fn connection_error(&self, facility_id: &str, error_type: &'static str) {
        self.0
            .energy_meter_connection_errors
            .get_or_create(&MeterErrorLabels {
                facility_id: facility_id.to_owned(),
                error_type: error_type.to_owned(),
            })
            .inc();
    }
}

/// `energy_meter` channels, pulled through the connector.
pub struct EnergyMeterSource(pub Arc<EnergyMeterClient>);

impl PeriodSource for EnergyMeterSource {
    fn kind(&self) -> &'static str {
        "energy_meter"
    }

    fn pull<'a>(
        &'a self,
        facility: &'a Facility,
        channels: Vec<&'a Channel>,
        window: FetchWindow,
    ) -> PullFuture<'a> {
        Box::pin(pull(&self.0, facility, channels, window))
    }
}

async fn pull(
    client: &EnergyMeterClient,
    facility: &Facility,
    channels: Vec<&Channel>,
    window: FetchWindow,
) -> Result<Vec<PeriodPull>, ServiceError> {
    let facility_id = facility.facility_id.as_str();
    // One query per meter, however many channels read it.
    let mut meters: BTreeMap<&str, Vec<&Channel>> = BTreeMap::new();
    for c in &channels {
        if let ChannelSource::EnergyMeter { meter_id } = &c.source {
            meters.entry(meter_id.as_str()).or_default().push(c);
        }
    }
    let queries: Vec<MeterQuery> = meters
        .keys()
        .map(|m| MeterQuery {
            meter_id: (*m).to_owned(),
            start: window.start,
            end: window.end,
        })
        .collect();
    let pulls = client
        .pull(facility_id, &queries)
        .await
        .map_err(|(meter_id, error)| ServiceError::EnergyMeter {
            facility_id: facility_id.to_owned(),
            meter_id,
            error,
        })?;
    let mut out = Vec::with_capacity(channels.len());
    for p in pulls {
        let (served_from, age) = match p.served {
            Served::Live => (ServedFrom::Live, None),
            Served::Cache { age } => (ServedFrom::Cache, Some(age.as_secs_f64())),
            Served::Fallback { age } => (ServedFrom::FallbackCache, Some(age.as_secs_f64())),
        };
        for channel in meters.get(p.meter_id.as_str()).into_iter().flatten() {
            let readings =
                convert(channel, &p.readings).map_err(|problem| ServiceError::EnergyMeter {
                    facility_id: facility_id.to_owned(),
                    meter_id: p.meter_id.clone(),
                    error: EnergyMeterError::InvalidResponse(problem),
                })?;
            out.push(PeriodPull {
                tag: channel.tag.clone(),
                readings,
                served_from,
                age_seconds: age,
            });
        }
    }
    Ok(out)
}

/// The vendor's readings in the channel's unit, ascending by timestamp.
fn convert(channel: &Channel, vendor: &[VendorReading]) -> Result<Vec<Reading>, String> {
    let mut out = Vec::with_capacity(vendor.len());
    for r in vendor {
        let timestamp = thermaliq_core::timestamp::parse_rfc3339(&r.timestamp)
            .map_err(|_| format!("timestamp `{}` is not RFC 3339", r.timestamp))?;
        if !r.value.is_finite() {
            return Err(format!(
                "a reading at {} is not a finite number",
                r.timestamp
            ));
        }
        let value = match r.unit.as_deref() {
            None => r.value,
            Some(u) if u == channel.unit.symbol() => r.value,
            Some(u) => match &channel.unit {
                ChannelUnit::Energy(to) => {
                    let from = EnergyUnit::parse(u).map_err(|_| {
                        format!(
                            "unit `{u}` is not an energy unit (channel {} is in {})",
                            channel.tag,
                            to.symbol()
                        )
                    })?;
                    from.to_kwh(r.value) / to.kwh_factor()
                }
                ChannelUnit::Power(to) => {
                    let from = PowerUnit::parse(u).map_err(|_| {
                        format!(
                            "unit `{u}` is not a power unit (channel {} is in {})",
                            channel.tag,
                            to.symbol()
                        )
                    })?;
                    from.to_kw(r.value) / to.kw_factor()
                }
                // A variable's own quantity (tonnes, degree days, ...): no
                // conversion is known, so the unit must match as spelled.
                ChannelUnit::Quantity(q) => {
                    return Err(format!(
                        "unit `{u}` is not the unit `{q}` of channel {}",
                        channel.tag
                    ));
                }
            },
        };
        // Vendor quality words beyond the three of ThermalIQ are uncertain.
        let quality = match r.quality.as_deref() {
            None => Quality::Good,
            Some(q) => Quality::parse(&q.to_ascii_lowercase()).unwrap_or(Quality::Uncertain),
        };
        out.push(Reading::new(timestamp, value, quality));
    }
    out.sort_by_key(|r| r.timestamp);
    Ok(out)
}

/// One line of a connectivity check.
#[derive(Debug, Clone, Serialize)]
pub struct SourceCheck {
    /// The channel tag, or `-` for the API-wide checks.
    pub channel: String,
    /// `energy_meter`, `modbus`, …, or `api` / `credentials` / `facility_health`.
    pub source: String,
    /// What was checked: the meter id, `host:port`, the URL path.
    pub target: String,
    /// `ok`, `failed`, or `not_checked` (a source this check cannot test).
    pub status: &'static str,
    pub detail: String,
    pub latency_ms: Option<f64>,
}

/// The whole check of one facility.
#[derive(Debug, Clone, Serialize)]
pub struct MetersCheck {
    pub facility_id: String,
    /// Every checked source answered.
    pub ok: bool,
    pub checks: Vec<SourceCheck>,
}

impl MetersCheck {
    pub fn failing(&self) -> Vec<&SourceCheck> {
        self.checks
            .iter()
            .filter(|c| c.status == "failed")
            .collect()
    }
}

fn line(channel: &str, source: &str, target: &str, o: CheckOutcome) -> SourceCheck {
    SourceCheck {
        channel: channel.to_owned(),
        source: source.to_owned(),
        target: target.to_owned(),
        status: if o.ok { "ok" } else { "failed" },
        detail: o.detail,
        latency_ms: Some(o.latency_ms),
    }
}

/// Tests each source of `facility`: the meter API's health, the
/// credentials (a fresh token), the facility's health at the vendor and
/// each meter; a Modbus device by a TCP connection to it.
pub async fn check(client: &EnergyMeterClient, facility: &Facility) -> MetersCheck {
    let id = facility.facility_id.as_str();
    let mut checks = Vec::new();
    let meters: Vec<&Channel> = facility
        .channels
        .iter()
        .filter(|c| matches!(c.source, ChannelSource::EnergyMeter { .. }))
        .collect();
    if !meters.is_empty() {
        checks.push(line("-", "api", "/health", client.check_api_health().await));
        checks.push(line(
            "-",
            "credentials",
            "/auth/token",
            client.check_credentials(id).await,
        ));
        let path = format!("/facilities/{id}/health");
        checks.push(line(
            "-",
            "facility_health",
            &path,
            client.check_facility_health(id).await,
        ));
    }
    for c in &facility.channels {
        match &c.source {
            ChannelSource::EnergyMeter { meter_id } => {
                let o = client.check_meter(id, meter_id).await;
                checks.push(line(&c.tag, "energy_meter", meter_id, o));
            }
            ChannelSource::Modbus(m) => {
                let target = format!("{}:{}", m.host, m.port);
                let o = tcp_check(&target, client.config().connect_timeout).await;
                checks.push(line(&c.tag, "modbus", &target, o));
            }
            ChannelSource::Push => {}
            other => checks.push(SourceCheck {
                channel: c.tag.clone(),
                source: other.kind().to_owned(),
                target: String::new(),
                status: "not_checked",
                detail: "this version does not check this source type".to_owned(),
                latency_ms: None,
            }),
        }
    }
    MetersCheck {
        facility_id: id.to_owned(),
        ok: checks.iter().all(|c| c.status != "failed"),
        checks,
    }
}

async fn tcp_check(target: &str, timeout: Duration) -> CheckOutcome {
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(target)).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (ok, detail) = match result {
        Ok(Ok(_)) => (true, "ok".to_owned()),
        Ok(Err(e)) => (false, format!("connection failed: {e}")),
        Err(_) => (false, format!("timeout: no connection within {timeout:?}")),
    };
    CheckOutcome {
        ok,
        detail,
        latency_ms,
    }
}

/// The check of a stored facility (the admin endpoint and the CLI).
pub async fn check_facility(
    store: &dyn thermaliq_store::Store,
    client: &EnergyMeterClient,
    facility_id: &str,
) -> Result<MetersCheck, ServiceError> {
    let record = store
        .get_facility(facility_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("facility {facility_id} does not exist")))?;
    let facility =
        thermaliq_core::readings::parse_facility(record.document.as_bytes()).map_err(|e| {
            ServiceError::Internal(format!(
                "stored facility {facility_id} is not readable: {e}"
            ))
        })?;
    let report = check(client, &facility).await;
    for c in report.failing() {
        tracing::error!(
            target: connectors::energy_meter::LOG_TARGET,
            facility_id,
            meter_id = c.target.as_str(),
            channel = c.channel.as_str(),
            check = c.source.as_str(),
            error = c.detail.as_str(),
            "EnergyMeterConnector check failed: {} {}: {}",
            c.source,
            c.target,
            c.detail
        );
    }
    Ok(report)
}
