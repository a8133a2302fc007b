//! Units: the organisations people work in (a task force, a UPTD PPA service unit, a police
//! office, an NGO …), each at a region or at the national level.

use crate::region::RegionCode;
use crate::validation::{Invalid, required_text};
use crate::value::text;

crate::str_enum::str_enum! {
    #[strum(serialize_all = "snake_case")]
    pub enum UnitKind {
        TaskForce,
        ServiceUnit,
        Police,
        Prosecutor,
        SocialAffairs,
        Health,
        Manpower,
        MigrantAgency,
        Immigration,
        Ngo,
        Other,
    }
}

impl UnitKind {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit {
    pub name: String,
    pub kind: UnitKind,
    /// `None` = a national unit.
    pub region: Option<RegionCode>,
    /// How to reach the unit (shown in the directory and on referrals).
    pub contact: UnitContact,
}

/// How to reach a unit: the address, a phone number, an e-mail address and the person to
/// ask for. All optional; an institution's details, not a person's to protect.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct UnitContact {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_person: Option<String>,
}

impl UnitContact {
    /// Parses the four fields; a phone number holds digits, spaces and `+ - ( )` only
    /// (6–20 digits), an e-mail address is checked loosely.
    pub fn parse(
        address: &str,
        phone: &str,
        email: &str,
        contact_person: &str,
    ) -> Result<UnitContact, Invalid> {
        use text::Lines;
        let mut errs = Invalid::default();
        let address = errs
            .take(text::optional(
                "address",
                address,
                text::REASON,
                Lines::Many,
            ))
            .flatten();
        let contact_person = errs
            .take(text::optional(
                "contact_person",
                contact_person,
                text::NAME,
                Lines::One,
            ))
            .flatten();
        let phone = match phone.trim() {
            "" => None,
            p => {
                let digits = p.chars().filter(char::is_ascii_digit).count();
                let allowed = p
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'));
                if !allowed || !(6..=20).contains(&digits) {
                    errs.push("phone", "err.phone");
                }
                Some(p.to_owned())
            }
        };
        let email = crate::user::parse_email(&mut errs, "email", email);
        errs.into_result(UnitContact {
            address,
            phone,
            email,
            contact_person,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.address.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.contact_person.is_none()
    }
}

impl NewUnit {
    /// The unit with its contact details.
    pub fn with_contact(mut self, contact: UnitContact) -> NewUnit {
        self.contact = contact;
        self
    }

    /// Parses raw input; an empty region means national. Whether the region exists is
    /// checked by the store (it reports `region_code` as a field error too).
    pub fn parse(name: &str, kind: &str, region: &str) -> Result<NewUnit, Invalid> {
        let mut errs = Invalid::default();
        let name = required_text(&mut errs, "name", name, text::NAME_MAX);
        let kind = UnitKind::parse(kind);
        if kind.is_none() {
            errs.push("kind", "err.choice");
        }
        let region = if region.trim().is_empty() {
            None
        } else {
            let r = RegionCode::parse(region).ok();
            if r.is_none() {
                errs.push("region_code", "err.region_code");
            }
            r
        };
        match kind {
            Some(kind) if errs.is_empty() => Ok(NewUnit {
                name,
                kind,
                region,
                contact: UnitContact::default(),
            }),
            _ => Err(errs),
        }
    }
}
