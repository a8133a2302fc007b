//! Encryption of identifying fields at rest (XChaCha20-Poly1305) and keyed blind indexes
//! (HMAC-SHA256) for equality search without plaintext.
//!
//! Keys are derived from the instance secret (`GUGUS_SECRET_KEY_FILE`) with HMAC and a
//! purpose label, so the file holds one secret and each use gets its own key. Every
//! ciphertext names the key that made it (`v2:<key id>:<base64>`; values written before
//! 2026-12 are `v1:<key id>:<hex>`, read alike and rewritten by a key rotation — base64
//! takes a third less room than hex in every encrypted column), and the column it belongs
//! to is bound in as associated data, so a value copied into another column fails to
//! decrypt. A keyring may hold the previous secret too, which is what lets `gugus keys
//! rotate` re-encrypt rows while servers keep reading both.

use crate::StoreError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <HmacSha256 as hmac::KeyInit>::new_from_slice(master) {
        mac.update(label.as_bytes());
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

struct FieldKey {
    id: String,
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
    /// Signs audit checkpoints (`core::checkpoint`).
    checkpoint_key: [u8; 32],
}

impl FieldKey {
    fn new(master: &[u8]) -> Result<FieldKey, StoreError> {
        let id = hex::encode(&derive(master, "gugus-key-id-v1")[..4]);
        let cipher =
            XChaCha20Poly1305::new_from_slice(&derive(master, "gugus-field-encryption-v1"))
                .map_err(|_| StoreError::Other("bad encryption key length".into()))?;
        Ok(FieldKey {
            id,
            cipher,
            index_key: derive(master, "gugus-blind-index-v1"),
            checkpoint_key: derive(master, "gugus-audit-checkpoint-v1"),
        })
    }

    fn index_mac(&self, kind: &str, value: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        if let Ok(mut mac) = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.index_key) {
            mac.update(kind.as_bytes());
            mac.update(b"\0");
            mac.update(value.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        out
    }

    fn blind_index(&self, kind: &str, value: &str) -> String {
        hex::encode(self.index_mac(kind, value))
    }

    /// The first 8 bytes of the blind index as a big-endian integer (the first 16 hex digits
    /// of [`FieldKey::blind_index`]).
    fn blind_key(&self, kind: &str, value: &str) -> i64 {
        let mac = self.index_mac(kind, value);
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        i64::from_be_bytes(first)
    }
}

/// The keys for personal fields: the current one, and during a rotation the previous one.
pub struct Keyring {
    current: FieldKey,
    previous: Option<FieldKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring(current={}, previous={:?})",
            self.current.id,
            self.previous.as_ref().map(|k| &k.id)
        )
    }
}

impl Keyring {
    pub fn new(master: &[u8], previous: Option<&[u8]>) -> Result<Keyring, StoreError> {
        if master.len() < 32 {
            return Err(StoreError::Config("the secret key must be 32 bytes".into()));
        }
        Ok(Keyring {
            current: FieldKey::new(master)?,
            previous: previous.map(FieldKey::new).transpose()?,
        })
    }

    /// The id stamped on new ciphertexts.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    pub fn encrypt(&self, column: &str, plaintext: &str) -> Result<String, StoreError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce)
            .map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
        let ct = self
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other("encryption failed".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("v2:{}:{}", self.current.id, BASE64.encode(blob)))
    }

    pub fn encrypt_opt(
        &self,
        column: &str,
        plaintext: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        plaintext.map(|p| self.encrypt(column, p)).transpose()
    }

    pub fn decrypt(&self, column: &str, stored: &str) -> Result<String, StoreError> {
        let mut parts = stored.splitn(3, ':');
        let (Some(version), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StoreError::Other("unreadable ciphertext".into()));
        };
        let key = if kid == self.current.id {
            &self.current
        } else {
            match &self.previous {
                Some(p) if p.id == kid => p,
                _ => {
                    return Err(StoreError::Other(format!(
                        "ciphertext made with unknown key {kid}"
                    )));
                }
            }
        };
        let blob = match version {
            "v2" => BASE64.decode(body).ok(),
            "v1" => hex::decode(body).ok(),
            _ => None,
        }
        .ok_or_else(|| StoreError::Other("unreadable ciphertext".into()))?;
        if blob.len() < 24 {
            return Err(StoreError::Other("unreadable ciphertext".into()));
        }
        let (nonce, ct) = blob.split_at(24);
        let nonce: [u8; 24] = nonce
            .try_into()
            .map_err(|_| StoreError::Other("unreadable ciphertext".into()))?;
        let pt = key
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other("ciphertext failed authentication".into()))?;
        String::from_utf8(pt).map_err(|_| StoreError::Other("ciphertext is not text".into()))
    }

    /// Encrypts a file (evidence): `key id length, key id, nonce, ciphertext`, bound to the
    /// column like text fields.
    pub fn encrypt_bytes(&self, column: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce)
            .map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
        let ct = self
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other("encryption failed".into()))?;
        let id = self.current.id.as_bytes();
        let mut out = Vec::with_capacity(1 + id.len() + 24 + ct.len());
        out.push(id.len() as u8);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn decrypt_bytes(&self, column: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        let bad = || StoreError::Other("unreadable encrypted file".into());
        let (&n, rest) = stored.split_first().ok_or_else(bad)?;
        let n = n as usize;
        if rest.len() < n + 24 {
            return Err(bad());
        }
        let (kid, rest) = rest.split_at(n);
        let key = if kid == self.current.id.as_bytes() {
            &self.current
        } else {
            match &self.previous {
                Some(p) if p.id.as_bytes() == kid => p,
                _ => {
                    return Err(StoreError::Other(
                        "file encrypted with an unknown key".into(),
                    ));
                }
            }
        };
        let (nonce, ct) = rest.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| bad())?;
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other("encrypted file failed authentication".into()))
    }

    /// Does this ciphertext need re-encrypting under the current key?
    pub fn is_current(&self, stored: &str) -> bool {
        stored.split(':').nth(1) == Some(self.current.id.as_str())
    }

    /// Blind index under the current key.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        self.current.blind_index(kind, value)
    }

    /// Compact blind index under the current key: 64 bits, for the many rows of a lookup
    /// table (the linkage keys), where a rare collision only adds a candidate.
    pub fn blind_key(&self, kind: &str, value: &str) -> i64 {
        self.current.blind_key(kind, value)
    }

    /// Compact blind indexes under the current and, during a rotation, the previous key:
    /// every form in which a value may have been stored.
    pub fn blind_keys(&self, kind: &str, value: &str) -> Vec<i64> {
        let mut v = vec![self.current.blind_key(kind, value)];
        if let Some(p) = &self.previous {
            v.push(p.blind_key(kind, value));
        }
        v
    }

    /// The key that signs new audit checkpoints, and its id.
    pub fn checkpoint_signer(&self) -> (&str, &[u8; 32]) {
        (&self.current.id, &self.current.checkpoint_key)
    }

    /// The checkpoint key with this id, if held (the current or the previous one).
    pub fn checkpoint_key(&self, id: &str) -> Option<&[u8; 32]> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == id)
            .map(|k| &k.checkpoint_key)
    }

    /// Blind indexes under every key held (search during a rotation must try both).
    pub fn blind_indexes(&self, kind: &str, value: &str) -> Vec<String> {
        let mut v = vec![self.current.blind_index(kind, value)];
        if let Some(p) = &self.previous {
            v.push(p.blind_index(kind, value));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_binds_the_column_and_detects_tampering() {
        let k = Keyring::new(&[1u8; 32], None).unwrap();
        let c = k.encrypt("victims.name", "Siti Aminah").unwrap();
        assert!(c.starts_with(&format!("v2:{}:", k.current_id())));
        assert!(!c.contains("Siti"));
        assert_eq!(k.decrypt("victims.name", &c).unwrap(), "Siti Aminah");
        assert!(
            k.decrypt("victims.alias", &c).is_err(),
            "copied into another column"
        );
        let mut t = c.clone();
        let last = t.pop().unwrap();
        t.push(if last == '0' { '1' } else { '0' });
        assert!(k.decrypt("victims.name", &t).is_err(), "tampered");
        assert_ne!(
            k.encrypt("victims.name", "Siti Aminah").unwrap(),
            c,
            "fresh nonce each time"
        );
    }

    #[test]
    fn values_written_in_hex_before_base64_still_read() {
        let k = Keyring::new(&[1u8; 32], None).unwrap();
        let c = k.encrypt("victims.name", "Siti Aminah").unwrap();
        let body = c.rsplit(':').next().unwrap();
        let blob = BASE64.decode(body).unwrap();
        let old = format!("v1:{}:{}", k.current_id(), hex::encode(&blob));
        assert_eq!(k.decrypt("victims.name", &old).unwrap(), "Siti Aminah");
        assert!(
            old.len() > c.len() + blob.len() / 2,
            "base64 is the shorter"
        );
        let unknown = format!("v3:{}:{body}", k.current_id());
        assert!(
            k.decrypt("victims.name", &unknown).is_err(),
            "unknown version"
        );
    }

    #[test]
    fn previous_key_still_reads_and_indexes_differ() {
        let old = Keyring::new(&[1u8; 32], None).unwrap();
        let c = old.encrypt("victims.nik", "5304015708990001").unwrap();
        let rotating = Keyring::new(&[2u8; 32], Some(&[1u8; 32])).unwrap();
        assert_eq!(
            rotating.decrypt("victims.nik", &c).unwrap(),
            "5304015708990001"
        );
        assert!(!rotating.is_current(&c));
        let new_only = Keyring::new(&[2u8; 32], None).unwrap();
        assert!(new_only.decrypt("victims.nik", &c).is_err());
        let idx = rotating.blind_indexes("nik", "5304015708990001");
        assert_eq!(idx.len(), 2);
        assert_eq!(idx[1], old.blind_index("nik", "5304015708990001"));
        assert_ne!(idx[0], idx[1]);
    }
}
