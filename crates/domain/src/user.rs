//! Staff accounts: usernames, password policy and the parsed input for a new account.

use crate::ids::UnitId;
use crate::role::Role;
use crate::secret::Secret;
use crate::validation::{Invalid, required_text};
use crate::value::text;

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;

/// Lower-case login name: 3–32 of `a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Option<Username> {
        let s = s.trim().to_lowercase();
        let ok = (3..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        ok.then_some(Username(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password against the policy; `field` names the form field.
pub fn check_password(errs: &mut Invalid, field: &str, password: &str, username: &str) {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        errs.push(field, "err.password_short");
    } else if n > MAX_PASSWORD_LEN {
        errs.push(field, "err.too_long");
    } else if password.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty() {
        errs.push(field, "err.password_contains_username");
    }
}

/// A loosely checked e-mail address (empty = none).
pub fn parse_email(errs: &mut Invalid, field: &str, s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let valid = s.len() <= 254
        && s.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !s.contains(|c: char| c.is_whitespace() || c.is_control());
    if !valid {
        errs.push(field, "err.email");
    }
    Some(s.to_owned())
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub full_name: String,
    pub email: Option<String>,
    pub unit_id: UnitId,
    pub role: Role,
    pub password: Secret<String>,
}

impl NewUser {
    /// Parses raw form/API input, reporting every failing field at once.
    pub fn parse(
        username: &str,
        full_name: &str,
        email: &str,
        unit_id: &str,
        role: &str,
        password: &str,
    ) -> Result<NewUser, Invalid> {
        let mut errs = Invalid::default();
        let uname = Username::parse(username);
        if uname.is_none() {
            errs.push("username", "err.username");
        }
        let full_name = required_text(&mut errs, "full_name", full_name, text::NAME_MAX);
        let email = parse_email(&mut errs, "email", email);
        let unit = crate::value::id::parse(unit_id);
        if unit.is_none() {
            errs.push("unit_id", "err.unit");
        }
        let role_v = Role::parse(role);
        if role_v.is_none() {
            errs.push("role", "err.role");
        }
        check_password(&mut errs, "password", password, username.trim());
        match (uname, unit, role_v) {
            (Some(username), Some(unit), Some(role)) if errs.is_empty() => Ok(NewUser {
                username,
                full_name,
                email,
                unit_id: UnitId(unit),
                role,
                password: Secret::new(password.to_owned()),
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_bad_field() {
        let e = NewUser::parse("A!", "", "not-an-email", "x", "boss", "short").unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "username",
                "full_name",
                "email",
                "unit_id",
                "role",
                "password"
            ]
        );
    }

    #[test]
    fn accepts_good_input_and_normalises_username() {
        let u = NewUser::parse(
            " Data.Kupang ",
            "Maria Ndun",
            "",
            "3",
            "data_officer",
            "panjang-sekali-42",
        )
        .unwrap();
        assert_eq!(u.username.as_str(), "data.kupang");
        assert_eq!(u.email, None);
        assert_eq!(u.role, Role::DataOfficer);
    }

    #[test]
    fn password_may_not_contain_username() {
        let mut e = Invalid::default();
        check_password(&mut e, "password", "xx-admin.kalteng-xx", "admin.kalteng");
        assert_eq!(e.0[0].key, "err.password_contains_username");
    }
}
