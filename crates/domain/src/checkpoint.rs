//! Audit checkpoints: the chain's head (sequence number and hash) at a moment, signed with
//! a key derived from the instance secret, and kept outside the audit table — in a table of
//! their own, in an append-only file beside the key, and as a line admins copy and keep.
//! Someone who can write to the database but does not hold the key can delete the newest
//! entries and move the head back, or rewrite the unkeyed hash chain; a checkpoint made
//! before that no longer matches, and verification names the entry and the time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The first word of a checkpoint line.
pub const LINE_PREFIX: &str = "gugus-audit-checkpoint";

/// The chain's head as signed at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at_ms: i64,
    /// Which instance key signed it (the key id of ciphertexts).
    pub key_id: String,
    /// HMAC-SHA256 of seq, hash and time, hex.
    pub mac: String,
}

fn mac_of(key: &[u8], seq: i64, hash: &str, at_ms: i64) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(format!("gugus-audit-checkpoint-v1|{seq}|{hash}|{at_ms}").as_bytes());
    Some(mac)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Checkpoint {
    /// Signs the head `(seq, hash)` seen at `at_ms` with `key` (named `key_id`).
    pub fn sign(key: &[u8], key_id: &str, seq: i64, hash: &str, at_ms: i64) -> Checkpoint {
        let mac = mac_of(key, seq, hash, at_ms)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at_ms,
            key_id: key_id.to_owned(),
            mac,
        }
    }

    /// Whether the MAC is the one `key` gives (compared in constant time).
    pub fn mac_ok(&self, key: &[u8]) -> bool {
        let Ok(sent) = hex::decode(&self.mac) else {
            return false;
        };
        mac_of(key, self.seq, &self.hash, self.at_ms).is_some_and(|m| m.verify_slice(&sent).is_ok())
    }

    /// The line to keep: `gugus-audit-checkpoint v1 seq=… at=… hash=… key=… mac=…`.
    pub fn line(&self) -> String {
        format!(
            "{LINE_PREFIX} v1 seq={} at={} hash={} key={} mac={}",
            self.seq, self.at_ms, self.hash, self.key_id, self.mac
        )
    }

    /// Reads a line made by [`Checkpoint::line`] (surrounding whitespace and quotes are
    /// ignored, as a line pasted from an e-mail may carry them).
    pub fn parse(line: &str) -> Option<Checkpoint> {
        let line = line.trim().trim_matches(|c| c == '\'' || c == '"').trim();
        let mut words = line.split_ascii_whitespace();
        if words.next() != Some(LINE_PREFIX) || words.next() != Some("v1") {
            return None;
        }
        let (mut seq, mut at, mut hash, mut key, mut mac) = (None, None, None, None, None);
        for w in words {
            let (k, v) = w.split_once('=')?;
            let slot = match k {
                "seq" => &mut seq,
                "at" => &mut at,
                "hash" => &mut hash,
                "key" => &mut key,
                "mac" => &mut mac,
                _ => return None,
            };
            if slot.replace(v).is_some() {
                return None;
            }
        }
        // Both are positive: no checkpoint is made of an empty trail.
        let (seq, at_ms) = (
            crate::value::id::parse(seq?)?,
            crate::value::id::parse(at?)?,
        );
        let (hash, key_id, mac) = (hash?, key?, mac?);
        if !is_hex(hash, 64) || !is_hex(mac, 64) || !is_hex(key_id, 8) {
            return None;
        }
        Some(Checkpoint {
            seq,
            hash: hash.to_owned(),
            at_ms,
            key_id: key_id.to_owned(),
            mac: mac.to_owned(),
        })
    }

    /// When it was made, in UTC (`2026-03-02 05:00 UTC`), for messages.
    pub fn when(&self) -> String {
        format!("{} UTC", crate::time::format_ms(self.at_ms, 0))
    }
}

/// What a checkpoint shows to be wrong with the trail (or with itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointProblem {
    #[error(
        "audit trail ends at seq {last} but the checkpoint of {when} ({origin}) saw seq {seq}: the newest entries were deleted"
    )]
    Truncated {
        last: i64,
        seq: i64,
        when: String,
        origin: String,
    },
    #[error(
        "entry {seq} is not the entry the checkpoint of {when} ({origin}) saw: the trail was rewritten up to there"
    )]
    Rewritten {
        seq: i64,
        when: String,
        origin: String,
    },
    #[error(
        "the audit head is at seq {head} but the checkpoint of {when} ({origin}) saw seq {seq}: the head was moved back"
    )]
    HeadBehind {
        head: i64,
        seq: i64,
        when: String,
        origin: String,
    },
    #[error(
        "the checkpoint of {when} ({origin}) is forged: its MAC does not match (it claims seq {seq})"
    )]
    Forged {
        seq: i64,
        when: String,
        origin: String,
    },
    #[error("{origin} is not a checkpoint line")]
    Unreadable { origin: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    fn cp() -> Checkpoint {
        Checkpoint::sign(&KEY, "0badcafe", 42, &"ab".repeat(32), 1_772_427_600_000)
    }

    #[test]
    fn a_line_round_trips_and_its_mac_checks() {
        let c = cp();
        assert!(c.mac_ok(&KEY));
        assert!(!c.mac_ok(&[8; 32]));
        let line = c.line();
        assert!(line.starts_with("gugus-audit-checkpoint v1 seq=42 at=1772427600000 hash=abab"));
        assert_eq!(Checkpoint::parse(&line), Some(c.clone()));
        assert_eq!(Checkpoint::parse(&format!("  '{line}'\n")), Some(c.clone()));
        assert_eq!(c.when(), "2026-03-02 05:00 UTC");
    }

    #[test]
    fn a_changed_field_breaks_the_mac_and_bad_lines_are_refused() {
        let mut c = cp();
        c.seq = 41;
        assert!(!c.mac_ok(&KEY));
        let line = cp().line();
        for bad in [
            String::new(),
            line.replace("v1", "v2"),
            line.replace("seq=42", "seq=-42"),
            line.replace("seq=42", "seq=42 seq=43"),
            line.replace("key=0badcafe", "key=0BADCAFE"),
            line.replace(" mac=", " extra=1 mac="),
            line.replace("hash=ab", "hash=a"),
        ] {
            assert_eq!(Checkpoint::parse(&bad), None, "{bad}");
        }
    }
}
