//! Small helpers: cookies, URL encoding, constant-time comparison, safe redirects.

use axum::http::HeaderMap;

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Only same-site absolute paths may be redirect targets: one leading `/`, then no second
/// `/` or `\\`, no backslash, whitespace or control character anywhere — and the same
/// again after percent-decoding, since browsers strip tabs and newlines and read `\\` as
/// `/` (so `/\t/evil.example` or `/%09/evil.example` would become `//evil.example`).
pub fn safe_next(next: Option<&str>) -> String {
    fn plain(p: &str, space_ok: bool) -> bool {
        p.starts_with('/')
            && !p[1..].starts_with(['/', '\\'])
            && !p.contains("://")
            && !p.chars().any(|c| {
                c == '\\' || c.is_control() || (c.is_whitespace() && !(space_ok && c == ' '))
            })
    }
    match next {
        // Decoded, a space is only a space (in a search, say); everything else stays refused.
        Some(n) if plain(n, false) && plain(&percent_decoded(n), true) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Percent-decoding for checks only (invalid escapes are kept as they are).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `Set-Cookie` value with the attributes every Gugus cookie carries.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_never_offsite() {
        assert_eq!(safe_next(Some("/users?x=1")), "/users?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        // Known bypasses: tab, newline, backslashes, encoded slashes and controls.
        for bad in [
            "/\t/evil.example",
            "/%09/evil.example",
            "/\r\nSet-Cookie:x=1",
            "/%0d%0aLocation:%20//evil",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/\\/evil.example",
            "/a\\b",
            "/ /evil",
            "\\\\evil.example",
            "/%00",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/cases?q=a%20b")), "/cases?q=a%20b");
        assert_eq!(safe_next(None), "/");
    }
}
