//! Inhabitants per province and regency, for rates per 100,000: the annex of Kepmendagri
//! No. 300.2.2-2138/2025 (Dukcapil registration, mid-2025), as compiled by
//! cahyadsn/wilayah (MIT). Compiled into the binary from `data/wilayah/population.csv`.

use std::collections::HashMap;
use std::sync::OnceLock;

const CSV: &str = include_str!("../../../../data/wilayah/population.csv");

/// How the population figures are credited wherever a rate is shown.
pub const POPULATION_SOURCE: &str = "Penduduk: Kepmendagri No. 300.2.2-2138/2025 (Dukcapil, pertengahan 2025), via cahyadsn/wilayah (MIT)";

/// Total, male and female inhabitants by region code.
#[derive(Debug, Default)]
pub struct Population {
    by_code: HashMap<String, (u64, u64, u64)>,
}

impl Population {
    /// The compiled-in table (parsed once).
    pub fn get() -> &'static Population {
        static P: OnceLock<Population> = OnceLock::new();
        P.get_or_init(|| Population::parse(CSV))
    }

    fn parse(csv: &str) -> Population {
        let mut by_code = HashMap::new();
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.trim().split(',').collect();
            if let [code, male, female, total] = f[..]
                && let (Ok(m), Ok(w), Ok(t)) = (male.parse(), female.parse(), total.parse())
            {
                by_code.insert(code.to_owned(), (t, m, w));
            }
        }
        Population { by_code }
    }

    /// Inhabitants of a province (`62`) or regency (`62.71`); the nation for `None`.
    pub fn total(&self, code: Option<&str>) -> Option<u64> {
        match code {
            Some(c) => self.by_code.get(c).map(|p| p.0),
            None => Some(
                self.by_code
                    .iter()
                    .filter(|(k, _)| k.len() == 2)
                    .map(|(_, p)| p.0)
                    .sum(),
            ),
        }
    }

    /// A rate per 100,000 inhabitants (`None` without a population).
    pub fn rate(&self, count: i64, code: Option<&str>) -> Option<f64> {
        let pop = self.total(code).filter(|p| *p > 0)?;
        Some(count as f64 * 100_000.0 / pop as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nation_is_the_sum_of_its_provinces() {
        let p = Population::get();
        assert_eq!(p.total(None), Some(284_973_643));
        assert_eq!(p.total(Some("11")), Some(5_623_479));
        assert_eq!(p.total(Some("11.01")), Some(239_629));
        assert_eq!(
            p.rate(10, Some("11.01")).map(|r| (r * 100.0).round()),
            Some(417.0)
        );
    }
}
