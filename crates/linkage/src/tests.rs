use std::sync::OnceLock;

use crate::cluster::cluster_edges;
use crate::model::{DOB, NAME, NIK, Prepared, dob_level, name_level, nik_birth_sex, nik_level};
use crate::*;

fn rec(id: u64, name: &str, sex: Option<Sex>, birth: &str, nik: &str, region: &str) -> Record {
    Record {
        id,
        name: (!name.is_empty()).then(|| name.to_string()),
        sex,
        birth: Date::parse(birth),
        nik: (!nik.is_empty()).then(|| nik.to_string()),
        region: (!region.is_empty()).then(|| region.to_string()),
        ..Record::default()
    }
}

fn p(name: &str) -> Prepared {
    Prepared::new(&rec(0, name, None, "", "", ""))
}

fn nlevel(a: &str, b: &str) -> u8 {
    name_level(&p(a), &p(b), &|_| -10.0).0
}

/// A small deterministic population: persons with Zipf-like names (a few very common), NIKs
/// built like real ones, and duplicates with typical errors.
fn population() -> &'static (Vec<Record>, Vec<u64>, Model) {
    static POP: OnceLock<(Vec<Record>, Vec<u64>, Model)> = OnceLock::new();
    POP.get_or_init(|| {
        let given = [
            "Siti",
            "Sri",
            "Nur",
            "Dewi",
            "Rina",
            "Yohana",
            "Kristina",
            "Euis",
            "Wahyuni",
            "Rahmawati",
            "Aminah",
            "Lestari",
            "Maria",
            "Fitri",
            "Indah",
            "Ayu",
            "Putri",
            "Yuliana",
            "Suwarni",
            "Tumini",
        ];
        let family = [
            "Aminah",
            "Hayati",
            "Seran",
            "Bria",
            "Kogoya",
            "Siregar",
            "Lubis",
            "Wijaya",
            "Handayani",
            "Susanti",
            "Pratiwi",
            "Rahayu",
            "Sari",
            "Utami",
            "Purnama",
            "Safitri",
        ];
        let mut state = 12345u64;
        let mut rnd = move |n: u64| {
            state = crate::names::mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            state % n
        };
        let mut records = Vec::new();
        let mut truth = Vec::new();
        for person in 0..3000u64 {
            // Zipf-ish: low indices much more common
            let g = given
                [(rnd(given.len() as u64) * rnd(given.len() as u64) / given.len() as u64) as usize];
            // family names: a few common ones, most built from syllables (rare)
            let syl = [
                "ma", "ri", "su", "to", "na", "ka", "wi", "ja", "lu", "ba", "ne", "go",
            ];
            let f = if rnd(3) == 0 {
                family[rnd(family.len() as u64) as usize].to_string()
            } else {
                let mut f: String = (0..3).map(|_| syl[rnd(12) as usize]).collect();
                f[..1].make_ascii_uppercase();
                f
            };
            let name = if rnd(5) == 0 {
                g.to_string()
            } else {
                format!("{g} {f}")
            };
            let (y, m, d) = (1980 + rnd(30) as i32, 1 + rnd(12) as u8, 1 + rnd(28) as u8);
            let birth = format!("{y:04}-{m:02}-{d:02}");
            let district = format!("32{:02}{:02}", 1 + rnd(20), 1 + rnd(5));
            let nik = format!(
                "{district}{:02}{m:02}{:02}{:04}",
                d + 40,
                y % 100,
                1 + rnd(30)
            );
            let region = district[..4].to_string();
            let base = rec(0, &name, Some(Sex::Female), &birth, &nik, &region);
            let copies = if rnd(4) == 0 { 2 } else { 1 };
            for c in 0..copies {
                let mut r = base.clone();
                r.id = records.len() as u64;
                if c > 0 {
                    if rnd(3) == 0 {
                        r.nik = None;
                    } else if rnd(6) == 0 {
                        // a typo in the NIK's date part
                        let mut b = nik.clone().into_bytes();
                        b[9] = if b[9] == b'9' { b'0' } else { b[9] + 1 };
                        r.nik = String::from_utf8(b).ok();
                    }
                    if rnd(5) == 0 {
                        r.name = Some(name.replace("u", "oe").to_uppercase());
                    }
                    if rnd(6) == 0 {
                        r.birth = Date::parse(&format!("{:04}-{m:02}-{d:02}", y + 1));
                    }
                    if rnd(3) == 0 {
                        r.region = Some("2171".into());
                    }
                }
                records.push(r);
                truth.push(person);
            }
        }
        let model = train(&records);
        (records, truth, model)
    })
}

// ---------------------------------------------------------------- names

#[test]
fn muhammad_variants_are_one_name() {
    for v in [
        "Mohammad Rizki",
        "Muhamad Rizky",
        "MOHAMAD RISKI",
        "Muh. Rizki",
        "Moh Rizki",
    ] {
        assert_eq!(nlevel("Muhammad Rizki", v), 0, "{v}");
    }
    // an initial agrees with any token starting with that letter, but only at the fuzzy level
    assert_eq!(nlevel("Muhammad Rizki", "M. Rizki"), 1);
    assert_eq!(nlevel("Muhammad Rizki", "A. Rizki"), 3);
}

#[test]
fn old_spellings_and_letter_variants() {
    assert_eq!(nlevel("Siti Aminah", "Sitti Aminah"), 0);
    assert_eq!(nlevel("Suharto", "Soeharto"), 0);
    assert_eq!(nlevel("Joko", "Djoko"), 0);
    assert_eq!(nlevel("Cahyono", "Tjahjono"), 0);
    assert_eq!(nlevel("Wahyuni", "Wahjoeni"), 0);
    assert_eq!(nlevel("Khadijah", "Chadijah"), 0);
    assert_eq!(nlevel("Fitri", "Pitri"), 0);
    assert_eq!(nlevel("Fatimah", "Fatima"), 0);
    assert_eq!(names::phonetic("djoko"), names::phonetic("joko"));
    assert_ne!(names::phonetic("siti"), names::phonetic("sari"));
}

#[test]
fn swapped_dropped_merged_and_mononyms() {
    assert_eq!(nlevel("Rizki Pratama", "Pratama Rizki"), 0, "swapped");
    assert_eq!(nlevel("Nur Hayati", "Nurhayati"), 0, "merged");
    assert_eq!(nlevel("Siti Nur Aminah", "Siti Aminah"), 2, "dropped token");
    assert_eq!(nlevel("Suwarni", "Suwarni"), 0, "mononym");
    assert_eq!(
        nlevel("Suwarni", "Suwarni Dewi"),
        2,
        "mononym inside a longer name"
    );
    assert_eq!(nlevel("Suwarni", "Suwarmi"), 1, "mononym with a typo");
    assert_eq!(nlevel("Aulia", "Zulia"), 1, "a typo in the first letter");
    assert_eq!(nlevel("Siti Aminah", "Siti Rahayu"), 3, "one token shared");
    assert_eq!(nlevel("Suwarni", "Budi Santoso"), 4, "different");
    assert_eq!(name_level(&p(""), &p("Budi"), &|_| 0.0).0, model::NULL);
}

#[test]
fn string_metrics() {
    assert!((names::jaro_winkler(b"martha", b"marhta") - 0.961).abs() < 0.001);
    assert_eq!(names::osa(b"3212054107030012", b"3212054107030021", 2), 1);
    assert!(names::within_one_edit(
        b"3212054107030012",
        b"3212054170030012"
    ));
    assert!(names::within_one_edit(
        b"3212054107030012",
        b"321205410703012"
    ));
    assert!(!names::within_one_edit(
        b"3212054107030012",
        b"3212054107031102"
    ));
}

// ---------------------------------------------------------------- dates and NIK

fn dl(a: &str, b: &str) -> u8 {
    let x = Prepared::new(&rec(0, "", None, a, "", ""));
    let y = Prepared::new(&rec(0, "", None, b, "", ""));
    dob_level(&x, &y)
}

#[test]
fn birth_date_error_kinds() {
    assert_eq!(Date::parse("19560409"), Date::parse("1956-04-09"));
    assert_eq!(Date::parse("1956-13-09"), None);
    assert_eq!(
        Date::parse("2003-07-0é"),
        None,
        "no panic on a multi-byte character"
    );
    assert_eq!(dl("1999-08-29", "1999-08-29"), 0);
    assert_eq!(dl("1999-08-29", "1999-08-23"), 1, "one digit");
    assert_eq!(dl("1999-04-05", "1999-05-04"), 1, "day/month swapped");
    assert_eq!(dl("1999-08-29", "2000-08-29"), 2, "year + 1");
    assert_eq!(
        dl("1999-08-29", "1999-09-01"),
        2,
        "three days off over a month end"
    );
    assert_eq!(dl("1999-08-29", "1999-07-01"), 3, "placeholder 1 July");
    assert_eq!(dl("1999-08-29", "1999-12-31"), 3, "placeholder 31 December");
    assert_eq!(dl("1999-08-29", "1985-02-11"), 4);
    assert_eq!(dl("1999-08-29", ""), model::NULL);
}

#[test]
fn nik_encodes_birth_date_and_sex() {
    let (d, s) = nik_birth_sex(b"3212054107030012").unwrap();
    assert_eq!((d, s), (Date::parse("2003-07-01").unwrap(), Sex::Female));
    let (d, s) = nik_birth_sex(b"3329052908990008").unwrap();
    assert_eq!((d, s), (Date::parse("1999-08-29").unwrap(), Sex::Male));
    assert!(nik_birth_sex(b"3212059907030012").is_none());
    // a record without birth date / sex takes them from its NIK
    let r = Prepared::new(&rec(0, "Siti", None, "", "3212054107030012", ""));
    assert_eq!(r.birth, Date::parse("2003-07-01"));
    assert_eq!(r.sex, Some(Sex::Female));
}

#[test]
fn nik_levels_know_the_structure() {
    let n = |s: &str| Prepared::new(&rec(0, "Siti", None, "", s, ""));
    let a = n("3212054107030012");
    assert_eq!(nik_level(&a, &n("3212054107030012"), false), 0);
    assert_eq!(
        nik_level(&a, &n("3212054107080012"), false),
        1,
        "typo in the date"
    );
    assert_eq!(
        nik_level(&a, &n("3212054107030021"), true),
        2,
        "other serial, names agree"
    );
    assert_eq!(
        nik_level(&a, &n("3212054107030013"), false),
        3,
        "other serial"
    );
    assert_eq!(
        nik_level(&a, &n("3212051203950004"), false),
        4,
        "same district"
    );
    assert_eq!(nik_level(&a, &n("5301051203950004"), false), 5);
}

#[test]
fn neighbour_nik_is_evidence_against_unless_names_agree() {
    let (_, _, model) = population();
    let f = Some(Sex::Female);
    let a = rec(
        1,
        "Dewi Lestari",
        f,
        "2003-07-01",
        "3212054107030012",
        "3212",
    );
    let stranger = rec(
        2,
        "Yohana Kogoya",
        f,
        "2003-07-01",
        "3212054107030013",
        "3212",
    );
    let no_niks = |r: &Record| Record {
        nik: None,
        ..r.clone()
    };
    let s = model.score(&a, &stranger);
    let nik_line = s.explanation.iter().find(|c| c.field == "nik").unwrap();
    assert!(nik_line.weight < 0.0, "{s:?}");
    assert!(s.probability < 0.01);
    // the same pair without NIKs scores higher: the neighbouring serial counted against it
    assert!(model.score(&no_niks(&a), &no_niks(&stranger)).weight > s.weight);
    // same names: a differing serial is probably a typo
    let same_name = rec(
        3,
        "Dewi Lestari",
        f,
        "2003-07-01",
        "3212054107030013",
        "2171",
    );
    assert!(model.score(&a, &same_name).probability > 0.9);
    // a typo outside the serial keeps the match
    let typo = rec(
        4,
        "Dewi Lestari",
        f,
        "2003-07-01",
        "3212054107080012",
        "2171",
    );
    let s = model.score(&a, &typo);
    assert!(s.probability > 0.9, "{s:?}");
    assert!(
        s.explanation
            .iter()
            .any(|c| c.field == "nik" && c.weight > 5.0),
        "{s:?}"
    );
}

// ---------------------------------------------------------------- model

#[test]
fn em_recovers_m_and_u() {
    // two classes, three comparisons; counts drawn exactly from known m and u
    let m_true = [[0.8, 0.15, 0.05], [0.9, 0.08, 0.02], [0.7, 0.2, 0.1]];
    let u_true = [[0.01, 0.09, 0.9], [0.02, 0.08, 0.9], [0.05, 0.15, 0.8]];
    let lambda = 0.2;
    let mut pats = Vec::new();
    for a in 0..3 {
        for b in 0..3 {
            for c in 0..3 {
                let pm = m_true[0][a] * m_true[1][b] * m_true[2][c];
                let pu = u_true[0][a] * u_true[1][b] * u_true[2][c];
                let mut lv = [model::NULL; model::NC];
                lv[NAME] = if a == 2 { 4 } else { a as u8 };
                lv[DOB] = if b == 2 { 4 } else { b as u8 };
                lv[model::REGION] = c as u8;
                pats.push((lv, 1e6 * (lambda * pm + (1.0 - lambda) * pu)));
            }
        }
    }
    // the random-pair u as a seed (deliberately off)
    let mut u_seed: Vec<Vec<f64>> = (0..model::NC)
        .map(|c| vec![1.0 / model::n_levels(c) as f64; model::n_levels(c)])
        .collect();
    u_seed[NAME] = vec![0.02, 0.05, 0.03, 0.0, 0.9];
    u_seed[DOB] = vec![0.05, 0.05, 0.0, 0.0, 0.9];
    u_seed[model::REGION] = vec![0.1, 0.1, 0.8];
    for row in u_seed.iter_mut() {
        for x in row.iter_mut() {
            *x = x.max(1e-6);
        }
    }
    let (l, m) = crate::train::em_for_test(&pats, &u_seed);
    assert!((l - lambda).abs() < 0.01, "lambda {l}");
    assert!((m[NAME][0] - 0.8).abs() < 0.02, "{:?}", m[NAME]);
    assert!((m[NAME][4] - 0.05).abs() < 0.02, "{:?}", m[NAME]);
    assert!((m[DOB][0] - 0.9).abs() < 0.02, "{:?}", m[DOB]);
    assert!(
        (m[model::REGION][1] - 0.2).abs() < 0.02,
        "{:?}",
        m[model::REGION]
    );
}

#[test]
fn trained_model_is_sane_and_persists() {
    let (records, _, model) = population();
    // agreement levels weigh for a match, disagreement against
    assert!(model.m[NAME][0] > model.u[NAME][0] * 100.0);
    assert!(model.m[DOB][0] > 0.5);
    assert!(model.m[NIK][5] < model.u[NIK][5]);
    assert!(model.lambda > 0.0 && model.lambda < 0.01);
    let json = serde_json::to_string(model).unwrap();
    let back: Model = serde_json::from_str(&json).unwrap();
    let (a, b) = (&records[0], &records[1]);
    assert_eq!(model.score(a, b).weight, back.score(a, b).weight);
}

#[test]
fn common_name_weighs_less_than_rare_name() {
    let (records, _, model) = population();
    let count = |n: &str| {
        records
            .iter()
            .filter(|r| r.name.as_deref() == Some(n))
            .count()
    };
    assert!(count("Siti") > 5 * count("Tumini Kogoya").max(1));
    let pair = |n: &str| {
        let f = Some(Sex::Female);
        let a = rec(1, n, f, "1990-03-04", "", "3201");
        let b = rec(2, n, f, "1990-03-04", "", "2171");
        let s = model.score(&a, &b);
        s.explanation
            .iter()
            .find(|c| c.field == "name")
            .unwrap()
            .weight
    };
    assert!(pair("Tumini Kogoya") > pair("Siti") + 2.0);
}

#[test]
fn explanation_lists_fields_and_sums_to_the_weight() {
    let (_, _, model) = population();
    let f = Some(Sex::Female);
    let a = rec(
        1,
        "Siti Aminah",
        f,
        "1990-03-04",
        "3201054403900007",
        "3201",
    );
    let b = rec(2, "SITTI AMINAH", f, "1990-03-04", "", "2171");
    let s = model.score(&a, &b);
    let fields: Vec<&str> = s.explanation.iter().map(|c| c.field).collect();
    assert_eq!(fields, ["prior", "name", "birth_date", "sex", "region"]);
    let total: f64 = s.explanation.iter().map(|c| c.weight).sum();
    assert!((total - s.weight).abs() < 1e-9);
    assert!(
        s.explanation[1].weight > 0.0 && s.explanation[2].weight > 0.0,
        "{s:?}"
    );
    // with equal NIKs the birth date and sex are not counted twice
    let c = rec(
        3,
        "Siti Aminah",
        f,
        "1990-03-04",
        "3201054403900007",
        "2171",
    );
    let s = model.score(&a, &c);
    let dob = s
        .explanation
        .iter()
        .find(|c| c.field == "birth_date")
        .unwrap();
    assert_eq!(dob.weight, 0.0);
    assert_eq!(dob.level, "counted in the NIK");
}

#[test]
fn blank_record_is_never_matched() {
    let (records, _, model) = population();
    let blank = rec(99_999, "  ", Some(Sex::Female), "", "", "3201");
    assert!(is_blank(&blank));
    assert!(!is_blank(&records[0]));
    assert!(
        is_blank(&rec(7, "-", None, "", "12", "3201")),
        "a 2-digit NIK is no NIK"
    );
    assert!(!is_blank(&rec(7, "", None, "", "3201054403900007", "")));
    let s = model.score(&blank, &blank);
    assert_eq!(s.probability, 0.0);
    assert!(blocking_keys(&blank).is_empty());
    let mut with_blanks = records[..50].to_vec();
    with_blanks.push(blank.clone());
    with_blanks.push(Record {
        id: 100_000,
        ..blank.clone()
    });
    let pairs = link_all(&with_blanks, model, 0.0001, &|_, _| {});
    assert!(pairs.iter().all(|p| p.a < 99_999 && p.b < 99_999));
    let index = Index::build(&with_blanks);
    assert!(index.candidates(&blank).is_empty());
    assert!(index.check(model, &blank, 0.0).is_empty());
}

// ---------------------------------------------------------------- blocking, linking, clustering

#[test]
fn link_all_finds_most_duplicates_and_index_matches_incrementally() {
    let (records, truth, model) = population();
    let pairs = link_all(records, model, 0.9, &|_, _| {});
    let true_pairs: usize = {
        let mut c = std::collections::HashMap::new();
        for t in truth {
            *c.entry(t).or_insert(0usize) += 1;
        }
        c.values().map(|n| n * (n - 1) / 2).sum()
    };
    let tp = pairs
        .iter()
        .filter(|p| truth[p.a as usize] == truth[p.b as usize])
        .count();
    assert!(tp as f64 >= 0.8 * true_pairs as f64, "{tp} of {true_pairs}");
    assert!(
        tp as f64 >= 0.95 * pairs.len() as f64,
        "{tp} of {}",
        pairs.len()
    );
    // incremental: the index of all but the last record finds its twin
    let last = records.len() - 1;
    let twin = (0..last).find(|&i| truth[i] == truth[last]);
    let mut index = Index::build(&records[..last]);
    let found = index.check(model, &records[last], 0.9);
    if let Some(t) = twin {
        assert!(found.iter().any(|p| p.b == t as u64), "{found:?}");
    }
    let pos = index.insert(&records[last]);
    assert!(index.candidates(&records[last]).contains(&pos));
}

#[test]
fn clustering_does_not_chain() {
    // A~B and B~C strong, A and C contradict: no cluster holds both A and C
    let mut edges = vec![(0u32, 1u32, 20.0), (1, 2, 15.0)];
    let contra = |a: u32, b: u32| {
        if (a, b) == (0, 2) || (a, b) == (2, 0) {
            -30.0
        } else {
            10.0
        }
    };
    let l = cluster_edges(3, &mut edges, &contra);
    assert_eq!(l[0], l[1]);
    assert_ne!(l[0], l[2]);
    // without the contradiction the chain is one cluster
    let mut edges = vec![(0u32, 1u32, 20.0), (1, 2, 15.0)];
    let l = cluster_edges(3, &mut edges, &|_, _| 10.0);
    assert!(l[0] == l[1] && l[1] == l[2]);
}

#[test]
fn clustering_with_a_real_model_refuses_a_contradicting_merge() {
    let (_, _, model) = population();
    let f = Some(Sex::Female);
    // B has no NIK and matches A and C by name and birth date; A and C have NIKs from
    // different provinces with different birth dates encoded
    let a = rec(
        1,
        "Dewi Lestari",
        f,
        "1990-03-04",
        "3201054403900007",
        "3201",
    );
    let b = rec(2, "Dewi Lestari", f, "1990-03-04", "", "3201");
    let c = rec(
        3,
        "Dewi Lestari",
        f,
        "1991-11-20",
        "5301056011910003",
        "5301",
    );
    let s = |x: &Record, y: &Record| model.score(x, y);
    let pairs = vec![
        Pair {
            a: 1,
            b: 2,
            scored: s(&a, &b),
        },
        Pair {
            a: 2,
            b: 3,
            scored: s(&a, &b),
        },
    ];
    let clusters = cluster(&[a.clone(), b.clone(), c.clone()], &pairs, model);
    assert!(
        clusters.iter().all(|g| !(g.contains(&1) && g.contains(&3))),
        "{clusters:?}"
    );
    assert!(clusters.iter().any(|g| g.contains(&1) && g.contains(&2)));
}

#[test]
fn clustering_refuses_to_join_records_with_unrelated_niks() {
    let (_, _, model) = population();
    let f = Some(Sex::Female);
    // same name and birth date everywhere; A and C hold NIKs of the same birth date in two
    // districts (more than two edits apart), B has none
    let a = rec(1, "Wulan Sari", f, "1995-06-12", "3201055206950003", "3201");
    let b = rec(2, "Wulan Sari", f, "1995-06-12", "", "3174");
    let c = rec(3, "Wulan Sari", f, "1995-06-12", "3302175206950011", "3302");
    let pa = Prepared::new(&a);
    let pc = Prepared::new(&c);
    assert!(model.evidence_prepared(&pa, &pc) > crate::cluster::CONTRADICTION);
    assert_eq!(model.cluster_evidence(&pa, &pc), f64::NEG_INFINITY);
    // two typos of one NIK (two edits apart) do not contradict
    let d = rec(4, "Wulan Sari", f, "1995-06-12", "3201055206950093", "3201");
    let e = rec(5, "Wulan Sari", f, "1995-06-12", "3201055296950003", "3201");
    let (pd, pe) = (Prepared::new(&d), Prepared::new(&e));
    assert!(model.cluster_evidence(&pd, &pe) > crate::cluster::CONTRADICTION);
    let pairs = vec![
        Pair {
            a: 1,
            b: 2,
            scored: model.score(&a, &b),
        },
        Pair {
            a: 2,
            b: 3,
            scored: model.score(&b, &c),
        },
    ];
    let clusters = cluster(&[a.clone(), b.clone(), c.clone()], &pairs, model);
    assert!(
        clusters.iter().all(|g| !(g.contains(&1) && g.contains(&3))),
        "{clusters:?}"
    );
}

#[test]
fn blocking_keys_cover_typical_errors() {
    let f = Some(Sex::Female);
    let a = rec(
        1,
        "Siti Nur Aminah",
        f,
        "1990-03-04",
        "3201054403900007",
        "3201",
    );
    let shares = |b: &Record| {
        let ka = blocking_keys(&a);
        blocking_keys(b).iter().any(|k| ka.contains(k))
    };
    // no NIK, a token dropped and swapped
    assert!(shares(&rec(2, "AMINAH SITI", f, "1990-03-04", "", "2171")));
    // birth date wrong, same NIK prefix
    assert!(shares(&rec(
        3,
        "Sitti Aminah",
        f,
        "1990-04-03",
        "3201054403900007",
        ""
    )));
    // a typo in the NIK's date part, name misspelt
    assert!(shares(&rec(
        4,
        "Siti Nur Aminnah",
        f,
        "",
        "3201054408900007",
        ""
    )));
    // nothing in common
    assert!(!shares(&rec(
        5,
        "Budi Santoso",
        None,
        "1975-01-02",
        "",
        "6171"
    )));
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_reports_malformed_rows_with_line_numbers() {
    let text = "a,b,c\n1,\"x, y\",3\n1,2\n\"multi\nline\",5,6\n7,\"open,8\n";
    let mut rows = Vec::new();
    let (header, errors) =
        csv::for_each_row(text.as_bytes(), |line, _, f| rows.push((line, f.to_vec()))).unwrap();
    assert_eq!(header, ["a", "b", "c"]);
    assert_eq!(rows[0], (2, vec!["1".into(), "x, y".into(), "3".into()]));
    assert_eq!(rows[1].0, 4);
    assert_eq!(rows[1].1[0], "multi\nline");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].line, 3);
    assert!(errors[0].message.contains("2 fields"));
    assert_eq!(errors[1].line, 6);
    let mut out = Vec::new();
    assert!(csv::split_row("a\"b,c", &mut out).is_err());
    assert!(csv::split_row("\"a\"x,c", &mut out).is_err());
}
