//! The TPPO case record as entered: parsed from raw form or API input, checked field by
//! field, with every failure named. Picklist codes are checked against the reference
//! tables by the store; dates and NIKs are checked here.

use crate::nik::{Nik, NikWarning, Sex};
use crate::region::{RegionCode, RegionLevel};
use crate::secret::Secret;
use crate::time::civil_from_days;
use crate::validation::{Invalid, required_text};
use crate::value::{self, text};

pub use crate::value::day::{Day, format_day};

/// A day written strictly `YYYY-MM-DD` (see [`value::day::parse`]).
/// The most victims one case record holds (the same on the form and in the API).
pub const VICTIMS_MAX: usize = 50;

/// The most codes a multiple-choice list (forms of exploitation, means of control) takes.
pub const CHOICES_MAX: usize = 30;

pub fn parse_day(s: &str) -> Option<Day> {
    value::day::parse(s)
}

/// Age in whole years on `on` for someone born on `birth`.
pub fn age_on(birth: Day, on: Day) -> i64 {
    let (by, bm, bd) = civil_from_days(birth);
    let (y, m, d) = civil_from_days(on);
    let mut age = y - by;
    if (m, d) < (bm, bd) {
        age -= 1;
    }
    age
}

/// Picklist codes chosen on the case, still to be checked against the reference tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Choices {
    pub channel: String,
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewVictim {
    pub name: Secret<String>,
    pub alias: Option<Secret<String>>,
    pub nik: Option<Nik>,
    pub phone: Option<Secret<String>>,
    pub sex: Sex,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub home_village: Option<RegionCode>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub migrant_status: Option<String>,
    /// ISO 3166 alpha-3; Indonesian (`IDN`) when not given.
    pub citizenship: String,
    /// NIK disagreements the user was warned about (kept, not blocking).
    pub warnings: Vec<NikWarning>,
}

impl NewVictim {
    /// Child at the time of exploitation (under 18), from the birth date or the estimate.
    pub fn is_child(&self, exploitation_from: Option<Day>, reported_on: Day) -> bool {
        let on = exploitation_from.unwrap_or(reported_on);
        match (self.birth_date, self.age_estimate) {
            (Some(b), _) => age_on(b, on) < 18,
            (None, Some(a)) => a < 18,
            _ => false,
        }
    }

    /// Initials shown to roles that may not see identities ("S. A.").
    pub fn initials(&self) -> String {
        initials(self.name.expose())
    }
}

pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(3)
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Raw victim input (all text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct VictimInput {
    pub name: String,
    pub alias: String,
    pub nik: String,
    pub phone: String,
    pub sex: String,
    pub birth_date: String,
    pub age_estimate: String,
    pub home_village: String,
    pub education: String,
    pub occupation: String,
    pub disability: String,
    pub migrant_status: String,
    pub citizenship: String,
}

/// Raw case input (all text, as typed), shared by the form and the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CaseInput {
    pub channel: String,
    pub reported_on: String,
    pub exploitation_from: String,
    pub rescued_on: String,
    pub chronology: String,
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    pub sector: String,
    pub recruitment: String,
    pub recruiter_relationship: String,
    pub victims: Vec<VictimInput>,
}

#[derive(Debug, Clone)]
pub struct NewCase {
    pub choices: Choices,
    pub reported_on: Day,
    pub exploitation_from: Option<Day>,
    pub rescued_on: Option<Day>,
    pub chronology: Option<Secret<String>>,
    pub victims: Vec<NewVictim>,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A picklist code (checked against the lists by the store): empty is `None`; a control
/// character is refused here, so it never reaches SQL.
fn code(errs: &mut Invalid, field: &str, s: &str) -> Option<String> {
    if s.chars()
        .any(|c| c.is_control() || crate::value::text::is_bidi_control(c))
    {
        errs.push(field, "err.control_char");
        return None;
    }
    opt(s)
}

fn opt_day(errs: &mut Invalid, field: &str, s: &str) -> Option<Day> {
    errs.take(value::opt_day(field, s)).flatten()
}

impl NewCase {
    /// Parses and checks a case; `today` bounds dates in the future.
    pub fn parse(input: &CaseInput, today: Day) -> Result<NewCase, Invalid> {
        let mut errs = Invalid::default();
        if input.channel.trim().is_empty() {
            errs.push("channel", "err.required");
        }
        if input.trafficking_status.trim().is_empty() {
            errs.push("trafficking_status", "err.required");
        }
        let reported_on = errs.take(value::day("reported_on", &input.reported_on));
        let exploitation_from = opt_day(&mut errs, "exploitation_from", &input.exploitation_from);
        let rescued_on = opt_day(&mut errs, "rescued_on", &input.rescued_on);
        for (field, d) in [
            ("reported_on", reported_on),
            ("exploitation_from", exploitation_from),
            ("rescued_on", rescued_on),
        ] {
            if d.is_some_and(|d| d > today) {
                errs.push(field, "err.date_future");
            }
        }
        if let (Some(e), Some(r)) = (exploitation_from, rescued_on)
            && r < e
        {
            errs.push("rescued_on", "err.rescue_before_exploitation");
        }
        let chronology = errs
            .take(text::opt_multiline(
                "chronology",
                &input.chronology,
                text::CHRONOLOGY,
            ))
            .flatten()
            .map(Secret::new);
        if input.victims.is_empty() {
            errs.push("victims", "err.victim_required");
        }
        // One limit for form and API, said in the error (a larger group is several cases).
        if input.victims.len() > VICTIMS_MAX {
            errs.push("victims", "err.too_many_victims");
        }
        for (field, list) in [
            ("exploitation", &input.exploitation),
            ("means_of_control", &input.means_of_control),
        ] {
            if list.len() > CHOICES_MAX {
                errs.push(field, "err.too_many_choices");
            }
        }
        let mut victims = Vec::new();
        for (i, v) in input.victims.iter().enumerate() {
            let f = |name: &str| format!("victims[{i}].{name}");
            let name = required_text(&mut errs, &f("name"), &v.name, text::NAME_MAX);
            let sex = match Sex::parse(&v.sex) {
                Some(s) => Some(s),
                None if v.sex.trim().is_empty() => {
                    errs.push(&f("sex"), "err.required");
                    None
                }
                None => {
                    errs.push(&f("sex"), "err.choice");
                    None
                }
            };
            let nik = match opt(&v.nik) {
                None => None,
                Some(s) => {
                    let n = Nik::parse(&s);
                    if n.is_none() {
                        errs.push(&f("nik"), "err.nik");
                    }
                    n
                }
            };
            let birth_date = opt_day(&mut errs, &f("birth_date"), &v.birth_date);
            if birth_date.is_some_and(|b| b > today) {
                errs.push(&f("birth_date"), "err.date_future");
            }
            if let (Some(b), Some(e)) = (birth_date, exploitation_from)
                && b > e
            {
                errs.push(&f("birth_date"), "err.birth_after_exploitation");
            }
            let age_estimate = match opt(&v.age_estimate) {
                None => None,
                Some(s) => match s.parse::<i64>() {
                    Ok(a) if (0..=120).contains(&a) => Some(a),
                    _ => {
                        errs.push(&f("age_estimate"), "err.age");
                        None
                    }
                },
            };
            let home_village = match opt(&v.home_village) {
                None => None,
                Some(s) => match RegionCode::parse(&s) {
                    Ok(c) if c.level() == RegionLevel::Village => Some(c),
                    _ => {
                        errs.push(&f("home_village"), "err.village_code");
                        None
                    }
                },
            };
            let alias = errs
                .take(text::opt_line(&f("alias"), &v.alias, text::NAME))
                .flatten();
            let phone = opt(&v.phone);
            if phone.as_ref().is_some_and(|p| {
                p.len() > 40 || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
            }) {
                errs.push(&f("phone"), "err.phone");
            }
            let warnings = match (&nik, sex) {
                (Some(n), s) => {
                    let ymd = birth_date.map(civil_from_days);
                    n.check(ymd, s)
                }
                _ => Vec::new(),
            };
            if let Some(sex) = sex {
                victims.push(NewVictim {
                    name: Secret::new(name),
                    alias: alias.map(Secret::new),
                    nik,
                    phone: phone.map(Secret::new),
                    sex,
                    birth_date,
                    age_estimate,
                    home_village,
                    education: code(&mut errs, &f("education"), &v.education),
                    occupation: errs
                        .take(text::opt_line(&f("occupation"), &v.occupation, text::SHORT))
                        .flatten(),
                    disability: code(&mut errs, &f("disability"), &v.disability),
                    migrant_status: code(&mut errs, &f("migrant_status"), &v.migrant_status),
                    citizenship: code(&mut errs, &f("citizenship"), &v.citizenship)
                        .map(|c| c.to_uppercase())
                        .unwrap_or_else(|| "IDN".into()),
                    warnings,
                });
            }
        }
        let choices = Choices {
            channel: input.channel.trim().to_owned(),
            trafficking_status: input.trafficking_status.trim().to_owned(),
            exploitation: input
                .exploitation
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            means_of_control: input
                .means_of_control
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            sector: opt(&input.sector),
            recruitment: opt(&input.recruitment),
            recruiter_relationship: opt(&input.recruiter_relationship),
        };
        if choices.trafficking_status == "confirmed" && choices.exploitation.is_empty() {
            errs.push("exploitation", "err.exploitation_required");
        }
        match reported_on {
            Some(reported_on) if errs.is_empty() => Ok(NewCase {
                choices,
                reported_on,
                exploitation_from,
                rescued_on,
                chronology,
                victims,
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Day {
        parse_day("2026-11-28").unwrap()
    }

    fn good() -> CaseInput {
        CaseInput {
            channel: "police".into(),
            reported_on: "2026-03-02".into(),
            exploitation_from: "2025-06-01".into(),
            rescued_on: "2026-02-20".into(),
            trafficking_status: "confirmed".into(),
            exploitation: vec!["migrant_work".into()],
            victims: vec![VictimInput {
                name: "Yuliana Tefa".into(),
                nik: "5304015708990001".into(),
                sex: "female".into(),
                birth_date: "1999-08-17".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_consistent_case() {
        let c = NewCase::parse(&good(), today()).unwrap();
        assert_eq!(c.victims.len(), 1);
        assert!(c.victims[0].warnings.is_empty());
        assert_eq!(c.victims[0].initials(), "Y. T.");
        assert!(!c.victims[0].is_child(c.exploitation_from, c.reported_on));
    }

    #[test]
    fn impossible_dates_are_errors_naming_the_field() {
        let mut i = good();
        i.rescued_on = "2025-01-01".into();
        i.victims[0].birth_date = "2025-07-01".into();
        i.reported_on = "2027-01-01".into();
        let e = NewCase::parse(&i, today()).unwrap_err();
        let got: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.key)).collect();
        assert!(
            got.contains(&("rescued_on", "err.rescue_before_exploitation")),
            "{got:?}"
        );
        assert!(
            got.contains(&("victims[0].birth_date", "err.birth_after_exploitation")),
            "{got:?}"
        );
        assert!(got.contains(&("reported_on", "err.date_future")), "{got:?}");
    }

    #[test]
    fn nik_disagreement_warns_but_does_not_block() {
        let mut i = good();
        i.victims[0].sex = "male".into();
        let c = NewCase::parse(&i, today()).unwrap();
        assert_eq!(c.victims[0].warnings, vec![NikWarning::SexDiffers]);
        i.victims[0].nik = "12345".into();
        let e = NewCase::parse(&i, today()).unwrap_err();
        assert_eq!(e.0[0].field, "victims[0].nik");
    }

    #[test]
    fn confirmed_needs_a_form_of_exploitation_and_a_victim() {
        let mut i = good();
        i.exploitation.clear();
        i.victims.clear();
        let e = NewCase::parse(&i, today()).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["victims", "exploitation"]);
    }

    #[test]
    fn the_shared_parsers_apply() {
        let mut i = good();
        i.reported_on = "2026-3-2".into();
        i.chronology = "dibawa ke\u{0}Tawau".into();
        i.victims[0].name = "x".repeat(151);
        i.victims[0].alias = "Yuli\nT".into();
        let e = NewCase::parse(&i, today()).unwrap_err();
        let got: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.key)).collect();
        assert_eq!(
            got,
            [
                ("reported_on", "err.date"),
                ("chronology", "err.control_char"),
                ("victims[0].name", "err.too_long_150"),
                ("victims[0].alias", "err.control_char"),
            ]
        );
        let mut i = good();
        i.chronology = "baris satu\r\nbaris dua\r\n".into();
        let c = NewCase::parse(&i, today()).unwrap();
        assert_eq!(
            c.chronology.as_ref().map(|c| c.expose().as_str()),
            Some("baris satu\nbaris dua")
        );
        assert_eq!(parse_day("2026-1-5"), None);
        assert_eq!(parse_rupiah("1.2.3"), None);
        assert_eq!(parse_rupiah("Rp12.500.000,00"), Some(12_500_000));
        let e = NewLegal::parse(&LegalInput {
            restitution_ordered: "1.2.3".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.0[0].key, "err.rupiah");
    }

    #[test]
    fn child_at_exploitation() {
        let mut i = good();
        i.victims[0].birth_date = "2008-01-01".into();
        i.victims[0].nik = String::new();
        let c = NewCase::parse(&i, today()).unwrap();
        assert!(
            c.victims[0].is_child(c.exploitation_from, c.reported_on),
            "17 in June 2025"
        );
        assert_eq!(
            age_on(
                parse_day("2008-01-01").unwrap(),
                parse_day("2026-01-01").unwrap()
            ),
            18
        );
        assert_eq!(
            age_on(
                parse_day("2008-01-02").unwrap(),
                parse_day("2026-01-01").unwrap()
            ),
            17
        );
    }
}

/// A place and period on the victim's route, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RouteEventInput {
    /// recruitment, departure, transit, exploitation, detection, return
    pub kind: String,
    /// An Indonesian region code (village, district, regency or province)…
    pub region_code: String,
    /// …or a country abroad (ISO 3166 alpha-3) with a city.
    pub country: String,
    pub city: String,
    pub date_from: String,
    pub date_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRouteEvent {
    pub kind: String,
    pub region: Option<RegionCode>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<Day>,
    pub date_to: Option<Day>,
}

impl NewRouteEvent {
    pub fn parse(i: &RouteEventInput, today: Day) -> Result<NewRouteEvent, Invalid> {
        let mut errs = Invalid::default();
        if i.kind.trim().is_empty() {
            errs.push("kind", "err.required");
        }
        let region = match opt(&i.region_code) {
            None => None,
            Some(s) => {
                let r = RegionCode::parse(&s).ok();
                if r.is_none() {
                    errs.push("region_code", "err.region_code");
                }
                r
            }
        };
        let country = opt(&i.country).map(|c| c.to_uppercase());
        if country
            .as_ref()
            .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            errs.push("country", "err.country");
        }
        match (opt(&i.region_code).is_some(), country.is_some()) {
            (false, false) => errs.push("region_code", "err.place_required"),
            (true, true) => errs.push("country", "err.place_one"),
            _ => {}
        }
        let city = errs
            .take(text::opt_line("city", &i.city, text::SHORT))
            .flatten();
        let date_from = opt_day(&mut errs, "date_from", &i.date_from);
        let date_to = opt_day(&mut errs, "date_to", &i.date_to);
        for (f, d) in [("date_from", date_from), ("date_to", date_to)] {
            if d.is_some_and(|d| d > today) {
                errs.push(f, "err.date_future");
            }
        }
        if let (Some(a), Some(b)) = (date_from, date_to)
            && b < a
        {
            errs.push("date_to", "err.period");
        }
        errs.into_result(NewRouteEvent {
            kind: i.kind.trim().to_owned(),
            region,
            country,
            city,
            date_from,
            date_to,
        })
    }
}

/// The legal track's fixed facts, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LegalInput {
    pub police_report_no: String,
    pub police_unit: String,
    /// Articles of UU 21/2007 charged, e.g. "2, 4, 10".
    pub articles: String,
    pub sentence_months: String,
    /// Restitution ordered by the court, in rupiah ("12.500.000" or "12500000").
    pub restitution_ordered: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewLegal {
    pub police_report_no: Option<String>,
    pub police_unit: Option<String>,
    pub articles: Vec<u32>,
    pub sentence_months: Option<i64>,
    pub restitution_ordered: Option<i64>,
}

/// Parses a rupiah amount as written ("12500000", "12.500.000", "Rp 12.500.000,00"; see
/// [`value::Rupiah::parse`]). `None` for anything else, including "1.2.3", negatives
/// and amounts above [`value::RUPIAH_MAX`].
pub fn parse_rupiah(s: &str) -> Option<i64> {
    value::Rupiah::parse(s).ok().map(value::Rupiah::get)
}

impl NewLegal {
    pub fn parse(i: &LegalInput) -> Result<NewLegal, Invalid> {
        let mut errs = Invalid::default();
        let police_report_no = errs
            .take(text::opt_line(
                "police_report_no",
                &i.police_report_no,
                text::SHORT,
            ))
            .flatten();
        let police_unit = errs
            .take(text::opt_line("police_unit", &i.police_unit, text::NAME))
            .flatten();
        let mut articles = Vec::new();
        for a in i
            .articles
            .split([',', ' ', ';'])
            .filter(|a| !a.trim().is_empty())
        {
            match a.trim().parse::<u32>() {
                Ok(n) if (1..=67).contains(&n) => articles.push(n),
                _ => {
                    errs.push("articles", "err.articles");
                    break;
                }
            }
        }
        articles.sort_unstable();
        articles.dedup();
        let sentence_months = match opt(&i.sentence_months) {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (0..=1200).contains(&n) => Some(n),
                _ => {
                    errs.push("sentence_months", "err.months");
                    None
                }
            },
        };
        let restitution_ordered = errs
            .take(value::opt_rupiah(
                "restitution_ordered",
                &i.restitution_ordered,
            ))
            .flatten()
            .map(value::Rupiah::get);
        errs.into_result(NewLegal {
            police_report_no,
            police_unit,
            articles,
            sentence_months,
            restitution_ordered,
        })
    }
}

#[cfg(test)]
mod route_legal_tests {
    use super::*;

    #[test]
    fn a_place_is_a_region_or_a_country_not_both() {
        let today = parse_day("2026-11-28").unwrap();
        let ok = RouteEventInput {
            kind: "exploitation".into(),
            country: "mys".into(),
            city: "Tawau".into(),
            ..Default::default()
        };
        assert_eq!(
            NewRouteEvent::parse(&ok, today).unwrap().country.as_deref(),
            Some("MYS")
        );
        let none = RouteEventInput {
            kind: "transit".into(),
            ..Default::default()
        };
        assert_eq!(
            NewRouteEvent::parse(&none, today).unwrap_err().0[0].key,
            "err.place_required"
        );
        let both = RouteEventInput {
            kind: "transit".into(),
            region_code: "21.71".into(),
            country: "MYS".into(),
            ..Default::default()
        };
        assert_eq!(
            NewRouteEvent::parse(&both, today).unwrap_err().0[0].key,
            "err.place_one"
        );
        let period = RouteEventInput {
            kind: "transit".into(),
            region_code: "21.71".into(),
            date_from: "2026-02-01".into(),
            date_to: "2026-01-01".into(),
            ..Default::default()
        };
        assert_eq!(
            NewRouteEvent::parse(&period, today).unwrap_err().0[0].field,
            "date_to"
        );
    }

    #[test]
    fn legal_facts() {
        let l = NewLegal::parse(&LegalInput {
            articles: "10, 2 4,2".into(),
            restitution_ordered: "Rp 12.500.000".into(),
            sentence_months: "48".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (l.articles, l.restitution_ordered, l.sentence_months),
            (vec![2, 4, 10], Some(12_500_000), Some(48))
        );
        let e = NewLegal::parse(&LegalInput {
            articles: "2, 99".into(),
            restitution_ordered: "dua juta".into(),
            sentence_months: "-1".into(),
            ..Default::default()
        })
        .unwrap_err();
        let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(f, ["articles", "sentence_months", "restitution_ordered"]);
    }
}
