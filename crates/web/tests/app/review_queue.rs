//! The review queue scales: a total and page numbers, filters by state, unit and overdue
//! (waiting more than 14 days, highlighted), and after a decision the case page offers the
//! next record waiting.

use crate::clearing::submit;
use crate::common::{self, TestApp};

const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn a_verifier_filters_the_queue_sees_what_is_overdue_and_moves_on_to_the_next() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let t_officer = app.token("data-officer.palangkaraya").await;
    let mut ids = Vec::new();
    for (i, name) in ["Sari Dewi", "Maria Lestari", "Dewi Sartika"]
        .iter()
        .enumerate()
    {
        let (id, _) = app
            .store
            .create_case(&officer, &common::sample_case(name))
            .await
            .unwrap();
        app.store.after_save_settled().await;
        assert_eq!(submit(&app, &t_officer, id).await.status, 200);
        ids.push(id);
        // The first waits twenty days before the others are submitted.
        if i == 0 {
            app.store.clock().advance_ms(20 * DAY_MS);
        }
    }
    let codes: Vec<String> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(app.store.case(&officer, *id).await.unwrap().code);
        }
        v
    };
    let verifier = app.login("verifier.kalteng").await;
    let queue = verifier.get("/review").await.body;
    assert!(queue.contains("3 data"), "{queue}");
    // The one waiting twenty days is overdue, highlighted, and alone under "overdue only".
    assert_eq!(
        queue.matches("<tr class=\"overdue\">").count(),
        1,
        "{queue}"
    );
    let overdue = verifier.get("/review?overdue=1").await.body;
    assert!(
        overdue.contains(&codes[0]) && !overdue.contains(&codes[1]) && overdue.contains("1 data"),
        "{overdue}"
    );
    // By unit: Palangka Raya's records; another unit's none.
    let pky = app.units["palangkaraya"];
    let by_unit = verifier.get(&format!("/review?unit={pky}")).await.body;
    assert!(by_unit.contains("3 data"), "{by_unit}");
    let kalteng = app.units["kalteng"];
    let none = verifier.get(&format!("/review?unit={kalteng}")).await.body;
    assert!(
        !none.contains(&codes[0]) && !none.contains(&codes[1]),
        "{none}"
    );
    assert_eq!(verifier.get("/review?state=sideways").await.status, 422);
    // After verifying the oldest, the case page offers the next record waiting.
    let r = verifier
        .post_form(
            &format!("/cases/{}/review", ids[0]),
            &[("action", "verify"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = verifier.get(&r.location()).await.body;
    assert!(
        page.contains(&format!(
            "<a class=\"button\" href=\"/cases/{}#review\" id=\"next-in-queue\">",
            ids[1]
        )),
        "no next case offered: {page}"
    );
    // The queue now holds two.
    assert!(verifier.get("/review").await.body.contains("2 data"));
}
