//! Probabilistic record linkage for Indonesian person records.
//!
//! - **Model**: Fellegi–Sunter. Each comparison (name, birth date, NIK, sex, region and, for
//!   FEBRL-like data, other id / postcode / address / locality) has ordered levels with
//!   `m = P(level | same person)` and `u = P(level | different persons)`; a pair's weight is
//!   `log2(λ/(1-λ)) + Σ log2(m/u)` plus term-frequency adjustments.
//! - **Training** ([`train`]) needs no labels: `u` from random record pairs (and, for the NIK,
//!   from exact counts of shared NIK prefixes), `m` and the share of matches from EM on the
//!   blocked candidate pairs, term frequencies from the data.
//! - **NIK** is compared knowing its structure (`PPRRDD DDMMYY SSSS`): a differing serial with
//!   the same first 12 digits is a *neighbour* (same district, same birth date, same sex), not a
//!   typo, and counts as evidence only if the names agree. When the NIKs agree, birth date and
//!   sex are not counted a second time.
//! - **Blocking** ([`blocking_keys`], [`Index`]): NIK prefix/serial keys (with the first two
//!   letters of any name token), name-token prefix or suffix + birth date, name token and
//!   regency with day-month or year-month, full name (also written without spaces) with year,
//!   day-month (either order) or region, frequency-capped.
//! - **Clustering** ([`cluster`]): best pairs first, and a merge is refused when any pair across
//!   the two clusters has evidence against being the same person.

#![allow(clippy::needless_range_loop)] // index loops over m/u tables read better than zips

pub mod bench;
mod block;
mod cluster;
pub mod csv;
mod model;
pub mod names;
mod train;

use serde::{Deserialize, Serialize};

pub use block::{Index, LinkStats, blocking_keys, link_all, link_all_observed};
pub use cluster::cluster;
pub use model::{Model, Prepared};
pub use train::{TrainOptions, train, train_with};

/// A person record as Gugus holds it. `extra`-like fields (`other_id`, `postcode`, `address`,
/// `locality`) are optional and only used when the data has them (FEBRL); Gugus leaves them `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: u64,
    pub name: Option<String>,
    pub sex: Option<Sex>,
    pub birth: Option<Date>,
    pub nik: Option<String>,
    /// 4-digit regency (kabupaten/kota) code, e.g. "6271".
    pub region: Option<String>,
    /// Another identifier without structure (FEBRL's social security id).
    pub other_id: Option<String>,
    pub postcode: Option<String>,
    /// Street number and street.
    pub address: Option<String>,
    /// Suburb / village.
    pub locality: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD` or `YYYYMMDD`. Accepts any day 1-31 in any month 1-12 (a duplicate's
    /// "31 April" is still evidence); returns `None` otherwise.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        if !s.is_ascii() {
            return None;
        }
        let b = s.as_bytes();
        let (y, m, d) = match b.len() {
            10 if b[4] == b'-' && b[7] == b'-' => (&s[0..4], &s[5..7], &s[8..10]),
            8 => (&s[0..4], &s[4..6], &s[6..8]),
            _ => return None,
        };
        let year: i32 = y.parse().ok()?;
        let month: u8 = m.parse().ok()?;
        let day: u8 = d.parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1000..=9999).contains(&year)
        {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 0000-03-01 (proleptic Gregorian; an invalid day such as 31 April just runs on).
    pub fn day_number(&self) -> i32 {
        let (y, m) = if self.month <= 2 {
            (self.year - 1, i32::from(self.month) + 9)
        } else {
            (self.year, i32::from(self.month) - 3)
        };
        let era_days = 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400);
        era_days + (153 * m + 2) / 5 + i32::from(self.day) - 1
    }

    /// `YYYYMMDD` as a number.
    pub fn ymd(&self) -> u32 {
        (self.year.max(0) as u32) * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }

    /// 1 January, 1 July or 31 December: the placeholders for an unknown birthday on
    /// Indonesian documents.
    pub fn is_placeholder(&self) -> bool {
        matches!((self.month, self.day), (1, 1) | (7, 1) | (12, 31))
    }
}

/// One line of a match explanation: a comparison, the level it reached and its weight in
/// log2 Bayes-factor units (positive: evidence for the same person). The first line is the
/// prior (`field = "prior"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub field: &'static str,
    pub level: &'static str,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Match weight: prior plus the sum of the explanation's weights (log2 odds).
    pub weight: f64,
    pub probability: f64,
    pub explanation: Vec<Comparison>,
}

/// A scored candidate pair (record ids).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: u64,
    pub b: u64,
    pub scored: Scored,
}

/// True when the record has no identifying field (a name with letters, a birth date, a NIK of
/// at least 10 digits, another id): such a record is never matched to anything, and has no
/// blocking keys.
pub fn is_blank(r: &Record) -> bool {
    // one definition: the prepared form (a NIK of fewer than 10 digits is no NIK)
    Prepared::new(r).is_blank()
}

/// The match probability at which pairs are merged into clusters by default (the benchmark's
/// headline figure). Lower than the 0.9 of Splink's examples: the weights are calibrated
/// probabilities, and the F1-optimal cut for calibrated probabilities lies well below 0.9; the
/// no-chaining rule of [`cluster`] keeps the extra merges from snowballing. On the synthetic
/// persons it gave the best cluster F1 at 1M records (0.5-0.9 tried).
pub const CLUSTER_AT: f64 = 0.6;

/// Match probability from a weight (log2 odds).
pub fn probability(weight: f64) -> f64 {
    if weight == f64::NEG_INFINITY {
        return 0.0;
    }
    let odds = weight.exp2();
    odds / (1.0 + odds)
}

/// The weight (log2 odds) of a probability threshold, e.g. 0.9 → 3.17.
pub fn weight_of_probability(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

#[cfg(test)]
mod tests;
