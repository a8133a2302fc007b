//! The message itself (RFC 5322): headers, CRLF line endings, dot-stuffing, base64 for
//! long lines or servers without 8BITMIME, RFC 2047 subjects, the date and a message id.

use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 5322 2.1.1: a line of a message is at most 998 octets (without CRLF).
const MAX_LINE: usize = 998;
/// Bytes of subject text per RFC 2047 encoded word: 39 bytes -> 52 base64 characters, which
/// keeps each `=?UTF-8?B?...?=` word and its header line under 78 characters.
const WORD_BYTES: usize = 39;

/// The DATA payload, ready to write: headers, body, dot-stuffed, CRLF, ending in `.`.
pub(super) struct Message {
    pub(super) data: String,
    /// The body is sent as 8-bit text (rather than base64) and is not plain ASCII.
    pub(super) eight_bit: bool,
}

pub(super) fn build_message(
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    allow_8bit: bool,
    unix_secs: i64,
    message_id: &str,
) -> Message {
    let normalized = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut body_lines: Vec<&str> = normalized.split('\n').collect();
    if normalized.ends_with('\n') {
        body_lines.pop();
    }
    // 8-bit text unless a line is too long for SMTP, the text contains NUL, or it is not
    // ASCII and the server has not announced 8BITMIME: then base64, which always fits.
    let as_base64 = body_lines.iter().any(|l| l.len() > MAX_LINE)
        || normalized.contains('\0')
        || (!normalized.is_ascii() && !allow_8bit);

    let mut lines: Vec<String> = vec![
        format!("From: {from}"),
        format!("To: {to}"),
        format!("Subject: {}", encode_subject(subject)),
        format!("Date: {}", rfc2822_date(unix_secs)),
        format!("Message-ID: {message_id}"),
        "Auto-Submitted: auto-generated".to_owned(),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=utf-8".to_owned(),
    ];
    if as_base64 {
        lines.push("Content-Transfer-Encoding: base64".to_owned());
        lines.push(String::new());
        let mut crlf = body_lines.join("\r\n");
        crlf.push_str("\r\n");
        let encoded = base64(crlf.as_bytes());
        lines.extend(
            encoded
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned()),
        );
    } else {
        lines.push("Content-Transfer-Encoding: 8bit".to_owned());
        lines.push(String::new());
        lines.extend(body_lines.iter().map(|l| (*l).to_owned()));
    }

    let mut data = String::with_capacity(normalized.len() + 512);
    for line in &lines {
        data.push_str(&dot_stuff(line));
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    Message {
        data,
        eight_bit: !as_base64 && !normalized.is_ascii(),
    }
}

/// RFC 5321 4.5.2: a line that starts with "." gets one more, so that no line of the
/// message can be the lone "." that ends DATA; the server removes it again.
pub(super) fn dot_stuff(line: &str) -> std::borrow::Cow<'_, str> {
    if line.starts_with('.') {
        format!(".{line}").into()
    } else {
        line.into()
    }
}

/// The subject as it goes into the header: as-is when it is printable ASCII, otherwise
/// RFC 2047 encoded words (`=?UTF-8?B?...?=`) that never split a character, folded.
pub(super) fn encode_subject(subject: &str) -> String {
    let plain = subject.is_ascii()
        && !subject.contains("=?")
        && subject.len() <= MAX_LINE - "Subject: ".len()
        && !subject.chars().any(|c| c.is_control() && c != '\t');
    if plain {
        return subject.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in subject.chars() {
        if chunk.len() + c.len_utf8() > WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    // Whitespace between adjacent encoded words is not part of the text (RFC 2047 6.2).
    words.join("\r\n ")
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32, shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        out.push(if chunk.len() > 1 { sextet(n, 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(n, 0) } else { '=' });
    }
    out
}

pub(super) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `Tue, 03 Mar 2026 10:15:30 +0000` (RFC 5322 3.3), in UTC.
pub(super) fn rfc2822_date(unix_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!(
        "{weekday}, {day:02} {month} {year} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `<time.random@sender-domain>`: unique without a host name or a counter to keep.
pub(super) fn message_id(from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut random = [0u8; 8];
    let random = match getrandom::fill(&mut random) {
        Ok(()) => hex::encode(random),
        Err(_) => format!("{:x}", std::process::id()),
    };
    format!(
        "<{:x}.{:x}.{random}@{domain}>",
        now.as_secs(),
        now.subsec_nanos()
    )
}
