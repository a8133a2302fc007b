//! The audit trail and a case's change history in plain language: "Menambah peristiwa
//! rute · Peristiwa: Eksploitasi · Tempat: Malaysia" instead of
//! `case.route_add event=1602 kind=exploitation place=MYS`, days as dates instead of day
//! numbers, and links to the records an entry names. The stored entry stays as it is (the
//! hash chain covers it); only its reading changes. A detail that is not `key=value`
//! pairs is shown as stored.

use crate::http::page::Page;
use crate::shared::options::CaseOptions;

/// One piece of an entry's detail: what it is, its value in words, and a link to the
/// record when it names one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Part {
    pub(crate) label: String,
    pub(crate) value: String,
    pub(crate) href: Option<String>,
}

/// An audit action in words (`case.route_add` → "Menambah peristiwa rute"); the code
/// itself when it has no words yet.
pub(crate) fn action(page: &Page, code: &str) -> String {
    page.locale
        .lookup(&format!("audit.act.{code}"))
        .map(str::to_owned)
        .unwrap_or_else(|| code.to_owned())
}

/// The kind of record an entry is about, in words.
pub(crate) fn record_type(page: &Page, code: &str) -> String {
    page.locale
        .lookup(&format!("audit.rec.{code}"))
        .map(str::to_owned)
        .unwrap_or_else(|| code.to_owned())
}

/// The kinds of record the trail names (the audit page's filter).
pub(crate) const RECORD_TYPES: &[&str] = &[
    "case",
    "user",
    "unit",
    "perpetrator",
    "linkage_pair",
    "perpetrator_pair",
    "api_token",
    "period",
    "index",
    "linkage_run",
    "settings",
    "setting",
    "key",
];

/// Where a record an entry is about is shown, when it has a page.
pub(crate) fn record_href(record_type: &str, id: &str) -> Option<String> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path = match record_type {
        "case" => format!("/cases/{id}"),
        "user" => format!("/users/{id}"),
        "unit" => format!("/units/{id}"),
        "perpetrator" => format!("/perpetrators/{id}"),
        "linkage_pair" => format!("/linkage/{id}"),
        "perpetrator_pair" => format!("/perpetrators/pairs/{id}"),
        _ => return None,
    };
    Some(path)
}

/// Keys whose value is a day number.
const DAYS: &[&str] = &[
    "due",
    "happened",
    "given_on",
    "followup_on",
    "on",
    "value",
    "withdrawn_on",
];

/// Keys whose value is a record id with a page of its own.
fn id_href(key: &str, id: &str) -> Option<String> {
    if !id.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() {
        return None;
    }
    Some(match key {
        "referral" => format!("/referrals/{id}"),
        "perpetrator" | "perpetrators" => format!("/perpetrators/{id}"),
        "victim" => format!("/victims/{id}/plan"),
        "unit" | "to_unit" | "units" | "from_unit" => format!("/units/{id}"),
        _ => return None,
    })
}

/// One code in words, by what its key says it is.
fn code_words(page: &Page, opts: &CaseOptions, key: &str, v: &str) -> String {
    let lists: &[&crate::shared::options::Options] = match key {
        "kind" => &[&opts.route_event, &opts.perpetrator_kind],
        "place" => &[&opts.country],
        "stage" => &[&opts.legal_stage],
        "scope" => &[&opts.consent_scope],
        "role" => &[&opts.perpetrator_role],
        "reason" => &[&opts.close_reason],
        _ => &[],
    };
    for l in lists {
        let label = l.label(v);
        if label != v {
            return label.to_owned();
        }
    }
    let prefixes: &[&str] = match key {
        "kind" => &["unit_kind", "referral.kind", "ledger.kind"],
        "role" | "from_role" => &["role"],
        "from" | "to" | "state" => &["review.state", "referral.state"],
        "level" => &["review.acting"],
        "status" => &["service.status"],
        "track" => &["ledger.track"],
        "shared" => &["referral.group"],
        "reason" | "over_outstanding" => &["audit.word"],
        _ => &[],
    };
    for p in prefixes {
        if let Some(label) = page.locale.lookup(&format!("{p}.{v}")) {
            return label.to_owned();
        }
    }
    v.to_owned()
}

/// An entry's detail in words, piece by piece.
pub(crate) fn detail(page: &Page, opts: &CaseOptions, detail: &str) -> Vec<Part> {
    let detail = detail.trim();
    if detail.is_empty() {
        return Vec::new();
    }
    let pairs: Option<Vec<(&str, &str)>> = detail
        .split_whitespace()
        .map(|t| t.split_once('=').filter(|(k, _)| !k.is_empty()))
        .collect();
    let Some(pairs) = pairs else {
        return vec![Part {
            label: String::new(),
            value: detail.to_owned(),
            href: None,
        }];
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        let label = page
            .locale
            .lookup(&format!("audit.key.{key}"))
            .map(str::to_owned)
            .unwrap_or_else(|| key.to_owned());
        // A list (`perpetrators=3,4`, `needs=shelter,health`) is one part per item when the
        // items are records, one part with every item in words otherwise.
        let items: Vec<&str> = value.split(',').filter(|s| !s.is_empty()).collect();
        if items.iter().any(|i| id_href(key, i).is_some()) {
            for i in items {
                out.push(Part {
                    label: label.clone(),
                    value: format!("#{i}"),
                    href: id_href(key, i),
                });
            }
            continue;
        }
        let words: Vec<String> = items
            .iter()
            .map(|v| match v.parse::<i64>() {
                Ok(d) if DAYS.contains(&key) => domain::case::format_day(d),
                _ if *v == "-" => "—".to_owned(),
                _ => code_words(page, opts, key, v),
            })
            .collect();
        out.push(Part {
            label,
            value: if words.is_empty() {
                "—".to_owned()
            } else {
                words.join(", ")
            },
            href: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;
    use domain::audit::AuditAction;

    fn page(locale: Locale) -> Page {
        Page::bare(locale)
    }

    #[test]
    fn every_record_type_has_words_in_both_languages() {
        for t in RECORD_TYPES {
            for l in [Locale::Id, Locale::En] {
                assert!(
                    l.lookup(&format!("audit.rec.{t}")).is_some(),
                    "{t} in {l:?}"
                );
            }
        }
    }

    #[test]
    fn every_action_has_words_in_both_languages() {
        for a in AuditAction::ALL {
            for l in [Locale::Id, Locale::En] {
                assert!(
                    l.lookup(&format!("audit.act.{}", a.as_str())).is_some(),
                    "audit.act.{} missing in {l:?}",
                    a.as_str()
                );
            }
        }
    }

    /// Every key the store writes into a detail (the formats in `crates/store`) has words.
    #[test]
    fn every_detail_key_has_words() {
        let written = [
            "by=name hits=2",
            "perpetrator=4 role=broker",
            "perpetrators=3,4 identities=3",
            "value=20799",
            "referral=1 victim=2 shared=identity",
            "referral=1 state=withdrawn reason=consent_withdrawn",
            "victims=1,2",
            "event=1602 kind=exploitation place=MYS",
            "articles=2,4",
            "stage=investigation",
            "consent=1 victim=2 scope=referral",
            "consent=1 referrals_ended=0",
            "grant=1 hours=8",
            "code=TPPO-62.71-2026-0001 victims=1",
            "version=3",
            "count=2 cases=1 rows=4",
            "kind=task_force region=62.71",
            "from_unit=2 from_role=viewer unit=3 role=verifier tokens_revoked=0",
            "tokens_revoked=1",
            "unit=3 role=verifier",
            "kind=api days=30",
            "service=1 victim=2 code=shelter unit=3 due=20799",
            "victim=2 needs=shelter,health",
            "victim=2 need=5",
            "victims=1 cases=1 perpetrators=0 recovery=0 grants=0 review=0",
            "referral=1 units=3,4",
            "referral=1 victim=2 to_unit=3 kind=service service=shelter shared=identity basis=consent due=20799",
            "from=submitted to=verified level=province by=verifier",
            "service=1 victim=2 status=delivered",
            "entry=1 victim=2 track=restitution kind=payment amount=1000000",
            "service=1 victim=2 evidence=3 type=application/pdf size=1024",
        ];
        for l in [Locale::Id, Locale::En] {
            for d in written {
                for (k, _) in d.split_whitespace().filter_map(|t| t.split_once('=')) {
                    assert!(
                        l.lookup(&format!("audit.key.{k}")).is_some(),
                        "audit.key.{k} missing in {l:?} (from \"{d}\")"
                    );
                }
            }
        }
    }

    #[test]
    fn a_detail_reads_as_words_with_dates_and_links() {
        let p = page(Locale::Id);
        let opts = CaseOptions::empty();
        let parts = detail(&p, &opts, "referral=7 victim=2 state=withdrawn due=20799");
        assert_eq!(parts[0].href.as_deref(), Some("/referrals/7"));
        assert_eq!(parts[1].href.as_deref(), Some("/victims/2/plan"));
        assert_eq!(parts[2].value, "Dibatalkan pengirim");
        assert_eq!(parts[3].value, domain::case::format_day(20799));
        assert_ne!(parts[3].label, "due");
        // Not key=value: shown as stored.
        let raw = detail(&p, &opts, "shelter|Petugas Uji");
        assert_eq!(raw.len(), 1);
        assert_eq!(raw[0].value, "shelter|Petugas Uji");
        assert_eq!(action(&p, "case.route_add"), "Menambah peristiwa rute");
        assert_eq!(action(&p, "no.such"), "no.such");
    }
}
