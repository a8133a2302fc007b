//! Connection limits (issue 17, item 3): a client that sends its headers slowly, or not at
//! all, is cut off after the header timeout; an idle keep-alive connection is closed; a
//! body that never arrives ends the request; and at most `max_connections` are served at
//! once, a further client waiting until a slot frees instead of exhausting the server.
//! Waits are generous and the assertions are on outcomes (closed, served), not durations.

use crate::common::TestApp;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any timeout configured here: only a server that never closes hits it.
const GENEROUS: Duration = Duration::from_secs(60);

async fn spawn(max_connections: usize, header_secs: u64, body_secs: u64) -> TestApp {
    spawn_per_client(max_connections, 0, header_secs, body_secs).await
}

async fn spawn_per_client(
    max_connections: usize,
    max_connections_per_client: usize,
    header_secs: u64,
    body_secs: u64,
) -> TestApp {
    TestApp::spawn_limited(
        web::WebConfig {
            secret: vec![7; 32],
            ..Default::default()
        },
        None,
        web::ServeLimits {
            max_connections,
            max_connections_per_client,
            header_timeout: Duration::from_secs(header_secs),
            body_timeout: Duration::from_secs(body_secs),
        },
    )
    .await
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// A connection that has sent the start of a request and nothing more.
async fn slow_client(app: &TestApp) -> TcpStream {
    let mut s = TcpStream::connect(addr(app)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: gugus\r\nX-Slow: ")
        .await
        .unwrap();
    s
}

/// Reads until the server closes the connection; what it sent before closing.
async fn until_closed(s: &mut TcpStream) -> Result<Vec<u8>, &'static str> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(GENEROUS, s.read(&mut buf)).await {
            Err(_) => return Err("the server kept the connection open"),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_slow_header_connection_is_closed_after_the_header_timeout() {
    let app = spawn(64, 1, 60).await;
    let mut s = slow_client(&app).await;
    let sent = until_closed(&mut s).await.unwrap();
    // Closed without an answer to the half request.
    assert!(!String::from_utf8_lossy(&sent).contains("200 OK"));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn(64, 1, 60).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: gugus\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, then the connection stays idle until the server ends it.
    let sent = String::from_utf8_lossy(&until_closed(&mut s).await.unwrap()).into_owned();
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    assert!(sent.ends_with("ok"), "{sent}");
}

#[tokio::test]
async fn a_body_that_never_arrives_ends_the_request() {
    let app = spawn(64, 30, 1).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: gugus\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 200\r\n\r\nusername=a",
    )
    .await
    .unwrap();
    let sent = String::from_utf8_lossy(&until_closed(&mut s).await.unwrap()).into_owned();
    // Either refused with a client error or closed; never handled as a login.
    assert!(
        sent.is_empty() || sent.starts_with("HTTP/1.1 4"),
        "unexpected answer: {sent}"
    );
}

#[tokio::test]
async fn a_new_client_waits_while_the_cap_is_full_and_is_served_when_a_slot_frees() {
    let app = spawn(3, 120, 60).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        slow.push(slow_client(&app).await);
    }
    let url = format!("{}/healthz", app.base);
    let mut normal = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .timeout(GENEROUS)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // With every slot held the request cannot be served, however long we look.
    let early = tokio::time::timeout(Duration::from_millis(700), &mut normal).await;
    assert!(early.is_err(), "served beyond the connection cap");
    drop(slow.pop());
    let status = tokio::time::timeout(GENEROUS, normal)
        .await
        .expect("not served after a slot freed")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn more_slow_clients_than_the_cap_are_dropped_and_a_normal_request_is_served() {
    let app = spawn(8, 2, 60).await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        slow.push(slow_client(&app).await);
    }
    let status = reqwest::Client::new()
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(180))
        .send()
        .await
        .expect("a normal request was not served behind the slow clients")
        .status();
    assert_eq!(status, 200);
    // Every slow client is cut off in turn (those beyond the cap once they are accepted).
    for s in &mut slow {
        until_closed(s).await.unwrap();
    }
}

#[tokio::test]
async fn one_client_cannot_hold_more_than_its_share() {
    let app = spawn_per_client(64, 3, 120, 60).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(slow_client(&app).await);
    }
    // The fourth connection from the same address is closed at once, unanswered.
    let mut extra = slow_client(&app).await;
    let sent = until_closed(&mut extra).await.unwrap();
    assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
    // Once the client lets one go, it is served again (as soon as the server has seen the
    // close: until then a try may still be refused, so try again).
    drop(held.pop());
    let url = format!("{}/healthz", app.base);
    let served = tokio::time::timeout(GENEROUS, async {
        loop {
            match reqwest::get(&url).await {
                Ok(r) => break r.status(),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("not served after the client freed a connection");
    assert_eq!(served, 200);
}
