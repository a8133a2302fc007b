//! Codes and PINs that people outside the staff hold: a survivor's status code, a
//! complaint's tracking code. A code has 60 random bits (12 symbols of 32, shown in groups
//! of four, without the look-alikes 0/O and 1/I); the PIN six digits. Only hashes are kept:
//! the code is found by its SHA-256 and the PIN is checked against SHA-256 of code and PIN,
//! so the table alone gives neither. Wrong PINs are counted in the row (every server and
//! restart counts the same) and lock it for a while after [`MAX_FAILURES`].

use crate::{Result, StoreError};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// Symbols of a code (32, so a byte's low five bits pick one uniformly).
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Symbols in a code (60 bits).
pub const CODE_LEN: usize = 12;
/// Digits in a PIN.
pub const PIN_LEN: usize = 6;
/// Wrong PINs in a row before the code is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked code stays locked.
pub const LOCK_MS: i64 = 60 * 60 * 1000;

/// What the code is for: part of what is hashed, so a code of one kind never opens another.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Survivor,
    Complaint,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Survivor => "survivor",
            Purpose::Complaint => "complaint",
        }
    }
    /// The table whose rows carry `failures` and `locked_until` for this kind of code.
    fn table(self) -> &'static str {
        match self {
            Purpose::Survivor => "survivor_codes",
            Purpose::Complaint => "complaints",
        }
    }
}

/// The code as typed, in its canonical form (capitals, no spaces or dashes), if it can be
/// one at all.
pub fn normalise_code(typed: &str) -> Option<String> {
    let c: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

pub(crate) fn normalise_pin(typed: &str) -> Option<String> {
    let p = typed.trim();
    (p.len() == PIN_LEN && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.to_owned())
}

pub(crate) fn code_hash(purpose: Purpose, code: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "gugus-{}-code|{code}",
        purpose.tag()
    )))
}

pub(crate) fn pin_hash(purpose: Purpose, code: &str, pin: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "gugus-{}-pin|{code}|{pin}",
        purpose.tag()
    )))
}

/// Whether `pin` (as typed) is the PIN of `code` (canonical), against its stored hash, in
/// time independent of where they differ.
pub(crate) fn pin_matches(purpose: Purpose, code: &str, pin: &str, stored: &str) -> bool {
    normalise_pin(pin).is_some_and(|p| {
        let a = pin_hash(purpose, code, &p);
        let (a, b) = (a.as_bytes(), stored.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    })
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
    Ok(b)
}

/// A fresh code (canonical form) and PIN.
pub(crate) fn new_code_and_pin() -> Result<(String, String)> {
    let code: String = random_bytes::<CODE_LEN>()?
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect();
    // Uniform over 000000–999999: draw below the largest multiple of a million in u32.
    let pin = loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n < 4_294_000_000 {
            break format!("{:06}", n % 1_000_000);
        }
    };
    Ok((code, pin))
}

/// `ABCDEFGHJKLM` → `ABCD-EFGH-JKLM`.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Someone outside the staff acting with a code and PIN: no person, no address (the client's
/// address would tie an anonymous sender or a sheltered survivor to a network, in an
/// append-only trail), the region of the record for the audit trail's readers.
pub(crate) fn public_actor(
    name: &str,
    unit: domain::UnitId,
    scope: domain::Scope,
) -> domain::Actor {
    domain::Actor {
        user_id: None,
        username: name.to_owned(),
        unit_id: unit,
        role: domain::Role::Viewer,
        scope,
        origin: Some("public".into()),
    }
}

/// What one attempt with a code's PIN gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    Right,
    /// Wrong: the failures counted so far, and the instant the code is locked until when
    /// this one locked it.
    Wrong {
        failures: i64,
        locked_until: Option<i64>,
    },
    /// Locked before this attempt: nothing was checked.
    Locked {
        until: i64,
    },
}

/// Checks `pin` against row `id`'s PIN inside the caller's write transaction. The attempt is
/// counted *before* the PIN is compared, in one conditional update that skips a locked
/// row — so attempts sent at the same moment are counted one after the other (the row is
/// locked by the update on PostgreSQL, the database by the write on SQLite) and none is
/// checked once the code is locked. A right PIN clears the count; the fifth wrong one in a
/// row locks the code for [`LOCK_MS`]. The caller audits and commits.
pub(crate) async fn attempt(
    conn: &mut AnyConnection,
    purpose: Purpose,
    id: i64,
    code: &str,
    pin: &str,
    now: i64,
) -> Result<Attempt> {
    let table = purpose.table();
    let counted: Option<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET failures = failures + 1 WHERE id = $1 AND locked_until <= $2 \
         RETURNING failures, pin_hash"
    )))
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((failures, stored)) = counted else {
        let until: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT locked_until FROM {table} WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        return Ok(Attempt::Locked { until });
    };
    if pin_matches(purpose, code, pin, &stored) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET failures = 0 WHERE id = $1"
        )))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        return Ok(Attempt::Right);
    }
    if failures < MAX_FAILURES {
        return Ok(Attempt::Wrong {
            failures,
            locked_until: None,
        });
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET failures = 0, locked_until = $1 WHERE id = $2"
    )))
    .bind(now + LOCK_MS)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(Attempt::Wrong {
        failures,
        locked_until: Some(now + LOCK_MS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_typed_by_a_person() {
        assert_eq!(
            normalise_code(" abcd-efgh jklm "),
            Some("ABCDEFGHJKLM".into())
        );
        // Look-alikes that are never in a code, and the wrong length.
        assert_eq!(normalise_code("ABCD-EFGH-JKL0"), None);
        assert_eq!(normalise_code("ABCD-EFGH-JKLI"), None);
        assert_eq!(normalise_code("ABCD-EFGH-JK"), None);
        assert_eq!(normalise_pin(" 012345 "), Some("012345".into()));
        assert_eq!(normalise_pin("12345"), None);
        assert_eq!(normalise_pin("12345a"), None);
    }

    #[test]
    fn new_codes_are_canonical_and_differ_and_purposes_do_not_mix() {
        let (a, p) = new_code_and_pin().unwrap();
        let (b, _) = new_code_and_pin().unwrap();
        assert_ne!(a, b);
        assert_eq!(normalise_code(&grouped(&a)), Some(a.clone()));
        assert_eq!(grouped(&a).len(), CODE_LEN + 2);
        assert!(normalise_pin(&p).is_some());
        let stored = pin_hash(Purpose::Survivor, &a, &p);
        assert!(pin_matches(
            Purpose::Survivor,
            &a,
            &format!(" {p} "),
            &stored
        ));
        assert!(!pin_matches(Purpose::Complaint, &a, &p, &stored));
        assert!(!pin_matches(Purpose::Survivor, &b, &p, &stored));
        assert_ne!(
            code_hash(Purpose::Survivor, &a),
            code_hash(Purpose::Complaint, &a)
        );
    }
}
