//! The page frame shared by all templates, and rendering. Templates live in
//! `crates/web/templates/` (askama: compiled in, auto-escaped).

use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::i18n::Locale;
use askama::Template;
use axum::response::Html;
use domain::FieldError;
use domain::authz::role_may;
use domain::{Action, Role, Scope};

/// The logged-in user as the navigation shows them.
#[derive(Clone)]
pub struct NavUser {
    pub username: String,
    pub full_name: String,
    pub unit_name: String,
    pub role: Role,
    pub scope_label: String,
    pub is_admin: bool,
    pub is_national_admin: bool,
    pub can_view_cases: bool,
    pub has_queue: bool,
    pub can_periods: bool,
    pub can_quality: bool,
    pub can_link: bool,
    /// Works with victims' services and referrals (tasks, referral lists).
    pub can_follow: bool,
    /// Reads and triages complaints from the public.
    pub can_complaints: bool,
    pub can_news: bool,
    pub unread: i64,
}

/// What every page needs: locale, CSRF token, the user, the current path.
#[derive(Clone)]
pub struct Page {
    pub locale: Locale,
    pub csrf: String,
    pub user: Option<NavUser>,
    pub path: String,
    pub title: String,
    pub flash: String,
    /// Times are shown in the zone of the user's region (WIB, WITA or WIT), named; WIB for
    /// national staff and pages without a user.
    pub zone: domain::time::Zone,
    /// Staff printouts say who printed them from which unit; a slip printed for a victim
    /// must not (it would name the unit that shelters her).
    pub print_note: bool,
    /// On the public listener: no link into the application.
    pub public_only: bool,
}

impl Page {
    pub fn from_ctx(ctx: &Ctx, title_key: &str) -> Page {
        let user = ctx
            .session
            .as_ref()
            .filter(|s| s.info.second_factor_ok)
            .map(|s| {
                let a = &s.info.actor;
                NavUser {
                    username: a.username.clone(),
                    full_name: s.info.full_name.clone(),
                    unit_name: s.info.unit_name.clone(),
                    role: a.role,
                    scope_label: match &a.scope {
                        Scope::National => ctx.locale.t("scope.national").to_owned(),
                        Scope::Region(c) => c.to_string(),
                    },
                    is_admin: role_may(a.role, Action::ManageUser),
                    is_national_admin: role_may(a.role, Action::ManageSettings)
                        && a.scope == Scope::National,
                    can_view_cases: role_may(a.role, Action::ViewCase),
                    has_queue: [Action::SubmitCase, Action::VerifyCase, Action::ClearCase]
                        .into_iter()
                        .any(|x| role_may(a.role, x)),
                    can_periods: role_may(a.role, Action::ManagePeriods),
                    can_quality: role_may(a.role, Action::ViewQuality),
                    can_link: role_may(a.role, Action::LinkPersons),
                    can_follow: a.role.sees_identities(),
                    can_complaints: role_may(a.role, Action::HandleComplaints),
                    can_news: role_may(a.role, Action::WriteNews)
                        || role_may(a.role, Action::PublishNews),
                    unread: s.info.unread,
                }
            });
        let zone = match ctx.session.as_ref().map(|s| &s.info.actor.scope) {
            Some(Scope::Region(c)) => domain::time::Zone::of_region(c.as_str()),
            _ => domain::time::Zone::Wib,
        };
        Page {
            locale: ctx.locale,
            csrf: ctx.csrf.clone(),
            user,
            zone,
            path: ctx.path.clone(),
            title: if title_key.is_empty() {
                String::new()
            } else {
                ctx.locale.t(title_key).to_owned()
            },
            flash: String::new(),
            print_note: true,
            public_only: ctx.public_only,
        }
    }

    /// A page for error responses produced before any context exists.
    pub fn bare(locale: Locale) -> Page {
        Page {
            locale,
            csrf: String::new(),
            user: None,
            path: String::new(),
            title: String::new(),
            flash: String::new(),
            zone: domain::time::Zone::Wib,
            print_note: true,
            public_only: false,
        }
    }

    /// Sets a confirmation message from a known `?ok=` key (never echoes arbitrary input).
    pub fn with_flash(mut self, ok: Option<&str>) -> Page {
        if let Some(k) =
            ok.filter(|k| k.len() < 40 && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        {
            let key = format!("flash.{k}");
            if let Some(msg) = self.locale.lookup(&key) {
                self.flash = msg.to_owned();
            }
        }
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.locale.t(key)
    }

    pub fn tf(&self, key: &str, arg: impl std::fmt::Display) -> String {
        self.locale.tf(key, &[&arg.to_string()])
    }

    pub fn role_label(&self, role: &Role) -> &'static str {
        self.locale.t(&format!("role.{}", role.as_str()))
    }

    pub fn label(&self, prefix: &str, value: &str) -> &'static str {
        self.locale.t(&format!("{prefix}.{value}"))
    }

    /// `aria-current` for the navigation item whose section we are in.
    pub fn current(&self, prefix: &str) -> &'static str {
        let on = if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        };
        if on { "page" } else { "false" }
    }

    pub fn lang_switch_href(&self) -> String {
        format!(
            "/lang/{}?next={}",
            self.locale.other().code(),
            crate::http::util::url_encode(&self.path)
        )
    }

    pub fn other_lang_label(&self) -> &'static str {
        match self.locale {
            Locale::Id => "English",
            Locale::En => "Bahasa Indonesia",
        }
    }

    pub fn date(&self, ms: &i64) -> String {
        // In the zone of the user's region, named: an officer in Kupang reads WITA.
        format!(
            "{} {}",
            domain::time::format_ms(*ms, self.zone.offset_hours()),
            self.zone.label()
        )
    }

    pub fn date_opt(&self, ms: &Option<i64>) -> String {
        ms.map(|m| self.date(&m)).unwrap_or_else(|| "—".into())
    }
}

/// Field errors of a submitted form, looked up by field name in templates.
#[derive(Clone, Default)]
pub struct Errors {
    pub list: Vec<(String, &'static str)>,
    /// What the error summary calls each field ("Korban 2 · NIK"), where the form says.
    pub labels: Vec<(String, String)>,
}

impl Errors {
    pub fn new(locale: Locale, fields: &[FieldError]) -> Errors {
        let list = fields
            .iter()
            .map(|f| (f.field.clone(), locale.t(f.key)))
            .collect();
        Errors {
            list,
            labels: Vec::new(),
        }
    }
    /// Names each field in error with `label` (the summary then says which field, not
    /// only "Wajib diisi.").
    pub fn with_labels(mut self, label: impl Fn(&str) -> Option<String>) -> Errors {
        self.labels = self
            .list
            .iter()
            .filter_map(|(f, _)| label(f).map(|l| (f.clone(), l)))
            .collect();
        self
    }
    /// The field's name for the summary, or "".
    pub fn label(&self, field: &str) -> &str {
        self.labels
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, l)| l.as_str())
            .unwrap_or("")
    }
    pub fn get(&self, field: &str) -> &'static str {
        self.list
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| *m)
            .unwrap_or("")
    }
    pub fn any(&self) -> bool {
        !self.list.is_empty()
    }
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_empty() {
            "false"
        } else {
            "true"
        }
    }
}

pub fn render<T: Template>(t: &T) -> Result<Html<String>, WebError> {
    t.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template rendering failed");
        WebError::Internal
    })
}
