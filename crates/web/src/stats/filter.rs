//! The statistics' query string, shared by the pages, the downloads and the API: one
//! parser, so a filter means the same everywhere and a bad one is refused by name.

use domain::Invalid;
use serde::Deserialize;
use store::stats::{DateBasis, Granularity, StatFilter};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams, Default, Clone)]
#[serde(default)]
pub(crate) struct StatQuery {
    /// Registering region's code (province `62`, regency `62.71`, …) within your scope.
    pub region: String,
    /// First day of the period, YYYY-MM-DD.
    pub from: String,
    /// Last day of the period, YYYY-MM-DD.
    pub to: String,
    /// `report` (default) or `exploitation`: which date places a record in the period.
    pub basis: String,
    /// One review state only: draft, submitted, returned, verified, cleared.
    pub review: String,
    /// Trend by `month` (default), `quarter` or `year`.
    pub by: String,
}

impl StatQuery {
    pub(crate) fn filter(&self) -> Result<(StatFilter, Granularity), Invalid> {
        let mut errs = Invalid::default();
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
        if let (Some(a), Some(b)) = (from, to)
            && b < a
        {
            errs.push("to", "err.period");
        }
        let basis = match self.basis.trim() {
            "" => DateBasis::Report,
            b => DateBasis::parse(b).unwrap_or_else(|| {
                errs.push("basis", "err.choice");
                DateBasis::Report
            }),
        };
        let by = match self.by.trim() {
            "" => Granularity::Month,
            g => Granularity::parse(g).unwrap_or_else(|| {
                errs.push("by", "err.choice");
                Granularity::Month
            }),
        };
        errs.into_result((
            StatFilter {
                region,
                from,
                to,
                basis,
                review,
            },
            by,
        ))
    }

    /// This filter as a query string (without `?`), for links and downloads.
    pub(crate) fn query_string(&self) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "region={}&from={}&to={}&basis={}&review={}&by={}",
            enc(&self.region),
            enc(&self.from),
            enc(&self.to),
            enc(&self.basis),
            enc(&self.review),
            enc(&self.by)
        )
    }

    /// The case list behind a total (official: the cleared cases).
    pub(crate) fn cases_href(&self, official: bool) -> String {
        self.period_href(&self.from, &self.to, official)
    }

    /// The case list of one period of the trend, within this filter's region and state.
    pub(crate) fn period_href(&self, from: &str, to: &str, official: bool) -> String {
        let enc = crate::http::util::url_encode;
        let review = if official {
            "cleared"
        } else {
            self.review.as_str()
        };
        format!(
            "/cases?region={}&from={}&to={}&basis={}&review={}",
            enc(&self.region),
            enc(from),
            enc(to),
            enc(&self.basis),
            enc(review)
        )
    }

    /// The case list behind a figure: the same region, period and state, and the value.
    pub(crate) fn drill(&self, dim: &str, value: Option<&str>, official: bool) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "{}&stat={}&val={}",
            self.cases_href(official),
            enc(dim),
            enc(value.unwrap_or_default())
        )
    }
}
