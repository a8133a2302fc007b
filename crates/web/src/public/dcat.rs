//! `/data.json`: the open data catalogue in DCAT-US 1.1 (Project Open Data `data.json`),
//! the shape CKAN's harvesters (ckanext-dcat's `dcat_json`, ckanext-datajson) read, so the
//! national open-data portal (Satu Data Indonesia runs CKAN) can harvest the published
//! snapshots. One dataset: the victims by home region, with every snapshot's CSV as a
//! distribution.

use crate::AppState;
use crate::http::error::WebError;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The licence every published table carries.
pub(crate) const LICENCE: &str = "https://creativecommons.org/licenses/by/4.0/";

/// The address the catalogue's links start with: `GUGUS_PUBLIC_URL`, else the request's
/// host over http.
pub(crate) fn base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub(crate) async fn data_json(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = base(&state, &headers);
    let snapshots = state.store.public_snapshots().await?;
    let (publisher, email) = state.store.public_contact().await?;
    let day = |d: i64| domain::case::format_day(d);
    let distributions: Vec<Value> = snapshots
        .iter()
        .map(|s| {
            json!({
                "@type": "dcat:Distribution",
                "title": format!("Potret per {}", day(s.as_of)),
                "downloadURL": format!("{base}/data/statistik/{}", s.id),
                "mediaType": "text/csv",
                "format": "CSV",
                "describedBy": format!("{base}/data"),
            })
        })
        .collect();
    let mut contact = json!({ "@type": "vcard:Contact", "fn": publisher });
    if let Some(e) = email {
        contact["hasEmail"] = json!(format!("mailto:{e}"));
    }
    let mut datasets = Vec::new();
    if let (Some(newest), Some(oldest)) = (snapshots.first(), snapshots.last()) {
        datasets.push(json!({
            "@type": "dcat:Dataset",
            "identifier": format!("{base}/data#korban-menurut-daerah-asal"),
            "title": "Korban tindak pidana perdagangan orang menurut daerah asal",
            "description": "Jumlah korban TPPO (orang, dari catatan yang sudah diverifikasi tingkat nasional; seseorang yang tercatat lebih dari sekali dihitung sekali) menurut provinsi dan kabupaten/kota asal, jenis kelamin, kelompok umur saat dieksploitasi (CTDC), bentuk eksploitasi dan tahun laporan. Diterbitkan sebagai potret bulanan bertanggal; angka di bawah ambang batas dan angka yang dapat dipakai menghitungnya disembunyikan (kosong).",
            "keyword": ["TPPO", "perdagangan orang", "trafficking in persons", "korban", "SDG 16.2.2"],
            "modified": day(newest.as_of),
            "issued": day(oldest.as_of),
            "publisher": { "@type": "org:Organization", "name": publisher },
            "contactPoint": contact,
            "accessLevel": "public",
            "license": LICENCE,
            "rights": "CC BY 4.0",
            "spatial": "Indonesia (kode wilayah Kemendagri)",
            "temporal": format!("2000-01-01/{}", day(newest.as_of)),
            "accrualPeriodicity": "R/P1M",
            "language": ["id"],
            "theme": ["Perlindungan sosial", "Hukum"],
            "landingPage": format!("{base}/statistik-publik"),
            "distribution": distributions,
        }));
    }
    let catalog = json!({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    });
    let body = serde_json::to_string_pretty(&catalog).map_err(|_| WebError::Internal)?;
    Ok(super::pages::cacheable(
        (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response(),
    ))
}
