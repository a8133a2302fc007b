//! Tests of the SMTP client: configuration, message building, reply parsing, and refusals
//! before and during a conversation.

use super::message::*;
use super::smtp::*;
use super::*;

#[test]
fn parses_host_and_port() {
    let c = SmtpConfig::parse("smtp://mail.example.org:2525").unwrap();
    assert_eq!(c.host, "mail.example.org");
    assert_eq!(c.port, 2525);
    assert_eq!(c.username, None);
    assert_eq!(c.password, None);
    assert_eq!(c.from, "gugus@localhost");

    let c = SmtpConfig::parse("SMTP://localhost/").unwrap();
    assert_eq!((c.host.as_str(), c.port), ("localhost", 25));

    let c = SmtpConfig::parse("smtp://[::1]:587").unwrap();
    assert_eq!((c.host.as_str(), c.port), ("::1", 587));
}

#[test]
fn parses_credentials_and_sender_percent_decoded() {
    let c = SmtpConfig::parse(
        "smtp://gugus%40dinsos:p%40ss%3Aw%2Frd%20x@relay.local:25?from=gugus%2Balerts@example.org",
    )
    .unwrap();
    assert_eq!(c.host, "relay.local");
    assert_eq!(c.username.as_deref(), Some("gugus@dinsos"));
    assert_eq!(c.password.as_deref(), Some("p@ss:w/rd x"));
    assert_eq!(c.from, "gugus+alerts@example.org");

    let c = SmtpConfig::parse("smtp://user:pass@host:25?from=gugus@example.org").unwrap();
    assert_eq!(c.username.as_deref(), Some("user"));
    assert_eq!(c.password.as_deref(), Some("pass"));
    assert_eq!(c.from, "gugus@example.org");

    let c = SmtpConfig::parse("smtp://user@host").unwrap();
    assert_eq!(c.username.as_deref(), Some("user"));
    assert_eq!(c.password, None);
}

#[test]
fn refuses_tls_and_other_schemes() {
    let e = SmtpConfig::parse("smtps://user:secret@mail.example.org:465").unwrap_err();
    assert!(matches!(e, MailError::TlsUnsupported(_)));
    let text = e.to_string();
    assert!(text.contains("TLS is not supported"), "{text}");
    assert!(text.contains("relay"), "{text}");
    assert!(!text.contains("secret"));

    let e = SmtpConfig::parse("http://mail.example.org").unwrap_err();
    assert!(matches!(e, MailError::InvalidUrl(_)), "{e}");
    assert!(e.to_string().contains("only smtp://"));
    assert!(SmtpConfig::parse("mail.example.org:25").is_err());
}

#[test]
fn rejects_malformed_urls_without_echoing_secrets() {
    for url in [
        "smtp://",
        "smtp://:pw@host",
        "smtp://host:0",
        "smtp://host:99999",
        "smtp://host:abc",
        "smtp://user:hunter2",
        "smtp://host/path",
        "smtp://host?to=x@y",
        "smtp://host?from=not-an-address",
        "smtp://host?from=a@b%0D%0ABcc:x@y",
        "smtp://u:%zz@host",
        "smtp://host#frag",
        "smtp://ho st",
    ] {
        let e = SmtpConfig::parse(url).expect_err(url);
        assert!(!e.to_string().contains("hunter2"), "{url}: {e}");
    }
}

#[test]
fn debug_hides_the_password() {
    let c = SmtpConfig::parse("smtp://gugus:s3cr3t-pw@relay:25").unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(
        debug.contains("gugus") && debug.contains("relay"),
        "{debug}"
    );
    let c = SmtpConfig::parse("smtp://relay").unwrap();
    assert!(format!("{c:?}").contains("password: None"));
}

#[test]
fn dot_stuffing() {
    assert_eq!(dot_stuff(".hidden"), "..hidden");
    assert_eq!(dot_stuff("."), "..");
    assert_eq!(dot_stuff("a.b"), "a.b");
    assert_eq!(dot_stuff(""), "");

    let m = build_message("a@x", "b@y", "s", ".\n..x\r\nok\r.y", true, 0, "<id@x>");
    let body = m.data.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(body, "..\r\n...x\r\nok\r\n..y\r\n.\r\n");
}

#[test]
fn message_headers_and_line_endings() {
    let m = build_message(
        "gugus@example.org",
        "petugas@example.org",
        "Kasus baru",
        "Halo,\nsemua\n",
        true,
        1_772_532_930,
        "<1@example.org>",
    );
    assert_eq!(
        m.data,
        "From: gugus@example.org\r\nTo: petugas@example.org\r\nSubject: Kasus baru\r\n\
         Date: Tue, 03 Mar 2026 10:15:30 +0000\r\nMessage-ID: <1@example.org>\r\n\
         Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\
         \r\nHalo,\r\nsemua\r\n.\r\n"
    );
    assert!(!m.eight_bit);
    // No bare CR or LF anywhere.
    assert_eq!(m.data.matches('\n').count(), m.data.matches("\r\n").count());
}

#[test]
fn falls_back_to_base64_for_long_lines_and_old_servers() {
    let long = "é".repeat(600); // 1200 bytes on one line
    let m = build_message("a@x", "b@y", "s", &long, true, 0, "<i@x>");
    assert!(m.data.contains("Content-Transfer-Encoding: base64\r\n"));
    assert!(m.data.lines().all(|l| l.len() <= 78));
    assert!(!m.eight_bit);

    let m = build_message(
        "a@x",
        "b@y",
        "s",
        "Selamat pagi, Ibu Rénata",
        false,
        0,
        "<i@x>",
    );
    assert!(m.data.contains("Content-Transfer-Encoding: base64\r\n"));
    let m = build_message(
        "a@x",
        "b@y",
        "s",
        "Selamat pagi, Ibu Rénata",
        true,
        0,
        "<i@x>",
    );
    assert!(m.data.contains("Content-Transfer-Encoding: 8bit\r\n"));
    assert!(m.eight_bit);
}

#[test]
fn subject_encoding() {
    assert_eq!(encode_subject("Kasus baru: 12"), "Kasus baru: 12");
    assert_eq!(encode_subject("é"), "=?UTF-8?B?w6k=?=");
    assert_eq!(encode_subject("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
    assert_eq!(encode_subject(""), "");

    let subject = "Rujukan baru — korban № 12 di Kupang ✓ (ditangani Gugus Tugas Provinsi)";
    let encoded = encode_subject(subject);
    let words: Vec<&str> = encoded.split("\r\n ").collect();
    assert!(words.len() > 1);
    let mut decoded = Vec::new();
    for w in &words {
        assert!(w.len() <= 75, "{w}");
        let b64 = w
            .strip_prefix("=?UTF-8?B?")
            .unwrap()
            .strip_suffix("?=")
            .unwrap();
        let bytes = decode_base64(b64);
        // Each word is valid UTF-8 on its own: no character is split.
        assert!(std::str::from_utf8(&bytes).is_ok());
        decoded.extend(bytes);
    }
    assert_eq!(String::from_utf8(decoded).unwrap(), subject);
}

fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let vals: Vec<u32> = s
        .bytes()
        .filter(|&b| b != b'=')
        .map(|b| ALPHABET.iter().position(|&a| a == b).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0, |n, (i, v)| n | v << (18 - 6 * i));
        out.extend(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..chunk.len() - 1]);
    }
    out
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded);
        assert_eq!(decode_base64(encoded), plain.as_bytes());
    }
    // AUTH PLAIN token (RFC 4616 example shape).
    assert_eq!(
        base64(b"\0tim\0tanstaaftanstaaf"),
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
    );
}

#[test]
fn dates() {
    assert_eq!(rfc2822_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_eq!(rfc2822_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    assert_eq!(
        rfc2822_date(1_709_251_199),
        "Thu, 29 Feb 2024 23:59:59 +0000"
    );
    assert_eq!(
        rfc2822_date(4_107_542_400),
        "Mon, 01 Mar 2100 00:00:00 +0000"
    );
    assert_eq!(rfc2822_date(-1), "Wed, 31 Dec 1969 23:59:59 +0000");
}

#[test]
fn reply_lines() {
    assert_eq!(
        parse_reply_line("250-PIPELINING"),
        Some((250, true, "PIPELINING"))
    );
    assert_eq!(parse_reply_line("250 OK"), Some((250, false, "OK")));
    assert_eq!(parse_reply_line("354"), Some((354, false, "")));
    assert_eq!(parse_reply_line("25"), None);
    assert_eq!(parse_reply_line("abc def"), None);
    assert_eq!(parse_reply_line("250x"), None);
    assert_eq!(parse_reply_line("650 no"), None);

    let reply = Reply {
        code: 250,
        lines: [
            "relay.example.org",
            "SIZE 1000",
            "8BITMIME",
            "AUTH LOGIN PLAIN",
        ]
        .map(String::from)
        .to_vec(),
    };
    let caps = Capabilities::from_ehlo(&reply);
    assert!(caps.auth_plain && caps.eight_bit_mime);
    let reply = Reply {
        code: 250,
        lines: ["AUTH PLAIN but this is the greeting", "AUTH=LOGIN PLAIN"]
            .map(String::from)
            .to_vec(),
    };
    let caps = Capabilities::from_ehlo(&reply);
    assert!(caps.auth_plain && !caps.eight_bit_mime);
}

#[test]
fn addresses_and_subjects_cannot_inject_headers() {
    assert!(check_address("recipient", "petugas@example.org").is_ok());
    for bad in [
        "",
        "a@b\r\nBcc: x@y",
        "a@b\nx",
        "Name <a@b>",
        "a b@c",
        "no-at-sign",
        "@b",
        "a@",
        "a@b@c",
        "a@b,c@d",
        "ä@b",
    ] {
        assert!(check_address("recipient", bad).is_err(), "{bad:?}");
    }
    assert!(check_subject("Kasus\tbaru ✓").is_ok());
    for bad in ["a\r\nBcc: x@y", "a\nb", "a\rb", "a\0b"] {
        assert!(check_subject(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn refuses_injection_before_connecting() {
    // Port 9 on 127.0.0.1 has nothing: reaching the network would give Connect instead.
    let cfg = SmtpConfig::parse("smtp://127.0.0.1:9").unwrap();
    let e = send(&cfg, "a@b.invalid\r\nBcc: x@y.invalid", "s", "secret body").await;
    assert!(
        matches!(
            e,
            Err(MailError::InvalidHeader {
                field: "recipient",
                ..
            })
        ),
        "{e:?}"
    );
    let e = send(&cfg, "a@b.invalid", "s\r\nBcc: x@y.invalid", "secret body").await;
    let e = e.unwrap_err();
    assert!(matches!(
        e,
        MailError::InvalidHeader {
            field: "subject",
            ..
        }
    ));
    assert!(!e.to_string().contains("secret body"));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold the connection, never greeting.
    let holder = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let cfg = SmtpConfig::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let started = std::time::Instant::now();
    let e = send_with_timeout(&cfg, "a@b.invalid", "s", "b", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(e, MailError::Timeout { step: "greeting" }),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    holder.abort();
}
