//! E-mail against a real SMTP server: `web::mail::send` talks to `tests/smtp_sink.py`
//! (aiosmtpd, or Python's stdlib smtpd), and the tests check what that server received,
//! as parsed by Python's own `email` package.

use crate::common::smtp::SmtpSink;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use web::mail::{MailError, SmtpConfig, send};

const WAIT: Duration = Duration::from_secs(10);

fn header<'a>(msg: &'a Value, name: &str) -> Option<&'a str> {
    msg["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
}

#[tokio::test]
async fn two_messages_reach_a_real_smtp_server_intact() {
    let sink = SmtpSink::start().await;
    let cfg = SmtpConfig::parse(&sink.url()).unwrap();

    let subject = "Rujukan baru: korban № 12 — Kupang ✓ (Gugus Tugas Provinsi Nusa Tenggara Timur)";
    let body1 =
        "Yth. Petugas,\n\nAda rujukan baru untuk unit Anda: kasus KPG-2026-0012.\nSalam, Gugus\n";
    send(&cfg, "petugas.kupang@test.invalid", subject, body1)
        .await
        .unwrap();

    // Lines that begin with "." (one of them alone, which would end DATA if not stuffed),
    // CRLF and bare-CR line ends, no final newline.
    let body2 = ".hidden line\r\n..two dots\n.\nlast line\rafter a CR";
    send(&cfg, "admin@test.invalid", "Ringkasan harian", body2)
        .await
        .unwrap();

    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    let (m1, m2) = (&got[0], &got[1]);
    eprintln!("SMTP sink backend: {}", sink.backend());

    for m in [m1, m2] {
        assert_eq!(m["mail_from"], "gugus@test.invalid");
        assert_eq!(m.get("parse_error"), None, "{m:#}");
        assert_eq!(m["defects"], serde_json::json!([]), "{m:#}");
        assert_eq!(m["content_type"], "text/plain");
        assert_eq!(m["charset"], "utf-8");
        assert_eq!(header(m, "From"), Some("gugus@test.invalid"));
        assert_eq!(header(m, "MIME-Version"), Some("1.0"));
        let id = header(m, "Message-ID").unwrap();
        assert!(
            id.starts_with('<') && id.ends_with("@test.invalid>"),
            "{id}"
        );
        // Python parsed our Date header to the current time.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let date = m["date_epoch"]
            .as_f64()
            .unwrap_or_else(|| panic!("no Date: {m:#}"));
        assert!((now - date).abs() < 300.0, "Date {:?}", header(m, "Date"));
    }
    assert_ne!(header(m1, "Message-ID"), header(m2, "Message-ID"));

    // Message 1: recipient, non-ASCII subject sent RFC 2047-encoded, decoded by Python.
    assert_eq!(
        m1["rcpt_tos"],
        serde_json::json!(["petugas.kupang@test.invalid"])
    );
    assert_eq!(header(m1, "To"), Some("petugas.kupang@test.invalid"));
    let raw_subject = m1["raw_subject"].as_str().unwrap();
    assert!(raw_subject.starts_with("=?UTF-8?B?"), "{raw_subject}");
    assert!(raw_subject.is_ascii());
    assert_eq!(m1["subject"], subject);
    assert_eq!(m1["body"], body1);
    assert_eq!(m1["transfer_encoding"], "8bit");

    // Message 2: the server unstuffed the dots; the body is exactly what was sent, with
    // line ends made uniform.
    assert_eq!(m2["rcpt_tos"], serde_json::json!(["admin@test.invalid"]));
    assert_eq!(m2["subject"], "Ringkasan harian");
    assert_eq!(m2["raw_subject"], "Ringkasan harian");
    let expected = ".hidden line\n..two dots\n.\nlast line\nafter a CR\n";
    assert_eq!(m2["body"], expected);
    assert!(
        m2["data"]
            .as_str()
            .unwrap()
            .ends_with(&format!("\n\n{expected}"))
    );
}

#[tokio::test]
async fn long_lines_and_8bit_text_survive() {
    let sink = SmtpSink::start().await;
    let cfg = SmtpConfig::parse(&sink.url()).unwrap();

    // One 3,000-byte line: too long for SMTP as text, so it goes as base64.
    let long = format!(
        "Catatan: {}\nakhir\n",
        "kekerasan berbasis gender ".repeat(115)
    );
    send(&cfg, "petugas@test.invalid", "Catatan panjang", &long)
        .await
        .unwrap();
    let short = "Saksi: Ibu Réné Ñanduti — 08.00 WITA\n";
    send(&cfg, "petugas@test.invalid", "Saksi", short)
        .await
        .unwrap();

    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(got[0]["transfer_encoding"], "base64");
    // Inside base64 text keeps its canonical CRLF line ends (RFC 2045 6.8).
    let decoded = got[0]["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(decoded, long);
    // Both backends announce 8BITMIME, so 8-bit text goes as is and says so in MAIL FROM.
    assert_eq!(got[1]["transfer_encoding"], "8bit");
    assert_eq!(got[1]["body"], short);
    let options = got[1]["mail_options"].as_array().unwrap();
    assert!(options.iter().any(|o| o == "BODY=8BITMIME"), "{options:?}");
}

#[tokio::test]
async fn a_rejection_by_the_server_is_an_error_without_the_body() {
    let sink = SmtpSink::start().await;
    let cfg = SmtpConfig::parse(&sink.url()).unwrap();

    // The sink answers 554 after DATA for recipients containing "reject".
    let err = send(&cfg, "reject@test.invalid", "Subjek", "isi rahasia korban")
        .await
        .unwrap_err();
    match &err {
        MailError::Rejected { step, code, text } => {
            assert_eq!((*step, *code), ("message", 554), "{err}");
            assert!(text.contains("Rejected by the test sink"), "{text}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.to_string().contains("rahasia"), "{err}");
    assert!(!format!("{err:?}").contains("rahasia"), "{err:?}");

    // The connection state did not leak into the next send.
    send(&cfg, "petugas@test.invalid", "Subjek", "isi")
        .await
        .unwrap();
    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(
        got[1]["rcpt_tos"],
        serde_json::json!(["petugas@test.invalid"])
    );
}

#[tokio::test]
async fn auth_plain_when_the_server_offers_it() {
    let password = "kata sandi:@/?#%";
    let Some(sink) = SmtpSink::start_with_auth("gugus", password).await else {
        eprintln!("skipped: AUTH needs the aiosmtpd backend (pip install aiosmtpd)");
        return;
    };
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let url = sink
        .url()
        .replace("smtp://", &format!("smtp://gugus:{encoded}@"));
    let cfg = SmtpConfig::parse(&url).unwrap();
    assert_eq!(cfg.password.as_deref(), Some(password));
    send(&cfg, "petugas@test.invalid", "Masuk", "halo")
        .await
        .unwrap();
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got[0]["login"], "gugus");

    let wrong = SmtpConfig {
        password: Some("salah".into()),
        ..cfg.clone()
    };
    let err = send(&wrong, "petugas@test.invalid", "Masuk", "halo")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            MailError::Rejected {
                step: "AUTH",
                code: 535,
                ..
            }
        ),
        "{err:?}"
    );

    // Without credentials the server refuses the sender (530, authentication required).
    let anonymous = SmtpConfig::parse(&sink.url()).unwrap();
    let err = send(&anonymous, "petugas@test.invalid", "Masuk", "halo")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            MailError::Rejected {
                step: "MAIL FROM",
                code: 530,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn nothing_listening_is_an_error_not_a_hang() {
    // A port that was free a moment ago: bind, note it, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cfg = SmtpConfig::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let result = tokio::time::timeout(
        Duration::from_secs(15),
        send(&cfg, "petugas@test.invalid", "Subjek", "isi"),
    )
    .await
    .expect("send must fail by itself, not hang");
    match result {
        Err(MailError::Connect { port: p, .. }) => assert_eq!(p, port),
        other => panic!("expected a connect error, got {other:?}"),
    }
}
