//! The HTTP side: one `reqwest` client per connector with the connect and
//! total timeouts, every request through the limiter, a fresh token once on
//! a `401`, and retries with exponential backoff and full jitter ("Exponential
//! Backoff And Jitter", AWS Architecture Blog, 2015) on 429, 5xx, timeouts
//! and connection errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

use super::auth::{Credentials, Token, TokenCache};
use super::limiter::Limiter;
use super::wire::{
    BatchItem, BatchRequest, BatchResponse, ReadingsPage, TokenResponse, VendorReading,
};
use super::{EnergyMeterConfig, EnergyMeterError, LOG_TARGET, MeterObserver};
use crate::cache::Cache;

/// The most pages one meter's period may take (a vendor that keeps sending
/// page tokens must not keep a calculation busy for ever).
const MAX_PAGES: usize = 10_000;

/// Who a request is for, for the log line.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub facility_id: &'a str,
    pub meter_id: &'a str,
}

/// The outcome of one connectivity check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub ok: bool,
    /// `ok`, or the failure as the runbook words it.
    pub detail: String,
    pub latency_ms: f64,
}

/// The connector of one replica.
pub struct EnergyMeterClient {
    pub(crate) config: EnergyMeterConfig,
    http: Result<reqwest::Client, EnergyMeterError>,
    credentials: Result<Credentials, EnergyMeterError>,
    tokens: TokenCache,
    pub(crate) limiter: Limiter,
    pub(crate) observer: Arc<dyn MeterObserver>,
    pub(crate) cache: Cache,
    jitter: AtomicU64,
}

enum Auth {
    None,
    Bearer,
}

impl EnergyMeterClient {
    /// Builds the connector; reads the credentials now (a restart re-reads
    /// a rotated secret). A missing URL or credentials is not an error here:
    /// the service starts, and calls that need the vendor fail naming it.
    pub fn new(config: EnergyMeterConfig, cache: Cache, observer: Arc<dyn MeterObserver>) -> Self {
        // reqwest is built without its aws-lc provider; ring is the one used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| EnergyMeterError::NotConfigured(chain(&e)));
        let credentials = config.credentials();
        if let Err(err) = &credentials
            && config.api_url.is_some()
        {
            tracing::warn!(target: LOG_TARGET, error = %err, "EnergyMeterConnector credentials error: {err}");
        }
        let seed = OffsetDateTime::now_utc().unix_timestamp_nanos() as u64 | 1;
        Self {
            tokens: TokenCache::new(config.token_refresh_margin),
            limiter: Limiter::new(config.max_requests_per_minute),
            http,
            credentials,
            observer,
            cache,
            jitter: AtomicU64::new(seed),
            config,
        }
    }

    fn http(&self) -> Result<&reqwest::Client, EnergyMeterError> {
        self.http.as_ref().map_err(Clone::clone)
    }

    pub fn config(&self) -> &EnergyMeterConfig {
        &self.config
    }

    fn base(&self) -> Result<&str, EnergyMeterError> {
        self.config
            .api_url
            .as_deref()
            .map(|u| u.trim_end_matches('/'))
            .ok_or_else(|| {
                EnergyMeterError::NotConfigured("ENERGY_METER_API_URL is not set".into())
            })
    }

    /// A uniformly random pause in `[0, min(max, base·2^attempt)]` (full jitter).
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.backoff_max);
        // xorshift64*: no cryptographic need, only spread between replicas.
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        cap.mul_f64((x >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// A fresh token (RFC 6749 §4.4.2), logged as `authenticated`.
    async fn fetch_token(&self, ctx: Ctx<'_>) -> Result<Token, EnergyMeterError> {
        let credentials = self.credentials.clone()?;
        let url = format!("{}/auth/token", self.base()?);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.secret()),
        ];
        let issued = Instant::now();
        let (status, body) = self
            .send_once("token", ctx, self.http()?.post(&url).form(&form))
            .await?;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST {
            return Err(EnergyMeterError::Unauthorized(format!(
                "{} from POST /auth/token for client id {}",
                status.as_u16(),
                credentials.client_id
            )));
        }
        check_status(status, &body, &self.limiter)?;
        let answer: TokenResponse = parse(&body)?;
        if answer
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(EnergyMeterError::InvalidResponse(
                "the token endpoint did not grant a Bearer token".into(),
            ));
        }
        let lifetime = Duration::from_secs(answer.lifetime_seconds());
        tracing::info!(
            target: LOG_TARGET,
            facility_id = ctx.facility_id,
            client_id = credentials.client_id.as_str(),
            expires_in = lifetime.as_secs(),
            "EnergyMeterConnector authenticated with the meter API"
        );
        Ok(Token {
            value: answer.access_token,
            refresh_at: self.tokens.refresh_at(issued, lifetime),
        })
    }

    /// One HTTP exchange through the limiter: the status and the whole body.
    async fn send_once(
        &self,
        endpoint: &'static str,
        ctx: Ctx<'_>,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, bytes_like::Body), EnergyMeterError> {
        if let Some(held) = self.limiter.held_for()
            && held > self.config.timeout
        {
            return Err(EnergyMeterError::RateLimited {
                retry_after_seconds: held.as_secs().max(1),
            });
        }
        self.limiter.acquire().await;
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = classify(&e, self.config.timeout);
                let label = if matches!(err, EnergyMeterError::Timeout(_)) {
                    "timeout"
                } else {
                    "connection_error"
                };
                self.observer.request(ctx.facility_id, endpoint, label);
                return Err(err);
            }
        };
        let status = response.status();
        self.observer
            .request(ctx.facility_id, endpoint, status.as_str());
        log_rate_headers(response.headers(), ctx, status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            let pause = retry_after(response.headers());
            self.limiter.hold_for(pause);
        }
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                EnergyMeterError::Timeout(format!("{:?} (reading the answer)", self.config.timeout))
            } else {
                EnergyMeterError::InvalidResponse(format!("truncated answer: {}", chain(&e)))
            }
        })?;
        Ok((status, bytes_like::Body(body.to_vec())))
    }

    /// A request with the bearer token (refreshed once on a `401`), retried
    /// with backoff while the failure is worth it; every failed attempt is
    /// counted and logged.
    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        ctx: Ctx<'_>,
        auth: Auth,
        build: &(dyn Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Sync),
    ) -> Result<T, EnergyMeterError> {
        let max_retries = if self.config.backoff_enabled {
            self.config.max_retries
        } else {
            0
        };
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let mut token_rejected = false;
            let outcome = async {
                let base = self.base()?;
                let token = match auth {
                    Auth::None => String::new(),
                    Auth::Bearer => self.tokens.get(|| self.fetch_token(ctx)).await?,
                };
                let mut request = build(self.http()?, base);
                if matches!(auth, Auth::Bearer) {
                    request = request.bearer_auth(&token);
                }
                let (status, body) = self.send_once(endpoint, ctx, request).await?;
                if status == StatusCode::UNAUTHORIZED && matches!(auth, Auth::Bearer) {
                    self.tokens.invalidate(&token).await;
                    token_rejected = true;
                    return Err(EnergyMeterError::Unauthorized(format!(
                        "401 from {endpoint} with a token the meter API no longer accepts"
                    )));
                }
                check_status(status, &body, &self.limiter)?;
                parse::<T>(&body)
            }
            .await;
            let err = match outcome {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            self.observer.connection_error(ctx.facility_id, err.kind());
            // A token the vendor rejected (expired early, skewed clock) is
            // replaced once; a second refusal is the credentials' fault.
            if token_rejected && !refreshed {
                refreshed = true;
                tracing::warn!(
                    target: LOG_TARGET,
                    facility_id = ctx.facility_id,
                    meter_id = ctx.meter_id,
                    status = 401,
                    "EnergyMeterConnector request failed: 401 Unauthorized, fetching a new token"
                );
                continue;
            }
            let retry = err.is_retryable() && attempt < max_retries;
            let pause = if retry {
                self.backoff(attempt)
            } else {
                Duration::ZERO
            };
            let status = status_of(&err);
            if retry {
                tracing::warn!(
                    target: LOG_TARGET,
                    facility_id = ctx.facility_id,
                    meter_id = ctx.meter_id,
                    status,
                    endpoint,
                    attempt = attempt + 1,
                    error = %err,
                    "EnergyMeterConnector request failed (attempt {} of {}), retrying in {:.2} s: {err}",
                    attempt + 1,
                    max_retries + 1,
                    pause.as_secs_f64()
                );
                tokio::time::sleep(pause).await;
                attempt += 1;
                continue;
            }
            tracing::error!(
                target: LOG_TARGET,
                facility_id = ctx.facility_id,
                meter_id = ctx.meter_id,
                status,
                endpoint,
                attempts = attempt + 1,
                error = %err,
                "EnergyMeterConnector error: request failed: {err}"
            );
            return Err(err);
        }
    }

    /// Every reading of one meter over `[start, end)`, page by page.
    pub(crate) async fn fetch_meter(
        &self,
        facility_id: &str,
        meter_id: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
        first_page_token: Option<String>,
        mut readings: Vec<VendorReading>,
    ) -> Result<Vec<VendorReading>, EnergyMeterError> {
        let ctx = Ctx {
            facility_id,
            meter_id,
        };
        let (start, end) = (rfc3339(start), rfc3339(end));
        let mut token = first_page_token;
        let mut pages = 0;
        if token.is_none() && !readings.is_empty() {
            return Ok(readings);
        }
        loop {
            let page_token = token.clone();
            let path = format!("/meters/{meter_id}/readings");
            let build = |http: &reqwest::Client, base: &str| {
                let mut query = vec![("start", start.as_str()), ("end", end.as_str())];
                if let Some(t) = &page_token {
                    query.push(("page_token", t.as_str()));
                }
                http.get(format!("{base}{path}")).query(&query)
            };
            let page: ReadingsPage = self.call("readings", ctx, Auth::Bearer, &build).await?;
            readings.extend(page.readings);
            pages += 1;
            match page.next_page_token {
                Some(next) if Some(&next) == token.as_ref() || pages >= MAX_PAGES => {
                    return Err(EnergyMeterError::InvalidResponse(format!(
                        "meter {meter_id}: pagination does not end (page token {next} after {pages} pages)"
                    )));
                }
                Some(next) => token = Some(next),
                None => return Ok(readings),
            }
        }
    }

    /// The readings of several meters over one window in `POST
    /// /readings/batch` calls of at most `ENERGY_METER_BATCH_SIZE` meters;
    /// a result with a page token is finished page by page.
    pub(crate) async fn fetch_batch(
        &self,
        facility_id: &str,
        meter_ids: &[&str],
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Vec<(String, Result<Vec<VendorReading>, EnergyMeterError>)> {
        let (start_s, end_s) = (rfc3339(start), rfc3339(end));
        let mut out = Vec::with_capacity(meter_ids.len());
        for chunk in meter_ids.chunks(self.config.batch_size.max(1)) {
            let shown = shown_ids(chunk);
            let ctx = Ctx {
                facility_id,
                meter_id: &shown,
            };
            let body = BatchRequest {
                requests: chunk
                    .iter()
                    .map(|m| BatchItem {
                        meter_id: m,
                        start: &start_s,
                        end: &end_s,
                    })
                    .collect(),
            };
            let build = |http: &reqwest::Client, base: &str| {
                http.post(format!("{base}/readings/batch")).json(&body)
            };
            match self
                .call::<BatchResponse>("batch", ctx, Auth::Bearer, &build)
                .await
            {
                Err(err) => out.extend(chunk.iter().map(|m| ((*m).to_owned(), Err(err.clone())))),
                Ok(answer) => {
                    let mut results: std::collections::HashMap<String, _> = answer
                        .results
                        .into_iter()
                        .map(|r| (r.meter_id.clone(), r))
                        .collect();
                    for meter in chunk {
                        let got = match results.remove(*meter) {
                            None => Err(EnergyMeterError::InvalidResponse(format!(
                                "the batch answer has no result for meter {meter}"
                            ))),
                            Some(r) if r.next_page_token.is_none() => Ok(r.readings),
                            Some(r) => {
                                self.fetch_meter(
                                    facility_id,
                                    meter,
                                    start,
                                    end,
                                    r.next_page_token,
                                    r.readings,
                                )
                                .await
                            }
                        };
                        out.push(((*meter).to_owned(), got));
                    }
                }
            }
        }
        out
    }

    /// `GET {base}/health`, unauthenticated like the runbook's `curl`.
    pub async fn check_api_health(&self) -> CheckOutcome {
        let ctx = Ctx {
            facility_id: "",
            meter_id: "",
        };
        let build = |http: &reqwest::Client, base: &str| http.get(format!("{base}/health"));
        timed(self.call::<serde_json::Value>("health", ctx, Auth::None, &build)).await
    }

    /// A fresh token: the credentials work.
    pub async fn check_credentials(&self, facility_id: &str) -> CheckOutcome {
        let ctx = Ctx {
            facility_id,
            meter_id: "",
        };
        timed(async { self.fetch_token(ctx).await.map(|_| ()) }).await
    }

    /// `GET {base}/facilities/{id}/health`.
    pub async fn check_facility_health(&self, facility_id: &str) -> CheckOutcome {
        let ctx = Ctx {
            facility_id,
            meter_id: "",
        };
        let build = |http: &reqwest::Client, base: &str| {
            http.get(format!("{base}/facilities/{facility_id}/health"))
        };
        timed(self.call::<serde_json::Value>("facility_health", ctx, Auth::Bearer, &build)).await
    }

    /// The meter's last five minutes: its id is known and readable.
    pub async fn check_meter(&self, facility_id: &str, meter_id: &str) -> CheckOutcome {
        let end = OffsetDateTime::now_utc();
        let start = end - time::Duration::minutes(5);
        timed(async {
            self.fetch_meter(facility_id, meter_id, start, end, None, Vec::new())
                .await
                .map(|_| ())
        })
        .await
    }
}

async fn timed<T>(work: impl Future<Output = Result<T, EnergyMeterError>>) -> CheckOutcome {
    let started = Instant::now();
    let result = work.await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(_) => CheckOutcome {
            ok: true,
            detail: "ok".to_owned(),
            latency_ms,
        },
        Err(err) => CheckOutcome {
            ok: false,
            detail: err.to_string(),
            latency_ms,
        },
    }
}

/// A small owned body (keeps `bytes` out of the public surface).
mod bytes_like {
    pub struct Body(pub Vec<u8>);
}

fn check_status(
    status: StatusCode,
    body: &bytes_like::Body,
    limiter: &Limiter,
) -> Result<(), EnergyMeterError> {
    if status.is_success() {
        return Ok(());
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(EnergyMeterError::RateLimited {
            retry_after_seconds: limiter.held_for().map_or(1, |d| d.as_secs().max(1)),
        });
    }
    if status.is_server_error() {
        return Err(EnergyMeterError::Unavailable {
            status: status.as_u16(),
        });
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(EnergyMeterError::Unauthorized(
            "401 from the meter API".to_owned(),
        ));
    }
    let detail: String = String::from_utf8_lossy(&body.0).chars().take(200).collect();
    Err(EnergyMeterError::Refused {
        status: status.as_u16(),
        detail,
    })
}

fn parse<T: DeserializeOwned>(body: &bytes_like::Body) -> Result<T, EnergyMeterError> {
    serde_json::from_slice(&body.0).map_err(|e| {
        EnergyMeterError::InvalidResponse(format!("the answer is not the documented JSON: {e}"))
    })
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3; the HTTP-date form is read
/// as 1 s), at most 1 hour.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let seconds = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0)
        .min(3600.0);
    Duration::from_secs_f64(seconds)
}

/// Logs the vendor's rate-limit headers as they arrive (the runbook greps `X-RateLimit`).
fn log_rate_headers(headers: &reqwest::header::HeaderMap, ctx: Ctx<'_>, status: StatusCode) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let remaining = get("x-ratelimit-remaining");
    let reset = get("x-ratelimit-reset");
    let retry = get("retry-after");
    if remaining.is_none() && reset.is_none() && retry.is_none() {
        return;
    }
    tracing::info!(
        target: LOG_TARGET,
        facility_id = ctx.facility_id,
        meter_id = ctx.meter_id,
        status = status.as_u16(),
        x_ratelimit_remaining = remaining,
        x_ratelimit_reset = reset,
        retry_after = retry,
        "EnergyMeterConnector rate limit: X-RateLimit-Remaining={} X-RateLimit-Reset={}{}",
        remaining.unwrap_or("-"),
        reset.unwrap_or("-"),
        retry.map(|r| format!(" Retry-After={r}")).unwrap_or_default()
    );
}

fn classify(e: &reqwest::Error, timeout: Duration) -> EnergyMeterError {
    if e.is_timeout() {
        EnergyMeterError::Timeout(format!("{timeout:?}"))
    } else {
        EnergyMeterError::Connect(chain(e))
    }
}

/// An error and its causes on one line ("… : Connection refused (os error 111)").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// The `status` log field: the HTTP code when there was one.
fn status_of(err: &EnergyMeterError) -> u16 {
    match err {
        EnergyMeterError::Unauthorized(_) => 401,
        EnergyMeterError::RateLimited { .. } => 429,
        EnergyMeterError::Unavailable { status } | EnergyMeterError::Refused { status, .. } => {
            *status
        }
        _ => 0,
    }
}

/// The `meter_id` of a batch's log lines: the first ten ids.
fn shown_ids(ids: &[&str]) -> String {
    let mut s = ids.iter().take(10).copied().collect::<Vec<_>>().join(",");
    if ids.len() > 10 {
        s.push_str(&format!(",…(+{})", ids.len() - 10));
    }
    s
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}
