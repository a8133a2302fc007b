//! Cases through the store: registration, identities, search, scope and history.

use super::*;
use domain::case::{CaseInput, NewCase, VictimInput, parse_day};
use store::{CaseFilter, CaseId};

fn today() -> i64 {
    store::now_ms() / 86_400_000
}

fn input(name: &str, nik: &str) -> CaseInput {
    CaseInput {
        channel: "police".into(),
        reported_on: "2026-03-02".into(),
        exploitation_from: "2025-06-01".into(),
        rescued_on: "2026-02-20".into(),
        chronology: format!("{name} direkrut lewat sponsor ke Malaysia."),
        trafficking_status: "confirmed".into(),
        exploitation: vec!["migrant_work".into()],
        means_of_control: vec!["withholds_documents".into(), "debt_bondage".into()],
        sector: "T".into(),
        victims: vec![VictimInput {
            name: name.into(),
            nik: nik.into(),
            sex: "female".into(),
            birth_date: "1999-08-17".into(),
            phone: "0812 3456 7890".into(),
            home_village: "53.04.01.2001".into(),
            education: "smp".into(),
            migrant_status: "pmi".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn setup() -> (store::testing::TestDb, Store, Actor, Actor, Actor) {
    let (db, store) = open().await;
    let store = store.with_keyring(store::testing::test_keyring());
    let kalteng = unit(&store, "GT Provinsi Kalimantan Tengah", "62").await;
    let belu = unit(&store, "GT Kabupaten Belu", "53.04").await;
    user(&store, "data.belu", belu, "data_officer").await;
    user(&store, "pemantau.belu", belu, "viewer").await;
    user(&store, "data.kalteng", kalteng, "data_officer").await;
    let officer = actor(&store, "data.belu").await;
    let viewer = actor(&store, "pemantau.belu").await;
    let outsider = actor(&store, "data.kalteng").await;
    (db, store, officer, viewer, outsider)
}

#[tokio::test]
async fn create_view_and_identity_protection() {
    let (db, store, officer, viewer, outsider) = setup().await;
    let new = NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap();
    let (id, code) = store.create_case(&officer, &new).await.unwrap();
    let year = domain::time::civil_from_days(today()).0;
    assert_eq!(code, format!("TPPO-53.04-{year}-00001"));
    let (_, code2) = store.create_case(&officer, &new).await.unwrap();
    assert_eq!(code2, format!("TPPO-53.04-{year}-00002"));
    // The officer sees identities.
    let v = store.case(&officer, id).await.unwrap();
    assert!(v.identities_visible);
    assert_eq!(v.victims[0].name.as_deref(), Some("Yuliana Tefa"));
    assert_eq!(v.victims[0].nik.as_deref(), Some("5304015708990001"));
    assert_eq!(v.victims[0].initials, "Y. T.");
    assert_eq!(v.means_of_control, ["debt_bondage", "withholds_documents"]);
    assert!(v.chronology.as_deref().unwrap().contains("Malaysia"));
    // A viewer sees the case, initials only.
    let m = store.case(&viewer, id).await.unwrap();
    assert!(!m.identities_visible);
    assert_eq!(
        (
            m.victims[0].name.clone(),
            m.victims[0].nik.clone(),
            m.chronology.clone()
        ),
        (None, None, None)
    );
    assert_eq!(m.victims[0].initials, "Y. T.");
    // A partner officer (outside any referral) sees code and initials only, too.
    let belu = store
        .unit_id_by_name("GT Kabupaten Belu")
        .await
        .unwrap()
        .unwrap();
    user(&store, "mitra.belu", belu, "partner_officer").await;
    let partner = actor(&store, "mitra.belu").await;
    let p = store.case(&partner, id).await.unwrap();
    assert_eq!(
        (
            p.identities_visible,
            p.victims[0].name.clone(),
            p.victims[0].initials.as_str()
        ),
        (false, None, "Y. T.")
    );
    // Another region: not found.
    assert!(matches!(
        store.case(&outsider, id).await,
        Err(StoreError::NotFound)
    ));
    // Both reads are audited, the identity read as such.
    let log = store
        .audit_list(
            &system(),
            &store::AuditFilter {
                record_type: Some("case".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "case.identity_view" && e.actor_username == "data.belu")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "case.view" && e.actor_username == "pemantau.belu")
    );
    // The raw tables hold no plaintext.
    let perp =
        store::NewPerpetrator::parse("person", "Yosef Calo", "Om Yos", "5304011708990002").unwrap();
    store
        .add_perpetrator(&officer, id, &perp, "broker")
        .await
        .unwrap();
    let raw = Store::connect(&db.url).await.unwrap();
    let mut dump = String::new();
    for table in [
        "victims",
        "cases",
        "perpetrators",
        "victim_name_tokens",
        "perpetrator_name_tokens",
    ] {
        dump += &raw.dump_table_for_tests(table).await.unwrap();
    }
    for secret in [
        "Yuliana",
        "Tefa",
        "yuliana",
        "5304015708990001",
        "0812 3456 7890",
        "Malaysia",
        "Yosef",
        "yosef",
        "Om Yos",
        "5304011708990002",
    ] {
        assert!(!dump.contains(secret), "{secret} stored in plaintext");
    }
    // A store without the key cannot read identities.
    assert!(raw.case(&officer, id).await.is_err());
}

#[tokio::test]
async fn nik_and_name_search_use_blind_indexes_and_respect_scope() {
    let (_db, store, officer, viewer, outsider) = setup().await;
    store
        .create_case(
            &officer,
            &NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap(),
        )
        .await
        .unwrap();
    store
        .create_case(
            &officer,
            &NewCase::parse(&input("Maria Bere", "5304014101010002"), today()).unwrap(),
        )
        .await
        .unwrap();
    let by = |q: &str| CaseFilter {
        q: q.into(),
        per_page: 50,
        ..Default::default()
    };
    let hits = store
        .list_cases(&officer, &by("5304 0157 0899 0001"))
        .await
        .unwrap();
    assert_eq!(hits.rows.len(), 1);
    assert_eq!(hits.rows[0].initials, "Y. T.");
    assert_eq!(
        store
            .list_cases(&officer, &by("tefa yuliana"))
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_eq!(
        store.list_cases(&officer, &by("bere")).await.unwrap().rows[0].initials,
        "M. B."
    );
    assert!(
        store
            .list_cases(&officer, &by("Siti"))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    // Roles without identity rights cannot probe by NIK or name…
    assert!(
        store
            .list_cases(&viewer, &by("5304015708990001"))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    // …and other regions find nothing.
    assert!(
        store
            .list_cases(&outsider, &by("5304015708990001"))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    assert!(
        store
            .list_cases(
                &outsider,
                &CaseFilter {
                    per_page: 50,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    // Searches are audited without the searched value.
    let log = store
        .audit_list(
            &system(),
            &store::AuditFilter {
                action: Some("case.search".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.detail.starts_with("by=nik")));
    assert!(log.iter().all(|e| !e.detail.contains("5304")));
}

#[tokio::test]
async fn filters_and_paging() {
    let (_db, store, officer, _viewer, _outsider) = setup().await;
    for i in 0..5 {
        let mut inp = input(&format!("Korban Uji{i}"), "");
        inp.reported_on = format!("2026-0{}-10", i + 1);
        if i == 4 {
            inp.victims[0].birth_date = "2012-01-01".into();
            inp.trafficking_status = "possible".into();
            inp.exploitation = vec!["sexual".into()];
        }
        store
            .create_case(&officer, &NewCase::parse(&inp, today()).unwrap())
            .await
            .unwrap();
    }
    let all = CaseFilter {
        per_page: 2,
        ..Default::default()
    };
    let p0 = store.list_cases(&officer, &all).await.unwrap();
    assert_eq!((p0.rows.len(), p0.more), (2, true));
    assert_eq!(
        domain::case::format_day(p0.rows[0].reported_on),
        "2026-05-10"
    );
    let p2 = store
        .list_cases(
            &officer,
            &CaseFilter {
                page: 2,
                ..all.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!((p2.rows.len(), p2.more), (1, false));
    let f = |f: CaseFilter| {
        let store = store.clone();
        let officer = officer.clone();
        async move {
            store
                .list_cases(&officer, &CaseFilter { per_page: 50, ..f })
                .await
                .unwrap()
                .rows
                .len()
        }
    };
    assert_eq!(
        f(CaseFilter {
            child: Some(true),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        f(CaseFilter {
            exploitation: Some("sexual".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        f(CaseFilter {
            trafficking_status: Some("confirmed".into()),
            ..Default::default()
        })
        .await,
        4
    );
    let (from, to) = (parse_day("2026-02-01"), parse_day("2026-03-31"));
    assert_eq!(
        f(CaseFilter {
            from,
            to,
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        f(CaseFilter {
            region: Some(rc("53.04")),
            sex: Some("female".into()),
            ..Default::default()
        })
        .await,
        5
    );
    assert_eq!(
        f(CaseFilter {
            region: Some(rc("53.01")),
            ..Default::default()
        })
        .await,
        0
    );
    let year = domain::time::civil_from_days(today()).0;
    assert_eq!(
        f(CaseFilter {
            q: format!("tppo-53.04-{year}-0000"),
            ..Default::default()
        })
        .await,
        5
    );
}

#[tokio::test]
async fn bad_codes_are_field_errors_and_concurrent_edits_conflict() {
    let (_db, store, officer, viewer, outsider) = setup().await;
    let mut bad = input("Yuliana Tefa", "5304015708990001");
    bad.channel = "pigeon".into();
    bad.exploitation = vec!["nope".into()];
    bad.victims[0].home_village = "53.04.01.9999".into();
    bad.victims[0].education = "phd".into();
    let err = store
        .create_case(&officer, &NewCase::parse(&bad, today()).unwrap())
        .await
        .unwrap_err();
    let StoreError::Invalid(e) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "channel",
            "exploitation",
            "victims[0].education",
            "victims[0].home_village"
        ]
    );
    let nik_elsewhere = input("Yuliana Tefa", "9904015708990001");
    let err = store
        .create_case(&officer, &NewCase::parse(&nik_elsewhere, today()).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref e) if e.0[0].key == "err.nik_district"),
        "{err:?}"
    );
    // Viewers may not register cases.
    let good = NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap();
    assert!(matches!(
        store.create_case(&viewer, &good).await,
        Err(StoreError::Forbidden)
    ));
    let (id, _) = store.create_case(&officer, &good).await.unwrap();
    // Two officers open version 1; the first save wins, the second is told.
    let mut edited = input("Yuliana Tefa", "5304015708990001");
    edited.trafficking_status = "possible".into();
    let edited = NewCase::parse(&edited, today()).unwrap();
    assert_eq!(
        store.update_case(&officer, id, 1, &edited).await.unwrap(),
        2
    );
    assert!(matches!(
        store.update_case(&officer, id, 1, &good).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.case(&officer, id).await.unwrap().trafficking_status,
        "possible"
    );
    assert!(matches!(
        store.update_case(&outsider, id, 2, &good).await,
        Err(StoreError::NotFound)
    ));
    // Victim ids survive an edit.
    let before = store.case(&officer, id).await.unwrap().victims[0].id;
    store.update_case(&officer, id, 2, &good).await.unwrap();
    assert_eq!(
        store.case(&officer, CaseId(id.0)).await.unwrap().victims[0].id,
        before
    );
}

#[tokio::test]
async fn key_rotation_round_trip() {
    let (db, store, officer, _viewer, _outsider) = setup().await;
    let mut ids = Vec::new();
    for name in ["Yuliana Tefa", "Maria Bere", "Agustina Seran"] {
        let nik = match name {
            "Yuliana Tefa" => "5304015708990001",
            "Maria Bere" => "5304014101010002",
            _ => "",
        };
        ids.push(
            store
                .create_case(
                    &officer,
                    &NewCase::parse(&input(name, nik), today()).unwrap(),
                )
                .await
                .unwrap()
                .0,
        );
    }
    let broker = store
        .add_perpetrator(
            &officer,
            ids[0],
            &store::NewPerpetrator::parse("person", "Yosef Calo", "", "").unwrap(),
            "broker",
        )
        .await
        .unwrap();
    // Recovery's free text and an evidence file, under the old key.
    let victim = store.case(&officer, ids[0]).await.unwrap().victims[0].id;
    let service = store
        .add_service(
            &officer,
            victim,
            &store::NewService {
                service_code: "shelter".into(),
                unit_id: Some(officer.unit_id.0),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    store
        .update_service(
            &officer,
            service,
            &store::ServiceUpdate {
                status: "in_progress".into(),
                outcome: "Tinggal di rumah aman bersama adiknya.".into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    let evidence = store
        .add_evidence(&officer, service, "surat.pdf", b"%PDF-1.4 rahasia")
        .await
        .unwrap();
    // A complaint from the public to Belu's task force, with a contact and added text.
    let complaint = domain::complaint::NewComplaint::parse(
        &domain::complaint::ComplaintInput {
            what: "Tetangga dibawa ke Malaysia tanpa dokumen.".into(),
            region: "53.04".into(),
            contact: "0812 3456".into(),
            ..Default::default()
        },
        today(),
    )
    .unwrap();
    let slip = store
        .submit_complaint(
            &complaint,
            &[store::complaints::Attachment {
                bytes: b"%PDF-1.4 foto paspor",
            }],
            false,
            None,
        )
        .await
        .unwrap();
    store
        .complaint_add_info(&slip.code, &slip.pin, "Agennya Pak R.")
        .await
        .unwrap();
    let complaint_id = store.complaint_queue(&officer, true, 1).await.unwrap().rows[0].id;
    let new_secret = [7u8; 32];
    let rotating = Store::connect(&db.url).await.unwrap().with_keyring(
        store::crypto::Keyring::new(&new_secret, Some(&store::testing::TEST_SECRET)).unwrap(),
    );
    // While rotating, both old and new rows read fine.
    assert_eq!(
        rotating.case(&officer, ids[0]).await.unwrap().victims[0]
            .name
            .as_deref(),
        Some("Yuliana Tefa")
    );
    let tokens_before = lookup_rows(&store, "victim_name_tokens").await;
    let stats = rotating.rotate_keys(&system(), 2).await.unwrap();
    assert_eq!((stats.victims, stats.cases), (3, 3));
    // The tokens under the old key are gone, the same number under the new one.
    assert_eq!(
        lookup_rows(&store, "victim_name_tokens").await,
        tokens_before
    );
    assert_eq!(stats.recovery, 3, "outcome, file name and file body");
    assert_eq!(
        stats.complaints, 4,
        "text, contact, what the sender added and the file"
    );
    assert_eq!(
        rotating.rotate_keys(&system(), 2).await.unwrap().victims,
        0,
        "a second run has nothing left to do"
    );
    // Afterwards the new key alone reads everything and finds by NIK and name…
    let after = Store::connect(&db.url)
        .await
        .unwrap()
        .with_keyring(store::crypto::Keyring::new(&new_secret, None).unwrap());
    for (id, name) in ids
        .iter()
        .zip(["Yuliana Tefa", "Maria Bere", "Agustina Seran"])
    {
        let v = after.case(&officer, *id).await.unwrap();
        assert_eq!(v.victims[0].name.as_deref(), Some(name));
        assert!(v.chronology.unwrap().starts_with(name));
    }
    let by = |q: &str| CaseFilter {
        q: q.into(),
        per_page: 10,
        ..Default::default()
    };
    assert_eq!(
        after
            .list_cases(&officer, &by("5304014101010002"))
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_eq!(
        after
            .list_cases(&officer, &by("agustina"))
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
    let c = after.complaint(&officer, complaint_id).await.unwrap();
    assert_eq!(c.what, "Tetangga dibawa ke Malaysia tanpa dokumen.");
    assert_eq!(c.contact.as_deref(), Some("0812 3456"));
    assert_eq!(c.notes[0].body, "Agennya Pak R.");
    let (_, file) = after
        .complaint_file(&officer, complaint_id, c.files[0].id)
        .await
        .unwrap();
    assert_eq!(file, b"%PDF-1.4 foto paspor");
    let plan = after.plan(&officer, victim, today()).await.unwrap();
    assert_eq!(
        plan.services[0].outcome.as_deref(),
        Some("Tinggal di rumah aman bersama adiknya.")
    );
    let (name, _, bytes) = after.evidence(&officer, evidence).await.unwrap();
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("surat.pdf", b"%PDF-1.4 rahasia".as_slice())
    );
    // …and the old key no longer reads anything.
    assert!(store.case(&officer, ids[0]).await.is_err());
    assert!(store.evidence(&officer, evidence).await.is_err());
    assert_eq!(
        after
            .perpetrator(&officer, broker)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Yosef Calo")
    );
    assert_eq!(
        after
            .find_perpetrators(&officer, "yosef", None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_cases(&officer, &by("5304014101010002"))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let log = after
        .audit_list(
            &system(),
            &store::AuditFilter {
                action: Some("keys.rotate".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        log[0].detail,
        "victims=0 cases=0 perpetrators=0 recovery=0 grants=0 review=0 complaints=0"
    );
    assert_eq!(
        log[1].detail,
        "victims=3 cases=3 perpetrators=1 recovery=3 grants=0 review=0 complaints=4"
    );
    // The linkage keys were recomputed under the new key: a second registration of
    // Maria Bere is still found as a possible duplicate.
    let (again, _) = after
        .create_case(
            &officer,
            &NewCase::parse(&input("MARIA BERE", "5304014101010002"), today()).unwrap(),
        )
        .await
        .unwrap();
    let dups = after.case_duplicates(&officer, again).await.unwrap();
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(dups[0].other_case, ids[1].0);
}

/// Rows of a (token or key, victim id) lookup table, per victim id.
async fn lookup_rows(store: &Store, table: &'static str) -> std::collections::BTreeMap<i64, usize> {
    let mut per_victim = std::collections::BTreeMap::new();
    for line in store.dump_table_for_tests(table).await.unwrap().lines() {
        let victim: i64 = line.split('|').nth(1).unwrap().parse().unwrap();
        *per_victim.entry(victim).or_insert(0) += 1;
    }
    per_victim
}

#[tokio::test]
async fn a_victims_tokens_and_keys_follow_an_edit_and_go_with_the_victim() {
    let (_db, store, officer, _, _) = setup().await;
    let mut two = input("Yuliana Tefa", "5304015708990001");
    let mut second = two.victims[0].clone();
    second.name = "Maria Bere".into();
    second.nik = "5304014101010002".into();
    second.alias = "Mia".into();
    two.victims.push(second);
    let (id, _) = store
        .create_case(&officer, &NewCase::parse(&two, today()).unwrap())
        .await
        .unwrap();
    let victims: Vec<i64> = store
        .case(&officer, id)
        .await
        .unwrap()
        .victims
        .iter()
        .map(|v| v.id)
        .collect();
    let tokens = lookup_rows(&store, "victim_name_tokens").await;
    let keys = lookup_rows(&store, "linkage_keys").await;
    assert_eq!(tokens.get(&victims[1]), Some(&3), "maria, bere, mia");
    assert!(keys.get(&victims[1]).is_some_and(|n| *n >= 5), "{keys:?}");
    // The first victim is renamed and given another NIK; the second is removed.
    let one = input("Agustina Seran", "5304015708990009");
    store
        .update_case(&officer, id, 1, &NewCase::parse(&one, today()).unwrap())
        .await
        .unwrap();
    let tokens = lookup_rows(&store, "victim_name_tokens").await;
    assert_eq!(tokens.get(&victims[1]), None, "tokens of a removed victim");
    assert_eq!(tokens.get(&victims[0]), Some(&2), "only agustina, seran");
    let keys = lookup_rows(&store, "linkage_keys").await;
    assert_eq!(keys.get(&victims[1]), None, "keys of a removed victim");
    // What is left is exactly what a rebuild computes from the stored identities.
    let before = store.dump_table_for_tests("linkage_keys").await.unwrap();
    store.rebuild_linkage_keys(None).await.unwrap();
    assert_eq!(
        store.dump_table_for_tests("linkage_keys").await.unwrap(),
        before
    );
    // Search follows: the old name finds nothing, the new one the case.
    let by = |q: &str| CaseFilter {
        q: q.into(),
        per_page: 10,
        ..Default::default()
    };
    for (q, n) in [("yuliana", 0), ("mia", 0), ("agustina", 1)] {
        assert_eq!(
            store.list_cases(&officer, &by(q)).await.unwrap().rows.len(),
            n,
            "{q}"
        );
    }
}
