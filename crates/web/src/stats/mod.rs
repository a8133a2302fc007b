//! Statistics and maps (issue 13): `/statistik` with totals, a trend and every breakdown
//! (official beside working), `/peta` with choropleths and flows, their downloads and the
//! JSON API. Every figure comes from the store's scoped aggregates.

mod api;
mod charts;
pub(crate) mod export;
mod filter;
pub(crate) mod geo;
mod index_pages;
mod map;
mod network;
mod pages;

use crate::Routes;
use axum::routing::{get, post};

pub(crate) use api::StatisticsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = r
        .add("/statistik", &["GET"], get(pages::statistics))
        .add("/statistik/export.csv", &["GET"], get(export::csv))
        .add("/statistik/export.xlsx", &["GET"], get(export::xlsx))
        .add("/statistik/chart.svg", &["GET"], get(export::chart_svg))
        .add("/peta", &["GET"], get(map::map_page))
        .add("/peta/map.svg", &["GET"], get(map::map_svg))
        .add("/jaringan", &["GET"], get(network::network_page))
        .add("/kerawanan", &["GET"], get(index_pages::index))
        .add(
            "/kerawanan/indikator",
            &["POST"],
            post(index_pages::import).layer(axum::extract::DefaultBodyLimit::max(
                crate::UPLOAD_BODY_LIMIT,
            )),
        )
        .add(
            "/kerawanan/export.csv",
            &["GET"],
            get(index_pages::export_csv),
        )
        .add(
            "/kerawanan/export.xlsx",
            &["GET"],
            get(index_pages::export_xlsx),
        )
        .add(
            "/kerawanan/metode",
            &["GET", "POST"],
            get(index_pages::method_page).post(index_pages::save_method),
        );
    api::routes(r)
}
