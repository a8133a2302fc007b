//! Outgoing e-mail: a small SMTP client (RFC 5321/5322) on a plain `TcpStream`, enough to
//! hand one text message to a relay. There is deliberately no TLS: Gugus talks to a relay on
//! the same host or network (Postfix, msmtpd, an agency's mail agent) that does TLS and
//! queueing onwards, which keeps certificates and retries out of this binary.
//!
//! Configured by a URL: `smtp://[user:password@]host[:port][?from=address]`.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;

/// Every step (connect, each command and its reply, the message) gets this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_PORT: u16 = 25;
const DEFAULT_FROM: &str = "gugus@localhost";
/// RFC 5322 2.1.1: a line of a message is at most 998 octets (without CRLF).
const MAX_LINE: usize = 998;
/// Cap on one server reply, so a broken or hostile server cannot make us buffer forever.
const MAX_REPLY: usize = 64 * 1024;
/// Bytes of subject text per RFC 2047 encoded word: 39 bytes -> 52 base64 characters, which
/// keeps each `=?UTF-8?B?...?=` word and its header line under 78 characters.
const WORD_BYTES: usize = 39;

/// Where and as whom to send. Build it with [`SmtpConfig::parse`]; `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Envelope sender and `From:` header.
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// Why a message was not handed over. No variant carries the message body, the subject or
/// the password; `Rejected` carries the server's own reply text.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration URL is malformed (the message never repeats the URL, which may
    /// hold a password).
    #[error("invalid SMTP URL: {0}")]
    InvalidUrl(String),
    #[error(
        "TLS is not supported ({0}://): run a local mail relay (e.g. Postfix or msmtpd) that \
         speaks TLS to the provider, and point Gugus at it with smtp://"
    )]
    TlsUnsupported(String),
    /// An address or the subject would break the message (line breaks: header injection).
    #[error("invalid {field}: {reason}")]
    InvalidHeader {
        field: &'static str,
        reason: &'static str,
    },
    #[error("cannot connect to the SMTP server {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: io::Error,
    },
    #[error("the SMTP server did not answer in time (step {step})")]
    Timeout { step: &'static str },
    /// The server answered a step with a code other than the expected class.
    #[error("the SMTP server refused {step}: {code} {text}")]
    Rejected {
        step: &'static str,
        code: u16,
        text: String,
    },
    #[error("SMTP protocol error at {step}: {detail}")]
    Protocol {
        step: &'static str,
        detail: &'static str,
    },
    #[error("SMTP connection failed at {step}: {source}")]
    Io {
        step: &'static str,
        #[source]
        source: io::Error,
    },
}

impl SmtpConfig {
    /// Parses `smtp://[user[:password]@]host[:port][?from=address]`. User, password and
    /// `from` are percent-decoded (`+` stays a plus: it is common in addresses). The port
    /// defaults to 25, the sender to `gugus@localhost`. `smtps://` and other schemes are
    /// refused: there is no TLS here, by design.
    pub fn parse(url: &str) -> Result<SmtpConfig, MailError> {
        const SHAPE: &str = "expected smtp://[user:password@]host[:port][?from=address]";
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(MailError::InvalidUrl(SHAPE.into()));
        };
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.len() <= 32
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(MailError::InvalidUrl(SHAPE.into()));
        }
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "smtp" => {}
            "smtps" | "submissions" | "ssmtp" | "smtp+tls" | "smtp+starttls" | "smtp+ssl" => {
                return Err(MailError::TlsUnsupported(scheme));
            }
            _ => {
                return Err(MailError::InvalidUrl(format!(
                    "unsupported scheme {scheme}:// (only smtp:// to a local relay; TLS is not \
                     supported)"
                )));
            }
        }

        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        if path.contains('#') || query.is_some_and(|q| q.contains('#')) {
            return Err(MailError::InvalidUrl(
                "a fragment (#) is not allowed".into(),
            ));
        }
        if !path.is_empty() && path != "/" {
            return Err(MailError::InvalidUrl("a path is not allowed".into()));
        }

        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => {
                let (user, pass) = match userinfo.split_once(':') {
                    Some((user, pass)) => (user, Some(pass)),
                    None => (userinfo, None),
                };
                let user = percent_decode(user, "user name")?;
                if user.is_empty() {
                    return Err(MailError::InvalidUrl("the user name is empty".into()));
                }
                let pass = pass.map(|p| percent_decode(p, "password")).transpose()?;
                (Some(user), pass)
            }
        };

        let (host, port) = split_host_port(hostport)?;

        let mut from = None;
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "from" => from = Some(percent_decode(value, "from address")?),
                _ => {
                    let key = percent_decode(key, "parameter").unwrap_or_default();
                    return Err(MailError::InvalidUrl(format!(
                        "unknown parameter {key:?} (only \"from\" is known)"
                    )));
                }
            }
        }
        let from = from.unwrap_or_else(|| DEFAULT_FROM.to_owned());
        check_address("sender", &from)?;

        Ok(SmtpConfig {
            host,
            port,
            username,
            password,
            from,
        })
    }
}

fn split_host_port(hostport: &str) -> Result<(String, u16), MailError> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(MailError::InvalidUrl("unclosed [ in the host".into()));
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(MailError::InvalidUrl("invalid IPv6 address in [ ]".into()));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(MailError::InvalidUrl("junk after the ] of the host".into())),
            },
        }
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(MailError::InvalidUrl("the host is missing".into()));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(MailError::InvalidUrl(
            "the host contains invalid characters".into(),
        ));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            // The text is not repeated: a URL with a forgotten '@' puts the password here.
            _ => return Err(MailError::InvalidUrl("invalid port".into())),
        },
    };
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str, what: &'static str) -> Result<String, MailError> {
    let bad = || MailError::InvalidUrl(format!("invalid percent-encoding in the {what}"));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// A plain `local@domain` address: printable ASCII only, no spaces, brackets, quotes or
/// separators, so it is safe both in `MAIL FROM:<...>`/`RCPT TO:<...>` and in a header.
fn check_address(field: &'static str, addr: &str) -> Result<(), MailError> {
    let invalid = |reason| Err(MailError::InvalidHeader { field, reason });
    if addr.contains(['\r', '\n']) {
        return invalid("contains a line break");
    }
    if addr.is_empty() || addr.len() > 254 {
        return invalid("must be an address of 1 to 254 characters");
    }
    if !addr.bytes().all(|b| b.is_ascii_graphic()) {
        return invalid("must be plain ASCII without spaces or control characters");
    }
    if addr.contains(['<', '>', '(', ')', ',', ';', ':', '"', '\\', '[', ']']) {
        return invalid("must be a bare address (local@domain), without names or brackets");
    }
    match addr.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(())
        }
        _ => invalid("must have the form local@domain"),
    }
}

fn check_subject(subject: &str) -> Result<(), MailError> {
    if subject.contains(['\r', '\n']) {
        return Err(MailError::InvalidHeader {
            field: "subject",
            reason: "contains a line break",
        });
    }
    if subject.chars().any(|c| c.is_control() && c != '\t') {
        return Err(MailError::InvalidHeader {
            field: "subject",
            reason: "contains a control character",
        });
    }
    Ok(())
}

/// Sends one plain-text message to one recipient through the relay in `cfg`: EHLO (HELO
/// if refused), AUTH PLAIN when credentials are configured and the server offers it, MAIL,
/// RCPT, DATA, QUIT. Returns once the server has accepted the message (its 250 after the
/// data); a failing QUIT after that is ignored.
pub async fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
    send_with_timeout(cfg, to, subject, body, STEP_TIMEOUT).await
}

async fn send_with_timeout(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
    step_timeout: Duration,
) -> Result<(), MailError> {
    check_address("recipient", to)?;
    check_address("sender", &cfg.from)?;
    check_subject(subject)?;

    let stream = tokio::time::timeout(
        step_timeout,
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| MailError::Timeout { step: "connect" })?
    .map_err(|source| MailError::Connect {
        host: cfg.host.clone(),
        port: cfg.port,
        source,
    })?;
    // RFC 5321 4.1.4: without a reliable host name, greet with our address literal.
    let helo_name = match stream.local_addr().map(|a| a.ip()) {
        Ok(IpAddr::V4(ip)) => format!("[{ip}]"),
        Ok(IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        Err(_) => "[127.0.0.1]".to_owned(),
    };
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        step_timeout,
    };

    conn.expect("greeting", None, 2).await?;
    let ehlo = conn
        .command("EHLO", format!("EHLO {helo_name}\r\n").as_bytes())
        .await?;
    let caps = match ehlo.code / 100 {
        2 => Capabilities::from_ehlo(&ehlo),
        5 => {
            let helo = format!("HELO {helo_name}\r\n");
            conn.expect("HELO", Some(helo.as_bytes()), 2).await?;
            Capabilities::default()
        }
        _ => return Err(ehlo.rejected("EHLO")),
    };

    if let Some(user) = &cfg.username {
        if caps.auth_plain {
            let password = cfg.password.as_deref().unwrap_or("");
            let token = base64(format!("\0{user}\0{password}").as_bytes());
            conn.expect(
                "AUTH",
                Some(format!("AUTH PLAIN {token}\r\n").as_bytes()),
                2,
            )
            .await?;
        } else {
            tracing::warn!(
                host = %cfg.host,
                "SMTP credentials are configured but the server offers no AUTH PLAIN; \
                 sending without authentication"
            );
        }
    }

    let message = build_message(
        &cfg.from,
        to,
        subject,
        body,
        caps.eight_bit_mime,
        unix_now(),
        &message_id(&cfg.from),
    );
    let body_param = if message.eight_bit && caps.eight_bit_mime {
        " BODY=8BITMIME"
    } else {
        ""
    };
    let mail_from = format!("MAIL FROM:<{}>{body_param}\r\n", cfg.from);
    conn.expect("MAIL FROM", Some(mail_from.as_bytes()), 2)
        .await?;
    conn.expect("RCPT TO", Some(format!("RCPT TO:<{to}>\r\n").as_bytes()), 2)
        .await?;
    conn.expect("DATA", Some(b"DATA\r\n"), 3).await?;
    conn.expect("message", Some(message.data.as_bytes()), 2)
        .await?;
    // The message is accepted; a server that hangs up without answering QUIT changes nothing.
    let _ = conn.command("QUIT", b"QUIT\r\n").await;
    Ok(())
}

#[derive(Debug, Default)]
struct Capabilities {
    auth_plain: bool,
    eight_bit_mime: bool,
}

impl Capabilities {
    fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        // The first line is the server's greeting; each further line is one extension.
        for line in reply.lines.iter().skip(1) {
            let upper = line.to_ascii_uppercase();
            let mut words = upper.split([' ', '=']);
            match words.next() {
                Some("8BITMIME") => caps.eight_bit_mime = true,
                Some("AUTH") => caps.auth_plain |= words.any(|m| m == "PLAIN"),
                _ => {}
            }
        }
        caps
    }
}

#[derive(Debug)]
struct Reply {
    code: u16,
    /// The text of each line, after the code and its separator.
    lines: Vec<String>,
}

impl Reply {
    fn rejected(&self, step: &'static str) -> MailError {
        let mut text = self.lines.join(" / ");
        if text.len() > 500 {
            let mut cut = 500;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        MailError::Rejected {
            step,
            code: self.code,
            text,
        }
    }
}

/// One reply line: `(code, more lines follow, text)`, or `None` when it is not a reply line.
fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(b'1'..=b'5').contains(&digits.as_bytes()[0])
    {
        return None;
    }
    let code = digits.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, line.get(4..)?)),
        Some(b'-') => Some((code, true, line.get(4..)?)),
        Some(_) => None,
    }
}

/// The connection, with our own buffered reading: `TcpStream::readable` + `try_read` need
/// only tokio's `net` feature.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    step_timeout: Duration,
}

impl Conn {
    /// Sends `command` (if any), reads the reply, and insists on the reply class `class`.
    async fn expect(
        &mut self,
        step: &'static str,
        command: Option<&[u8]>,
        class: u16,
    ) -> Result<Reply, MailError> {
        let reply = match command {
            Some(command) => self.command(step, command).await?,
            None => self.timed(step, None).await?,
        };
        if reply.code / 100 == class {
            Ok(reply)
        } else {
            Err(reply.rejected(step))
        }
    }

    async fn command(&mut self, step: &'static str, command: &[u8]) -> Result<Reply, MailError> {
        self.timed(step, Some(command)).await
    }

    async fn timed(
        &mut self,
        step: &'static str,
        command: Option<&[u8]>,
    ) -> Result<Reply, MailError> {
        let limit = self.step_timeout;
        tokio::time::timeout(limit, async {
            if let Some(command) = command {
                self.write_all(command)
                    .await
                    .map_err(|source| MailError::Io { step, source })?;
            }
            self.read_reply(step).await
        })
        .await
        .map_err(|_| MailError::Timeout { step })?
    }

    async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = data.get(n..).unwrap_or_default(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn read_line(&mut self, step: &'static str) -> Result<String, MailError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
            }
            if self.buf.len() > MAX_REPLY {
                return Err(MailError::Protocol {
                    step,
                    detail: "reply line too long",
                });
            }
            self.stream
                .readable()
                .await
                .map_err(|source| MailError::Io { step, source })?;
            let mut chunk = [0u8; 4096];
            match self.stream.try_read(&mut chunk) {
                Ok(0) => {
                    return Err(MailError::Protocol {
                        step,
                        detail: "the server closed the connection",
                    });
                }
                Ok(n) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(source) => return Err(MailError::Io { step, source }),
            }
        }
    }

    /// A reply of one or more lines: `250-first`, `250-second`, ..., `250 last`.
    async fn read_reply(&mut self, step: &'static str) -> Result<Reply, MailError> {
        let mut lines = Vec::new();
        let mut size = 0;
        loop {
            let line = self.read_line(step).await?;
            let Some((code, more, text)) = parse_reply_line(&line) else {
                return Err(MailError::Protocol {
                    step,
                    detail: "malformed reply line",
                });
            };
            size += line.len();
            if size > MAX_REPLY {
                return Err(MailError::Protocol {
                    step,
                    detail: "reply too long",
                });
            }
            lines.push(text.to_owned());
            if !more {
                return Ok(Reply { code, lines });
            }
        }
    }
}

/// The DATA payload, ready to write: headers, body, dot-stuffed, CRLF, ending in `.`.
struct Message {
    data: String,
    /// The body is sent as 8-bit text (rather than base64) and is not plain ASCII.
    eight_bit: bool,
}

fn build_message(
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
fn dot_stuff(line: &str) -> std::borrow::Cow<'_, str> {
    if line.starts_with('.') {
        format!(".{line}").into()
    } else {
        line.into()
    }
}

/// The subject as it goes into the header: as-is when it is printable ASCII, otherwise
/// RFC 2047 encoded words (`=?UTF-8?B?...?=`) that never split a character, folded.
fn encode_subject(subject: &str) -> String {
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

fn base64(bytes: &[u8]) -> String {
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

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `Tue, 03 Mar 2026 10:15:30 +0000` (RFC 5322 3.3), in UTC.
fn rfc2822_date(unix_secs: i64) -> String {
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
fn civil_from_days(days: i64) -> (i64, i64, i64) {
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
fn message_id(from: &str) -> String {
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

#[cfg(test)]
mod tests {
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
}
