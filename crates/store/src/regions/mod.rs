//! The Kemendagri region reference (38 provinces, 514 regencies/cities, 7,285 districts,
//! 83,762 villages), embedded in the binary and loaded on first start. Subtree queries are
//! range scans on the primary key: a subtree is `[code, code + "/")` in byte order.

pub(crate) mod picklists;
mod records;
pub(crate) mod units;

use crate::core::sql::{Sql, like_escape};
use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use domain::{Action, Actor, RegionCode, RegionLevel, Scope, decide};
use records::RegionRecord;
use serde::Serialize;

/// Attribution shown wherever region names are displayed.
pub const ATTRIBUTION: &str = "Data wilayah: cahyadsn/wilayah (MIT), berdasarkan Kepmendagri No. 300.2.2-2138/2025 jo. 300.2.2-2430/2025";

const PROVINCES: &str = include_str!("../../../../data/wilayah/provinces.csv");
const REGENCIES: &str = include_str!("../../../../data/wilayah/regencies.csv");
const DISTRICTS: &str = include_str!("../../../../data/wilayah/districts.csv");
const VILLAGES: &str = include_str!("../../../../data/wilayah/villages.csv");

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: RegionLevel,
    pub name: String,
    /// provinsi, kabupaten, kota, kecamatan, desa, kelurahan, desa_adat
    pub kind: String,
}

/// What a typed region named (see [`Store::resolve_region`]).
#[derive(Debug, Clone)]
pub enum RegionMatch {
    One(RegionCode),
    /// Several places of that name: each with where it lies.
    Many(Vec<(Region, String)>),
    None,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionDetail {
    pub region: Region,
    /// From the province down to the parent.
    pub ancestors: Vec<Region>,
    pub children: Vec<Region>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadStats {
    pub rows: usize,
    pub millis: u128,
}

/// Splits one CSV line; fields are quoted only when they hold a comma.
pub(crate) fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// All reference rows as (code, parent, level, name, kind).
fn reference_rows() -> Vec<(String, Option<String>, i64, String, String)> {
    let mut rows = Vec::with_capacity(92_000);
    let mut add = |text: &str, level: i64| {
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f = csv_fields(line);
            let (code, parent, name, kind) = match level {
                1 => (f[0].clone(), None, f[1].clone(), "provinsi".to_owned()),
                2 => (f[0].clone(), Some(f[1].clone()), f[2].clone(), f[3].clone()),
                3 => (
                    f[0].clone(),
                    Some(f[1].clone()),
                    f[2].clone(),
                    "kecamatan".to_owned(),
                ),
                _ => (f[0].clone(), Some(f[1].clone()), f[2].clone(), f[3].clone()),
            };
            rows.push((code, parent, level, name, kind));
        }
    };
    add(PROVINCES, 1);
    add(REGENCIES, 2);
    add(DISTRICTS, 3);
    add(VILLAGES, 4);
    rows
}

/// Normalises text for name search: lower case, single spaces.
pub(crate) fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Store {
    /// Loads the embedded reference if the table is empty. Returns what was loaded.
    pub async fn ensure_regions(&self) -> Result<Option<LoadStats>> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM regions")
            .fetch_one(self.pool())
            .await?;
        if n > 0 {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let rows = reference_rows();
        // Rows travel as one JSON array per chunk and are unpacked by the database
        // (json_each / jsonb_array_elements): far cheaper than binding 90,000 × 6 parameters.
        let sql = match self.backend() {
            crate::Backend::Sqlite => {
                "INSERT INTO regions (code, parent_code, level, name, kind, search) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each($1)"
            }
            crate::Backend::Postgres => {
                "INSERT INTO regions (code, parent_code, level, name, kind, search) \
                 SELECT value ->> 0, value ->> 1, (value ->> 2)::bigint, value ->> 3, value ->> 4, value ->> 5 \
                 FROM jsonb_array_elements($1::jsonb) AS t(value)"
            }
        };
        let mut tx = self.maintenance(Maintenance::Seed).await?;
        // Another server starting at the same time may have loaded it while we waited.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM regions")
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Ok(None);
        }
        for chunk in rows.chunks(20_000) {
            let json: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(code, parent, level, name, kind)| {
                    serde_json::json!([code, parent, level, name, kind, fold(name)])
                })
                .collect();
            let text =
                serde_json::to_string(&json).map_err(|e| StoreError::Other(e.to_string()))?;
            sqlx::query(sql).bind(text).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("ANALYZE regions").execute(self.pool()).await?;
        }
        Ok(Some(LoadStats {
            rows: rows.len(),
            millis: started.elapsed().as_millis(),
        }))
    }

    /// Number of regions per level (for `gugus check` and the tests).
    pub async fn region_counts(&self) -> Result<[i64; 4]> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT level, COUNT(*) AS n FROM regions GROUP BY level")
                .fetch_all(self.pool())
                .await?;
        let mut out = [0i64; 4];
        for (level, n) in rows {
            if (1..=4).contains(&level) {
                out[(level - 1) as usize] = n;
            }
        }
        Ok(out)
    }

    /// Does the region exist? (Reference data: no scope applies.)
    pub async fn region_exists(&self, code: &RegionCode) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM regions WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_one(self.pool())
            .await?;
        Ok(n > 0)
    }

    /// Which of `codes` are regions, in one query (a form names several).
    pub(crate) async fn regions_known(
        &self,
        codes: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        if codes.is_empty() {
            return Ok(Default::default());
        }
        let mut q = Sql::new("SELECT code FROM regions WHERE code");
        q.in_list(codes);
        Ok(q.build_scalar::<String>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .collect())
    }

    /// The top of the hierarchy: all provinces.
    pub async fn provinces(&self, actor: &Actor) -> Result<Vec<Region>> {
        decide(actor, Action::ViewRegions, &Scope::National)?;
        let rows: Vec<RegionRecord> = sqlx::query_as("SELECT code, parent_code, level, name, kind FROM regions WHERE level = 1 ORDER BY code")
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(Region::try_from).collect()
    }

    /// One region with its ancestors and direct children.
    pub async fn region(&self, actor: &Actor, code: &RegionCode) -> Result<RegionDetail> {
        decide(actor, Action::ViewRegions, &Scope::National)?;
        let mut codes = Vec::new();
        let mut c = code.parent();
        while let Some(p) = c {
            c = p.parent();
            codes.push(p);
        }
        codes.reverse();
        let mut wanted = vec![code.as_str()];
        wanted.extend(codes.iter().map(RegionCode::as_str));
        let mut q = Sql::new("SELECT code, parent_code, level, name, kind FROM regions WHERE code");
        q.in_list(&wanted).push(" ORDER BY code");
        let mut found: Vec<Region> = q
            .build_as::<RegionRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(Region::try_from)
            .collect::<Result<_>>()?;
        let region = match found.iter().position(|r| r.code == code.as_str()) {
            Some(i) => found.remove(i),
            None => return Err(StoreError::NotFound),
        };
        let children = sqlx::query_as::<_, RegionRecord>(
            "SELECT code, parent_code, level, name, kind FROM regions WHERE parent_code = $1 ORDER BY code",
        )
        .bind(code.as_str().to_owned())
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(Region::try_from)
        .collect::<Result<_>>()?;
        Ok(RegionDetail {
            region,
            ancestors: found,
            children,
        })
    }

    /// Name or code search for the typeahead: a code prefix when the query is digits and
    /// dots, otherwise a case-insensitive substring of the name, higher levels first.
    pub async fn search_regions(
        &self,
        actor: &Actor,
        query: &str,
        limit: i64,
    ) -> Result<Vec<Region>> {
        decide(actor, Action::ViewRegions, &Scope::National)?;
        // A NUL or other control character names no region (and PostgreSQL refuses it in
        // text): a field error, never a 500.
        if query.chars().any(char::is_control) {
            return Err(domain::Invalid::one("q", "err.control_char").into());
        }
        let q = fold(query);
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT code, parent_code, level, name, kind FROM regions WHERE ");
        if q.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            sql.push("code >= ")
                .bind_text(q.clone())
                .push(" AND code < ")
                .bind_text(format!("{q}~"));
            sql.push(" ORDER BY code");
        } else {
            sql.push("search LIKE ")
                .bind_text(format!("%{}%", like_escape(&q)))
                .push(" ESCAPE '\\'");
            // Exact and prefix matches first, then by level and name.
            sql.push(" ORDER BY CASE WHEN search = ")
                .bind_text(q.clone());
            sql.push(" THEN 0 WHEN search LIKE ")
                .bind_text(format!("{}%", like_escape(&q)));
            sql.push(" ESCAPE '\\' OR search LIKE ")
                .bind_text(format!("% {}%", like_escape(&q)));
            sql.push(" ESCAPE '\\' THEN 1 ELSE 2 END, level, name");
        }
        sql.push(" LIMIT ").bind_int(limit.clamp(1, 100));
        sql.build_as::<RegionRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(Region::try_from)
            .collect()
    }

    /// Counts regions of `level` inside the subtree of `code` (a range scan on the key).
    pub async fn count_in_subtree(&self, code: &RegionCode, level: RegionLevel) -> Result<i64> {
        let (lo, hi) = code.subtree_bounds();
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM regions WHERE code >= $1 AND code < $2 AND level = $3",
        )
        .bind(lo)
        .bind(hi)
        .bind(level.depth())
        .fetch_one(self.pool())
        .await?)
    }

    /// Where each region lies, in words: its district, regency and province names
    /// ("Pahandut, Kota Palangka Raya, Kalimantan Tengah" for a village), for pickers that
    /// must tell apart places of the same name.
    pub async fn region_places(
        &self,
        regions: &[Region],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut ancestors: Vec<String> = Vec::new();
        for r in regions {
            if let Ok(code) = RegionCode::parse(&r.code) {
                let mut up = code.parent();
                while let Some(p) = up {
                    ancestors.push(p.to_string());
                    up = p.parent();
                }
            }
        }
        ancestors.sort();
        ancestors.dedup();
        let names = self.region_names(&ancestors).await?;
        let mut out = std::collections::HashMap::new();
        for r in regions {
            let Ok(code) = RegionCode::parse(&r.code) else {
                continue;
            };
            let mut parts = Vec::new();
            let mut up = code.parent();
            while let Some(p) = up {
                if let Some(n) = names.get(p.as_str()) {
                    parts.push(n.clone());
                }
                up = p.parent();
            }
            out.insert(r.code.clone(), parts.join(", "));
        }
        Ok(out)
    }

    /// What a region typed into a form names: a code as it is (whether it exists is the
    /// caller's check, as before), or a name at `level` (any level when `None`): the one
    /// region of exactly that name, or the one region found, or else the candidates (at
    /// most eight, each with where it lies) for the user to choose from.
    pub async fn resolve_region(
        &self,
        actor: &Actor,
        text: &str,
        level: Option<RegionLevel>,
    ) -> Result<RegionMatch> {
        let text = text.trim();
        if let Ok(code) = RegionCode::parse(text) {
            return Ok(RegionMatch::One(code));
        }
        if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Ok(RegionMatch::None);
        }
        let found: Vec<Region> = self
            .search_regions(actor, text, 100)
            .await?
            .into_iter()
            .filter(|r| level.is_none_or(|l| r.level == l))
            .collect();
        // "Belu" names "Kabupaten Belu": the kind words people leave out are left out here.
        let bare = |s: &str| {
            let s = fold(s);
            [
                "kabupaten ",
                "kab. ",
                "kota ",
                "provinsi ",
                "kecamatan ",
                "desa ",
                "kelurahan ",
            ]
            .iter()
            .find_map(|p| s.strip_prefix(p).map(str::to_owned))
            .unwrap_or(s)
        };
        let wanted = bare(text);
        let exact: Vec<Region> = found
            .iter()
            .filter(|r| bare(&r.name) == wanted)
            .cloned()
            .collect();
        // Of the places with exactly that name, the widest: "Kupang" typed as a region is
        // the regency (both regencies, Kabupaten and Kota, if both are called so), not the
        // villages of that name.
        let widest = exact.iter().map(|r| r.level.depth()).min();
        let exact: Vec<Region> = exact
            .into_iter()
            .filter(|r| Some(r.level.depth()) == widest)
            .collect();
        let pick = if exact.is_empty() { found } else { exact };
        match pick.len() {
            0 => Ok(RegionMatch::None),
            1 => Ok(RegionMatch::One(
                RegionCode::parse(&pick[0].code).map_err(|_| StoreError::NotFound)?,
            )),
            _ => {
                let pick: Vec<Region> = pick.into_iter().take(8).collect();
                let places = self.region_places(&pick).await?;
                Ok(RegionMatch::Many(
                    pick.into_iter()
                        .map(|r| {
                            let place = places.get(&r.code).cloned().unwrap_or_default();
                            (r, place)
                        })
                        .collect(),
                ))
            }
        }
    }

    /// A real region of `level` inside `scope` (the first by code), to show as an example
    /// in a form's hint: a Palangka Raya officer sees a Palangka Raya village, not NTT's.
    pub async fn example_region(
        &self,
        scope: &Scope,
        level: RegionLevel,
    ) -> Result<Option<(String, String)>> {
        let mut q = Sql::new("SELECT code, name FROM regions WHERE level = ");
        q.bind_int(level.depth());
        q.scope("code", scope);
        q.push(" ORDER BY code LIMIT 1");
        Ok(q.build_as::<(String, String)>()
            .fetch_optional(self.pool())
            .await?)
    }

    /// Names for a set of codes (for labelling lists).
    pub async fn region_names(
        &self,
        codes: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in codes.chunks(500) {
            let mut q = Sql::new("SELECT code, name FROM regions WHERE code");
            q.in_list(chunk);
            out.extend(
                q.build_as::<(String, String)>()
                    .fetch_all(self.pool())
                    .await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_reference_has_every_level() {
        let rows = reference_rows();
        let count = |l| rows.iter().filter(|r| r.2 == l).count();
        assert_eq!(
            [count(1), count(2), count(3), count(4)],
            [38, 514, 7285, 83762]
        );
        let quoted = rows.iter().find(|r| r.3 == "Lubuk Pakam I,II");
        assert!(quoted.is_some(), "quoted CSV field parsed");
        for (code, parent, ..) in &rows {
            let c = RegionCode::parse(code).unwrap();
            assert_eq!(c.parent().map(|p| p.to_string()), parent.clone());
        }
    }
}
