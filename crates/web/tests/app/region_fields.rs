//! Places are picked, not typed as codes: a home village, a route event's place, a unit's
//! region and a list's region filter take a name (or a code); a name several places share
//! is answered with those places and where each lies; hints give an example from the
//! user's own region; the typeahead shows where each suggestion lies.

use crate::cases::case_form;
use crate::common::{TestApp, api};

/// The case form with the home village typed as `village`.
fn with_village(village: &str) -> Vec<(&str, &str)> {
    let mut f = case_form("Sari Dewi", "6271055708990001", "2026-02-20");
    for (k, v) in f.iter_mut() {
        if *k == "victims[0].home_village" {
            *v = village;
        }
    }
    f
}

#[tokio::test]
async fn a_home_village_is_found_by_name_and_a_shared_name_offers_its_places() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.palangkaraya").await;
    let form = officer.get("/cases/new").await.body;
    // The hint's example is a village of Palangka Raya, not of NTT.
    assert!(form.contains("62.71.01.1001"), "{form}");
    assert!(!form.contains("53.04.01.2001"));
    // A name three villages share: refused at the field, the places listed with where each
    // lies, the name kept as typed.
    let r = officer.post_form("/cases", &with_village("Menteng")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Nama ini ada di beberapa tempat"),
        "{}",
        r.body
    );
    for code in ["31.71.06.1001", "32.71.04.1001", "62.71.03.1002"] {
        assert!(
            r.body.contains(&format!("data-value=\"{code}\"")),
            "{code} not offered"
        );
    }
    assert!(
        r.body.contains("Kota Palangkaraya, Kalimantan Tengah"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Menteng\""));
    // A name no place has.
    let r = officer
        .post_form("/cases", &with_village("Tidakadadesa"))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tidak ada wilayah dengan nama"));
    // A name one village has: saved with that village.
    let r = officer.post_form("/cases", &with_village("pahandut")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(&r.location()).await.body;
    assert!(
        page.contains("62.71.01.1001") || page.contains("Pahandut"),
        "{page}"
    );
}

#[tokio::test]
async fn a_route_place_and_list_filters_take_names() {
    let app = TestApp::spawn().await;
    let kupang = app.actor("data-officer.kupang").await;
    let pky = app.actor("data-officer.palangkaraya").await;
    let (ntt_case, _) = app
        .store
        .create_case(&kupang, &crate::common::sample_case("Maria Ndun"))
        .await
        .unwrap();
    let (kalteng_case, _) = app
        .store
        .create_case(&pky, &crate::common::sample_case("Sari Dewi"))
        .await
        .unwrap();
    let ntt_code = app.store.case(&kupang, ntt_case).await.unwrap().code;
    let kalteng_code = app.store.case(&pky, kalteng_case).await.unwrap().code;
    // The national viewer filters by a regency's name, without "Kota".
    let nat = app.login("viewer.nasional").await;
    let list = nat.get("/cases?region=Palangkaraya").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&kalteng_code) && !list.body.contains(&ntt_code),
        "{}",
        list.body
    );
    // "Kupang" is two regencies: no list, both offered.
    let list = nat.get("/cases?region=Kupang").await;
    assert_eq!(list.status, 422);
    assert!(
        list.body.contains("data-value=\"53.01\"") && list.body.contains("data-value=\"53.71\""),
        "{}",
        list.body
    );
    assert!(!list.body.contains(&ntt_code));
    // The unit directory's region filter no longer drops a name.
    let units = nat.get("/units?region=Belu").await;
    assert_eq!(units.status, 200);
    assert_eq!(nat.get("/units?region=Tidakadawilayah").await.status, 422);
    // A route event's place typed as a name.
    let b = app.login("data-officer.kupang").await;
    b.get(&format!("/cases/{ntt_case}")).await;
    let r = b
        .post_form(
            &format!("/cases/{ntt_case}/route"),
            &[("kind", "recruitment"), ("region_code", "Oelnasi")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let c = app.store.case(&kupang, ntt_case).await.unwrap();
    assert_eq!(c.route[0].region_code.as_deref(), Some("53.01.08.2006"));
    let r = b
        .post_form(
            &format!("/cases/{ntt_case}/route"),
            &[("kind", "transit"), ("region_code", "Kupang")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-value=\"53.71\""), "{}", r.body);
    // The typeahead says where each place lies.
    let r = api(
        &app.base,
        &app.token("data-officer.kupang").await,
        "GET",
        "/api/v1/regions?q=menteng&limit=5",
        None,
    )
    .await;
    let places: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["place"].as_str().map(str::to_owned))
        .collect();
    assert!(
        places.iter().any(|p| p.contains("Kota Palangkaraya")),
        "{places:?}"
    );
}
