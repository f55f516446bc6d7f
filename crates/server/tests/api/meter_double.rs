//! A hand-written double of the meter vendor's REST API (an axum app on
//! port 0), with faults a test injects: 401 on a token it expired, 429
//! with `Retry-After`, 5xx, slow answers, truncated JSON, small pages, a
//! skewed `expires_in`. Its readings come from a generator whose energies
//! are known in closed form, so a test's expected efficiency does not come
//! from the code under test.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const CLIENT_ID: &str = "thermaliq-test";
pub const CLIENT_SECRET: &str = "double-secret-do-not-log";

/// What the next matching request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, with `Retry-After` when given.
    Status(u16, Option<u64>),
    /// Answer normally after this pause.
    Slow(Duration),
    /// A 200 whose JSON stops in the middle.
    Truncated,
    /// Every issued token stops being accepted (it "expired" early).
    ExpireTokens,
}

#[derive(Default)]
pub struct DoubleState {
    /// Faults for readings and batch requests, consumed one per request.
    pub faults: Mutex<VecDeque<Fault>>,
    /// When set, every readings and batch request gets this fault.
    pub always: Mutex<Option<Fault>>,
    /// The `expires_in` the token endpoint sends.
    pub expires_in: Mutex<Value>,
    tokens: Mutex<HashSet<String>>,
    /// Every request, as `METHOD /path?query`.
    pub seen: Mutex<Vec<String>>,
    /// Readings per page.
    pub page_size: Mutex<usize>,
    issued: Mutex<u64>,
}

pub struct MeterDouble {
    pub url: String,
    pub state: Arc<DoubleState>,
}

impl MeterDouble {
    pub async fn start() -> Self {
        let state = Arc::new(DoubleState::default());
        *state.expires_in.lock().unwrap() = json!(3600);
        *state.page_size.lock().unwrap() = 1000;
        let app = Router::new()
            .route("/auth/token", post(token))
            .route("/meters/{id}/readings", get(readings))
            .route("/readings/batch", post(batch))
            .route(
                "/health",
                get(|| async { axum::Json(json!({"status": "ok"})) }),
            )
            .route("/facilities/{id}/health", get(facility_health))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub fn push_fault(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push_back(fault);
    }

    pub fn always(&self, fault: Option<Fault>) {
        *self.state.always.lock().unwrap() = fault;
    }

    pub fn seen(&self, prefix: &str) -> usize {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.starts_with(prefix))
            .count()
    }

    pub fn seen_all(&self) -> Vec<String> {
        self.state.seen.lock().unwrap().clone()
    }
}

/// A URL where nothing listens (connection refused).
pub async fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// The generator: a meter `GAS-*` reads P(t) = 1000 + 200·sin(2πt/1 h) kW
/// at every whole minute; `STEAM-*` reads exactly 0.8·P(t). Whatever the
/// integration rule, the steam energy is 0.8 × the gas energy: the
/// efficiency is 80 % by construction.
pub fn generated_kw(meter_id: &str, t: OffsetDateTime) -> f64 {
    let phase = (t.unix_timestamp() % 3600) as f64 / 3600.0;
    let gas = 1000.0 + 200.0 * (2.0 * std::f64::consts::PI * phase).sin();
    if meter_id.starts_with("STEAM") {
        0.8 * gas
    } else {
        gas
    }
}

fn minute_readings(meter_id: &str, start: OffsetDateTime, end: OffsetDateTime) -> Vec<Value> {
    let first = start.unix_timestamp().div_euclid(60) * 60;
    let first = if first < start.unix_timestamp() {
        first + 60
    } else {
        first
    };
    (0..)
        .map(|m| OffsetDateTime::from_unix_timestamp(first + 60 * m).unwrap())
        .take_while(|t| *t < end)
        .map(|t| {
            json!({"timestamp": t.format(&Rfc3339).unwrap(), "value": generated_kw(meter_id, t),
                   "unit": "kW", "quality": "good"})
        })
        .collect()
}

fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| decode(v))
    })
}

/// `application/x-www-form-urlencoded` decoding (WHATWG URL §5.1).
fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn token(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    s.seen.lock().unwrap().push("POST /auth/token".to_owned());
    let body = String::from_utf8_lossy(&body);
    let ok = form_field(&body, "client_id").as_deref() == Some(CLIENT_ID)
        && form_field(&body, "client_secret").as_deref() == Some(CLIENT_SECRET)
        && form_field(&body, "grant_type").as_deref() == Some("client_credentials");
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let n = {
        let mut issued = s.issued.lock().unwrap();
        *issued += 1;
        *issued
    };
    let value = format!("tok-{n}");
    s.tokens.lock().unwrap().insert(value.clone());
    let expires_in = s.expires_in.lock().unwrap().clone();
    axum::Json(json!({"access_token": value, "token_type": "Bearer", "expires_in": expires_in}))
        .into_response()
}

/// The fault for this request, and whether the bearer token is accepted.
async fn gate(s: &DoubleState, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
    let fault = s
        .faults
        .lock()
        .unwrap()
        .pop_front()
        .or_else(|| s.always.lock().unwrap().clone());
    if let Some(Fault::ExpireTokens) = fault {
        s.tokens.lock().unwrap().clear();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !s.tokens.lock().unwrap().contains(bearer) {
        return Err((
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "token expired"})),
        )
            .into_response());
    }
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let mut headers = HeaderMap::new();
            headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
            headers.insert("x-ratelimit-reset", "1".parse().unwrap());
            if let Some(r) = retry_after {
                headers.insert("retry-after", r.to_string().parse().unwrap());
            }
            Err((
                StatusCode::from_u16(code).unwrap(),
                headers,
                axum::Json(json!({"error": "injected"})),
            )
                .into_response())
        }
        Some(Fault::Slow(pause)) => {
            tokio::time::sleep(pause).await;
            Ok(None)
        }
        other => Ok(other),
    }
}

fn truncated() -> Response {
    (
        [("content-type", "application/json")],
        r#"{"readings": [{"timestamp": "2025-11-01T00:00:00Z", "val"#,
    )
        .into_response()
}

fn parse_time(v: Option<&String>) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(v?, &Rfc3339).ok()
}

/// One page of a meter's window: `page_token` is the offset of the page.
fn page(
    s: &DoubleState,
    meter: &str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    token: usize,
) -> Value {
    let all = minute_readings(meter, start, end);
    let size = *s.page_size.lock().unwrap();
    let next = (token + size < all.len()).then(|| (token + size).to_string());
    let readings: Vec<Value> = all.into_iter().skip(token).take(size).collect();
    json!({"meter_id": meter, "readings": readings, "next_page_token": next})
}

async fn readings(
    State(s): State<Arc<DoubleState>>,
    Path(meter): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = q.get("page_token").cloned();
    s.seen.lock().unwrap().push(format!(
        "GET /meters/{meter}/readings{}",
        token
            .as_ref()
            .map(|t| format!("?page_token={t}"))
            .unwrap_or_default()
    ));
    match gate(&s, &headers).await {
        Err(response) => return response,
        Ok(Some(Fault::Truncated)) => return truncated(),
        Ok(_) => {}
    }
    let (Some(start), Some(end)) = (parse_time(q.get("start")), parse_time(q.get("end"))) else {
        return (StatusCode::BAD_REQUEST, "start and end are required").into_response();
    };
    let offset = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let mut body = page(&s, &meter, start, end, offset);
    body.as_object_mut().unwrap().remove("meter_id");
    (
        [("x-ratelimit-remaining", "99"), ("x-ratelimit-reset", "60")],
        axum::Json(body),
    )
        .into_response()
}

async fn batch(State(s): State<Arc<DoubleState>>, headers: HeaderMap, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let items = request["requests"].as_array().cloned().unwrap_or_default();
    s.seen
        .lock()
        .unwrap()
        .push(format!("POST /readings/batch n={}", items.len()));
    match gate(&s, &headers).await {
        Err(response) => return response,
        Ok(Some(Fault::Truncated)) => return truncated(),
        Ok(_) => {}
    }
    let results: Vec<Value> = items
        .iter()
        .filter_map(|item| {
            let meter = item["meter_id"].as_str()?;
            let start = OffsetDateTime::parse(item["start"].as_str()?, &Rfc3339).ok()?;
            let end = OffsetDateTime::parse(item["end"].as_str()?, &Rfc3339).ok()?;
            Some(page(&s, meter, start, end, 0))
        })
        .collect();
    axum::Json(json!({"results": results})).into_response()
}

async fn facility_health(Path(id): Path<String>, headers: HeaderMap) -> Response {
    let _ = headers;
    axum::Json(json!({"facility_id": id, "status": "ok"})).into_response()
}
