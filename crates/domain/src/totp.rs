//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s), the kind every
//! authenticator app understands, plus the RFC 4648 base32 its secrets are shown in.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

pub const STEP_SECS: u64 = 30;

/// The 6-digit code for a given time step counter.
pub fn code_at_step(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return u32::MAX; // HMAC accepts keys of any length; never reached
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 1_000_000
}

/// Checks a typed code at `unix_secs`, allowing one step of clock drift either way.
/// Returns the matched step, so a caller can refuse to accept the same step twice.
pub fn verify(secret: &[u8], code: &str, unix_secs: u64) -> Option<u64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = code.parse().ok()?;
    let now = unix_secs / STEP_SECS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|&s| code_at_step(secret, s) == typed)
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in data {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app imports.
pub fn provisioning_uri(secret: &[u8], account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/Gugus:{}?secret={}&issuer=Gugus&algorithm=SHA1&digits=6&period=30",
        enc(account),
        base32_encode(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B (8-digit values, last 6 digits here).
        let secret = b"12345678901234567890";
        assert_eq!(code_at_step(secret, 59 / 30), 287082);
        assert_eq!(code_at_step(secret, 1111111109 / 30), 81804);
        assert_eq!(code_at_step(secret, 1234567890 / 30), 5924);
        assert_eq!(code_at_step(secret, 2000000000 / 30), 279037);
    }

    #[test]
    fn verify_allows_one_step_of_drift_only() {
        let secret = b"12345678901234567890";
        let code = format!("{:06}", code_at_step(secret, 1000));
        assert_eq!(verify(secret, &code, 1000 * 30 + 5), Some(1000));
        assert_eq!(verify(secret, &code, 1001 * 30 + 5), Some(1000));
        assert_eq!(verify(secret, &code, 1003 * 30), None);
        assert_eq!(verify(secret, "12a456", 1000 * 30), None);
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        for data in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xff; 20],
        ] {
            assert_eq!(base32_decode(&base32_encode(data)).unwrap(), data);
        }
    }
}
