//! The HTTP server loop: at most `max_connections` connections at once (further clients
//! wait in the listen backlog instead of exhausting the process's open files), at most
//! `max_connections_per_client` from one address (more are closed at once), a deadline
//! for each request's headers that also ends idle keep-alive connections, and a limit on
//! how long a request's body may stall. `axum::serve` has none of these, so slow clients could hold
//! the server (1,100 slow-header connections made it unreachable).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Sleep;

/// Limits on what one client can hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// Connections served at once (`GUGUS_MAX_CONNECTIONS`); more wait to be accepted.
    pub max_connections: usize,
    /// Connections one address may hold (`GUGUS_MAX_CONNECTIONS_PER_CLIENT`); 0 = no
    /// limit (behind a reverse proxy every client has the proxy's address).
    pub max_connections_per_client: usize,
    /// Time a client has to send a request's headers, counted from the connection's start
    /// or the end of its previous response, so it is also the keep-alive idle timeout
    /// (`GUGUS_HEADER_TIMEOUT_SECS`).
    pub header_timeout: Duration,
    /// Time a request's body may stall: the longest wait for its next bytes
    /// (`GUGUS_BODY_TIMEOUT_SECS`; as nginx's `client_body_timeout`, so a large upload on a
    /// slow but moving line still arrives).
    pub body_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_connections: 512,
            max_connections_per_client: 128,
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(60),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets open
/// requests finish.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(1 << 20));
    let slots = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let per_client = PerClient::new(limits.max_connections_per_client);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(client) = per_client.enter(peer.ip()) else {
            crate::http::metrics::connection_refused();
            continue; // dropping the stream closes it; the slot goes back with the permit
        };
        let conn = Conn {
            app: app.clone(),
            peer,
            limits,
            stop: stop_rx.clone(),
            _slot: permit,
            _client: client,
        };
        tokio::spawn(conn.run(stream));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it ends: taking them all waits for the last one.
    let _ = slots.acquire_many(max as u32).await;
    Ok(())
}

/// Out of file descriptors or a reset before accept: wait a moment rather than spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if !matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        tracing::warn!(error = %e, "accept failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Conn {
    app: Router,
    peer: SocketAddr,
    limits: ServeLimits,
    stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
    _client: ClientSlot,
}

/// Open connections per client address.
#[derive(Clone)]
struct PerClient {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    fn new(max: usize) -> Self {
        PerClient {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, or `None` when it holds its share.
    fn enter(&self, ip: IpAddr) -> Option<ClientSlot> {
        if self.max > 0 {
            let mut open = self.open.lock().ok()?;
            let n = open.entry(ip).or_default();
            if *n >= self.max {
                return None;
            }
            *n += 1;
        }
        Some(ClientSlot {
            table: self.clone(),
            ip,
        })
    }
}

/// Gives the connection's place back when the connection ends.
struct ClientSlot {
    table: PerClient,
    ip: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if self.table.max == 0 {
            return;
        }
        if let Ok(mut open) = self.table.open.lock()
            && let Some(n) = open.get_mut(&self.ip)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl Conn {
    async fn run(mut self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        crate::http::metrics::connection_opened();
        let (app, peer, body_timeout) = (self.app.clone(), self.peer, self.limits.body_timeout);
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let req = req.map(|b| Body::new(TimeoutBody::new(b, body_timeout)));
            tower_service::Service::call(&mut app.clone(), req)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let mut conn = std::pin::pin!(conn);
        let stopping = tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended");
                }
                false
            }
            r = self.stop.wait_for(|s| *s) => r.is_ok(),
        };
        if stopping {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
        crate::http::metrics::connection_closed();
    }
}

/// The body read timed out.
#[derive(Debug)]
struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body not received in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// A request body that fails when no bytes come for `timeout`. The timer is armed only
/// when the client makes the server wait, so requests without a body cost nothing.
struct TimeoutBody {
    inner: Incoming,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl TimeoutBody {
    fn new(inner: Incoming, timeout: Duration) -> Self {
        TimeoutBody {
            inner,
            timeout,
            sleep: None,
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl http_body::Body for TimeoutBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Poll::Ready(f) = Pin::new(&mut this.inner).poll_frame(cx) {
            // Bytes came: the next wait starts afresh.
            this.sleep = None;
            return Poll::Ready(f.map(|r| r.map_err(Into::into)));
        }
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
