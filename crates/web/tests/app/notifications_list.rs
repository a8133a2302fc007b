//! The notifications page: each says what happened and to which record (the case's code),
//! a page at a time with the total past the first hundred, and the chosen ones (or all)
//! are marked read at once.

use crate::common::{self, TestApp};

#[tokio::test]
async fn notifications_name_their_record_page_past_a_hundred_and_are_read_in_bulk() {
    let app = TestApp::spawn().await;
    let owner = app.actor("data-officer.kupang").await;
    // The province opens the identities of 105 of Kupang's cases: Kupang's officer is told
    // each time (the newest first).
    let province = app.actor("data-officer.ntt").await;
    let mut code = String::new();
    for i in 0..105 {
        let (case, _) = app
            .store
            .create_case(&owner, &common::sample_case(&format!("Korban Uji {i}")))
            .await
            .unwrap();
        app.store
            .break_glass(&province, case, "Koordinasi penjemputan korban di Kupang.")
            .await
            .unwrap();
        code = app.store.case(&owner, case).await.unwrap().code;
    }
    let b = app.login("data-officer.kupang").await;
    let first = b.get("/notifications").await.body;
    assert!(
        first.contains(&format!("(buka paksa) — {code}")),
        "the notification does not name its case: {first}"
    );
    assert!(
        first.contains("105 data") && first.contains("105 belum dibaca"),
        "{first}"
    );
    // Three pages of 50; the third holds the oldest five.
    assert!(
        first.contains(r#"<a href="/notifications?page=2">3</a>"#),
        "{first}"
    );
    let third = b.get("/notifications?page=2").await.body;
    assert_eq!(third.matches("name=\"ids\"").count(), 5, "{third}");
    // Two chosen are marked read; the rest stay unread.
    let ids: Vec<String> = third
        .split("name=\"ids\" value=\"")
        .skip(1)
        .take(3)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    let r = b
        .post_form(
            "/notifications/read",
            &[
                ("read", "chosen"),
                ("page", "2"),
                ("ids", &ids[0]),
                ("ids", &ids[1]),
            ],
        )
        .await;
    assert_eq!(r.location(), "/notifications?page=2&ok=notifications_read");
    let third = b.get(&r.location()).await.body;
    assert!(third.contains("103 belum dibaca") && third.contains("ditandai sudah dibaca"));
    // Another user's notification cannot be marked through this form.
    let other = app.login("admin.kupang").await;
    other.get("/notifications").await;
    let all_ids = format!("{}", ids[0].parse::<i64>().unwrap() + 1);
    other
        .post_form(
            "/notifications/read",
            &[("read", "chosen"), ("ids", &all_ids)],
        )
        .await;
    assert!(
        b.get("/notifications")
            .await
            .body
            .contains("103 belum dibaca")
    );
    // Not more at once than a person ticks.
    let many: Vec<(&str, &str)> = std::iter::once(("read", "chosen"))
        .chain(std::iter::repeat_n(("ids", "1"), 201))
        .collect();
    assert_eq!(b.post_form("/notifications/read", &many).await.status, 422);
    // All at once.
    b.post_form("/notifications/read", &[("read", "all")]).await;
    assert!(
        b.get("/notifications")
            .await
            .body
            .contains("0 belum dibaca")
    );
}
