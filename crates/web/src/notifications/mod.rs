//! In-app notifications (new referral, overdue, message …), as a page and as the JSON API.
//! The e-mails that announce them are sent by the background worker (`jobs::worker`).

mod api;
mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::NotificationsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}
