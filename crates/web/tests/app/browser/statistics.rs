//! The statistics page and the map in Chromium: charts drawn beside their tables, a
//! figure opening its cases, a province on the map opening its regencies.

use super::{Chrome, DESK};
use crate::common::{TestApp, sample_input, today};
use domain::case::NewCase;
use serde_json::json;

#[tokio::test]
async fn the_statistics_page_and_the_map_open_their_figures() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.kupang").await;
    let mut c = sample_input("Maria Ndun");
    c.victims[0].home_village = "53.01.05.1001".into();
    let (case, _) = app
        .store
        .create_case(&officer, &NewCase::parse(&c, today()).unwrap())
        .await
        .unwrap();
    let victim = app.store.case(&officer, case).await.unwrap().victims[0].id;
    let Some(b) = Chrome::open(&app, "statistics", DESK).await else {
        return;
    };
    b.login("verifier.nasional").await;
    b.goto("/statistik").await;
    b.shot("statistik").await;
    let charts = b.count("svg.chart-svg").await;
    b.expect(charts >= 20, &format!("{charts} charts on the page"))
        .await;
    let working = b
        .js(
            "return document.querySelector('[data-k=\"working-cases\"]').textContent",
            vec![],
        )
        .await;
    b.expect(working == json!("1"), &format!("working cases {working}"))
        .await;
    // A chart saved as PNG: the standalone SVG drawn on a canvas.
    let png = b
        .js(
            "return window.gugusPng('/statistik/chart.svg?dim=sex').then(function (b) { return b.type + ' ' + (b.size > 1000); })",
            vec![],
        )
        .await;
    b.expect(
        png == json!("image/png true"),
        &format!("PNG of a chart: {png}"),
    )
    .await;
    // The women's working figure opens the case list filtered to them.
    b.click("table[data-dim=\"sex\"] tr[data-v=\"female\"] td:nth-of-type(2) a")
        .await;
    b.wait_for_path("/cases?region=&from=&to=&basis=&review=&stat=sex&val=female")
        .await;
    b.shot("drill-down").await;
    b.expect(
        b.count("#stat-filter").await == 1,
        "the case list says which figure it came from",
    )
    .await;
    b.expect(b.text().await.contains("TPPO-53.01"), "the case is listed")
        .await;
    // The map: NTT is drawn with a class, a click opens its regencies.
    b.goto("/peta?kind=working").await;
    b.shot("peta").await;
    let paths = b.count("#choropleth svg.map path[data-code]").await;
    b.expect(paths == 38, &format!("{paths} provinces drawn"))
        .await;
    // NTT is islands: the middle of its box is sea, so the link is activated as a
    // keyboard or screen-reader user would, not by a click at a point.
    b.js(
        "document.querySelector('#choropleth svg.map a[href*=\"focus=53\"]').dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}))",
        vec![],
    )
    .await;
    b.wait_for_path("/peta?measure=&value=&kind=working&classing=&focus=53&region=&from=&to=&basis=&review=&by=")
        .await;
    b.shot("peta-ntt").await;
    let paths = b.count("#choropleth svg.map path[data-code]").await;
    b.expect(paths == 22, &format!("{paths} regencies of NTT drawn"))
        .await;
    let png = b
        .js(
            "return window.gugusPng('/peta/map.svg?focus=53').then(function (b) { return b.type + ' ' + (b.size > 1000); })",
            vec![],
        )
        .await;
    b.expect(
        png == json!("image/png true"),
        &format!("PNG of a map: {png}"),
    )
    .await;
    // The index and the network pages.
    b.goto("/kerawanan").await;
    b.shot("kerawanan").await;
    let ranked = b.count("#index-table tbody tr").await;
    b.expect(ranked == 514, &format!("{ranked} regencies ranked"))
        .await;
    b.goto("/kerawanan/metode").await;
    b.shot("kerawanan-metode").await;
    b.goto("/jaringan").await;
    b.shot("jaringan").await;
    // A visitor on a wide screen: the public statistics with their map (an image of its
    // own, drawn), the complaint form.
    let admin = app.actor("admin.nasional").await;
    app.store
        .publish_snapshot(&admin, today(), 11)
        .await
        .unwrap();
    b.forget_session().await;
    for page in [
        "/statistik-publik",
        "/statistik-publik?wilayah=53",
        "/pengaduan",
    ] {
        b.goto(page).await;
        b.shot(&format!("visitor{page}")).await;
    }
    b.goto("/statistik-publik?wilayah=53").await;
    let drawn = b
        .js(
            "var i = document.querySelector('.public-map img'); return i.complete && i.naturalWidth > 0;",
            vec![],
        )
        .await;
    b.expect(drawn == json!(true), "the public map is drawn")
        .await;
    // On a wide screen too: a complaint in the queue, and the slip a case worker prints.
    let complaint = domain::complaint::NewComplaint::parse(
        &domain::complaint::ComplaintInput {
            what: "Anak tetangga dibawa agen ke Batam, tidak bisa dihubungi.".into(),
            region: "53.01".into(),
            at_risk: "child".into(),
            ..Default::default()
        },
        today(),
    )
    .unwrap();
    app.store
        .submit_complaint(&complaint, &[], false, None)
        .await
        .unwrap();
    let id = app
        .store
        .complaint_queue(&officer, true, 1)
        .await
        .unwrap()
        .rows[0]
        .id;
    b.login("data-officer.kupang").await;
    b.goto(&format!("/complaints/{id}")).await;
    b.shot("complaint").await;
    b.expect(
        b.text().await.contains("dibawa agen ke Batam"),
        "the complaint's text is shown to intake",
    )
    .await;
    b.goto(&format!("/victims/{victim}/plan#status-code")).await;
    b.submit("#status-code form button").await;
    b.shot("slip").await;
    b.expect(b.count("#slip-code").await == 1, "the slip shows the code")
        .await;
    b.close().await;
}
