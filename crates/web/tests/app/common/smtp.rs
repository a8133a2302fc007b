//! `SmtpSink::start()`: a real SMTP server (`tests/smtp_sink.py`, on aiosmtpd or Python's
//! stdlib smtpd) on 127.0.0.1 for tests that send e-mail. It records each message it
//! receives as one JSON object; `wait_for` hands them to the test (fields: see the script).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Python start-up on a busy 2-core machine can be slow; this only bounds a broken start.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(25);

pub struct SmtpSink {
    child: Child,
    port: u16,
    backend: String,
    out: PathBuf,
    err: PathBuf,
    /// Held open: the sink exits when this pipe closes, even if this process is killed.
    _stdin: Option<ChildStdin>,
}

impl SmtpSink {
    /// Starts a sink on a free port (needs `python3`, or `GUGUS_TEST_PYTHON`).
    pub async fn start() -> SmtpSink {
        match Self::spawn(&[]).await {
            Ok(sink) => sink,
            Err(stderr) => panic!("the SMTP sink did not start:\n{stderr}"),
        }
    }

    /// A sink that requires AUTH (PLAIN or LOGIN) with these credentials, or `None` when
    /// only the stdlib backend is available here (smtpd cannot do AUTH; aiosmtpd can).
    pub async fn start_with_auth(user: &str, password: &str) -> Option<SmtpSink> {
        match Self::spawn(&["--auth", &format!("{user}:{password}")]).await {
            Ok(sink) => Some(sink),
            Err(stderr) if stderr.contains("needs aiosmtpd") => None,
            Err(stderr) => panic!("the SMTP sink did not start:\n{stderr}"),
        }
    }

    async fn spawn(extra: &[&str]) -> Result<SmtpSink, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let stem = format!(
            "gugus-smtp-sink-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let out = std::env::temp_dir().join(format!("{stem}.jsonl"));
        let err = std::env::temp_dir().join(format!("{stem}.stderr"));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let python = std::env::var("GUGUS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());

        let mut child = Command::new(&python)
            .arg(&script)
            .arg("0")
            .arg(&out)
            .arg("--exit-on-stdin-eof")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", script.display()));
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();

        // Blocking reads of the child's first lines: `PORT <n>`, then `BACKEND <name>`.
        let reader = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut port = None;
            let mut backend = None;
            while let Some(Ok(line)) = lines.next() {
                if let Some(p) = line.strip_prefix("PORT ") {
                    port = p.trim().parse::<u16>().ok();
                } else if let Some(b) = line.strip_prefix("BACKEND ") {
                    backend = Some(b.trim().to_owned());
                    break;
                }
            }
            port.zip(backend)
        });
        let started = tokio::time::timeout(START_TIMEOUT, reader).await;
        let mut sink = SmtpSink {
            child,
            port: 0,
            backend: String::new(),
            out,
            err,
            _stdin: stdin,
        };
        match started {
            Ok(Ok(Some((port, backend)))) => {
                sink.port = port;
                sink.backend = backend;
                Ok(sink)
            }
            // The child quit (or printed nonsense); its stderr says why.
            Ok(_) => {
                let _ = sink.child.kill();
                let _ = sink.child.wait();
                Err(sink.stderr())
            }
            // Dropping `sink` kills the child, which also ends the reader still waiting.
            Err(_) => Err(format!(
                "no PORT line within {START_TIMEOUT:?}\n{}",
                sink.stderr()
            )),
        }
    }

    /// `smtp://127.0.0.1:<port>?from=gugus@test.invalid`
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?from=gugus@test.invalid", self.port)
    }

    /// "aiosmtpd" or "smtpd".
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// Messages received so far, oldest first.
    pub fn received(&self) -> Vec<Value> {
        let Ok(text) = std::fs::read_to_string(&self.out) else {
            return Vec::new();
        };
        // Only complete lines: the sink may be half-way through writing the last one.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad sink line {l:?}: {e}")))
            .collect()
    }

    /// Polls until at least `n` messages have arrived and returns all of them; panics
    /// (showing what did arrive and the sink's stderr) after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected {n} message(s) at the SMTP sink within {timeout:?}, got {}: \
                     {got:#?}\nsink stderr:\n{}",
                    got.len(),
                    self.stderr()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
        let _ = std::fs::remove_file(&self.err);
    }
}
