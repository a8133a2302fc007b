//! A tiny builder for queries whose WHERE clause depends on filters and scope. Values are
//! always bound as parameters; only fixed fragments from this crate become SQL text.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

#[derive(Debug, Default)]
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
