//! Validation rules as data. Each rule is one line of `data/rules.txt` (seeded into the
//! database, listed on an admin page) written in a small condition language, so a rule is
//! added or changed without touching a handler:
//!
//! ```text
//! code | severity | scope  | field       | condition                                              | message (id) | message (en)
//! R01  | error    | case   | exploitation | when trafficking_status = confirmed require exploitation present | … | …
//! ```
//!
//! A condition is `[when C {and C}] require C {and C}`; a rule fires when every `when`
//! part holds and some `require` part does not. A part is one of
//! `F present`, `F blank`, `F = V`, `F != V`, `F in V1,V2`, `F has V`, `F lacks V`,
//! `F has-any V1,V2` and the comparisons `F < X`, `F <= X`, `F > X`, `F >= X` where `X` is a
//! number or another field. A comparison with a blank side holds (nothing to compare).
//! Rules with scope `victim` are checked once per victim, seeing the case's fields and the
//! victim's (`victim.*`).
//!
//! Severity: an `error` blocks submission; a `warning` needs a written justification.

use std::collections::BTreeMap;

crate::str_enum::str_enum! {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum Severity {
        Error,
        Warning,
    }
}

impl Severity {}

crate::str_enum::str_enum! {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum RuleScope {
        Case,
        Victim,
    }
}

impl RuleScope {}

/// A fact about a case or a victim, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Blank,
    Text(String),
    Num(i64),
    List(Vec<String>),
}

impl Value {
    pub fn opt_text(v: Option<&str>) -> Value {
        match v.map(str::trim) {
            Some(s) if !s.is_empty() => Value::Text(s.to_owned()),
            _ => Value::Blank,
        }
    }
    pub fn opt_num(v: Option<i64>) -> Value {
        v.map(Value::Num).unwrap_or(Value::Blank)
    }
    pub fn flag(b: bool) -> Value {
        Value::Text(if b { "yes" } else { "no" }.into())
    }
    fn is_blank(&self) -> bool {
        match self {
            Value::Blank => true,
            Value::Text(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Num(_) => false,
        }
    }
    fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    fn items(&self) -> Vec<&str> {
        match self {
            Value::List(l) => l.iter().map(String::as_str).collect(),
            Value::Text(s) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }
}

/// The facts of one case: its own fields and one map per victim.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub case: BTreeMap<String, Value>,
    pub victims: Vec<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field(String),
    Num(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Present,
    Blank,
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Has(String),
    Lacks(String),
    HasAny(Vec<String>),
    Lt(Operand),
    Le(Operand),
    Gt(Operand),
    Ge(Operand),
}

#[derive(Debug, Clone, PartialEq)]
struct Part {
    field: String,
    test: Test,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    when: Vec<Part>,
    require: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub code: String,
    pub severity: Severity,
    pub scope: RuleScope,
    /// The form field the message belongs to (for the error summary link).
    pub field: String,
    pub condition_text: String,
    pub message_id: String,
    pub message_en: String,
    condition: Condition,
}

/// The facts a rule may read (the store fills exactly these); a rule naming anything else
/// is refused when the rules are loaded, so a typo cannot make a rule silently never fire.
pub const CASE_FIELDS: [&str; 17] = [
    "channel",
    "reported_on",
    "exploitation_from",
    "rescued_on",
    "chronology",
    "trafficking_status",
    "exploitation",
    "means_of_control",
    "sector",
    "recruitment",
    "recruiter_relationship",
    "status",
    "close_reason",
    "route_events",
    "police_report",
    "victims",
    "perpetrators",
];
pub const VICTIM_FIELDS: [&str; 14] = [
    "victim.name",
    "victim.nik",
    "victim.sex",
    "victim.birth_date",
    "victim.age_estimate",
    "victim.is_child",
    "victim.home_village",
    "victim.citizenship",
    "victim.education",
    "victim.occupation",
    "victim.disability",
    "victim.migrant_status",
    "victim.nik_warnings",
    "victim.consent_givers",
];

/// One rule that fires on a case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    pub code: String,
    pub severity: Severity,
    /// `None` for a case rule; the victim's position (0-based) for a victim rule.
    pub victim: Option<usize>,
    pub field: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_owned())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_operand(s: &str) -> Operand {
    match s.trim().parse::<i64>() {
        Ok(n) => Operand::Num(n),
        Err(_) => Operand::Field(s.trim().to_owned()),
    }
}

fn parse_part(s: &str) -> Result<Part, String> {
    let s = s.trim();
    let (field, rest) = s
        .split_once(' ')
        .ok_or_else(|| format!("incomplete condition `{s}`"))?;
    let rest = rest.trim();
    let (op, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    let arg = arg.trim();
    let need = |a: &str| {
        if a.is_empty() {
            Err(format!("`{op}` needs a value in `{s}`"))
        } else {
            Ok(a.to_owned())
        }
    };
    let test = match op {
        "present" => Test::Present,
        "blank" => Test::Blank,
        "=" => Test::Eq(need(arg)?),
        "!=" => Test::Ne(need(arg)?),
        "in" => Test::In(split_list(&need(arg)?)),
        "has" => Test::Has(need(arg)?),
        "lacks" => Test::Lacks(need(arg)?),
        "has-any" => Test::HasAny(split_list(&need(arg)?)),
        "<" => Test::Lt(parse_operand(&need(arg)?)),
        "<=" => Test::Le(parse_operand(&need(arg)?)),
        ">" => Test::Gt(parse_operand(&need(arg)?)),
        ">=" => Test::Ge(parse_operand(&need(arg)?)),
        _ => return Err(format!("unknown operator `{op}` in `{s}`")),
    };
    Ok(Part {
        field: field.to_owned(),
        test,
    })
}

fn parse_parts(s: &str) -> Result<Vec<Part>, String> {
    s.split(" and ").map(parse_part).collect()
}

/// What one clause of a condition tests, for a page that says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseTest<'a> {
    Present,
    Blank,
    Eq(&'a str),
    Ne(&'a str),
    In(Vec<&'a str>),
    Has(&'a str),
    Lacks(&'a str),
    HasAny(Vec<&'a str>),
    /// `<`, `<=`, `>`, `>=` against a number or another field.
    Compare(&'static str, Result<i64, &'a str>),
}

/// One clause: the field and its test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause<'a> {
    pub field: &'a str,
    pub test: ClauseTest<'a>,
}

fn operand(o: &Operand) -> Result<i64, &str> {
    match o {
        Operand::Num(n) => Ok(*n),
        Operand::Field(f) => Err(f.as_str()),
    }
}

fn str_list(xs: &[String]) -> Vec<&str> {
    xs.iter().map(String::as_str).collect()
}

impl Part {
    fn clause(&self) -> Clause<'_> {
        let test = match &self.test {
            Test::Present => ClauseTest::Present,
            Test::Blank => ClauseTest::Blank,
            Test::Eq(x) => ClauseTest::Eq(x),
            Test::Ne(x) => ClauseTest::Ne(x),
            Test::In(xs) => ClauseTest::In(str_list(xs)),
            Test::Has(x) => ClauseTest::Has(x),
            Test::Lacks(x) => ClauseTest::Lacks(x),
            Test::HasAny(xs) => ClauseTest::HasAny(str_list(xs)),
            Test::Lt(o) => ClauseTest::Compare("<", operand(o)),
            Test::Le(o) => ClauseTest::Compare("<=", operand(o)),
            Test::Gt(o) => ClauseTest::Compare(">", operand(o)),
            Test::Ge(o) => ClauseTest::Compare(">=", operand(o)),
        };
        Clause {
            field: &self.field,
            test,
        }
    }
}

impl Condition {
    /// The clauses under which the rule applies (`when`, empty for always) and those it
    /// then requires.
    pub fn clauses(&self) -> (Vec<Clause<'_>>, Vec<Clause<'_>>) {
        (
            self.when.iter().map(Part::clause).collect(),
            self.require.iter().map(Part::clause).collect(),
        )
    }

    pub fn parse(s: &str) -> Result<Condition, String> {
        let s = s.trim();
        let (when, require) = match s.strip_prefix("when ") {
            Some(rest) => {
                let (w, r) = rest
                    .split_once(" require ")
                    .ok_or_else(|| format!("`when` without `require` in `{s}`"))?;
                (parse_parts(w)?, r)
            }
            None => (
                Vec::new(),
                s.strip_prefix("require ")
                    .ok_or_else(|| format!("a condition starts with `when` or `require`: `{s}`"))?,
            ),
        };
        Ok(Condition {
            when,
            require: parse_parts(require)?,
        })
    }

    fn fields(&self) -> impl Iterator<Item = &str> {
        self.when.iter().chain(&self.require).flat_map(|p| {
            let other = match &p.test {
                Test::Lt(Operand::Field(f))
                | Test::Le(Operand::Field(f))
                | Test::Gt(Operand::Field(f))
                | Test::Ge(Operand::Field(f)) => Some(f.as_str()),
                _ => None,
            };
            std::iter::once(p.field.as_str()).chain(other)
        })
    }
}

/// Looks a field up: `victim.*` in the victim's map, anything else in the case's.
fn lookup<'a>(
    case: &'a BTreeMap<String, Value>,
    victim: Option<&'a BTreeMap<String, Value>>,
    field: &str,
) -> &'a Value {
    const BLANK: &Value = &Value::Blank;
    let map = if field.starts_with("victim.") {
        match victim {
            Some(v) => v,
            None => return BLANK,
        }
    } else {
        case
    };
    map.get(field).unwrap_or(BLANK)
}

fn holds(
    p: &Part,
    case: &BTreeMap<String, Value>,
    victim: Option<&BTreeMap<String, Value>>,
) -> bool {
    let v = lookup(case, victim, &p.field);
    let cmp = |o: &Operand, f: fn(i64, i64) -> bool| -> bool {
        let left = match v {
            Value::Num(n) => *n,
            _ => return true,
        };
        let right = match o {
            Operand::Num(n) => *n,
            Operand::Field(name) => match lookup(case, victim, name) {
                Value::Num(n) => *n,
                _ => return true,
            },
        };
        f(left, right)
    };
    match &p.test {
        Test::Present => !v.is_blank(),
        Test::Blank => v.is_blank(),
        Test::Eq(x) => v.as_text() == Some(x.as_str()),
        Test::Ne(x) => v.as_text() != Some(x.as_str()),
        Test::In(xs) => v.as_text().is_some_and(|t| xs.iter().any(|x| x == t)),
        Test::Has(x) => v.items().contains(&x.as_str()),
        Test::Lacks(x) => !v.items().contains(&x.as_str()),
        Test::HasAny(xs) => {
            let items = v.items();
            xs.iter().any(|x| items.contains(&x.as_str()))
        }
        Test::Lt(o) => cmp(o, |a, b| a < b),
        Test::Le(o) => cmp(o, |a, b| a <= b),
        Test::Gt(o) => cmp(o, |a, b| a > b),
        Test::Ge(o) => cmp(o, |a, b| a >= b),
    }
}

impl Rule {
    /// Parses one line of the rules file (`|`-separated, see the module documentation).
    pub fn parse_line(line: &str) -> Result<Rule, String> {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() != 7 {
            return Err(format!(
                "expected 7 columns separated by `|`, found {}",
                cols.len()
            ));
        }
        Rule::new(
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6],
        )
    }

    pub fn new(
        code: &str,
        severity: &str,
        scope: &str,
        field: &str,
        condition: &str,
        message_id: &str,
        message_en: &str,
    ) -> Result<Rule, String> {
        let severity =
            Severity::parse(severity).ok_or_else(|| format!("{code}: unknown severity"))?;
        let scope = match scope {
            "case" => RuleScope::Case,
            "victim" => RuleScope::Victim,
            _ => return Err(format!("{code}: scope is `case` or `victim`")),
        };
        let parsed = Condition::parse(condition).map_err(|e| format!("{code}: {e}"))?;
        if scope == RuleScope::Case && parsed.fields().any(|f| f.starts_with("victim.")) {
            return Err(format!("{code}: a case rule cannot read victim fields"));
        }
        if let Some(f) = parsed
            .fields()
            .find(|f| !CASE_FIELDS.contains(f) && !VICTIM_FIELDS.contains(f))
        {
            return Err(format!("{code}: unknown field `{f}`"));
        }
        Ok(Rule {
            code: code.to_owned(),
            severity,
            scope,
            field: field.to_owned(),
            condition_text: condition.to_owned(),
            message_id: message_id.to_owned(),
            message_en: message_en.to_owned(),
            condition: parsed,
        })
    }

    fn fires_on(
        &self,
        case: &BTreeMap<String, Value>,
        victim: Option<&BTreeMap<String, Value>>,
    ) -> bool {
        self.condition.when.iter().all(|p| holds(p, case, victim))
            && !self
                .condition
                .require
                .iter()
                .all(|p| holds(p, case, victim))
    }

    pub fn message(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.message_en
        } else {
            &self.message_id
        }
    }
}

/// Parses a whole rules file; blank lines and `#` comments are skipped. Every bad line is
/// reported with its number.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, Vec<String>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match Rule::parse_line(line) {
            Ok(r) => rules.push(r),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Runs every rule over the facts.
pub fn evaluate(rules: &[Rule], facts: &Facts) -> Vec<Hit> {
    let mut hits = Vec::new();
    for r in rules {
        match r.scope {
            RuleScope::Case => {
                if r.fires_on(&facts.case, None) {
                    hits.push(Hit {
                        code: r.code.clone(),
                        severity: r.severity,
                        victim: None,
                        field: r.field.clone(),
                    });
                }
            }
            RuleScope::Victim => {
                for (i, v) in facts.victims.iter().enumerate() {
                    if r.fires_on(&facts.case, Some(v)) {
                        hits.push(Hit {
                            code: r.code.clone(),
                            severity: r.severity,
                            victim: Some(i),
                            field: r.field.replace("victims[]", &format!("victims[{i}]")),
                        });
                    }
                }
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pairs: &[(&str, Value)], victims: Vec<Vec<(&str, Value)>>) -> Facts {
        Facts {
            case: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            victims: victims
                .into_iter()
                .map(|v| v.into_iter().map(|(k, x)| (k.to_owned(), x)).collect())
                .collect(),
        }
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn confirmed_needs_exploitation() {
        let r = Rule::parse_line(
            "R01|error|case|exploitation|when trafficking_status = confirmed require exploitation present|x|y",
        )
        .unwrap();
        let bad = facts(
            &[
                ("trafficking_status", t("confirmed")),
                ("exploitation", Value::List(vec![])),
            ],
            vec![],
        );
        let ok = facts(
            &[
                ("trafficking_status", t("confirmed")),
                ("exploitation", Value::List(vec!["sexual".into()])),
            ],
            vec![],
        );
        let possible = facts(&[("trafficking_status", t("possible"))], vec![]);
        assert_eq!(evaluate(std::slice::from_ref(&r), &bad).len(), 1);
        assert!(evaluate(std::slice::from_ref(&r), &ok).is_empty());
        assert!(evaluate(&[r], &possible).is_empty());
    }

    #[test]
    fn victim_rules_run_per_victim_and_name_the_victim() {
        let r = Rule::parse_line(
            "R02|error|victim|victims[].consent|when victim.is_child = yes require victim.consent_givers has-any parent,guardian|x|y",
        )
        .unwrap();
        let f = facts(
            &[],
            vec![
                vec![("victim.is_child", t("no"))],
                vec![
                    ("victim.is_child", t("yes")),
                    ("victim.consent_givers", Value::List(vec!["victim".into()])),
                ],
                vec![
                    ("victim.is_child", t("yes")),
                    (
                        "victim.consent_givers",
                        Value::List(vec!["guardian".into()]),
                    ),
                ],
            ],
        );
        let hits = evaluate(&[r], &f);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].victim, Some(1));
        assert_eq!(hits[0].field, "victims[1].consent");
    }

    #[test]
    fn comparisons_between_fields_skip_blanks() {
        let r = Rule::parse_line(
            "R03|error|case|rescued_on|require rescued_on >= exploitation_from|x|y",
        )
        .unwrap();
        let before = facts(
            &[
                ("rescued_on", Value::Num(10)),
                ("exploitation_from", Value::Num(20)),
            ],
            vec![],
        );
        let after = facts(
            &[
                ("rescued_on", Value::Num(30)),
                ("exploitation_from", Value::Num(20)),
            ],
            vec![],
        );
        let blank = facts(&[("exploitation_from", Value::Num(20))], vec![]);
        assert_eq!(evaluate(std::slice::from_ref(&r), &before).len(), 1);
        assert!(evaluate(std::slice::from_ref(&r), &after).is_empty());
        assert!(evaluate(&[r], &blank).is_empty());
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers() {
        let text = "# comment\n\nR1|error|case|x|require sector present|a|b\nR2|fatal|case|x|require sector present|a|b\nR3|error|case|x|when sector = 1|a|b\nR4|error|case|x|require victim.name present|a|b\nR5|error|case|x\nR6|error|case|x|require secter present|a|b\n";
        let errs = parse_rules(text).unwrap_err();
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs[4].contains("unknown field `secter`"), "{errs:?}");
        assert!(errs[0].starts_with("line 4:"));
        assert!(errs[1].starts_with("line 5:"));
        assert!(errs[2].starts_with("line 6:"));
        assert!(errs[3].starts_with("line 7:"));
    }

    #[test]
    fn the_shipped_rules_parse() {
        let rules = parse_rules(include_str!("../../../data/rules.txt")).unwrap();
        assert!(rules.len() >= 8);
        let mut codes: Vec<_> = rules.iter().map(|r| r.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), rules.len(), "rule codes are unique");
    }
}
