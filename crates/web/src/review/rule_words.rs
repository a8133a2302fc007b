//! A validation rule's condition in words ("Bila Status TPPO adalah Terkonfirmasi, maka
//! Bentuk eksploitasi terisi"), from its parsed clauses: field names become the form's
//! labels, codes the picklists' words. The syntax itself is for admins, who edit it.

use crate::http::page::Page;
use crate::shared::options::{CaseOptions, Options};
use domain::rules::{Clause, ClauseTest, Condition};

/// The field in words.
fn field(page: &Page, f: &str) -> String {
    page.locale
        .lookup(&format!("rules.field.{f}"))
        .map(str::to_owned)
        .unwrap_or_else(|| f.to_owned())
}

/// The picklist a field's codes come from.
fn list<'a>(opts: &'a CaseOptions, f: &str) -> Option<&'a Options> {
    Some(match f {
        "channel" => &opts.channel,
        "trafficking_status" => &opts.trafficking_status,
        "exploitation" => &opts.exploitation,
        "means_of_control" => &opts.means_of_control,
        "sector" => &opts.sector,
        "recruitment" => &opts.recruitment,
        "recruiter_relationship" => &opts.recruiter_relationship,
        "status" => &opts.case_status,
        "close_reason" => &opts.close_reason,
        "victim.sex" => &opts.sex,
        "victim.citizenship" => &opts.citizenship,
        "victim.education" => &opts.education,
        "victim.disability" => &opts.disability,
        "victim.migrant_status" => &opts.migrant_status,
        "victim.consent_givers" => &opts.consent_giver,
        _ => return None,
    })
}

fn value(page: &Page, opts: &CaseOptions, f: &str, v: &str) -> String {
    if let Some(l) = list(opts, f) {
        return l.label(v).to_owned();
    }
    match v {
        "yes" | "no" => page.t(&format!("rules.w.{v}")).to_owned(),
        _ => v.to_owned(),
    }
}

fn values(page: &Page, opts: &CaseOptions, f: &str, vs: &[&str]) -> String {
    let words: Vec<String> = vs.iter().map(|v| value(page, opts, f, v)).collect();
    words.join(", ")
}

fn clause(page: &Page, opts: &CaseOptions, c: &Clause) -> String {
    let name = field(page, c.field);
    let w = |k: &str| page.t(&format!("rules.w.{k}"));
    match &c.test {
        ClauseTest::Present => format!("{name} {}", w("present")),
        ClauseTest::Blank => format!("{name} {}", w("blank")),
        // A yes/no fact reads as itself ("the victim is a child").
        ClauseTest::Eq("yes") => name,
        ClauseTest::Eq("no") => format!("{} {name}", w("not")),
        ClauseTest::Eq(v) => format!("{name} {} {}", w("eq"), value(page, opts, c.field, v)),
        ClauseTest::Ne(v) => format!("{name} {} {}", w("ne"), value(page, opts, c.field, v)),
        ClauseTest::In(vs) => format!("{name} {} {}", w("in"), values(page, opts, c.field, vs)),
        ClauseTest::Has(v) => format!("{name} {} {}", w("has"), value(page, opts, c.field, v)),
        ClauseTest::Lacks(v) => {
            format!("{name} {} {}", w("lacks"), value(page, opts, c.field, v))
        }
        ClauseTest::HasAny(vs) => {
            format!(
                "{name} {} {}",
                w("has_any"),
                values(page, opts, c.field, vs)
            )
        }
        ClauseTest::Compare(op, against) => {
            let key = match *op {
                "<" => "lt",
                "<=" => "le",
                ">" => "gt",
                _ => "ge",
            };
            match against {
                // Another field: the rules compare dates.
                Err(other) => format!("{name} {} {}", w(&format!("{key}_day")), field(page, other)),
                Ok(n) => format!("{name} {} {n}", w(key)),
            }
        }
    }
}

/// The condition in words; the syntax as written when it does not parse.
pub(super) fn words(page: &Page, opts: &CaseOptions, condition: &str) -> String {
    let Ok(c) = Condition::parse(condition) else {
        return condition.to_owned();
    };
    let (when, require) = c.clauses();
    let and = format!(" {} ", page.t("rules.w.and"));
    let join = |cs: &[Clause]| {
        cs.iter()
            .map(|x| clause(page, opts, x))
            .collect::<Vec<_>>()
            .join(&and)
    };
    if when.is_empty() {
        format!("{} {}", page.t("rules.w.always"), join(&require))
    } else {
        format!(
            "{} {}, {} {}",
            page.t("rules.w.when"),
            join(&when),
            page.t("rules.w.then"),
            join(&require)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;

    #[test]
    fn every_field_a_rule_may_read_has_words() {
        for f in domain::rules::CASE_FIELDS
            .iter()
            .chain(domain::rules::VICTIM_FIELDS.iter())
        {
            for l in [Locale::Id, Locale::En] {
                assert!(
                    l.lookup(&format!("rules.field.{f}")).is_some(),
                    "{f} in {l:?}"
                );
            }
        }
    }

    #[test]
    fn a_condition_reads_as_a_sentence() {
        let page = Page::bare(Locale::Id);
        let opts = CaseOptions::empty();
        assert_eq!(
            words(
                &page,
                &opts,
                "when trafficking_status = confirmed require exploitation present"
            ),
            "Bila Status TPPO adalah confirmed, maka Bentuk eksploitasi terisi"
        );
        assert_eq!(
            words(&page, &opts, "require rescued_on >= exploitation_from"),
            "Selalu: Tanggal penyelamatan tidak sebelum Awal eksploitasi"
        );
        let en = Page::bare(Locale::En);
        assert_eq!(
            words(
                &en,
                &opts,
                "when victim.is_child = yes require victim.consent_givers has-any parent,guardian"
            ),
            "When the victim is a child, then Consent given by includes any of parent, guardian"
        );
    }
}
