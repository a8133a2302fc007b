//! Demo data: task-force units and one account per role at the national level, in
//! Kalimantan Tengah (province, Kota Palangkaraya, Kab. Kotawaringin Timur) and in Nusa
//! Tenggara Timur (province, Kab. Kupang, Kab. Belu), plus a few service and partner units.
//! Idempotent: running it again reuses what exists. Names are invented.

use anyhow::Result;
use domain::unit::NewUnit;
use domain::user::NewUser;
use domain::{Actor, Role, UnitId};
use store::Store;

/// The password of every demo account (printed at start; demo databases only).
pub const DEMO_PASSWORD: &str = "Demo-Gugus-2026";

/// (short name used in usernames, unit name, region code)
const TASK_FORCES: &[(&str, &str, &str)] = &[
    ("nasional", "Gugus Tugas PP-TPPO Nasional", ""),
    ("kalteng", "GT PP-TPPO Provinsi Kalimantan Tengah", "62"),
    ("palangkaraya", "GT PP-TPPO Kota Palangkaraya", "62.71"),
    ("kotim", "GT PP-TPPO Kabupaten Kotawaringin Timur", "62.02"),
    ("ntt", "GT PP-TPPO Provinsi Nusa Tenggara Timur", "53"),
    ("kupang", "GT PP-TPPO Kabupaten Kupang", "53.01"),
    ("belu", "GT PP-TPPO Kabupaten Belu", "53.04"),
];

const OTHER_UNITS: &[(&str, &str, &str)] = &[
    ("UPTD PPA Provinsi Kalimantan Tengah", "service_unit", "62"),
    ("UPTD PPA Kota Palangkaraya", "service_unit", "62.71"),
    ("Polresta Palangka Raya", "police", "62.71"),
    (
        "Dinas Sosial Kabupaten Kotawaringin Timur",
        "social_affairs",
        "62.02",
    ),
    (
        "UPTD PPA Provinsi Nusa Tenggara Timur",
        "service_unit",
        "53",
    ),
    ("BP3MI Nusa Tenggara Timur", "migrant_agency", "53"),
    ("UPTD PPA Kabupaten Kupang", "service_unit", "53.01"),
    ("Polres Belu", "police", "53.04"),
    (
        "Yayasan Pendamping Perempuan dan Anak Belu (contoh)",
        "ngo",
        "53.04",
    ),
];

/// The partner organisation each region's partner officer (`mitra.*`) works in: a partner
/// of the task force (an NGO, the police, a hospital, the migrant-worker agency), not the
/// task force itself. (short name, unit name, kind, region)
const PARTNERS: &[(&str, &str, &str, &str)] = &[
    (
        "nasional",
        "Jaringan Nasional Anti-TPPO (contoh)",
        "ngo",
        "",
    ),
    ("kalteng", "Polda Kalimantan Tengah", "police", "62"),
    ("palangkaraya", "Polresta Palangka Raya", "police", "62.71"),
    (
        "kotim",
        "RSUD dr. Murjani Sampit (contoh)",
        "health",
        "62.02",
    ),
    ("ntt", "BP3MI Nusa Tenggara Timur", "migrant_agency", "53"),
    ("kupang", "RSUD Naibonat (contoh)", "health", "53.01"),
    (
        "belu",
        "Yayasan Pendamping Perempuan dan Anak Belu (contoh)",
        "ngo",
        "53.04",
    ),
];

/// How to reach a demo unit: invented details, marked as examples.
fn demo_contact(name: &str, n: usize) -> domain::unit::UnitContact {
    domain::unit::UnitContact {
        address: Some(format!("Jl. Contoh No. {} (alamat contoh)", 10 + n)),
        phone: Some(format!("0800 {:04} {:04}", 1000 + n, 2000 + n * 7)),
        email: Some(format!("kontak{n}@contoh.invalid")),
        contact_person: Some(format!(
            "{} {} (contoh)",
            GIVEN[(n + 3) % GIVEN.len()],
            FAMILY[n % FAMILY.len()]
        ))
        .filter(|_| !name.is_empty()),
    }
}

/// Username prefixes per role, in Indonesian as users say them.
fn role_prefix(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::DataOfficer => "data",
        Role::Verifier => "verifikator",
        Role::CaseWorker => "pendamping",
        Role::PartnerOfficer => "mitra",
        Role::Analyst => "analis",
        Role::Viewer => "pemantau",
        Role::Editor => "humas",
    }
}

/// Invented full names for demo accounts (no real persons).
const GIVEN: &[&str] = &[
    "Ayu", "Bima", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hendra", "Intan", "Joko", "Kartika",
    "Lukas", "Maria", "Nanda",
];
const FAMILY: &[&str] = &["Demo", "Contoh", "Uji"];

pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub unit: String,
}

async fn ensure_unit(
    store: &Store,
    actor: &Actor,
    name: &str,
    kind: &str,
    region: &str,
) -> Result<UnitId> {
    if let Some(id) = store.unit_id_by_name(name).await? {
        return Ok(id);
    }
    let contact = demo_contact(name, name.len());
    let new = NewUnit::parse(name, kind, region)
        .map_err(crate::config::describe_invalid)?
        .with_contact(contact);
    store
        .create_unit(actor, &new)
        .await
        .map_err(crate::config::describe_store)
}

pub async fn load(store: &Store) -> Result<Vec<DemoAccount>> {
    let actor = Actor::system(UnitId(1));
    let mut accounts = Vec::new();
    let mut n = 0usize;
    for (short, name, region) in TASK_FORCES {
        let unit = if region.is_empty() {
            UnitId(1)
        } else {
            ensure_unit(store, &actor, name, "task_force", region).await?
        };
        for role in Role::ALL {
            let username = format!("{}.{short}", role_prefix(role));
            // Partner officers work in a partner organisation of the region.
            let (unit, unit_name) = match PARTNERS.iter().find(|p| p.0 == *short) {
                Some((_, pname, kind, pregion)) if role == Role::PartnerOfficer => (
                    ensure_unit(store, &actor, pname, kind, pregion).await?,
                    *pname,
                ),
                _ => (unit, *name),
            };
            let full_name = format!("{} {}", GIVEN[n % GIVEN.len()], FAMILY[n % FAMILY.len()]);
            n += 1;
            if store.user_id_by_username(&username).await?.is_none() {
                let new = NewUser::parse(
                    &username,
                    &full_name,
                    "",
                    &unit.0.to_string(),
                    role.as_str(),
                    DEMO_PASSWORD,
                )
                .map_err(crate::config::describe_invalid)?;
                store
                    .create_user(&actor, &new)
                    .await
                    .map_err(crate::config::describe_store)?;
            }
            accounts.push(DemoAccount {
                username,
                role,
                unit: unit_name.to_owned(),
            });
        }
    }
    for (name, kind, region) in OTHER_UNITS {
        ensure_unit(store, &actor, name, kind, region).await?;
    }
    Ok(accounts)
}

pub fn print_logins(accounts: &[DemoAccount], listen: &std::net::SocketAddr) {
    println!();
    println!("Gugus demo — open http://{listen}/ and log in with one of these accounts.");
    println!("Every demo account has the password: {DEMO_PASSWORD}");
    println!();
    let mut last_unit = "";
    for a in accounts {
        if a.unit != last_unit {
            println!("  {}", a.unit);
            last_unit = &a.unit;
        }
        println!("    {:<26} {}", a.username, a.role.as_str());
    }
    println!();
}

/// (demo unit short name, region, cases, victims' home province or None for anywhere)
const DEMO_CASES: &[(&str, &str, usize, Option<&str>)] = &[
    ("kupang", "53.01", 400, Some("53")),
    ("belu", "53.04", 400, Some("53")),
    ("ntt", "53", 200, Some("53")),
    ("palangkaraya", "62.71", 400, None),
    ("kotim", "62.02", 400, None),
    ("kalteng", "62", 200, None),
];

/// About 2,000 synthetic cases registered by the demo task forces (once).
pub async fn load_cases(store: &Store) -> Result<usize> {
    if store.count_cases().await? > 0 {
        return Ok(0);
    }
    let actor = Actor::system(UnitId(1));
    let places = crate::generate::Places::load(store).await?;
    let today = store.today(&Actor::system(UnitId(1)));
    let mut rng = crate::generate::Rng::new(2026);
    let mut total = 0;
    // Victims first registered in Kupang, registered again in Palangka Raya where they were
    // found (spelling and NIK vary), for the duplicate review queue.
    let mut kupang_victims: Vec<domain::case::VictimInput> = Vec::new();
    let mut all_ids = Vec::new();
    for (short, region, n, home) in DEMO_CASES {
        let name = TASK_FORCES
            .iter()
            .find(|(s, ..)| s == short)
            .map(|(_, name, _)| *name)
            .unwrap_or_default();
        let Some(unit) = store.unit_id_by_name(name).await? else {
            continue;
        };
        let region = domain::RegionCode::parse(region).ok();
        let mut batch = Vec::new();
        for i in 0..*n {
            let (mut input, _) = crate::generate::case(&mut rng, &places, today, *home);
            if *short == "kupang" && i % 10 == 0 && kupang_victims.len() < 30 {
                kupang_victims.extend(input.victims.first().cloned());
            }
            if *short == "palangkaraya" && i < kupang_victims.len() {
                let mut v = kupang_victims[i].clone();
                v.name = match i % 3 {
                    0 => v.name.to_uppercase(),
                    1 => v.name.replace("Maria", "Mariah").replace("Siti", "Sitti"),
                    _ => v.name.clone(),
                };
                if i % 4 == 1 {
                    v.nik.clear();
                }
                input.victims[0] = v;
            }
            let new = domain::case::NewCase::parse(&input, today)
                .map_err(crate::config::describe_invalid)?;
            batch.push((unit, region.clone(), new));
        }
        let ids = store
            .import_cases(&actor, &batch)
            .await
            .map_err(crate::config::describe_store)?;
        total += ids.len();
        all_ids.extend(ids.iter().copied());
        let region_code = region.as_ref().map(|r| r.to_string()).unwrap_or_default();
        enrich(store, &actor, &mut rng, &places, &ids, &batch, &region_code).await?;
    }
    // A spread of review states: most older cases cleared, newer ones on their way.
    let mut states = Vec::new();
    for id in &all_ids {
        let state = match rng.below(100) {
            0..=39 => domain::review::ReviewState::Cleared,
            40..=54 => domain::review::ReviewState::Verified,
            55..=69 => domain::review::ReviewState::Submitted,
            70..=74 => domain::review::ReviewState::Returned,
            _ => continue,
        };
        states.push((*id, state));
    }
    store
        .import_review_states(&actor, &states)
        .await
        .map_err(crate::config::describe_store)?;
    // The rules each demo case breaks, as its save would have recorded them (`/rules`
    // counts them, the case pages list them).
    store
        .record_rules_of(&all_ids)
        .await
        .map_err(crate::config::describe_store)?;
    recovery(store, &all_ids).await?;
    looks(store).await?;
    synthetic_indicator(store, &actor, &mut rng).await?;
    // The public statistics of the last two months that ended (the server publishes each
    // next one when its month ends).
    let today = store.today(&actor);
    let (y, m, _) = domain::time::civil_from_days(today);
    let last = domain::time::days_from_civil(y, m, 1) - 1;
    let (py, pm, _) = domain::time::civil_from_days(last);
    let before = domain::time::days_from_civil(py, pm, 1) - 1;
    for as_of in [before, last] {
        store
            .publish_snapshot(&actor, as_of, store::publish::DEFAULT_THRESHOLD)
            .await
            .map_err(crate::config::describe_store)?;
    }
    store.analyze().await?;
    let run = store.start_linkage_run(&actor).await;
    if let Ok(run) = run {
        store
            .run_linkage(run)
            .await
            .map_err(crate::config::describe_store)?;
    }
    Ok(total)
}

/// An illustrative indicator for the vulnerability index — a made-up "poverty rate" per
/// regency, imported marked synthetic (every page that uses it says so) — and a method
/// version that weighs it beside the Gugus components. Never official statistics.
async fn synthetic_indicator(
    store: &Store,
    actor: &Actor,
    rng: &mut crate::generate::Rng,
) -> Result<()> {
    const REGENCIES: &str = include_str!("../../../data/wilayah/regencies.csv");
    let rows: Vec<store::stats::index::IndicatorCells> = REGENCIES
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .enumerate()
        .map(|(i, code)| store::stats::index::IndicatorCells {
            line: i + 2,
            code: code.to_owned(),
            indicator: "kemiskinan_contoh".into(),
            year: "2025".into(),
            value: format!("{}.{}", 4 + rng.below(20), rng.below(10)),
            source: "Contoh sintetis Gugus (bukan data resmi)".into(),
        })
        .collect();
    let report = store
        .import_indicators(actor, &rows, true)
        .await
        .map_err(crate::config::describe_store)?;
    if !report.problems.is_empty() {
        anyhow::bail!("demo indicator: {:?}", report.problems.first());
    }
    let mut method = store::stats::index::default_method();
    for i in &mut method.indicators {
        i.weight = 0.1;
    }
    method
        .indicators
        .push(domain::vulnerability::IndicatorSpec {
            key: "kemiskinan_contoh".into(),
            dimension: domain::vulnerability::Dimension::Origin,
            direction: domain::vulnerability::Direction::Positive,
            weight: 0.2,
        });
    store
        .save_index_method(
            actor,
            &method,
            "Contoh: indikator kemiskinan sintetis ditambahkan (bobot 0,2)",
        )
        .await
        .map_err(crate::config::describe_store)?;
    Ok(())
}

const COUNTRIES: &[(&str, &str)] = &[
    ("MYS", "Tawau"),
    ("MYS", "Kuching"),
    ("SAU", "Riyadh"),
    ("KHM", "Sihanoukville"),
    ("MMR", "Myawaddy"),
    ("CHN", "Guangzhou"),
];

/// The NIK of the broker recorded both in Kupang and in Palangka Raya (invented).
const SHARED_BROKER_NIK: &str = "5301011203780001";

/// The same broker recorded by Kupang and again, spelled otherwise, by Palangka Raya: one
/// proposed perpetrator pair for the national verifier (`/perpetrators/pairs`).
fn shared_broker(region: &str) -> Option<&'static str> {
    match region {
        "53.01" => Some("Markus Lado (contoh)"),
        "62.71" => Some("Markus Ladu (contoh)"),
        _ => None,
    }
}

/// Gives part of the demo cases a route, a legal track and perpetrators shared between
/// cases, so the case pages, perpetrator pages and timelines have something to show.
async fn enrich(
    store: &Store,
    actor: &Actor,
    rng: &mut crate::generate::Rng,
    places: &crate::generate::Places,
    ids: &[store::CaseId],
    batch: &[(UnitId, Option<domain::RegionCode>, domain::case::NewCase)],
    region: &str,
) -> Result<()> {
    use domain::case::{LegalInput, NewLegal, NewRouteEvent, RouteEventInput, format_day};
    let today = store.today(&Actor::system(UnitId(1)));
    let province = region.get(..2).unwrap_or("53").to_owned();
    let mut brokers: Vec<i64> = Vec::new();
    for (i, (id, (unit, _, new))) in ids.iter().zip(batch).enumerate() {
        let from = new.exploitation_from.unwrap_or(new.reported_on - 60);
        let rescued = new.rescued_on.unwrap_or(new.reported_on);
        if i % 5 == 0 {
            let home = places
                .village(
                    rng,
                    if region.starts_with("53") {
                        "53"
                    } else {
                        &province
                    },
                )
                .unwrap_or_else(|| "53.01.05.2003".into());
            let (country, city) = *rng.pick(COUNTRIES);
            let events = [
                RouteEventInput {
                    kind: "recruitment".into(),
                    region_code: home,
                    date_from: format_day(from - 30),
                    ..Default::default()
                },
                RouteEventInput {
                    kind: "transit".into(),
                    region_code: "21.71".into(),
                    date_from: format_day(from - 5),
                    ..Default::default()
                },
                RouteEventInput {
                    kind: "exploitation".into(),
                    country: country.into(),
                    city: city.into(),
                    date_from: format_day(from),
                    date_to: format_day(rescued),
                    ..Default::default()
                },
                RouteEventInput {
                    kind: "detection".into(),
                    region_code: region.to_owned(),
                    date_from: format_day(rescued),
                    ..Default::default()
                },
            ];
            for e in events {
                if let Ok(ev) = NewRouteEvent::parse(&e, today) {
                    store
                        .add_route_event(actor, *id, &ev)
                        .await
                        .map_err(crate::config::describe_store)?;
                }
            }
        }
        if i % 6 == 0 {
            let legal = LegalInput {
                police_report_no: format!(
                    "LP/B/{}/{}/SPKT",
                    100 + rng.below(800),
                    domain::time::civil_from_days(rescued).0
                ),
                police_unit: "Polres (contoh)".into(),
                articles: if rng.chance(0.5) {
                    "2, 4".into()
                } else {
                    "2, 10".into()
                },
                sentence_months: if rng.chance(0.3) {
                    (36 + rng.below(84)).to_string()
                } else {
                    String::new()
                },
                restitution_ordered: if rng.chance(0.25) {
                    (5_000_000 + 500_000 * rng.below(80)).to_string()
                } else {
                    String::new()
                },
            };
            let legal = NewLegal::parse(&legal).map_err(crate::config::describe_invalid)?;
            store
                .set_legal(actor, *id, &legal)
                .await
                .map_err(crate::config::describe_store)?;
            for (stage, after) in [
                ("report", 2),
                ("investigation", 20),
                ("p21", 90),
                ("prosecution", 120),
                ("verdict", 200),
            ] {
                if rescued + after <= today && rng.chance(0.8) {
                    store
                        .add_legal_stage(actor, *id, stage, Some(rescued + after), today)
                        .await
                        .map_err(crate::config::describe_store)?;
                } else {
                    break;
                }
            }
        }
        if i == 0
            && let Some(name) = shared_broker(region)
        {
            let p = store::NewPerpetrator::parse("person", name, "", SHARED_BROKER_NIK)
                .map_err(crate::config::describe_invalid)?;
            store
                .add_perpetrator(actor, *id, &p, "broker")
                .await
                .map_err(crate::config::describe_store)?;
        }
        if i % 4 == 0 {
            // A small pool of brokers per region: the same names come back in many cases.
            if brokers.len() < 12 {
                let given = rng.pick(crate::generate::MALE);
                let family = rng.pick(crate::generate::family_names(&province));
                let name = format!("{given} {family} (contoh)");
                let p = store::NewPerpetrator::parse("person", &name, "", "")
                    .map_err(crate::config::describe_invalid)?;
                brokers.push(
                    store
                        .add_perpetrator(actor, *id, &p, "broker")
                        .await
                        .map_err(crate::config::describe_store)?,
                );
            } else {
                let b = *rng.pick(&brokers);
                // Linking needs the perpetrator's identity access: the owning unit's (every
                // case of a batch belongs to one unit, and so do its brokers).
                let owner = Actor {
                    unit_id: *unit,
                    ..actor.clone()
                };
                store
                    .link_perpetrator(
                        &owner,
                        *id,
                        b,
                        if rng.chance(0.5) {
                            "broker"
                        } else {
                            "recruiter"
                        },
                    )
                    .await
                    .map_err(crate::config::describe_store)?;
            }
        }
    }
    Ok(())
}

/// An actor working for one demo unit (for the receiving side of referrals).
async fn unit_actor(store: &Store, short: &str) -> Result<Option<Actor>> {
    let Some((_, name, region)) = TASK_FORCES.iter().find(|(s, ..)| *s == short) else {
        return Ok(None);
    };
    let Some(unit) = store.unit_id_by_name(name).await? else {
        return Ok(None);
    };
    Ok(Some(Actor {
        user_id: None,
        username: format!("demo:{short}"),
        unit_id: unit,
        role: Role::DataOfficer,
        scope: domain::Scope::from_code(domain::RegionCode::parse(region).ok()),
        origin: Some("cli".into()),
    }))
}

/// A demo account as the store sees it after login (for looks that name a person).
pub(crate) async fn person(store: &Store, username: &str) -> Result<Option<Actor>> {
    let Some(id) = store.user_id_by_username(username).await? else {
        return Ok(None);
    };
    let u = store
        .user(&Actor::system(UnitId(1)), id)
        .await
        .map_err(crate::config::describe_store)?;
    Ok(Some(Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        unit_id: u.unit_id,
        scope: u.scope(),
        role: u.role,
        origin: Some("demo".into()),
    }))
}

/// Kupang's data officer opens two referrals from Palangka Raya, and the province's verifier
/// breaks the glass on the first one's case, so Palangka Raya's "who opened our victims'
/// records" (the case's access log, the audit page's filter) has something to show.
async fn looks(store: &Store) -> Result<()> {
    let err = crate::config::describe_store;
    let (Some(pky), Some(kupang), Some(verifier)) = (
        person(store, "data.palangkaraya").await?,
        person(store, "data.kupang").await?,
        person(store, "verifikator.kalteng").await?,
    ) else {
        return Ok(());
    };
    let today = store.today(&pky);
    let sent = store
        .referral_list(&pky, "outgoing", today)
        .await
        .map_err(err)?;
    let open: Vec<_> = sent
        .iter()
        .filter(|r| {
            r.to_unit_id == kupang.unit_id && matches!(r.state.as_str(), "sent" | "accepted")
        })
        .take(2)
        .collect();
    for r in &open {
        store.referral(&kupang, r.id, today).await.map_err(err)?;
    }
    // The sender's list carries the case (the receiver's and overseers' do not).
    if let Some(case) = open.first().and_then(|r| r.case_id) {
        let reason = "Memeriksa kemungkinan data ganda dengan laporan Polda (contoh).";
        store
            .break_glass(&verifier, case, reason)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Services, referrals between Kalimantan Tengah and NTT (some overdue), and restitution
/// awarded and partly paid, so the recovery pages have something to show.
async fn recovery(store: &Store, ids: &[store::CaseId]) -> Result<()> {
    let sys = Actor::system(UnitId(1));
    let today = store.today(&Actor::system(UnitId(1)));
    let (Some(pky), Some(kupang)) = (
        unit_actor(store, "palangkaraya").await?,
        unit_actor(store, "kupang").await?,
    ) else {
        return Ok(());
    };
    let err = crate::config::describe_store;
    let mut rng = crate::generate::Rng::new(77);
    let mut done = 0;
    let mut per_unit = std::collections::HashMap::new();
    for id in ids {
        let c = store.case(&sys, *id).await.map_err(err)?;
        let (from, to) = if c.unit_id == pky.unit_id {
            (&pky, &kupang)
        } else if c.unit_id == kupang.unit_id {
            (&kupang, &pky)
        } else {
            continue;
        };
        let Some(v) = c.victims.first() else { continue };
        // Thirty victims from each side.
        let count = per_unit.entry(from.unit_id).or_insert(0);
        *count += 1;
        if *count > 30 {
            continue;
        }
        let n = done;
        done += 1;
        // Found in one province, from the other: services here, a referral there.
        let started = today - 10 - rng.below(50) as i64;
        let (here, there) = if from.unit_id == pky.unit_id {
            (["shelter", "health_rehab"], "reintegration")
        } else {
            (["case_management", "psychosocial"], "legal_aid")
        };
        let needs: Vec<String> = here
            .iter()
            .chain([&there])
            .map(|s| (*s).to_owned())
            .collect();
        store
            .assess_needs(&sys, v.id, &needs, started)
            .await
            .map_err(err)?;
        for code in here {
            let sid = store
                .add_service(
                    &sys,
                    v.id,
                    &store::NewService {
                        service_code: code.into(),
                        unit_id: Some(from.unit_id.0),
                        requested_on: Some(started),
                        due_on: None,
                    },
                    started,
                )
                .await
                .map_err(err)?;
            if n % 5 != 4 {
                let u = store::ServiceUpdate {
                    status: "delivered".into(),
                    done_on: Some(started + 1 + rng.below(5) as i64),
                    ..Default::default()
                };
                store
                    .update_service(&sys, sid, &u, today)
                    .await
                    .map_err(err)?;
            }
        }
        let consent = store::NewConsent {
            victim_id: v.id,
            scope: "referral".into(),
            given_by: if v.is_child { "parent" } else { "victim" }.into(),
            given_on: Some(started),
        };
        store
            .add_consent(&sys, *id, &consent, today)
            .await
            .map_err(err)?;
        // Sent by the unit that holds the case (it may share the victim's identity).
        let rid = store
            .send_referral(
                from,
                v.id,
                &store::NewReferral {
                    to_unit: Some(to.unit_id.0),
                    kind: "service".into(),
                    service_code: there.into(),
                    shared: vec!["identity".into(), "contact".into()],
                    basis: "consent".into(),
                    message: "Mohon tindak lanjut di daerah asal korban (contoh).".into(),
                    ..Default::default()
                },
                started + 2,
            )
            .await
            .map_err(err)?;
        // A third are still waiting (most of them overdue), the rest accepted; of those,
        // some delivered and closed.
        match n % 3 {
            0 => {}
            1 => {
                store
                    .act_on_referral(to, rid, "accept", "", started + 3)
                    .await
                    .map_err(err)?;
            }
            _ => {
                store
                    .act_on_referral(to, rid, "accept", "", started + 3)
                    .await
                    .map_err(err)?;
                store
                    .act_on_referral(to, rid, "deliver", "", started + 8)
                    .await
                    .map_err(err)?;
                store
                    .act_on_referral(&sys, rid, "close", "", started + 9)
                    .await
                    .map_err(err)?;
            }
        }
        // Restitution on every fourth: final verdict, LPSK's assessment, the award, part paid.
        if n % 4 == 0 {
            let final_on = today - 30 - rng.below(40) as i64;
            let _ = store
                .add_legal_stage(&sys, *id, "final", Some(final_on), today)
                .await;
            let assessed = 20_000_000 + 1_000_000 * rng.below(40) as i64;
            let awarded = assessed * 3 / 4;
            let paid = if n % 8 == 0 { awarded / 3 } else { 0 };
            for (track, kind, amount, on) in [
                ("restitution", "assessment", assessed, final_on - 90),
                ("restitution", "demand", assessed, final_on - 40),
                ("restitution", "award", awarded, final_on),
                ("restitution", "payment", paid, final_on + 10),
                ("compensation", "assessment", 5_000_000, final_on - 60),
            ] {
                if amount == 0 {
                    continue;
                }
                let e = store::NewLedgerEntry {
                    track: track.into(),
                    kind: kind.into(),
                    amount: Some(amount),
                    on_day: Some(on),
                    ..Default::default()
                };
                store
                    .add_ledger_entry(&sys, v.id, &e, today)
                    .await
                    .map_err(err)?;
            }
        }
    }
    store
        .escalate_overdue(&store::job_actor(), today)
        .await
        .map_err(err)?;
    Ok(())
}
