//! Picklists (channels, forms of exploitation, sectors, means of control …) are reference
//! tables with Indonesian and English labels and their HTCDS v2.0 value, seeded from the
//! embedded `data/picklists.csv`. New codes can be added without a code change.

use super::records::PicklistRecord;
use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

const SEED: &str = include_str!("../../../../data/picklists.csv");

#[derive(Debug, Clone, Serialize)]
pub struct PicklistItem {
    pub list: String,
    pub code: String,
    pub htcds: String,
    pub label_id: String,
    pub label_en: String,
}

/// All picklists, by list name, in display order.
#[derive(Debug, Clone, Default)]
pub struct Picklists {
    pub lists: HashMap<String, Vec<PicklistItem>>,
}

impl Picklists {
    pub fn items(&self, list: &str) -> &[PicklistItem] {
        self.lists.get(list).map(Vec::as_slice).unwrap_or(&[])
    }
    pub fn has(&self, list: &str, code: &str) -> bool {
        self.items(list).iter().any(|i| i.code == code)
    }
    /// The label in the given language ("id" or "en"), or the code itself.
    pub fn label<'a>(&'a self, list: &str, code: &'a str, lang: &str) -> &'a str {
        match self.items(list).iter().find(|i| i.code == code) {
            Some(i) if lang == "en" => &i.label_en,
            Some(i) => &i.label_id,
            None => code,
        }
    }
    pub fn codes(&self, list: &str) -> HashSet<&str> {
        self.items(list).iter().map(|i| i.code.as_str()).collect()
    }
}

fn seed_rows() -> Vec<[String; 5]> {
    let mut out = Vec::new();
    for line in SEED.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = crate::regions::csv_fields(line);
        if f.len() == 5 {
            out.push([
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[4].clone(),
            ]);
        }
    }
    out
}

impl Store {
    /// Adds any seed item that is missing (existing items and their labels are kept).
    pub async fn ensure_picklists(&self) -> Result<()> {
        let mut tx = self.maintenance(Maintenance::Seed).await?;
        for (sort, r) in seed_rows().iter().enumerate() {
            sqlx::query(
                "INSERT INTO picklist_items (list, code, htcds, label_id, label_en, sort) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (list, code) DO NOTHING",
            )
            .bind(r[0].clone())
            .bind(r[1].clone())
            .bind(r[2].clone())
            .bind(r[3].clone())
            .bind(r[4].clone())
            .bind(sort as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.picklists_memo.forget();
        self.ensure_service_types().await?;
        self.ensure_rules().await
    }

    /// Every active picklist (read once, then from memory until this process seeds).
    pub async fn picklists(&self) -> Result<std::sync::Arc<Picklists>> {
        if let Some(p) = self.picklists_memo.get() {
            return Ok(p);
        }
        let rows: Vec<PicklistRecord> = sqlx::query_as("SELECT list, code, htcds, label_id, label_en FROM picklist_items WHERE active = 1 ORDER BY list, sort")
            .fetch_all(self.pool())
            .await?;
        let mut p = Picklists::default();
        for r in rows {
            let item = PicklistItem::from(r);
            p.lists.entry(item.list.clone()).or_default().push(item);
        }
        if p.lists.is_empty() {
            return Err(StoreError::Other("picklists are not loaded".into()));
        }
        let p = std::sync::Arc::new(p);
        self.picklists_memo.set(p.clone());
        Ok(p)
    }
}
