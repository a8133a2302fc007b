//! The audit chain's signed checkpoints (issue 11, item 12) as the server writes and shows
//! them: the background job writes one when the head moved, into the table and the file;
//! admins read the newest as a line to keep, on the audit page and in the API.

use crate::common::{TestApp, api};
use domain::checkpoint::Checkpoint;

#[tokio::test]
async fn the_job_writes_checkpoints_and_admins_see_the_newest_line() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin.nasional").await;
    assert!(!admin.get("/audit").await.body.contains("checkpoint-line"));
    let file = std::env::temp_dir().join(format!(
        "gugus-checkpoints-{}-{}.log",
        std::process::id(),
        store::now_ms()
    ));
    let seq = web::checkpoint::tick(&app.store, &file).await.unwrap();
    assert!(seq.is_some(), "the logins moved the head");
    // Nothing moved since: no new checkpoint.
    assert_eq!(
        web::checkpoint::tick(&app.store, &file).await.unwrap(),
        None
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let cp = Checkpoint::parse(lines[0]).unwrap();
    assert_eq!(Some(cp.seq), seq);
    let keys = store::testing::test_keyring();
    assert!(cp.mac_ok(keys.checkpoint_key(&cp.key_id).unwrap()));

    let page = admin.get("/audit").await.body;
    assert!(
        page.contains(&format!("id=\"checkpoint-line\">{}<", lines[0])),
        "{page}"
    );
    let token = app.token("admin.kalteng").await;
    let r = api(&app.base, &token, "GET", "/api/v1/audit/checkpoint", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["line"], lines[0]);
    assert_eq!(r.json()["seq"], cp.seq);
    let viewer = app.token("viewer.kalteng").await;
    let r = api(&app.base, &viewer, "GET", "/api/v1/audit/checkpoint", None).await;
    assert_eq!(r.status, 403);
}
