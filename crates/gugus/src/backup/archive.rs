//! The backup file format: a header, then XChaCha20-Poly1305 chunks under a key derived
//! from the backup passphrase with argon2id. Chunk 0 carries the instance key and what the
//! copy is; the others carry the database copy (an SQLite file or a `pg_dump -Fc` stream).
//!
//! ```text
//! header   "GUGUSBAK" | version u8 = 1 | kind u8 (1 sqlite, 2 pg_dump) | 0u16
//!          | argon2 m KiB u32 | t u32 | p u32 | chunk size u32 | salt [16] | nonce prefix [15]
//! chunk    last u8 (0/1) | length u32 | ciphertext (length bytes, tag included)
//! nonce    prefix [15] | chunk number u64 | last u8
//! ```
//! Every chunk binds the whole header as associated data and its number and "last" flag
//! through its nonce, so a changed header, a reordered, dropped or repeated chunk, a cut
//! file and trailing bytes are all refused. All integers are big-endian.

use anyhow::{Context, Result, anyhow, bail};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"GUGUSBAK";
const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 8 + 4 + 12 + 4 + 16 + 15;
const CHUNK: u32 = 1 << 20;
const TAG: usize = 16;
/// argon2id cost for new backups: 64 MiB, 3 passes (≈0.2 s here, once per backup).
const M_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
const P_COST: u32 = 1;
/// The shortest passphrase a new backup accepts.
pub const MIN_PASSPHRASE: usize = 12;

/// What the copy inside is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    PgDump,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Sqlite => 1,
            Kind::PgDump => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite database",
            Kind::PgDump => "PostgreSQL dump (pg_dump -Fc)",
        }
    }
}

/// Chunk 0: the instance key and a description of the copy.
#[derive(Clone)]
pub struct Meta {
    pub kind: Kind,
    /// The instance secret (32 bytes) the identities in the copy are encrypted with.
    pub instance_key: Vec<u8>,
    pub created_ms: i64,
    pub gugus_version: String,
}

impl std::fmt::Debug for Meta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Meta({:?}, created {})", self.kind, self.created_ms)
    }
}

struct Params {
    m: u32,
    t: u32,
    p: u32,
    chunk: u32,
}

fn derive(passphrase: &[u8], salt: &[u8], p: &Params) -> Result<XChaCha20Poly1305> {
    let params = argon2::Params::new(p.m, p.t, p.p, Some(32))
        .map_err(|e| anyhow!("bad key derivation parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(passphrase, salt, &mut key)
        .map_err(|e| anyhow!("key derivation failed: {e}"))?;
    XChaCha20Poly1305::new_from_slice(&key).map_err(|_| anyhow!("bad key length"))
}

fn nonce(prefix: &[u8], n: u64, last: bool) -> XNonce {
    let mut b = [0u8; 24];
    b[..15].copy_from_slice(prefix);
    b[15..23].copy_from_slice(&n.to_be_bytes());
    b[23] = u8::from(last);
    XNonce::from(b)
}

fn meta_bytes(m: &Meta) -> Vec<u8> {
    serde_json::json!({
        "key": hex::encode(&m.instance_key),
        "created_ms": m.created_ms,
        "gugus": m.gugus_version,
    })
    .to_string()
    .into_bytes()
}

/// Encrypts as it is written to; [`Writer::finish`] writes the last chunk.
pub struct Writer<W: Write> {
    out: W,
    cipher: XChaCha20Poly1305,
    header: Vec<u8>,
    prefix: Vec<u8>,
    n: u64,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, passphrase: &str, meta: &Meta) -> Result<Writer<W>> {
        if passphrase.chars().count() < MIN_PASSPHRASE {
            bail!("the backup passphrase must have at least {MIN_PASSPHRASE} characters");
        }
        let mut salt = [0u8; 16];
        let mut prefix = [0u8; 15];
        getrandom::fill(&mut salt).map_err(|e| anyhow!("random source failed: {e}"))?;
        getrandom::fill(&mut prefix).map_err(|e| anyhow!("random source failed: {e}"))?;
        let p = Params {
            m: M_KIB,
            t: T_COST,
            p: P_COST,
            chunk: CHUNK,
        };
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&[VERSION, meta.kind.byte(), 0, 0]);
        for v in [p.m, p.t, p.p, p.chunk] {
            header.extend_from_slice(&v.to_be_bytes());
        }
        header.extend_from_slice(&salt);
        header.extend_from_slice(&prefix);
        let cipher = derive(passphrase.as_bytes(), &salt, &p)?;
        out.write_all(&header)?;
        let mut w = Writer {
            out,
            cipher,
            header,
            prefix: prefix.to_vec(),
            n: 0,
            buf: Vec::with_capacity(CHUNK as usize),
        };
        w.seal(&meta_bytes(meta), false)?;
        Ok(w)
    }

    fn seal(&mut self, msg: &[u8], last: bool) -> std::io::Result<()> {
        let ct = self
            .cipher
            .encrypt(
                &nonce(&self.prefix, self.n, last),
                Payload {
                    msg,
                    aad: &self.header,
                },
            )
            .map_err(|_| std::io::Error::other("encryption failed"))?;
        self.n += 1;
        self.out.write_all(&[u8::from(last)])?;
        self.out.write_all(&(ct.len() as u32).to_be_bytes())?;
        self.out.write_all(&ct)
    }

    /// Seals what is buffered as the last chunk and returns the output.
    pub fn finish(mut self) -> Result<W> {
        let rest = std::mem::take(&mut self.buf);
        self.seal(&rest, true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = CHUNK as usize - self.buf.len();
        let take = room.min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == CHUNK as usize {
            let full = std::mem::take(&mut self.buf);
            self.seal(&full, false)?;
            self.buf.reserve(CHUNK as usize);
        }
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decrypts as it is read from; a damaged or cut file is an error of the read that meets it.
pub struct Reader<R: Read> {
    inp: R,
    cipher: XChaCha20Poly1305,
    header: Vec<u8>,
    prefix: Vec<u8>,
    chunk: u32,
    n: u64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

/// The passphrase did not open the file (or its first chunk was changed): nothing has been
/// replaced when this is returned.
pub const WRONG_PASSPHRASE: &str =
    "wrong backup passphrase (or the backup file was altered): nothing was changed";

/// Reads the header and chunk 0. A wrong passphrase is reported here, before anything
/// else happens.
pub fn open<R: Read>(mut inp: R, passphrase: &str) -> Result<(Meta, Reader<R>)> {
    let mut header = vec![0u8; HEADER_LEN];
    inp.read_exact(&mut header)
        .map_err(|_| anyhow!("not a Gugus backup file (too short)"))?;
    if &header[..8] != MAGIC {
        bail!("not a Gugus backup file");
    }
    if header[8] != VERSION {
        bail!(
            "backup format version {} is not known to this Gugus",
            header[8]
        );
    }
    let kind = match header[9] {
        1 => Kind::Sqlite,
        2 => Kind::PgDump,
        k => bail!("unknown backup content kind {k}"),
    };
    let be =
        |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let p = Params {
        m: be(12),
        t: be(16),
        p: be(20),
        chunk: be(24),
    };
    // A crafted header must not make us allocate gigabytes or spin for hours.
    if p.m > 1 << 21 || p.t > 16 || p.p > 16 || p.chunk > 1 << 26 || p.chunk == 0 {
        bail!("the backup header asks for unreasonable parameters: refusing it");
    }
    let salt = header[28..44].to_vec();
    let prefix = header[44..59].to_vec();
    let cipher = derive(passphrase.as_bytes(), &salt, &p)?;
    let mut r = Reader {
        inp,
        cipher,
        header,
        prefix,
        chunk: p.chunk,
        n: 0,
        buf: Vec::new(),
        pos: 0,
        done: false,
    };
    let first = match r.next_chunk() {
        Ok(Some((b, false))) => b,
        _ => bail!("{WRONG_PASSPHRASE}"),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&first).context("unreadable backup metadata")?;
    let instance_key = v["key"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .filter(|k| k.len() == 32)
        .context("the backup carries no valid instance key")?;
    let meta = Meta {
        kind,
        instance_key,
        created_ms: v["created_ms"].as_i64().unwrap_or(0),
        gugus_version: v["gugus"].as_str().unwrap_or("").to_owned(),
    };
    Ok((meta, r))
}

impl<R: Read> Reader<R> {
    /// The next chunk's plaintext and whether it was the last; `None` at a clean end.
    fn next_chunk(&mut self) -> std::io::Result<Option<(Vec<u8>, bool)>> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
        let mut head = [0u8; 5];
        if let Err(e) = self.inp.read_exact(&mut head) {
            return Err(if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad("the backup file is cut short (its end is missing)")
            } else {
                e
            });
        }
        let last = match head[0] {
            0 => false,
            1 => true,
            _ => return Err(bad("the backup file is damaged")),
        };
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if len < TAG || len > self.chunk as usize + TAG {
            return Err(bad("the backup file is damaged"));
        }
        let mut ct = vec![0u8; len];
        self.inp
            .read_exact(&mut ct)
            .map_err(|_| bad("the backup file is cut short (its end is missing)"))?;
        let pt = self
            .cipher
            .decrypt(
                &nonce(&self.prefix, self.n, last),
                Payload {
                    msg: &ct,
                    aad: &self.header,
                },
            )
            .map_err(|_| {
                bad("the backup file is damaged or was altered (a chunk fails authentication)")
            })?;
        self.n += 1;
        if last {
            let mut extra = [0u8; 1];
            if self.inp.read(&mut extra)? != 0 {
                return Err(bad("the backup file has data after its end"));
            }
        }
        Ok(Some((pt, last)))
    }
}

impl<R: Read> Read for Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match self.next_chunk()? {
                Some((b, last)) => {
                    self.buf = b;
                    self.pos = 0;
                    self.done = last;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn meta() -> Meta {
        Meta {
            kind: Kind::Sqlite,
            instance_key: vec![7; 32],
            created_ms: 1,
            gugus_version: "t".into(),
        }
    }

    fn sealed(data: &[u8]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), "kata sandi cadangan", &meta()).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn read_all(file: &[u8], pass: &str) -> Result<Vec<u8>> {
        let (m, mut r) = open(file, pass)?;
        assert_eq!(m.instance_key, vec![7; 32]);
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trip_across_chunks() {
        let data: Vec<u8> = (0..(CHUNK as usize * 2 + 17)).map(|i| i as u8).collect();
        let file = sealed(&data);
        assert_eq!(read_all(&file, "kata sandi cadangan").unwrap(), data);
        assert_eq!(read_all(&sealed(b""), "kata sandi cadangan").unwrap(), b"");
    }

    #[test]
    fn wrong_passphrase_cut_and_altered_files_are_refused() {
        let data = vec![1u8; CHUNK as usize + 5];
        let file = sealed(&data);
        let e = read_all(&file, "kata sandi lain!!").unwrap_err();
        assert!(e.to_string().contains("wrong backup passphrase"), "{e}");
        let cut = &file[..file.len() - 3];
        assert!(read_all(cut, "kata sandi cadangan").is_err());
        // Dropping the last chunk entirely: the end is missing.
        let first_len = HEADER_LEN;
        let mut pos = first_len;
        let mut starts = Vec::new();
        while pos < file.len() {
            starts.push(pos);
            let len = u32::from_be_bytes(file[pos + 1..pos + 5].try_into().unwrap()) as usize;
            pos += 5 + len;
        }
        let without_last = &file[..*starts.last().unwrap()];
        let e = read_all(without_last, "kata sandi cadangan").unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
        let mut flipped = file.clone();
        let at = starts[1] + 20;
        flipped[at] ^= 1;
        assert!(read_all(&flipped, "kata sandi cadangan").is_err());
        let mut header = file.clone();
        header[30] ^= 1;
        assert!(read_all(&header, "kata sandi cadangan").is_err());
        let mut trailing = file.clone();
        trailing.push(0);
        assert!(read_all(&trailing, "kata sandi cadangan").is_err());
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert!(Writer::new(Vec::new(), "pendek", &meta()).is_err());
    }
}
