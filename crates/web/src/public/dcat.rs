//! The open data catalogue, so the national open-data portal (Satu Data Indonesia runs
//! CKAN) can harvest the published snapshots: `/data.json` in DCAT-US 1.1 (Project Open
//! Data, what ckanext-dcat's `dcat_json` and ckanext-datajson read) and `/data.jsonld` in
//! DCAT-AP as JSON-LD (what ckanext-dcat's RDF harvester reads). Two datasets: the victims
//! by home region, with every snapshot's CSV as a distribution, and the differentially
//! private synthetic records, with every release's CSV. Both are written from the same facts.

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

/// What both catalogues say.
struct Facts {
    base: String,
    snapshots: Vec<store::publish::SnapshotInfo>,
    /// The synthetic releases, newest first.
    releases: Vec<store::publish::synthetic::ReleaseInfo>,
    publisher: String,
    email: Option<String>,
}

const TITLE: &str = "Korban tindak pidana perdagangan orang menurut daerah asal";
const DESCRIPTION: &str = "Jumlah korban TPPO (orang, dari catatan yang sudah diverifikasi tingkat nasional; seseorang yang tercatat lebih dari sekali dihitung sekali) menurut provinsi dan kabupaten/kota asal, jenis kelamin, kelompok umur saat dieksploitasi (CTDC), bentuk eksploitasi dan tahun laporan. Diterbitkan sebagai potret bulanan bertanggal; angka di bawah ambang batas dan angka yang dapat dipakai menghitungnya disembunyikan (kosong).";
const KEYWORDS: [&str; 5] = [
    "TPPO",
    "perdagangan orang",
    "trafficking in persons",
    "korban",
    "SDG 16.2.2",
];

impl Facts {
    async fn load(state: &AppState, headers: &HeaderMap) -> Result<Facts, WebError> {
        let (publisher, email) = state.store.public_contact().await?;
        Ok(Facts {
            base: base(state, headers),
            snapshots: state.store.public_snapshots().await?,
            releases: state
                .store
                .synthetic_ledger(state.config.dp_budget_epsilon)
                .await?
                .releases,
            publisher,
            email,
        })
    }
    fn dataset_id(&self) -> String {
        format!("{}/data#korban-menurut-daerah-asal", self.base)
    }
    fn csv(&self, id: i64) -> String {
        format!("{}/data/statistik/{id}", self.base)
    }
    fn synthetic_id(&self) -> String {
        format!("{}/data#korban-sintetis", self.base)
    }
    fn synthetic_csv(&self, id: i64) -> String {
        format!("{}/data/sintetis/{id}/csv", self.base)
    }
}

const SYNTHETIC_TITLE: &str = "Rekaman korban TPPO sintetis (privasi diferensial)";
const SYNTHETIC_DESCRIPTION: &str = "Rekaman buatan yang meniru pola catatan korban yang sudah diverifikasi tingkat nasional (setiap orang sekali): jenis kelamin, kelompok umur, tahun laporan, bentuk eksploitasi, cara pengendalian, cara perekrutan, provinsi asal dan tujuan. Dibuat dengan metode DP-marginals (derau Gauss diskret OpenDP, zCDP); ε setiap rilis, buku anggaran privasi dan laporan kegunaan ada di halaman rilis. Bukan kasus nyata.";

/// A CSV download as `data.json` (DCAT-US) lists it.
fn csv_distribution(title: &str, download: &str, described_by: &str) -> Value {
    json!({
        "@type": "dcat:Distribution",
        "title": title,
        "downloadURL": download,
        "mediaType": "text/csv",
        "format": "CSV",
        "describedBy": described_by,
    })
}

/// A CSV download as `data.jsonld` (DCAT-AP) lists it.
fn csv_distribution_ld(download: &str, title: &str, access: &str, issued: i64) -> Value {
    json!({
        "@id": download,
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:accessURL": { "@id": access },
        "dcat:downloadURL": { "@id": download },
        "dcat:mediaType": { "@id": "http://www.iana.org/assignments/media-types/text/csv" },
        "dct:format": { "@id": "http://publications.europa.eu/resource/authority/file-type/CSV" },
        "dct:issued": { "@value": day(issued), "@type": "xsd:date" },
        "dct:license": { "@id": LICENCE },
    })
}

fn release_title(r: &store::publish::synthetic::ReleaseInfo) -> String {
    format!(
        "Rilis {} per {} (ε = {:.2}, δ = 1e-6)",
        r.id,
        day(r.as_of),
        r.epsilon
    )
}

fn day(d: i64) -> String {
    domain::case::format_day(d)
}

fn json_response(v: &Value, content_type: &'static str) -> Result<Response, WebError> {
    let body = serde_json::to_string_pretty(v).map_err(|_| WebError::Internal)?;
    Ok(super::pages::cacheable(
        ([(header::CONTENT_TYPE, content_type)], body).into_response(),
    ))
}

pub(crate) async fn data_json(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let f = Facts::load(&state, &headers).await?;
    let distributions: Vec<Value> = f
        .snapshots
        .iter()
        .map(|s| {
            csv_distribution(
                &format!("Potret per {}", day(s.as_of)),
                &f.csv(s.id),
                &format!("{}/data", f.base),
            )
        })
        .collect();
    let mut contact = json!({ "@type": "vcard:Contact", "fn": f.publisher });
    if let Some(e) = &f.email {
        contact["hasEmail"] = json!(format!("mailto:{e}"));
    }
    let mut datasets = Vec::new();
    if let (Some(newest), Some(oldest)) = (f.snapshots.first(), f.snapshots.last()) {
        datasets.push(json!({
            "@type": "dcat:Dataset",
            "identifier": f.dataset_id(),
            "title": TITLE,
            "description": DESCRIPTION,
            "keyword": KEYWORDS,
            "modified": day(newest.as_of),
            "issued": day(oldest.as_of),
            "publisher": { "@type": "org:Organization", "name": f.publisher },
            "contactPoint": contact.clone(),
            "accessLevel": "public",
            "license": LICENCE,
            "rights": "CC BY 4.0",
            "spatial": "Indonesia (kode wilayah Kemendagri)",
            "temporal": format!("2000-01-01/{}", day(newest.as_of)),
            "accrualPeriodicity": "R/P1M",
            "language": ["id"],
            "theme": ["Perlindungan sosial", "Hukum"],
            "landingPage": format!("{}/statistik-publik", f.base),
            "distribution": distributions,
        }));
    }
    if let (Some(newest), Some(oldest)) = (f.releases.first(), f.releases.last()) {
        let distributions: Vec<Value> = f
            .releases
            .iter()
            .map(|r| {
                csv_distribution(
                    &release_title(r),
                    &f.synthetic_csv(r.id),
                    &format!("{}/data/sintetis/{}", f.base, r.id),
                )
            })
            .collect();
        datasets.push(json!({
            "@type": "dcat:Dataset",
            "identifier": f.synthetic_id(),
            "title": SYNTHETIC_TITLE,
            "description": SYNTHETIC_DESCRIPTION,
            "keyword": KEYWORDS,
            "modified": day(newest.as_of),
            "issued": day(oldest.as_of),
            "publisher": { "@type": "org:Organization", "name": f.publisher },
            "contactPoint": contact,
            "accessLevel": "public",
            "license": LICENCE,
            "rights": "CC BY 4.0",
            "spatial": "Indonesia (kode wilayah Kemendagri)",
            "language": ["id"],
            "theme": ["Perlindungan sosial", "Hukum"],
            "landingPage": format!("{}/data", f.base),
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
    json_response(&catalog, "application/json; charset=utf-8")
}

/// `/data.jsonld`: the same catalogue in DCAT-AP 2 (the EU profile CKAN's `dcat` extension
/// maps), as JSON-LD with its context inline, so no remote context is fetched: the catalogue
/// with its title, description and publisher; the dataset with its identifier, dates,
/// keywords, licence, contact, periodicity and landing page; each snapshot's CSV as a
/// distribution with access and download URLs.
pub(crate) async fn data_jsonld(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let f = Facts::load(&state, &headers).await?;
    let date = |d: i64| json!({ "@value": day(d), "@type": "xsd:date" });
    let distributions: Vec<Value> = f
        .snapshots
        .iter()
        .map(|s| {
            csv_distribution_ld(
                &f.csv(s.id),
                &format!("Potret per {}", day(s.as_of)),
                &format!("{}/data", f.base),
                s.as_of,
            )
        })
        .collect();
    let publisher = json!({
        "@id": format!("{}/#penerbit", f.base),
        "@type": "foaf:Agent",
        "foaf:name": f.publisher,
    });
    let mut contact = json!({ "@type": "vcard:Organization", "vcard:fn": f.publisher });
    if let Some(e) = &f.email {
        contact["vcard:hasEmail"] = json!({ "@id": format!("mailto:{e}") });
    }
    let mut datasets = Vec::new();
    if let (Some(newest), Some(oldest)) = (f.snapshots.first(), f.snapshots.last()) {
        datasets.push(json!({
            "@id": f.dataset_id(),
            "@type": "dcat:Dataset",
            "dct:identifier": f.dataset_id(),
            "dct:title": { "@value": TITLE, "@language": "id" },
            "dct:description": { "@value": DESCRIPTION, "@language": "id" },
            "dcat:keyword": KEYWORDS,
            "dct:issued": date(oldest.as_of),
            "dct:modified": date(newest.as_of),
            "dct:publisher": publisher.clone(),
            "dcat:contactPoint": contact.clone(),
            "dct:license": { "@id": LICENCE },
            "dct:accessRights": { "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC" },
            "dct:accrualPeriodicity": { "@id": "http://publications.europa.eu/resource/authority/frequency/MONTHLY" },
            "dct:language": { "@id": "http://id.loc.gov/vocabulary/iso639-1/id" },
            "dct:spatial": { "@id": "http://publications.europa.eu/resource/authority/country/IDN" },
            "dcat:landingPage": { "@id": format!("{}/statistik-publik", f.base) },
            "dcat:distribution": distributions,
        }));
    }
    if let (Some(newest), Some(oldest)) = (f.releases.first(), f.releases.last()) {
        let distributions: Vec<Value> = f
            .releases
            .iter()
            .map(|r| {
                csv_distribution_ld(
                    &f.synthetic_csv(r.id),
                    &release_title(r),
                    &format!("{}/data/sintetis/{}", f.base, r.id),
                    r.as_of,
                )
            })
            .collect();
        datasets.push(json!({
            "@id": f.synthetic_id(),
            "@type": "dcat:Dataset",
            "dct:identifier": f.synthetic_id(),
            "dct:title": { "@value": SYNTHETIC_TITLE, "@language": "id" },
            "dct:description": { "@value": SYNTHETIC_DESCRIPTION, "@language": "id" },
            "dcat:keyword": KEYWORDS,
            "dct:issued": date(oldest.as_of),
            "dct:modified": date(newest.as_of),
            "dct:publisher": publisher.clone(),
            "dcat:contactPoint": contact.clone(),
            "dct:license": { "@id": LICENCE },
            "dct:accessRights": { "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC" },
            "dct:language": { "@id": "http://id.loc.gov/vocabulary/iso639-1/id" },
            "dct:spatial": { "@id": "http://publications.europa.eu/resource/authority/country/IDN" },
            "dcat:landingPage": { "@id": format!("{}/data", f.base) },
            "dcat:distribution": distributions,
        }));
    }
    let catalog = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": format!("{}/data.jsonld", f.base),
        "@type": "dcat:Catalog",
        "dct:title": { "@value": "Data terbuka Gugus Tugas PP-TPPO", "@language": "id" },
        "dct:description": { "@value": "Statistik publik korban TPPO, diterbitkan sebagai potret bulanan yang tidak mengungkap siapa pun.", "@language": "id" },
        "dct:publisher": publisher,
        "dct:license": { "@id": LICENCE },
        "foaf:homepage": { "@id": format!("{}/data", f.base) },
        "dcat:dataset": datasets,
    });
    json_response(&catalog, "application/ld+json; charset=utf-8")
}
