//! The case form in numbered steps: new and edit, with a search for victims already on
//! record before a new case is saved, and a version check on edit. It keeps every typed
//! value when something is wrong.

use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::{Fields, Refusal, finish};
use crate::shared::options::CaseOptions;
use crate::shared::region_field::{self, RegionChoices};
use crate::shared::today;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use domain::case::{CaseInput, NewCase, VictimInput, format_day};
use domain::{Action, FieldError};
use store::{CaseId, CaseView, StoreError};

/// What the button that sent the case form asks for.
#[derive(Debug, PartialEq)]
enum Intent {
    Save,
    /// "Add a victim": the form again with one more, empty, victim block.
    AddVictim,
    /// "Remove this victim" on block N (0-based): the form again without it, nothing saved.
    RemoveVictim(usize),
}

/// The case form as sent.
struct Sent {
    input: CaseInput,
    /// The version the form was opened at: 0 for a new case; anything but a number is an
    /// error on its field, never a silent 0.
    version: Result<i64, FieldError>,
    intent: Intent,
    /// How many of the victim blocks were saved victims when the form was opened.
    saved_victims: usize,
}

/// How the form was opened: at which version, with how many saved victims.
#[derive(Clone, Copy)]
struct Opened {
    version: i64,
    saved_victims: usize,
}

/// Builds the case input from form pairs: `victims[N].field` names, repeated checkboxes.
fn input_from_pairs(pairs: &[(String, String)]) -> Sent {
    let mut c = CaseInput::default();
    let mut version = Ok(0);
    let mut intent = Intent::Save;
    let mut saved = 0usize;
    for (k, v) in pairs {
        match k.as_str() {
            "channel" => c.channel = v.clone(),
            "reported_on" => c.reported_on = v.clone(),
            "exploitation_from" => c.exploitation_from = v.clone(),
            "rescued_on" => c.rescued_on = v.clone(),
            "chronology" => c.chronology = v.clone(),
            "trafficking_status" => c.trafficking_status = v.clone(),
            "exploitation" => c.exploitation.push(v.clone()),
            "means_of_control" => c.means_of_control.push(v.clone()),
            "sector" => c.sector = v.clone(),
            "recruitment" => c.recruitment = v.clone(),
            "recruiter_relationship" => c.recruiter_relationship = v.clone(),
            // 0 (a new case) or the positive version the form was opened at.
            "version" if !matches!(v.trim(), "" | "0") => {
                version = domain::value::id::parse(v).ok_or(FieldError::new("version", "err.id"))
            }
            "add_victim" => intent = Intent::AddVictim,
            "saved_victims" => saved = v.trim().parse().unwrap_or(usize::MAX),
            // A number that is not a block's removes nothing (the form comes back as it was).
            "remove_victim" => {
                intent = Intent::RemoveVictim(v.trim().parse().unwrap_or(usize::MAX))
            }
            _ => {
                let Some(rest) = k.strip_prefix("victims[") else {
                    continue;
                };
                let Some((idx, field)) = rest.split_once("].") else {
                    continue;
                };
                let Ok(i) = idx.parse::<usize>() else {
                    continue;
                };
                // Read one past the limit, so the parser says "too many" instead of the
                // form dropping victims silently; never more (a huge index allocates nothing).
                if i > domain::case::VICTIMS_MAX {
                    continue;
                }
                while c.victims.len() <= i {
                    c.victims.push(VictimInput::default());
                }
                let vi = &mut c.victims[i];
                let slot = match field {
                    "name" => &mut vi.name,
                    "alias" => &mut vi.alias,
                    "nik" => &mut vi.nik,
                    "phone" => &mut vi.phone,
                    "sex" => &mut vi.sex,
                    "birth_date" => &mut vi.birth_date,
                    "age_estimate" => &mut vi.age_estimate,
                    "home_village" => &mut vi.home_village,
                    "education" => &mut vi.education,
                    "occupation" => &mut vi.occupation,
                    "disability" => &mut vi.disability,
                    "migrant_status" => &mut vi.migrant_status,
                    "citizenship" => &mut vi.citizenship,
                    _ => continue,
                };
                *slot = v.clone();
            }
        }
    }
    // Only a block added since the form was opened can be removed here: the saved victims
    // are matched to their records by position, so removing one would hand its records
    // (services, plans) to the next.
    if let Intent::RemoveVictim(i) = intent
        && i < c.victims.len()
        && i >= saved
    {
        c.victims.remove(i);
    }
    // Blocks left empty are not victims (the form offers spare blocks). Citizenship is a
    // list without a blank choice that starts at the default (Indonesian): a block holding
    // only that is empty too, or a spare block would trap the form with "name required".
    c.victims.retain(|v| {
        let default_citizenship =
            v.citizenship.is_empty() || v.citizenship.eq_ignore_ascii_case("IDN");
        let blank = VictimInput {
            citizenship: v.citizenship.clone(),
            ..Default::default()
        };
        !(default_citizenship && *v == blank)
    });
    Sent {
        input: c,
        version,
        intent,
        saved_victims: saved,
    }
}

#[derive(Template)]
#[template(path = "cases/case_form.html")]
struct CaseFormPage {
    page: Page,
    form: CaseInput,
    errs: Errors,
    opts: std::sync::Arc<CaseOptions>,
    action: String,
    version: i64,
    conflict: bool,
    /// How many victim blocks hold saved victims (0 on a new case): only the blocks after
    /// them have a "remove" button.
    saved_victims: usize,
    /// Possible existing records of the victims being entered: (victim index, matches).
    similar: Vec<(usize, Vec<store::SimilarVictim>)>,
    /// Places offered under a home village typed as a name several places share.
    choices: RegionChoices,
    /// "62.71.01.1001 (Pahandut)": a village of the user's own region, for the hint.
    village_example: String,
}

/// A village of the user's region as the hint's example ("62.71.01.1001 (Pahandut)").
async fn village_example(state: &AppState, user: &User) -> Result<String, WebError> {
    let found = state
        .store
        .example_region(&user.actor().scope, domain::RegionLevel::Village)
        .await?;
    Ok(found
        .map(|(code, name)| format!("{name} / {code}"))
        .unwrap_or_default())
}

impl CaseFormPage {
    fn checked(&self, list: &[String], code: &str) -> bool {
        list.iter().any(|c| c == code)
    }
}

async fn form_page(
    state: &AppState,
    user: &User,
    form: CaseInput,
    errs: Errors,
    action: String,
    opened: Opened,
    conflict: bool,
) -> Result<Html<String>, WebError> {
    let choices = RegionChoices::default();
    form_page_with(state, user, form, errs, action, opened, conflict, choices).await
}

/// [`form_page`] with the places offered under home-village fields whose name matched
/// several.
#[allow(clippy::too_many_arguments)]
async fn form_page_with(
    state: &AppState,
    user: &User,
    mut form: CaseInput,
    errs: Errors,
    action: String,
    opened: Opened,
    conflict: bool,
    choices: RegionChoices,
) -> Result<Html<String>, WebError> {
    if form.victims.is_empty() {
        form.victims.push(VictimInput::default());
    }
    let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
    let title = if !action.starts_with("/cases/") {
        "cases.new"
    } else {
        "cases.edit"
    };
    let page = Page::from_ctx(&user.ctx, title);
    let locale = user.ctx.locale;
    let errs = errs.with_labels(|field| field_label(locale, field));
    let village_example = village_example(state, user).await?;
    render(&CaseFormPage {
        page,
        form,
        errs,
        opts,
        action,
        version: opened.version,
        conflict,
        saved_victims: opened.saved_victims,
        similar: Vec::new(),
        choices,
        village_example,
    })
}

/// A case form field's name for the error summary: "Korban 2 · NIK", "Tanggal laporan".
fn field_label(locale: crate::http::i18n::Locale, field: &str) -> Option<String> {
    if let Some(rest) = field.strip_prefix("victims[") {
        let (n, f) = rest.split_once("].")?;
        let n: usize = n.parse().ok()?;
        let what = locale.lookup(&format!("victim.{f}"))?;
        return Some(format!("{} {} · {what}", locale.t("case.victim"), n + 1));
    }
    locale.lookup(&format!("case.{field}")).map(str::to_owned)
}

/// Victims already on record who may be the people being entered (identity roles only).
async fn find_similar(
    state: &AppState,
    user: &User,
    new: &NewCase,
) -> Result<Vec<(usize, Vec<store::SimilarVictim>)>, WebError> {
    let actor = user.actor();
    if domain::decide(actor, Action::ViewIdentity, &actor.scope).is_err() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, v) in new.victims.iter().enumerate() {
        let found = state
            .store
            .similar_victims(
                actor,
                v.nik.as_ref().map(|n| n.as_str()),
                v.name.expose(),
                v.birth_date,
            )
            .await?;
        if !found.is_empty() {
            out.push((i, found));
        }
    }
    Ok(out)
}

fn require_edit(user: &User) -> Result<(), WebError> {
    if domain::authz::role_may(user.actor().role, Action::EditCase) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// `?pengaduan=<id>`: the case is opened from a complaint of the public.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FromComplaint {
    pengaduan: Option<i64>,
}

impl FromComplaint {
    /// Where the form is sent: `/cases`, with the complaint it comes from.
    fn action(&self) -> String {
        match self.pengaduan {
            Some(id) => format!("/cases?pengaduan={id}"),
            None => "/cases".into(),
        }
    }
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    user: User,
    axum::extract::Query(from): axum::extract::Query<FromComplaint>,
) -> Result<Html<String>, WebError> {
    require_edit(&user)?;
    let mut form = CaseInput {
        reported_on: format_day(today(&state.store, user.actor())),
        trafficking_status: "possible".into(),
        ..Default::default()
    };
    // From a complaint: its text (and what the sender added) as the chronology, the day it
    // came as the report's, the day it names as the exploitation's.
    if let Some(id) = from.pengaduan {
        let c = state.store.complaint(user.actor(), id).await?;
        let mut text = c.what.clone();
        for n in c.notes.iter().filter(|n| n.from_sender) {
            text.push_str("\n\n");
            text.push_str(&n.body);
        }
        form.chronology = text;
        form.channel = "public_complaint".into();
        form.reported_on = format_day(c.received_on);
        if let Some(d) = c.happened_on {
            form.exploitation_from = format_day(d);
        }
    }
    form_page(
        &state,
        &user,
        form,
        Errors::default(),
        from.action(),
        Opened {
            version: 0,
            saved_victims: 0,
        },
        false,
    )
    .await
}

/// Shared by create and update: re-render with the typed values on a problem.
async fn save(
    state: &AppState,
    user: &User,
    pairs: Fields,
    id: Option<CaseId>,
    from: FromComplaint,
) -> Result<Response, WebError> {
    let Sent {
        mut input,
        version,
        intent,
        saved_victims,
    } = input_from_pairs(&pairs);
    let action = id
        .map(|i| format!("/cases/{i}"))
        .unwrap_or_else(|| from.action());
    if intent != Intent::Save {
        if intent == Intent::AddVictim && input.victims.len() < domain::case::VICTIMS_MAX {
            input.victims.push(VictimInput::default());
        }
        let opened = Opened {
            version: version.unwrap_or(0),
            saved_victims,
        };
        return Ok(
            form_page(state, user, input, Errors::default(), action, opened, false)
                .await?
                .into_response(),
        );
    }
    let mut errs = domain::Invalid::default();
    let version = errs.take(version);
    // A home village typed as a name becomes its code (or the choices are offered).
    let mut choices = RegionChoices::default();
    for (i, v) in input.victims.iter_mut().enumerate() {
        let field = format!("victims[{i}].home_village");
        region_field::resolve(
            state,
            user.actor(),
            &field,
            &mut v.home_village,
            Some(domain::RegionLevel::Village),
            &mut errs,
            &mut choices,
        )
        .await?;
    }
    let new = match NewCase::parse(&input, today(&state.store, user.actor())) {
        Ok(n) => Some(n),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    region_field::first_per_field(&mut errs);
    let result = match (version, new) {
        (Some(version), Some(new)) if errs.is_empty() => {
            // Search before create: show possible existing records once; saving again with
            // the confirmation box ticked registers the case anyway.
            if id.is_none() && !pairs.iter().any(|(k, _)| k == "confirm_new") {
                let similar = find_similar(state, user, &new).await?;
                if !similar.is_empty() {
                    let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
                    let page = Page::from_ctx(&user.ctx, "cases.new");
                    let tpl = CaseFormPage {
                        page,
                        form: input,
                        errs: Errors::default(),
                        opts,
                        action: from.action(),
                        version,
                        conflict: false,
                        saved_victims: 0,
                        similar,
                        choices: RegionChoices::default(),
                        village_example: village_example(state, user).await?,
                    };
                    return Ok(render(&tpl)?.into_response());
                }
            }
            match id {
                None => {
                    let created = state
                        .store
                        .create_case(user.actor(), &new)
                        .await
                        .map(|(id, _)| id);
                    // The complaint it came from now points to it (the sender sees it was
                    // taken up). A complaint decided meanwhile keeps that decision; the
                    // case stands either way.
                    if let (Ok(case), Some(c)) = (&created, from.pengaduan)
                        && let Err(e) = state
                            .store
                            .complaint_opened_case(user.actor(), c, *case)
                            .await
                    {
                        tracing::warn!(error = %e, complaint = c, "case opened, complaint not linked");
                    }
                    created
                }
                Some(id) => state
                    .store
                    .update_case(user.actor(), id, version, &new)
                    .await
                    .map(|_| id),
            }
        }
        _ => Err(StoreError::Invalid(errs)),
    };
    let opened = Opened {
        version: version.unwrap_or(0),
        saved_victims,
    };
    let created = id.is_none();
    finish(
        result,
        |id| {
            if created {
                format!("/cases/{id}?ok=case_registered")
            } else {
                format!("/cases/{id}?ok=case_saved")
            }
        },
        async |r| match r {
            Refusal::Conflict(_) => {
                // Someone saved first: keep what this user typed, show the newer version.
                let current = state
                    .store
                    .case(user.actor(), id.unwrap_or(CaseId(0)))
                    .await?;
                let action = format!("/cases/{}", current.id);
                let errs = Errors::default();
                let opened = Opened {
                    version: current.version,
                    saved_victims: current.victims.len(),
                };
                form_page(state, user, input, errs, action, opened, true).await
            }
            r => {
                let errs = r.errors(user.ctx.locale);
                form_page_with(state, user, input, errs, action, opened, false, choices).await
            }
        },
    )
    .await
}

pub(super) async fn create(
    State(state): State<AppState>,
    user: User,
    axum::extract::Query(from): axum::extract::Query<FromComplaint>,
    FormBody(pairs): FormBody<Fields>,
) -> Result<Response, WebError> {
    require_edit(&user)?;
    save(&state, &user, pairs, None, from).await
}

fn to_input(c: &CaseView) -> CaseInput {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<i64>| v.map(format_day).unwrap_or_default();
    CaseInput {
        channel: c.channel.clone(),
        reported_on: format_day(c.reported_on),
        exploitation_from: d(&c.exploitation_from),
        rescued_on: d(&c.rescued_on),
        chronology: s(&c.chronology),
        trafficking_status: c.trafficking_status.clone(),
        exploitation: c.exploitation.clone(),
        means_of_control: c.means_of_control.clone(),
        sector: s(&c.sector),
        recruitment: s(&c.recruitment),
        recruiter_relationship: s(&c.recruiter_relationship),
        victims: c
            .victims
            .iter()
            .map(|v| VictimInput {
                name: s(&v.name),
                alias: s(&v.alias),
                nik: s(&v.nik),
                phone: s(&v.phone),
                sex: v.sex.clone(),
                birth_date: d(&v.birth_date),
                age_estimate: v.age_estimate.map(|a| a.to_string()).unwrap_or_default(),
                home_village: s(&v.home_village),
                education: s(&v.education),
                occupation: s(&v.occupation),
                disability: s(&v.disability),
                migrant_status: s(&v.migrant_status),
                citizenship: v.citizenship.clone(),
            })
            .collect(),
    }
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
) -> Result<Html<String>, WebError> {
    let c = state.store.case(user.actor(), id).await?;
    domain::decide(user.actor(), Action::EditCase, &c.scope()).map_err(StoreError::from)?;
    if !c.identities_visible {
        return Err(WebError::Forbidden);
    }
    form_page(
        &state,
        &user,
        to_input(&c),
        Errors::default(),
        format!("/cases/{id}"),
        Opened {
            version: c.version,
            saved_victims: c.victims.len(),
        },
        false,
    )
    .await
}

pub(super) async fn update(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(pairs): FormBody<Fields>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    save(&state, &user, pairs, Some(id), FromComplaint::default()).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_pairs_become_a_case_input() {
        let pairs: Vec<(String, String)> = [
            ("channel", "police"),
            ("exploitation", "sexual"),
            ("exploitation", "child"),
            ("victims[0].name", "A B"),
            ("victims[1].name", ""),
            ("victims[2].name", "C D"),
            ("victims[99].name", "ignored"),
            ("version", "3"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let super::Sent {
            input: c,
            version,
            intent,
            ..
        } = super::input_from_pairs(&pairs);
        assert_eq!(c.exploitation, ["sexual", "child"]);
        assert_eq!(
            c.victims
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            ["A B", "C D"]
        );
        assert_eq!((version, intent), (Ok(3), super::Intent::Save));
        let bad = [("version", "3x")].map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(
            super::input_from_pairs(&bad).version,
            Err(domain::FieldError::new("version", "err.id")),
            "a malformed version is an error, not 0"
        );
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_victim_block_can_be_removed_and_a_spare_one_is_not_a_victim() {
        let three = [
            ("victims[0].name", "A B"),
            ("victims[0].citizenship", "IDN"),
            ("victims[1].name", "C D"),
            ("victims[1].citizenship", "MYS"),
            ("victims[2].name", "E F"),
            ("victims[2].citizenship", "IDN"),
        ];
        let names = |c: &domain::case::CaseInput| {
            c.victims.iter().map(|v| v.name.clone()).collect::<Vec<_>>()
        };
        let mut list = three.to_vec();
        list.push(("remove_victim", "1"));
        let sent = super::input_from_pairs(&pairs(&list));
        assert_eq!(sent.intent, super::Intent::RemoveVictim(1));
        assert_eq!(names(&sent.input), ["A B", "E F"]);
        // A number that is no block's removes nothing; nor does removing a saved victim
        // (its records would pass to the next by position).
        for extra in [("remove_victim", "7x"), ("saved_victims", "2")] {
            let mut list = three.to_vec();
            list.push(("remove_victim", "1"));
            list.push(extra);
            if extra.0 == "remove_victim" {
                list.retain(|p| *p != ("remove_victim", "1"));
            }
            assert_eq!(
                names(&super::input_from_pairs(&pairs(&list)).input).len(),
                3
            );
        }
        // A spare block holding only the default citizenship is not a victim; one with
        // another citizenship is kept (and then asks for a name).
        let spare = [
            ("victims[0].name", "A B"),
            ("victims[1].citizenship", "IDN"),
            ("victims[2].citizenship", "MYS"),
        ];
        let sent = super::input_from_pairs(&pairs(&spare));
        assert_eq!(sent.intent, super::Intent::Save);
        assert_eq!(names(&sent.input), ["A B", ""]);
        assert_eq!(sent.input.victims[1].citizenship, "MYS");
    }
}
