//! The HTTP/1.1 accept loop (issue 12 item 3): `axum::serve` has no header
//! read timeout and no connection limit, so 500 sockets sending partial
//! headers stayed open for as long as their clients liked.
//!
//! - `HTTP_HEADER_READ_TIMEOUT`: hyper closes a connection whose request head
//!   is not complete in time (also between keep-alive requests).
//! - `HTTP_BODY_READ_TIMEOUT`: applied per body frame by `app::router`
//!   (`RequestBodyTimeoutLayer`); a stalled body is a 408 `TimeoutError`.
//! - `HTTP_MAX_CONNECTIONS`: a connection is accepted only with a permit, so
//!   connections past the limit wait in the kernel's listen backlog and the
//!   running ones are not affected.
//!
//! Shutdown is graceful: stop accepting, let every connection finish its
//! request in flight.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What bounds a connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error_message = %err, "Accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is no server error.
            let _ = watched.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
