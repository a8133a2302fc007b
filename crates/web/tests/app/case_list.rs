//! The case list says how many cases match and pages by number; on a phone its filters
//! fold away (see `browser::phone`).

use crate::common::{self, TestApp};

#[tokio::test]
async fn the_case_list_gives_a_total_and_page_numbers() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    for i in 0..55 {
        app.store
            .create_case(
                &officer,
                &common::sample_case(&format!("Korban Daftar {i}")),
            )
            .await
            .unwrap();
    }
    let b = app.login("viewer.kalteng").await;
    let first = b.get("/cases").await.body;
    assert!(first.contains("55 data"), "{first}");
    assert!(
        first.contains(">2</a>") && first.contains("page=1"),
        "{first}"
    );
    let second = b.get("/cases?page=1").await.body;
    assert!(
        second.contains("55 data") && second.contains("aria-current=\"page\" class=\"current\">2<")
    );
    // Filtered: the total follows the filter.
    let none = b.get("/cases?review=cleared").await.body;
    assert!(none.contains("0 data"), "{none}");
    // Another province counts none of them.
    let ntt = app.login("viewer.ntt").await.get("/cases").await.body;
    assert!(ntt.contains("0 data"), "{ntt}");
}
