//! Outgoing e-mail: a small SMTP client (RFC 5321/5322) on a plain `TcpStream`, enough to
//! hand one text message to a relay. There is deliberately no TLS: Gugus talks to a relay on
//! the same host or network (Postfix, msmtpd, an agency's mail agent) that does TLS and
//! queueing onwards, which keeps certificates and retries out of this binary.
//!
//! Configured by a URL: `smtp://[user:password@]host[:port][?from=address]`.

mod message;
mod smtp;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::time::Duration;

/// Every step (connect, each command and its reply, the message) gets this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_PORT: u16 = 25;
const DEFAULT_FROM: &str = "gugus@localhost";

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
pub(super) fn check_address(field: &'static str, addr: &str) -> Result<(), MailError> {
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

pub(super) fn check_subject(subject: &str) -> Result<(), MailError> {
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
    smtp::send_with_timeout(cfg, to, subject, body, STEP_TIMEOUT).await
}
