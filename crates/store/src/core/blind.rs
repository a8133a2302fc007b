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

/// The words of a victim's name and alias, sorted and without repeats.
fn victim_tokens(name: &str, alias: Option<&str>) -> Vec<String> {
    let mut tokens = name_tokens(name);
    if let Some(a) = alias {
        tokens.extend(name_tokens(a));
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

/// Removes the name tokens a victim was given for this name and alias (under the current
/// and, during a rotation, the previous key), by the table's own key: the table has no
/// index by victim (at 1,000,000 cases it cost 114 MiB), so the tokens to remove are
/// computed again from the identity they were made of.
pub(crate) async fn forget_name_tokens(
    conn: &mut AnyConnection,
    k: &Keyring,
    victim: i64,
    name: &str,
    alias: Option<&str>,
) -> Result<()> {
    let blinded: Vec<String> = victim_tokens(name, alias)
        .iter()
        .flat_map(|t| k.blind_indexes("name", t))
        .collect();
    if blinded.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("DELETE FROM victim_name_tokens WHERE victim_id = ");
    q.bind_int(victim).push(" AND token");
    q.in_list(&blinded);
    q.build().execute(&mut *conn).await?;
    Ok(())
}

/// Writes a victim's name tokens (keyed hashes of the words of name and alias); a victim
/// whose name changes first has the old ones removed with [`forget_name_tokens`].
pub(crate) async fn write_name_tokens(
    conn: &mut AnyConnection,
    k: &Keyring,
    victim: i64,
    name: &str,
    alias: Option<&str>,
) -> Result<()> {
    let tokens = victim_tokens(name, alias);
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
