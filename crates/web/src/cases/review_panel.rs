//! What the case page's review panel shows: readable labels of the case's fields, the
//! fields a reviewer can attach a note to, and the review form as it was typed. The review
//! step itself (`POST /cases/{id}/review`) is the review feature's; it shows the case page
//! again through [`super::page::case_page`].

use crate::http::i18n::Locale;
use std::collections::HashMap;
use store::FieldNote;

/// A readable label for a field key such as `victims[1].nik` or `exploitation`.
pub(crate) fn field_label(loc: Locale, key: &str) -> String {
    if let Some(rest) = key.strip_prefix("victims[")
        && let Some((n, field)) = rest.split_once("].")
    {
        let n: usize = n.parse().unwrap_or(0);
        let f = loc.t(&format!("victim.{field}"));
        return format!("{} {} · {}", loc.t("case.victim"), n + 1, f);
    }
    let k = match key {
        "route" => "route.title".to_owned(),
        "legal" => "legal.title".to_owned(),
        "perpetrators" => "perp.title".to_owned(),
        "victims" => "case.victims".to_owned(),
        "close_reason" => "field.status".to_owned(),
        other => format!("case.{other}"),
    };
    match loc.lookup(&k) {
        Some(t) => t.to_owned(),
        None => key.to_owned(),
    }
}

/// The fields a reviewer can attach a note to.
pub(crate) const NOTE_FIELDS: [&str; 12] = [
    "channel",
    "reported_on",
    "trafficking_status",
    "exploitation",
    "exploitation_from",
    "rescued_on",
    "chronology",
    "recruitment",
    "sector",
    "victims",
    "route",
    "perpetrators",
];

/// What the review form held, to show again after a refusal.
#[derive(Default, Clone)]
pub(crate) struct ReviewForm {
    pub(crate) note: String,
    pub(crate) field_notes: Vec<FieldNote>,
    pub(crate) justifications: HashMap<String, String>,
    /// The submission was refused by the rules: show the justification boxes open.
    pub(crate) refused: bool,
}

impl ReviewForm {
    pub(crate) fn justification(&self, key: &str) -> &str {
        self.justifications
            .get(key)
            .map(String::as_str)
            .unwrap_or("")
    }
    pub(crate) fn field_note(&self, i: usize) -> (&str, &str) {
        self.field_notes
            .get(i)
            .map(|n| (n.field.as_str(), n.note.as_str()))
            .unwrap_or(("", ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_labels_name_the_victim() {
        assert_eq!(field_label(Locale::En, "victims[1].nik"), "Victim 2 · NIK");
        assert_eq!(field_label(Locale::En, "nonsense"), "nonsense");
    }
}
