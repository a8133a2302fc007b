//! Differentially private synthetic records (issue 14, item 4), on SQLite or PostgreSQL: a
//! national administrator makes a release from the cleared records; it states its ε, δ and
//! ρ, carries a utility report, offers its records as CSV within the public domains, and
//! the instance's ledger adds the releases up and refuses one over the budget (keeping what
//! was typed). Regional administrators and others cannot make one.

use crate::common::{Browser, TestApp};
use crate::public::{FIRST, add_cleared};

#[tokio::test]
async fn a_release_states_its_epsilon_and_the_ledger_refuses_one_over_the_budget() {
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![7; 32],
            dp_budget_epsilon: 6.0,
            ..Default::default()
        },
        None,
    )
    .await;
    let mut seq = 0;
    add_cleared(&app, FIRST, &mut seq).await;
    let persons: usize = FIRST.iter().map(|s| s.4).sum();

    // Only national administrators make releases.
    assert_eq!(
        app.login("admin.kalteng")
            .await
            .get("/admin/data-sintetis")
            .await
            .status,
        404
    );
    assert_eq!(
        app.login("viewer.nasional")
            .await
            .get("/admin/data-sintetis")
            .await
            .status,
        403
    );
    let admin = app.login("admin.nasional").await;
    let page = admin.get("/admin/data-sintetis").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ε = 6.00"), "the budget is shown");
    let r = admin
        .post_form("/admin/data-sintetis", &[("epsilon", "0,01")])
        .await;
    assert_eq!(r.status, 422, "below the smallest ε");
    assert!(r.body.contains("id=\"epsilon-error\""));
    let r = admin
        .post_form("/admin/data-sintetis", &[("epsilon", "4")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let first = r.location();
    assert_eq!(first, "/data/sintetis/1");

    // The public report: ε, δ, ρ, the utility per combination length, the ledger.
    let anon = Browser::new(&app.base);
    let report = anon.get(&first).await;
    assert_eq!(report.status, 200);
    let text = report.body.clone();
    assert!(text.contains("<dt>ε</dt><dd>4.00</dd>"), "{text}");
    assert!(text.contains("<dt>ρ (zCDP)</dt><dd>0.2539</dd>"));
    let rows = common_rows(&text, "id=\"utility\"");
    assert_eq!(rows, 3, "utility for lengths 1, 2 and 3");
    let release = app.store.synthetic_release(1).await.unwrap();
    assert!((release.info.epsilon - 4.0).abs() < 1e-9);
    assert!(release.info.rho <= synth::rho_from_epsilon(4.0, 1e-6));
    // The noisy count is near the truth (σ ≈ 6.3 for the count: 8σ is far out).
    assert!(
        (release.info.records - persons as i64).abs() < 50,
        "{}",
        release.info.records
    );
    for u in &release.utility {
        assert!((0.0..=1.0).contains(&u.fabricated_share));
        assert!((0.0..=1.0).contains(&u.suppressed_share));
    }

    // The records: one CSV line each, every value in its public domain.
    let csv = anon.get("/data/sintetis/1/csv").await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap(),
        "sex,age_band,year,exploitation,means_of_control,recruitment,origin_province,destination"
    );
    let records: Vec<&str> = lines.collect();
    assert_eq!(records.len() as i64, release.info.records);
    for line in &records {
        let sex = line.split(',').next().unwrap();
        assert!(["", "female", "male"].contains(&sex), "{line}");
        assert!(!line.contains("Korban"), "no name ever");
    }
    // The open-data page lists the release and the cumulative loss.
    let data = anon.get("/data").await;
    assert!(data.body.contains("href=\"/data/sintetis/1/csv\""));
    assert!(data.body.contains("ε = 4.00"));

    // The ledger adds up (zCDP: ρ sums), and refuses what would go over the budget.
    let r = admin
        .post_form("/admin/data-sintetis", &[("epsilon", "4")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let ledger = app.store.synthetic_ledger(6.0).await.unwrap();
    assert_eq!(ledger.releases.len(), 2);
    let rho4 = synth::rho_from_epsilon(4.0, 1e-6);
    assert!((ledger.spent_rho - 2.0 * rho4).abs() < 1e-6);
    assert!(ledger.spent_epsilon < 8.0, "better than adding the ε's");
    assert!((ledger.sum_epsilon - 8.0).abs() < 1e-9);
    let left = ledger.remaining_epsilon();
    assert!(left > 0.5 && left < 4.0, "{left}");
    let r = admin
        .post_form("/admin/data-sintetis", &[("epsilon", "4")])
        .await;
    assert_eq!(r.status, 422, "over the budget");
    assert!(r.body.contains("Anggaran privasi tidak cukup"));
    assert!(r.body.contains("value=\"4\""), "what was typed is kept");
    assert_eq!(
        app.store
            .synthetic_ledger(6.0)
            .await
            .unwrap()
            .releases
            .len(),
        2
    );
    // What is left can still be spent.
    let r = admin
        .post_form(
            "/admin/data-sintetis",
            &[("epsilon", &format!("{:.2}", left - 0.01))],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The catalogues CKAN harvests carry the releases as a dataset of their own.
    let ld: serde_json::Value = serde_json::from_str(&anon.get("/data.jsonld").await.body).unwrap();
    let ds = ld["dcat:dataset"].as_array().unwrap();
    let synthetic = ds
        .iter()
        .find(|d| {
            d["@id"]
                .as_str()
                .unwrap()
                .ends_with("/data#korban-sintetis")
        })
        .expect("the synthetic dataset");
    let dists = synthetic["dcat:distribution"].as_array().unwrap();
    assert_eq!(dists.len(), 3);
    assert!(dists[2]["dct:title"].as_str().unwrap().contains("ε = 4.00"));
    assert!(
        dists[0]["dcat:downloadURL"]["@id"]
            .as_str()
            .unwrap()
            .ends_with("/data/sintetis/3/csv")
    );
    let us: serde_json::Value = serde_json::from_str(&anon.get("/data.json").await.body).unwrap();
    assert!(us["dataset"].as_array().unwrap().iter().any(|d| {
        d["identifier"]
            .as_str()
            .unwrap()
            .ends_with("/data#korban-sintetis")
            && d["distribution"].as_array().unwrap().len() == 3
            && d["license"] == "https://creativecommons.org/licenses/by/4.0/"
    }));

    // Every release is in the audit trail with its ε.
    let audit = app
        .store
        .audit_list(
            &domain::Actor::system(domain::UnitId(1)),
            &store::AuditFilter {
                action: Some("public.synthetic_release".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.len(), 3);
    assert!(
        audit
            .iter()
            .any(|a| a.detail.starts_with("epsilon=4.0000 "))
    );
}

/// The rows of the first table after `marker`.
fn common_rows(body: &str, marker: &str) -> usize {
    let rest = &body[body.find(marker).unwrap()..];
    let table = &rest[..rest.find("</table>").unwrap()];
    table.matches("<tr><th scope=\"row\">").count()
}
