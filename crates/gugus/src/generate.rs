//! Synthetic TPPO cases for the demo and for benchmarks: Indonesian names, origins,
//! detection places, forms of exploitation and proportions as described in DOMAIN.md.
//! Every person is invented (random combinations of common names, random NIK serials);
//! the same seed gives the same data.

use anyhow::{Context, Result};
use domain::case::{CaseInput, NewCase, VictimInput, format_day};
use domain::review::ReviewState;
use domain::unit::NewUnit;
use domain::{Actor, RegionCode, UnitId};
use std::collections::HashMap;
use store::Store;

/// splitmix64: small, fast, and reproducible across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = (self.next_u64() % total.max(1) as u64) as u32;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

pub const FEMALE: &[&str] = &[
    "Siti",
    "Nur",
    "Aminah",
    "Fatimah",
    "Rina",
    "Dewi",
    "Sri",
    "Wulan",
    "Ayu",
    "Lina",
    "Yuliana",
    "Maria",
    "Yohana",
    "Agustina",
    "Margaretha",
    "Theresia",
    "Rosalia",
    "Novita",
    "Ratna",
    "Wati",
    "Endang",
    "Sitti",
    "Hasanah",
    "Nurul",
    "Putri",
    "Indah",
    "Oktaviani",
    "Melati",
    "Fransiska",
    "Kristina",
];
pub const MALE: &[&str] = &[
    "Muhammad",
    "Ahmad",
    "Agus",
    "Budi",
    "Yohanes",
    "Petrus",
    "Fransiskus",
    "Andreas",
    "Rudi",
    "Joko",
    "Slamet",
    "Rizky",
    "Hendra",
    "Dedi",
    "Yosef",
    "Markus",
    "Imam",
    "Arif",
    "Wahyu",
    "Daniel",
];

/// Family names (or second names) by origin province.
pub fn family_names(province: &str) -> &'static [&'static str] {
    match province {
        "53" => &[
            "Tefa", "Benu", "Nahak", "Bere", "Seran", "Manek", "Taek", "Kase", "Lake", "Mau",
            "Neno", "Tae", "Bani", "Lopo", "Nenobais",
        ],
        "52" => &[
            "Hasanah",
            "Abdullah",
            "Rahman",
            "Hidayati",
            "Sahnun",
            "Jumaidi",
            "Saparudin",
            "Mulyadi",
        ],
        "12" => &[
            "Siregar",
            "Nasution",
            "Harahap",
            "Lubis",
            "Sinaga",
            "Simanjuntak",
            "Sitorus",
            "Panjaitan",
        ],
        "11" => &[
            "Ismail",
            "Yusuf",
            "Ibrahim",
            "Hasballah",
            "Zulkifli",
            "Mahmud",
        ],
        "61" => &["Anyang", "Apui", "Lansau", "Saputra", "Kurniawan", "Wijaya"],
        _ => &[
            "Lestari",
            "Susanti",
            "Rahayu",
            "Setiawan",
            "Saputra",
            "Hidayat",
            "Kurniawan",
            "Wulandari",
            "Pratama",
            "Santoso",
            "",
        ],
    }
}

const ORIGINS: &[(&str, u32)] = &[
    ("53", 25),
    ("52", 12),
    ("32", 14),
    ("33", 10),
    ("35", 10),
    ("18", 5),
    ("12", 5),
    ("11", 3),
    ("61", 5),
    ("73", 4),
    ("36", 4),
    ("16", 3),
];

/// Where victims are found and cases registered besides their home regency.
const HUBS: &[(&str, u32)] = &[
    ("21.71", 14),
    ("65.03", 10),
    ("61.71", 8),
    ("31.71", 10),
    ("35.78", 8),
    ("12.71", 7),
    ("62.71", 8),
    ("62.02", 6),
    ("53.71", 8),
    ("52.71", 5),
    ("64.71", 4),
    ("21.01", 4),
];

const EXPLOITATION: &[(&str, u32)] = &[
    ("migrant_work", 45),
    ("sexual", 18),
    ("forced_labour", 10),
    ("child", 7),
    ("ship_crew", 5),
    ("forced_criminality", 6),
    ("forced_marriage", 3),
    ("fake_internship", 2),
    ("baby_trafficking", 1),
    ("begging", 1),
    ("organ_removal", 1),
    ("other", 1),
];
const CHANNELS: &[(&str, u32)] = &[
    ("police", 30),
    ("sapa129", 15),
    ("bp3mi", 15),
    ("embassy", 12),
    ("ngo", 12),
    ("community", 8),
    ("self_report", 5),
    ("media", 3),
];
const STATUS: &[(&str, u32)] = &[("confirmed", 60), ("possible", 35), ("not_trafficking", 5)];
/// Means of control with the phrase the chronology uses for them.
const MEANS: &[(&str, &str)] = &[
    ("false_promises", "janji palsu soal gaji dan pekerjaan"),
    ("withholds_documents", "paspor dan dokumen ditahan"),
    ("debt_bondage", "jeratan utang biaya keberangkatan"),
    ("takes_earnings", "gaji diambil perekrut"),
    ("physical_abuse", "kekerasan fisik"),
    ("psychological_abuse", "tekanan dan ancaman psikis"),
    (
        "restricts_financial_access",
        "tidak boleh memegang uang sendiri",
    ),
    ("excessive_hours", "jam kerja berlebihan tanpa libur"),
    ("physical_threats", "ancaman kekerasan"),
    ("threatens_family", "ancaman terhadap keluarga di kampung"),
];
const RECRUITMENT: &[(&str, u32)] = &[
    ("sponsor", 35),
    ("friends", 20),
    ("family", 15),
    ("online_social", 18),
    ("online_advert", 7),
    ("at_work", 3),
    ("other", 2),
];
const SECTOR_FOR: &[(&str, &str)] = &[
    ("migrant_work", "T"),
    ("sexual", "I"),
    ("forced_labour", "A"),
    ("child", "G"),
    ("ship_crew", "A"),
    ("forced_criminality", "J"),
    ("forced_marriage", "T"),
    ("fake_internship", "C"),
    ("baby_trafficking", "T"),
    ("begging", "S"),
    ("organ_removal", "Q"),
    ("other", "S"),
];
const DESTINATIONS: &[&str] = &[
    "Malaysia (Sabah)",
    "Malaysia (Sarawak)",
    "Arab Saudi",
    "Kamboja",
    "Myanmar",
    "Tiongkok",
    "Batam",
    "Jakarta",
    "Kalimantan Tengah",
];
const EDUCATION: &[(&str, u32)] = &[
    ("sd", 35),
    ("smp", 30),
    ("sma", 25),
    ("none", 5),
    ("diploma", 2),
    ("university", 1),
    ("unknown", 2),
];

/// The places the generator draws from, loaded once from the region reference.
pub struct Places {
    villages: HashMap<String, Vec<String>>,
}

impl Places {
    pub async fn load(store: &Store) -> Result<Places> {
        let mut villages = HashMap::new();
        for (p, _) in ORIGINS {
            let code = RegionCode::parse(p).context("bad origin code")?;
            villages.insert((*p).to_owned(), store.village_codes(&code).await?);
        }
        Ok(Places { villages })
    }

    pub fn village(&self, rng: &mut Rng, province: &str) -> Option<String> {
        self.villages
            .get(province)
            .filter(|v| !v.is_empty())
            .map(|v| rng.pick(v).clone())
    }
}

/// One synthetic case; `home_hint` forces the victims' home province (demo units).
pub fn case(
    rng: &mut Rng,
    places: &Places,
    today: i64,
    home_hint: Option<&str>,
) -> (CaseInput, String) {
    let province = home_hint
        .map(str::to_owned)
        .unwrap_or_else(|| (*rng.weighted(ORIGINS)).to_owned());
    let home = places.village(rng, &province).unwrap_or_default();
    let form = *rng.weighted(EXPLOITATION);
    let reported = today - rng.below(365 * 10) as i64;
    let exploitation_from = reported - 30 - rng.below(700) as i64;
    let rescued = (reported - rng.below(30) as i64).max(exploitation_from + 1);
    let n_victims = if rng.chance(0.15) {
        2 + rng.below(3)
    } else {
        1
    };
    let mut victims = Vec::new();
    for _ in 0..n_victims {
        let female = if form == "ship_crew" || form == "forced_criminality" {
            rng.chance(0.3)
        } else {
            rng.chance(0.75)
        };
        let child = form == "child" || form == "baby_trafficking" || rng.chance(0.18);
        let age = if form == "baby_trafficking" {
            rng.below(2) as i64
        } else if child {
            13 + rng.below(5) as i64
        } else {
            18 + rng.below(27) as i64
        };
        let birth = exploitation_from - age * 365 - rng.below(360) as i64;
        let given = if female {
            rng.pick(FEMALE)
        } else {
            rng.pick(MALE)
        };
        let family = rng.pick(family_names(&province));
        let name = if family.is_empty() {
            (*given).to_owned()
        } else {
            format!("{given} {family}")
        };
        let (y, m, d) = domain::time::civil_from_days(birth);
        let district = home.get(..8).unwrap_or("53.04.01").replace('.', "");
        let has_nik = !child || rng.chance(0.5);
        let nik = if has_nik {
            format!(
                "{district}{:02}{m:02}{:02}{:04}",
                if female { d + 40 } else { d },
                y.rem_euclid(100),
                1 + rng.below(9000)
            )
        } else {
            String::new()
        };
        let known_birth = rng.chance(0.8);
        victims.push(VictimInput {
            name,
            nik,
            sex: if female { "female" } else { "male" }.into(),
            birth_date: if known_birth {
                format_day(birth)
            } else {
                String::new()
            },
            age_estimate: if known_birth {
                String::new()
            } else {
                age.to_string()
            },
            phone: if rng.chance(0.6) {
                format!("08{}", 1_000_000_000 + rng.below(8_999_999_999))
            } else {
                String::new()
            },
            home_village: home.clone(),
            education: (*rng.weighted(EDUCATION)).into(),
            migrant_status: if form == "migrant_work" {
                if rng.chance(0.7) { "pmi" } else { "cpmi" }
            } else {
                "none"
            }
            .into(),
            ..Default::default()
        });
    }
    let picked: std::collections::BTreeMap<&str, &str> =
        (0..1 + rng.below(3)).map(|_| *rng.pick(MEANS)).collect();
    let means: Vec<String> = picked.keys().map(|c| (*c).to_owned()).collect();
    let phrases: Vec<&str> = picked.values().copied().collect();
    let status = *rng.weighted(STATUS);
    let sector = SECTOR_FOR
        .iter()
        .find(|(f, _)| *f == form)
        .map(|(_, s)| *s)
        .unwrap_or("S");
    let chronology = format!(
        "Korban direkrut dengan janji bekerja di {} dan diberangkatkan tanpa dokumen yang sah. Di tempat tujuan korban mengalami {}.",
        rng.pick(DESTINATIONS),
        phrases.join(", ")
    );
    let input = CaseInput {
        channel: (*rng.weighted(CHANNELS)).into(),
        reported_on: format_day(reported),
        exploitation_from: format_day(exploitation_from),
        rescued_on: format_day(rescued),
        chronology,
        trafficking_status: status.into(),
        exploitation: if status == "not_trafficking" {
            vec![]
        } else {
            vec![form.into()]
        },
        means_of_control: means,
        sector: sector.into(),
        recruitment: (*rng.weighted(RECRUITMENT)).into(),
        recruiter_relationship: (*rng.pick(&["familial", "acquainted", "unacquainted"])).into(),
        victims,
    };
    let home_regency = home.get(..5).unwrap_or("53.04").to_owned();
    (input, home_regency)
}

/// Makes sure a task-force unit exists for each of the given regencies; returns their ids.
pub async fn regency_units(
    store: &Store,
    actor: &Actor,
    codes: &[String],
) -> Result<HashMap<String, UnitId>> {
    let names = store.region_names(codes).await?;
    let mut out = HashMap::new();
    for code in codes {
        let Some(region_name) = names.get(code) else {
            continue;
        };
        let name = format!("GT PP-TPPO {region_name}");
        let id = match store.unit_id_by_name(&name).await? {
            Some(id) => id,
            None => store
                .create_unit(
                    actor,
                    &NewUnit::parse(&name, "task_force", code)
                        .map_err(crate::config::describe_invalid)?,
                )
                .await
                .map_err(crate::config::describe_store)?,
        };
        out.insert(code.clone(), id);
    }
    Ok(out)
}

pub struct Stats {
    pub cases: usize,
    pub seconds: f64,
}

/// Fills the database with `n` synthetic cases across Indonesia, in batches.
pub async fn generate(store: &Store, n: usize, seed: u64, progress: bool) -> Result<Stats> {
    let started = std::time::Instant::now();
    let actor = Actor::system(UnitId(1));
    let places = Places::load(store).await?;
    let today = store.today(&Actor::system(UnitId(1)));
    let mut rng = Rng::new(seed);
    // All regencies of the origin provinces plus the hubs may register cases.
    let mut codes: Vec<String> = HUBS.iter().map(|(c, _)| (*c).to_owned()).collect();
    for villages in places.villages.values() {
        for v in villages {
            codes.push(v[..5].to_owned());
        }
    }
    codes.sort();
    codes.dedup();
    let units = regency_units(store, &actor, &codes).await?;
    // Victims from here on get their linkage keys in one sorted pass at the end.
    let keys_after = store.max_victim_id().await?;
    let mut done = 0;
    while done < n {
        let size = (n - done).min(500);
        let mut batch = Vec::with_capacity(size);
        for _ in 0..size {
            let (input, home_regency) = case(&mut rng, &places, today, None);
            let place = if rng.chance(0.5) {
                home_regency
            } else {
                (*rng.weighted(HUBS)).to_owned()
            };
            let Some(unit) = units.get(&place).copied() else {
                continue;
            };
            let new = NewCase::parse(&input, today).map_err(crate::config::describe_invalid)?;
            batch.push((unit, RegionCode::parse(&place).ok(), new));
        }
        done += size;
        let ids = store
            .import_cases_deferring_keys(&actor, &batch)
            .await
            .map_err(crate::config::describe_store)?;
        // A spread of review states like the demo's, so the official figures (cleared
        // records) read as many rows as they would in a working instance.
        let states: Vec<_> = ids
            .iter()
            .filter_map(|id| {
                let state = match rng.below(100) {
                    0..=54 => ReviewState::Cleared,
                    55..=64 => ReviewState::Verified,
                    65..=79 => ReviewState::Submitted,
                    80..=84 => ReviewState::Returned,
                    _ => return None,
                };
                Some((*id, state))
            })
            .collect();
        store
            .import_review_states(&actor, &states)
            .await
            .map_err(crate::config::describe_store)?;
        if progress && done % 10_000 < 500 {
            eprintln!(
                "  {done} / {n} cases ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    if progress {
        eprintln!("  linkage keys ({:.0} s)", started.elapsed().as_secs_f64());
    }
    store
        .build_linkage_keys_after(keys_after)
        .await
        .map_err(crate::config::describe_store)?;
    store.analyze().await?;
    Ok(Stats {
        cases: done,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_reproducible_and_weighted_picks_every_item() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(
            (0..5).map(|_| a.next_u64()).collect::<Vec<_>>(),
            (0..5).map(|_| b.next_u64()).collect::<Vec<_>>()
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            seen.insert(*a.weighted(EXPLOITATION));
        }
        assert_eq!(seen.len(), EXPLOITATION.len());
    }

    #[test]
    fn generated_cases_are_valid() {
        let mut villages = HashMap::new();
        villages.insert("53".to_owned(), vec!["53.04.01.2001".to_owned()]);
        let places = Places { villages };
        let mut rng = Rng::new(1);
        let today = 20_000;
        for _ in 0..300 {
            let (input, regency) = case(&mut rng, &places, today, Some("53"));
            assert_eq!(regency, "53.04");
            NewCase::parse(&input, today).unwrap_or_else(|e| panic!("{e:?} {input:?}"));
        }
    }
}
