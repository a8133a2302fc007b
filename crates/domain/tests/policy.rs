//! The golden policy table: every role × actor level × target × action decision, compared
//! with the committed `policy.golden`. A policy change shows up as a reviewed diff.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p domain --test policy`.

#[test]
fn policy_table_matches_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/policy.golden");
    let actual = domain::authz::policy_table();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(path).expect("policy.golden missing: run with UPDATE_GOLDEN=1");
    if expected != actual {
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                panic!(
                    "policy differs from golden at line {}:\n  golden: {e}\n  actual: {a}",
                    i + 1
                );
            }
        }
        panic!("policy table length differs from golden file");
    }
}
