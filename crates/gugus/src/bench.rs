//! `gugus bench cases`: in-process timings on an existing (generated) database: single
//! case inserts with three victims, and the case list with a region + period filter.
//! `gugus bench tasks`: fills one unit's "my tasks" (open services and referrals) and times
//! the query behind `/tasks`. Prints medians and 99th percentiles; the HTTP side is measured
//! with wrk (see docs/BENCHMARKS.md).
//! `gugus bench synthetic`: differentially private synthetic releases, timed, with the
//! process's peak memory.

use anyhow::{Context, Result};
use domain::case::{NewCase, format_day};
use domain::{Actor, RegionCode, Role, Scope};
use std::time::Instant;
use store::{CaseFilter, Store};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Saves one case; returns the milliseconds until the save answered.
async fn save(
    store: &Store,
    actor: &Actor,
    new: &NewCase,
    inserted: &mut Vec<store::CaseId>,
) -> Result<f64> {
    let t = Instant::now();
    let (id, _) = store
        .create_case(actor, new)
        .await
        .map_err(crate::config::describe_store)?;
    inserted.push(id);
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

pub async fn cases(store: &Store, inserts: usize, queries: usize) -> Result<()> {
    let before = store.count_cases().await?;
    let region = RegionCode::parse("53.04").context("region")?;
    let unit = store
        .unit_id_by_name("GT PP-TPPO Kabupaten Belu")
        .await?
        .context("run `gugus generate` first: no unit for Kab. Belu")?;
    let actor = Actor {
        user_id: None,
        username: "bench".into(),
        unit_id: unit,
        role: Role::DataOfficer,
        scope: Scope::Region(region.clone()),
        origin: Some("bench".into()),
    };
    let places = crate::generate::Places::load(store).await?;
    let today = store.today(&Actor::system(domain::UnitId(1)));
    let mut rng = crate::generate::Rng::new(99);
    let mut inserted = Vec::new();
    let mut inputs = Vec::new();
    for _ in 0..inserts {
        let (mut input, _) = crate::generate::case(&mut rng, &places, today, Some("53"));
        // Three different people, as in a real case with three victims: the others come
        // from further generated cases (copies of one victim would each match the other
        // two and make the duplicate check heavier than a real save's).
        while input.victims.len() < 3 {
            let (more, _) = crate::generate::case(&mut rng, &places, today, Some("53"));
            // Someone born after this case's exploitation began cannot be its victim.
            input.victims.extend(
                more.victims
                    .into_iter()
                    .filter(|v| v.birth_date.as_str() < input.exploitation_from.as_str()),
            );
        }
        input.victims.truncate(3);
        inputs.push(NewCase::parse(&input, today).map_err(crate::config::describe_invalid)?);
    }
    // The time until the save answers, each on an otherwise idle store: the duplicate check
    // the save starts beside its answer is waited for before the next save is timed.
    let (first, second) = inputs.split_at(inputs.len() / 2);
    let mut times = Vec::new();
    for new in first {
        times.push(save(store, &actor, new, &mut inserted).await?);
        store.after_save_settled().await;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "insert one case with 3 victims ({} runs, {before} cases present): median {:.2} ms, p99 {:.2} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    // Saves back to back, each with the previous one's check still running beside it: the
    // answer time under a steady stream, and the stream's rate with every check done.
    let mut times = Vec::new();
    let start = Instant::now();
    for new in second {
        times.push(save(store, &actor, new, &mut inserted).await?);
    }
    store.after_save_settled().await;
    let rate = times.len() as f64 / start.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "  back to back ({} runs): median {:.2} ms, p99 {:.2} ms; {rate:.0} saves/s with their checks done",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    // The duplicate check alone (it also runs inside each insert above): blocking keys of
    // the case's 3 victims, candidate lookup, decryption and scoring.
    let mut times = Vec::new();
    let mut proposed = 0;
    for id in &inserted {
        let t = Instant::now();
        proposed += store.check_duplicates(*id).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "duplicate check of one case with 3 victims against {} victims ({} runs, {proposed} pairs at p >= {}): median {:.2} ms, p99 {:.2} ms",
        store.count_victims().await?,
        inserted.len(),
        store::PROPOSE_AT,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let reader = Actor {
        role: Role::Verifier,
        scope: Scope::Region(RegionCode::parse("53").context("region")?),
        ..actor.clone()
    };
    let filter = CaseFilter {
        region: RegionCode::parse("53.04").ok(),
        from: Some(today - 365),
        to: Some(today),
        per_page: 50,
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..queries {
        let t = Instant::now();
        rows = store.list_cases(&reader, &filter).await?.rows.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "list cases, region 53.04 + reported {}..{}, 50 per page ({queries} runs, {rows} rows): median {:.2} ms, p99 {:.2} ms",
        format_day(today - 365),
        format_day(today),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    Ok(())
}

/// `gugus bench tasks`: gives `unit_name` `services` open services and `referrals` referrals
/// (bulk inserts, benchmarks only), then times `Store::my_tasks` for that unit in-process,
/// first page and page `deep_page`, `queries` runs each.
#[cfg(feature = "bench")]
pub async fn tasks(
    store: &Store,
    unit_name: &str,
    services: usize,
    referrals: usize,
    seed: u64,
    queries: usize,
    deep_page: i64,
) -> Result<()> {
    let unit_id = store
        .unit_id_by_name(unit_name)
        .await?
        .with_context(|| format!("no unit named {unit_name}: run `gugus generate` first"))?;
    let unit = store
        .unit(&Actor::system(domain::UnitId(1)), unit_id)
        .await
        .map_err(crate::config::describe_store)?;
    let today = store.today(&Actor::system(domain::UnitId(1)));
    if services > 0 || referrals > 0 {
        let t = Instant::now();
        let (s, r) = store
            .bench_fill_tasks(unit_id, services, referrals, seed, today, "bench")
            .await
            .map_err(crate::config::describe_store)?;
        println!(
            "inserted {s} open services and {r} referrals for {} (unit {}) in {:.1} s",
            unit.name,
            unit_id.0,
            t.elapsed().as_secs_f64()
        );
    }
    let actor = Actor {
        user_id: None,
        username: "bench".into(),
        unit_id,
        role: Role::CaseWorker,
        scope: unit.scope(),
        origin: Some("bench".into()),
    };
    for page in [1, deep_page] {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..queries {
            let t = Instant::now();
            let view = store.my_tasks(&actor, today, page).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            last = Some(view);
        }
        times.sort_by(f64::total_cmp);
        if let Some(v) = last {
            println!(
                "my tasks, page {page} ({queries} runs): {} open services ({} overdue), {} service rows, {} referral rows: median {:.2} ms, p99 {:.2} ms",
                v.services_total,
                v.services_overdue,
                v.services.len(),
                v.referrals.len(),
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
        }
    }
    Ok(())
}

/// `gugus bench floor`: the floor the pages are measured against (docs/BENCHMARKS.md). A
/// bare HTTP server that, for each of four pages, looks the session cookie up and makes the
/// page's own store calls — with their authorization, decryption and audit entry — and
/// prints the results as JSON: no middleware, no template, no layout. What a page costs
/// above this is the web layer's.
#[cfg(feature = "bench")]
pub async fn floor(store: Store, listen: std::net::SocketAddr) -> Result<()> {
    use axum::Router;
    use axum::routing::get;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/cases", get(floor::cases))
        .route("/cases/{id}", get(floor::case))
        .route("/tasks", get(floor::tasks))
        .route("/review", get(floor::review))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(feature = "bench")]
mod floor {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use domain::Actor;
    use store::{CaseFilter, CaseId, Store};

    type Answer = Result<String, StatusCode>;

    async fn actor(store: &Store, headers: &HeaderMap) -> Result<Actor, StatusCode> {
        let token = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("gugus_session="))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        match store.session(token).await {
            Ok(Some(info)) => Ok(info.actor),
            Ok(None) => Err(StatusCode::UNAUTHORIZED),
            Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn json<T: serde::Serialize>(v: Result<T, store::StoreError>) -> Answer {
        let v = v.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        serde_json::to_string(&v).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub(super) async fn cases(State(store): State<Store>, headers: HeaderMap) -> Answer {
        let a = actor(&store, &headers).await?;
        let filter = CaseFilter {
            per_page: 50,
            ..Default::default()
        };
        json(store.list_cases(&a, &filter).await)
    }

    pub(super) async fn case(
        State(store): State<Store>,
        Path(id): Path<i64>,
        headers: HeaderMap,
    ) -> Answer {
        let a = actor(&store, &headers).await?;
        let today = store.today(&a);
        let page = store
            .case_page(&a, CaseId(id), today)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let review = store.review_info(&a, CaseId(id)).await;
        let printed = json(review)?;
        Ok(format!(
            "{}\n{}\n{}\n{}\n{}\n{printed}",
            serde_json::to_string(&page.view).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            serde_json::to_string(&page.history).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            serde_json::to_string(&page.duplicates)
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            serde_json::to_string(&page.plans).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            serde_json::to_string(&page.events).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
        ))
    }

    pub(super) async fn tasks(State(store): State<Store>, headers: HeaderMap) -> Answer {
        let a = actor(&store, &headers).await?;
        let today = store.today(&a);
        json(store.my_tasks(&a, today, 1).await)
    }

    pub(super) async fn review(State(store): State<Store>, headers: HeaderMap) -> Answer {
        let a = actor(&store, &headers).await?;
        json(
            store
                .review_queue_page(&a, &store::QueueFilter::default(), 0, 50)
                .await,
        )
    }
}

/// The process's peak resident memory (Linux `VmHWM`), in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// `runs` releases at `epsilon` from the cleared persons of the database: the time of each
/// (reading the records, noise, synthesis, storing), the records released, peak memory.
pub async fn synthetic(store: &Store, epsilon: f64, runs: usize) -> Result<()> {
    let admin = Actor::system(domain::UnitId(1));
    let mut times = Vec::new();
    let mut records = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let id = store
            .release_synthetic(&admin, epsilon, 1e9)
            .await
            .map_err(crate::config::describe_store)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let r = store
            .synthetic_release(id)
            .await
            .map_err(crate::config::describe_store)?;
        records = r.info.records;
        for u in &r.utility {
            println!(
                "length {}: {} protected, {} synthetic combinations, MAE {:.1}, fabricated {:.1}%, missing {:.1}%",
                u.length,
                u.protected_combinations,
                u.synthetic_combinations,
                u.mean_abs_error,
                u.fabricated_share * 100.0,
                u.suppressed_share * 100.0
            );
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "synthetic release at epsilon {epsilon}: {records} records; median {:.0} ms, max {:.0} ms over {} runs; peak RSS {:.0} MiB",
        percentile(&times, 0.5),
        times.last().copied().unwrap_or(0.0),
        times.len(),
        peak_mib().unwrap_or(0.0)
    );
    Ok(())
}
