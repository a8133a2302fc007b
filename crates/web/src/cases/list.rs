//! The case list with its filters and pager.

use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::shared::options::CaseOptions;
use crate::shared::region_field::{self, RegionChoices};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use domain::Action;
use serde::Deserialize;
use store::{CaseFilter, CaseRow, CaseSort};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub region: String,
    pub from: String,
    pub to: String,
    pub exploitation: String,
    pub status: String,
    pub trafficking_status: String,
    pub channel: String,
    pub sex: String,
    pub child: String,
    pub review: String,
    /// Drill-down from the statistics: a dimension and its value (empty: not recorded).
    pub stat: String,
    pub val: String,
    /// `exploitation`: the period is on the exploitation date.
    pub basis: String,
    pub q: String,
    pub sort: String,
    pub page: i64,
}

impl ListQuery {
    /// The store's filter; a filter that cannot be read is an error naming it (an ignored
    /// filter would show the unfiltered list as if it were the answer).
    pub(crate) fn filter(&self, per_page: i64) -> Result<CaseFilter, domain::Invalid> {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let mut errs = domain::Invalid::default();
        let crate::shared::list_filter::RegionPeriod {
            region,
            from,
            to,
            review,
        } = crate::shared::list_filter::read(
            &mut errs,
            &self.region,
            &self.from,
            &self.to,
            &self.review,
        );
        if !matches!(self.child.as_str(), "" | "child" | "adult") {
            errs.push("child", "err.choice");
        }
        if !matches!(self.sort.as_str(), "" | "newest" | "oldest" | "code") {
            errs.push("sort", "err.choice");
        }
        // A value of a statistics dimension: a picklist code, a region code or a band.
        if self.val.chars().count() > 40 || self.val.chars().any(char::is_control) {
            errs.push("val", "err.choice");
        }
        let stat = match self.stat.trim() {
            "" => None,
            d => match store::stats::StatDim::parse(d) {
                Some(dim) => Some((dim, some(&self.val))),
                None => {
                    errs.push("stat", "err.choice");
                    None
                }
            },
        };
        if !matches!(self.basis.as_str(), "" | "report" | "exploitation") {
            errs.push("basis", "err.choice");
        }
        errs.into_result(())?;
        Ok(CaseFilter {
            region,
            from,
            to,
            exploitation: some(&self.exploitation),
            status: some(&self.status),
            trafficking_status: some(&self.trafficking_status),
            channel: some(&self.channel),
            sex: some(&self.sex),
            review,
            child: match self.child.as_str() {
                "child" => Some(true),
                "adult" => Some(false),
                _ => None,
            },
            stat,
            by_exploitation: self.basis == "exploitation",
            q: self.q.clone(),
            sort: match self.sort.as_str() {
                "oldest" => CaseSort::ReportedAsc,
                "code" => CaseSort::CodeAsc,
                _ => CaseSort::ReportedDesc,
            },
            page: self.page.max(0),
            per_page,
        })
    }

    /// This query with another page number, for the pager links.
    fn page_href(&self, page: i64) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "/cases?region={}&from={}&to={}&exploitation={}&status={}&trafficking_status={}&channel={}&sex={}&child={}&review={}&stat={}&val={}&basis={}&q={}&sort={}&page={page}",
            enc(&self.region),
            enc(&self.from),
            enc(&self.to),
            enc(&self.exploitation),
            enc(&self.status),
            enc(&self.trafficking_status),
            enc(&self.channel),
            enc(&self.sex),
            enc(&self.child),
            enc(&self.review),
            enc(&self.stat),
            enc(&self.val),
            enc(&self.basis),
            enc(&self.q),
            enc(&self.sort)
        )
    }
}

#[derive(Template)]
#[template(path = "cases/cases.html")]
struct CasesPage {
    page: Page,
    q: ListQuery,
    rows: Vec<CaseRow>,
    opts: std::sync::Arc<CaseOptions>,
    can_edit: bool,
    prev: String,
    next: String,
    /// A region filter typed as a name several places share (or none): why no list, and
    /// the places to choose from.
    region_error: &'static str,
    choices: RegionChoices,
    /// How many match (more than [`store::CASE_COUNT_CAP`] when above it).
    total: i64,
    pages: Vec<crate::shared::pager::PageLink>,
}

impl CasesPage {
    /// The statistics dimension a drill-down came with, in words.
    fn stat_title(&self) -> &'static str {
        self.page.t(&format!("stats.dim.{}", self.q.stat))
    }
    fn total_label(&self) -> String {
        if self.total > store::CASE_COUNT_CAP {
            self.page.tf("cases.total_over", store::CASE_COUNT_CAP)
        } else {
            self.page.tf("list.total", self.total)
        }
    }
}

const PER_PAGE: i64 = 50;

pub(super) async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let actor = user.actor();
    // A region typed as a name means the one place of that name (several: say so).
    let mut q = q;
    let mut errs = domain::Invalid::default();
    let mut choices = RegionChoices::default();
    region_field::resolve(
        &state,
        actor,
        "region",
        &mut q.region,
        None,
        &mut errs,
        &mut choices,
    )
    .await?;
    let result = if errs.is_empty() {
        state.store.list_cases(actor, &q.filter(PER_PAGE)?).await?
    } else {
        store::CasePage {
            rows: Vec::new(),
            more: false,
            total: 0,
        }
    };
    let refused = !errs.is_empty();
    let region_error = errs
        .0
        .first()
        .map(|e| user.ctx.locale.t(e.key))
        .unwrap_or_default();
    let opts = CaseOptions::load(&state, user.ctx.locale.code()).await?;
    let prev = if q.page > 0 {
        q.page_href(q.page - 1)
    } else {
        String::new()
    };
    let next = if result.more {
        q.page_href(q.page + 1)
    } else {
        String::new()
    };
    let page = Page::from_ctx(&user.ctx, "cases.title");
    let can_edit = domain::authz::role_may(actor.role, Action::EditCase);
    let pages =
        crate::shared::pager::links(q.page.max(0), PER_PAGE, result.total, |n| q.page_href(n));
    let html = render(&CasesPage {
        page,
        total: result.total,
        pages,
        region_error,
        choices,
        q,
        rows: result.rows,
        opts,
        can_edit,
        prev,
        next,
    })?;
    let status = if refused {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, html).into_response())
}
