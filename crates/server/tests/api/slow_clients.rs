//! Slow and greedy clients (issue 12 item 3): sockets with partial headers are
//! closed after `HTTP_HEADER_READ_TIMEOUT`, a stalled body is answered 408
//! after `HTTP_BODY_READ_TIMEOUT`, and connections past `HTTP_MAX_CONNECTIONS`
//! wait without affecting the ones being served.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_sqlite_app_with};

fn addr(app: &TestApp) -> std::net::SocketAddr {
    app.server().addr
}

/// Reads until the peer closes (`Ok(bytes)`) or `limit` passes (`Err`).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Result<Vec<u8>, Vec<u8>> {
    let mut got = Vec::new();
    let deadline = Instant::now() + limit;
    loop {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return Err(got),
        }
    }
}

#[tokio::test]
async fn partial_headers_are_closed_after_the_header_timeout() {
    let app = spawn_sqlite_app_with(|s| s.http_header_read_timeout = Duration::from_secs(1)).await;
    let mut sockets = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        sockets.push(s);
    }
    let started = Instant::now();
    for s in &mut sockets {
        let closed = read_until_closed(s, Duration::from_secs(5)).await;
        assert!(closed.is_ok(), "a partial-header socket stayed open 5 s");
    }
    println!(
        "50 partial-header sockets closed after {:?}",
        started.elapsed()
    );
    // The service still answers.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn a_stalled_body_is_answered_408() {
    let app = spawn_sqlite_app_with(|s| s.http_body_read_timeout = Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let head = format!(
        "POST /v1/thermaliq/calculate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"facility_id\":"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("the stalled request is answered and closed");
    let text = String::from_utf8_lossy(&answer);
    println!("stalled body answered after {:?}", started.elapsed());
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let body: Value = serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "body", "{body}");
}

#[tokio::test]
async fn connections_past_the_limit_wait_and_running_ones_are_served() {
    let app = spawn_sqlite_app_with(|s| {
        s.http_max_connections = 4;
        s.http_header_read_timeout = Duration::from_secs(3);
    })
    .await;
    // Four idle connections hold every permit.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    // A fifth connection waits (in the listen backlog) until a permit frees up.
    let started = Instant::now();
    let waiting = tokio::spawn({
        let url = app.url("/health");
        async move {
            let r = reqwest::Client::new().get(url).send().await.unwrap();
            (r.status().as_u16(), started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !waiting.is_finished(),
        "the fifth connection was served at once"
    );
    // Held connections send a complete request and are answered.
    let mut first = held.remove(0);
    first
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut first, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    let (status, took) = waiting.await.unwrap();
    println!("fifth connection served after {took:?}");
    assert_eq!(status, 200);
}
