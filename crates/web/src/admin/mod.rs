//! Instance administration (national admins): settings, and the differentially private
//! synthetic releases of the open data (made within the instance's privacy budget).

mod pages;

use crate::Routes;

pub(crate) fn routes(r: Routes) -> Routes {
    pages::routes(r).add(
        "/admin/data-sintetis",
        &["GET", "POST"],
        axum::routing::get(crate::public::synthetic_admin_show)
            .post(crate::public::synthetic_admin_release),
    )
}
