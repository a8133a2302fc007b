//! The public site (issue 14): what a logged-out visitor sees — the home page at `/`, the
//! public statistics (dated, suppressed snapshots, never live figures) and their open data
//! downloads, the office's news (`/berita`, its feed and the sitemap), the complaint form (`/pengaduan`) and its tracking, and a survivor's own
//! status (`/status`, with the code and PIN on her slip).
//! No other page here reads a case, a victim or a live count.

mod complaint;
mod dcat;
mod news;
mod pages;
mod survivor;
mod synthetic;

use crate::Routes;
use axum::routing::{get, post};

pub(crate) use complaint::{Places, places};
pub(crate) use dcat::base as base_url;
pub(crate) use news::rfc3339;
pub(crate) use pages::{public_home, public_root};
pub(crate) use synthetic::num as synthetic_num;
pub(crate) use synthetic::{
    admin_release as synthetic_admin_release, admin_show as synthetic_admin_show,
};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/berita", &["GET"], get(news::list))
        .add("/berita/feed.xml", &["GET"], get(news::feed))
        .add("/berita/{slug}", &["GET"], get(news::article))
        .add("/berita/gambar/{id}/{width}", &["GET"], get(news::picture))
        .add("/sitemap.xml", &["GET"], get(news::sitemap))
        .add("/statistik-publik", &["GET"], get(pages::statistics))
        .add(
            "/statistik-publik/peta.svg",
            &["GET"],
            get(pages::statistics_map),
        )
        .add("/data", &["GET"], get(pages::open_data))
        .add("/data.json", &["GET"], get(dcat::data_json))
        .add("/data.jsonld", &["GET"], get(dcat::data_jsonld))
        .add("/data/statistik/{id}", &["GET"], get(pages::snapshot_csv))
        .add("/data/sintetis/{id}", &["GET"], get(synthetic::release))
        .add(
            "/data/sintetis/{id}/csv",
            &["GET"],
            get(synthetic::release_csv),
        )
        .add(
            "/pengaduan",
            &["GET", "POST"],
            get(complaint::complaint_form)
                .post(complaint::complaint_send)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::UPLOAD_BODY_LIMIT,
                )),
        )
        .add(
            "/pengaduan/status",
            &["GET", "POST"],
            get(complaint::status_form).post(complaint::status_look),
        )
        .add("/pengaduan/tambah", &["POST"], post(complaint::add_info))
        .add(
            "/status",
            &["GET", "POST"],
            get(survivor::status_form).post(survivor::status_look),
        )
}
