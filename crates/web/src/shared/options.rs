//! The picklists a case page shows, in the page's language.

use crate::AppState;
use crate::http::error::WebError;
use std::sync::{Arc, Mutex};
use store::Picklists;

/// A picklist in the page's language: (code, label).
#[derive(Clone)]
pub(crate) struct Options(pub Vec<(String, String)>);

impl Options {
    fn of(p: &Picklists, list: &str, lang: &str) -> Options {
        Options(
            p.items(list)
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        if lang == "en" {
                            i.label_en.clone()
                        } else {
                            i.label_id.clone()
                        },
                    )
                })
                .collect(),
        )
    }
    pub fn label<'a>(&'a self, code: &'a str) -> &'a str {
        self.0
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.as_str())
            .unwrap_or(code)
    }
    pub fn label_opt<'a>(&'a self, code: &'a Option<String>) -> &'a str {
        code.as_deref().map(|c| self.label(c)).unwrap_or("—")
    }
}

/// All picklists a case page shows, in the page's language.
#[derive(Clone)]
pub(crate) struct CaseOptions {
    pub channel: Options,
    pub trafficking_status: Options,
    pub exploitation: Options,
    pub means_of_control: Options,
    pub sector: Options,
    pub recruitment: Options,
    pub recruiter_relationship: Options,
    pub case_status: Options,
    pub sex: Options,
    pub education: Options,
    pub disability: Options,
    pub migrant_status: Options,
    pub route_event: Options,
    pub country: Options,
    pub legal_stage: Options,
    pub consent_scope: Options,
    pub consent_giver: Options,
    pub perpetrator_kind: Options,
    pub perpetrator_role: Options,
    pub citizenship: Options,
    pub close_reason: Options,
}

/// The options built per language from one copy of the picklists (the store keeps the
/// picklists until it seeds again, which gives a new copy): building them took ~300
/// string pairs on every case page.
type Built = (Arc<Picklists>, String, Arc<CaseOptions>);
static BUILT: Mutex<Vec<Built>> = Mutex::new(Vec::new());

impl CaseOptions {
    pub(crate) async fn load(state: &AppState, lang: &str) -> Result<Arc<CaseOptions>, WebError> {
        let p = state.store.picklists().await?;
        if let Ok(built) = BUILT.lock()
            && let Some((_, _, o)) = built
                .iter()
                .find(|(q, l, _)| Arc::ptr_eq(q, &p) && l == lang)
        {
            return Ok(o.clone());
        }
        let o = Arc::new(CaseOptions::build(&p, lang));
        if let Ok(mut built) = BUILT.lock() {
            // A few stores (tests run many) and two languages: keep the newest handful.
            if built.len() >= 8 {
                built.remove(0);
            }
            built.push((p, lang.to_owned(), o.clone()));
        }
        Ok(o)
    }

    /// Options with no picklist behind them (every code shows as itself).
    #[cfg(test)]
    pub(crate) fn empty() -> CaseOptions {
        CaseOptions::build(&Picklists::default(), "id")
    }

    fn build(p: &Picklists, lang: &str) -> CaseOptions {
        let o = |l: &str| Options::of(p, l, lang);
        CaseOptions {
            channel: o("channel"),
            trafficking_status: o("trafficking_status"),
            exploitation: o("exploitation"),
            means_of_control: o("means_of_control"),
            sector: o("sector"),
            recruitment: o("recruitment"),
            recruiter_relationship: o("recruiter_relationship"),
            case_status: o("case_status"),
            sex: o("sex"),
            education: o("education"),
            disability: o("disability"),
            migrant_status: o("migrant_status"),
            route_event: o("route_event"),
            country: o("country"),
            legal_stage: o("legal_stage"),
            consent_scope: o("consent_scope"),
            consent_giver: o("consent_giver"),
            perpetrator_kind: o("perpetrator_kind"),
            perpetrator_role: o("perpetrator_role"),
            citizenship: o("citizenship"),
            close_reason: o("close_reason"),
        }
    }
}
