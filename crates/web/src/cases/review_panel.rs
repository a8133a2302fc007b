//! What the case page's review panel shows: readable labels of the case's fields and the
//! fields a reviewer can attach a note to (the review form as typed is the page's
//! `FormState`). The review
//! step itself (`POST /cases/{id}/review`) is the review feature's; it shows the case page
//! again through [`super::page::case_view`].

use crate::http::i18n::Locale;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_labels_name_the_victim() {
        assert_eq!(field_label(Locale::En, "victims[1].nik"), "Victim 2 · NIK");
        assert_eq!(field_label(Locale::En, "nonsense"), "nonsense");
    }
}
