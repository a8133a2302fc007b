//! The audit trail page: what staff of the admin's region did, or what was done to the
//! region's records (by anyone, or by others outside it); filter by user, action, record
//! and date; and the newest signed checkpoint of the chain, as a line admins copy and keep
//! outside Gugus.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::shared::audit_words as words;
use crate::shared::options::CaseOptions;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use domain::checkpoint::Checkpoint;
use serde::Deserialize;
use std::sync::Arc;
use store::{AuditAbout, AuditFilter, AuditRow};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/audit", &["GET"], get(index))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct AuditQuery {
    /// "", `ours` or `ours_by_others` (see [`store::AuditAbout`]).
    pub about: String,
    pub user: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    /// YYYY-MM-DD (WIB)
    pub from: String,
    pub to: String,
    pub before: Option<i64>,
}

impl AuditQuery {
    /// The store's filter; an unknown `about` is an error naming it (an ignored one would
    /// show another list as if it were the answer).
    pub(crate) fn filter(&self, limit: i64) -> Result<AuditFilter, domain::Invalid> {
        let day = |s: &str| domain::time::parse_date_ms(s, 7);
        let about = AuditAbout::parse(&self.about)
            .ok_or_else(|| domain::Invalid::one("about", "err.choice"))?;
        Ok(AuditFilter {
            about,
            username: Some(self.user.clone()),
            action: Some(self.action.clone()),
            record_type: Some(self.record_type.clone()),
            record_id: Some(self.record_id.clone()),
            from_ms: day(&self.from),
            to_ms: day(&self.to).map(|m| m + 86_400_000 - 1),
            before_seq: self.before,
            limit,
        })
    }
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    page: Page,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    older: String,
    checkpoint: Option<Checkpoint>,
    opts: Arc<CaseOptions>,
}

impl AuditPage {
    fn act(&self, code: &str) -> String {
        words::action(&self.page, code)
    }
    fn parts(&self, detail: &str) -> Vec<words::Part> {
        words::detail(&self.page, &self.opts, detail)
    }
    fn rec(&self, t: &str) -> String {
        words::record_type(&self.page, t)
    }
    fn rec_href(&self, t: &str, id: &str) -> Option<String> {
        words::record_href(t, id)
    }
    /// Every action, in words, for the filter.
    fn actions(&self) -> Vec<(&'static str, String)> {
        let mut all: Vec<_> = domain::audit::AuditAction::ALL
            .iter()
            .map(|a| (a.as_str(), self.act(a.as_str())))
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        all
    }
}

const PAGE_SIZE: i64 = 100;

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, WebError> {
    let rows = state
        .store
        .audit_list(user.actor(), &q.filter(PAGE_SIZE)?)
        .await?;
    let older = match rows.last() {
        Some(last) if rows.len() as i64 == PAGE_SIZE => {
            let enc = crate::http::util::url_encode;
            format!(
                "/audit?about={}&user={}&action={}&record_type={}&record_id={}&from={}&to={}&before={}",
                enc(&q.about),
                enc(&q.user),
                enc(&q.action),
                enc(&q.record_type),
                enc(&q.record_id),
                enc(&q.from),
                enc(&q.to),
                last.seq
            )
        }
        _ => String::new(),
    };
    let checkpoint = state.store.latest_checkpoint(user.actor()).await?;
    let page = Page::from_ctx(&user.ctx, "audit.title");
    let opts = CaseOptions::load(&state, user.ctx.locale.code()).await?;
    render(&AuditPage {
        page,
        q,
        rows,
        older,
        checkpoint,
        opts,
    })
}
