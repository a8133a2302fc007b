//! A tiny builder for queries whose WHERE clause depends on filters and scope. Values are
//! always bound as parameters; only fixed fragments from this crate become SQL text.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, AssertSqlSafe, FromRow};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

/// A value of an `IN (…)` list: [`Sql::in_list`] takes a slice of anything that becomes one.
#[derive(Debug, Clone)]
pub(crate) enum InArg {
    Int(i64),
    Text(String),
}

impl From<i64> for InArg {
    fn from(v: i64) -> Self {
        InArg::Int(v)
    }
}

impl From<String> for InArg {
    fn from(v: String) -> Self {
        InArg::Text(v)
    }
}

impl From<&str> for InArg {
    fn from(v: &str) -> Self {
        InArg::Text(v.to_owned())
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }
    /// `SELECT COUNT(*)` of the rows `inner` selects, counting at most `cap + 1` (so a
    /// total over a national table costs at most that many index entries; a result above
    /// `cap` means "more than `cap`").
    pub fn count_capped(inner: &Sql, cap: i64) -> Sql {
        let mut q = Sql {
            text: format!("SELECT COUNT(*) FROM ({} LIMIT ", inner.text),
            args: inner.args.clone(),
        };
        q.bind_int(cap + 1);
        q.push(") capped");
        q
    }
    /// Appends a fixed SQL fragment.
    pub fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }
    /// Appends a placeholder and binds `arg` to it.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }
    pub fn bind_text(&mut self, s: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(Some(s.into())))
    }
    pub fn bind_int(&mut self, v: i64) -> &mut Self {
        self.bind(Arg::Int(Some(v)))
    }
    /// `IN ($n, $n+1, …)` with one bound placeholder per value; `IN (NULL)` for an empty
    /// list, which matches no row (and `NOT IN (NULL)` none either: callers that negate
    /// check for the empty list themselves).
    pub fn in_list<T: Clone + Into<InArg>>(&mut self, values: &[T]) -> &mut Self {
        self.push(" IN (");
        if values.is_empty() {
            self.push("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            let arg = match v.clone().into() {
                InArg::Int(n) => Arg::Int(Some(n)),
                InArg::Text(s) => Arg::Text(Some(s)),
            };
            self.bind(arg);
        }
        self.push(")")
    }
    /// `AND col` within the region subtree `[lo, hi)` of the actor's scope (nothing for national).
    pub fn scope(&mut self, column: &str, scope: &domain::Scope) -> &mut Self {
        if let domain::Scope::Region(code) = scope {
            let (lo, hi) = code.subtree_bounds();
            self.push(" AND ").push(column).push(" >= ").bind_text(lo);
            self.push(" AND ").push(column).push(" < ").bind_text(hi);
        }
        self
    }
    pub fn build(&self) -> Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
    /// [`Sql::build`] for a query that selects one value (a count).
    pub fn build_scalar<T>(&self) -> QueryScalar<'static, Any, T, AnyArguments>
    where
        (T,): for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_scalar(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
    /// [`Sql::build`] for a query whose rows map onto a `FromRow` record.
    pub fn build_as<R>(&self) -> QueryAs<'static, Any, R, AnyArguments>
    where
        R: for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_as(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_list_numbers_placeholders_after_earlier_binds() {
        let mut q = Sql::new("SELECT id FROM t WHERE a = ");
        q.bind_int(1).push(" AND b").in_list(&["x", "y", "z"]);
        q.push(" AND c = ").bind_int(2);
        assert_eq!(
            q.text,
            "SELECT id FROM t WHERE a = $1 AND b IN ($2, $3, $4) AND c = $5"
        );
        assert_eq!(q.args.len(), 5);
        assert!(matches!(&q.args[1], Arg::Text(Some(s)) if s == "x"));
        assert!(matches!(&q.args[3], Arg::Text(Some(s)) if s == "z"));
    }

    #[test]
    fn in_list_of_ints() {
        let mut q = Sql::new("SELECT id FROM t WHERE id");
        q.in_list(&[7_i64, 9]);
        assert_eq!(q.text, "SELECT id FROM t WHERE id IN ($1, $2)");
        assert!(matches!(q.args[..], [Arg::Int(Some(7)), Arg::Int(Some(9))]));
    }

    #[test]
    fn empty_in_list_matches_nothing() {
        let mut q = Sql::new("SELECT id FROM t WHERE id");
        q.in_list::<i64>(&[]).push(" AND a = ").bind_int(3);
        assert_eq!(q.text, "SELECT id FROM t WHERE id IN (NULL) AND a = $1");
        assert_eq!(q.args.len(), 1);
    }
}
