//! The SMTP conversation: connect, EHLO (or HELO), AUTH PLAIN when configured, one
//! message, QUIT; every step under a timeout, every reply read with a size cap.

use super::message::{base64, build_message, message_id, unix_now};
use super::{MailError, SmtpConfig, check_address, check_subject};
use std::io;
use std::net::IpAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// Cap on one server reply, so a broken or hostile server cannot make us buffer forever.
const MAX_REPLY: usize = 64 * 1024;

pub(super) async fn send_with_timeout(
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
pub(super) struct Capabilities {
    pub(super) auth_plain: bool,
    pub(super) eight_bit_mime: bool,
}

impl Capabilities {
    pub(super) fn from_ehlo(reply: &Reply) -> Capabilities {
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
pub(super) struct Reply {
    pub(super) code: u16,
    /// The text of each line, after the code and its separator.
    pub(super) lines: Vec<String>,
}

impl Reply {
    pub(super) fn rejected(&self, step: &'static str) -> MailError {
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
pub(super) fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
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
pub(super) struct Conn {
    pub(super) stream: TcpStream,
    pub(super) buf: Vec<u8>,
    pub(super) step_timeout: Duration,
}

impl Conn {
    /// Sends `command` (if any), reads the reply, and insists on the reply class `class`.
    pub(super) async fn expect(
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

    pub(super) async fn command(
        &mut self,
        step: &'static str,
        command: &[u8],
    ) -> Result<Reply, MailError> {
        self.timed(step, Some(command)).await
    }

    pub(super) async fn timed(
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

    pub(super) async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
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

    pub(super) async fn read_line(&mut self, step: &'static str) -> Result<String, MailError> {
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
    pub(super) async fn read_reply(&mut self, step: &'static str) -> Result<Reply, MailError> {
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
