//! Instance administration (national admins).

mod pages;

use crate::Routes;

pub(crate) fn routes(r: Routes) -> Routes {
    pages::routes(r)
}
