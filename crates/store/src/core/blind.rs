//! Blind indexes of names: keyed hashes of the words of a name, so a name can be searched
//! without being stored in clear. Shared by victims, perpetrators and key rotation.

use crate::Result;
use crate::core::crypto::Keyring;
use crate::core::sql::Sql;
use sqlx::AnyConnection;

/// Lower-case word tokens of a name, for the name blind index.
pub(crate) fn name_tokens(name: &str) -> Vec<String> {
    let mut t: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    t.sort();
    t.dedup();
    t
}

/// Writes a victim's name tokens (keyed hashes of the words of name and alias), replacing
/// those it had when `replace`.
pub(crate) async fn write_name_tokens(
    conn: &mut AnyConnection,
    k: &Keyring,
    victim: i64,
    name: &str,
    alias: Option<&str>,
    replace: bool,
) -> Result<()> {
    if replace {
        sqlx::query("DELETE FROM victim_name_tokens WHERE victim_id = $1")
            .bind(victim)
            .execute(&mut *conn)
            .await?;
    }
    let mut tokens = name_tokens(name);
    if let Some(a) = alias {
        tokens.extend(name_tokens(a));
    }
    tokens.sort();
    tokens.dedup();
    // One statement for all words: each statement is a round trip on PostgreSQL.
    if !tokens.is_empty() {
        let mut q = Sql::new("INSERT INTO victim_name_tokens (token, victim_id) VALUES ");
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind_text(k.blind_index("name", t))
                .push(", ")
                .bind_int(victim)
                .push(")");
        }
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
