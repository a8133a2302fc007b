//! NIK (Nomor Induk Kependudukan), the 16-digit Indonesian identity number:
//! 6-digit district code (province 2 + regency 2 + district 2, undotted), birth date DDMMYY
//! with 40 added to the day for women, and a 4-digit serial. A NIK is personal data: its
//! `Debug` is redacted, and it is stored encrypted with a keyed blind index for search.
//!
//! Two different people born on the same day in the same district have NIKs that differ
//! only in the serial, so "one digit apart" is not evidence of a typo.

use crate::region::RegionCode;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nik(String);

crate::str_enum::str_enum! {
    #[strum(serialize_all = "snake_case")]
    pub enum Sex {
        Female,
        Male,
    }
}

crate::str_enum::str_enum! {
    /// Disagreements between a NIK and the other fields. They warn, they do not block: real
    /// records carry wrong NIKs, and a wrong NIK is still worth keeping as the document shows it.
    /// Its string form is the message key of the warning.
    pub enum NikWarning {
        /// The digits do not encode a real calendar date.
        #[strum(serialize = "warn.nik_date_impossible")]
        ImpossibleDate,
        #[strum(serialize = "warn.nik_birth_date")]
        BirthDateDiffers,
        #[strum(serialize = "warn.nik_sex")]
        SexDiffers,
    }
}

impl NikWarning {
    /// The message key (the same as [`NikWarning::as_str`]).
    pub fn key(self) -> &'static str {
        self.as_str()
    }
}

impl Nik {
    /// Accepts 16 digits, ignoring spaces, dots and dashes people type.
    pub fn parse(s: &str) -> Option<Nik> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()) && &digits[..2] != "00")
            .then_some(Nik(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The district (kecamatan) code the NIK was issued in, dotted: `62.71.01`.
    pub fn district(&self) -> Option<RegionCode> {
        RegionCode::parse(&format!(
            "{}.{}.{}",
            &self.0[0..2],
            &self.0[2..4],
            &self.0[4..6]
        ))
        .ok()
    }

    pub fn sex(&self) -> Sex {
        let day: u32 = self.0[6..8].parse().unwrap_or(0);
        if day > 40 { Sex::Female } else { Sex::Male }
    }

    /// Day, month and two-digit year as encoded (day already corrected for women).
    pub fn birth_ddmmyy(&self) -> (u32, u32, u32) {
        let mut day: u32 = self.0[6..8].parse().unwrap_or(0);
        if day > 40 {
            day -= 40;
        }
        let month: u32 = self.0[8..10].parse().unwrap_or(0);
        let yy: u32 = self.0[10..12].parse().unwrap_or(0);
        (day, month, yy)
    }

    pub fn serial(&self) -> &str {
        &self.0[12..16]
    }

    /// Checks the NIK against a known birth date (y, m, d) and sex.
    pub fn check(&self, birth: Option<(i64, i64, i64)>, sex: Option<Sex>) -> Vec<NikWarning> {
        let mut out = Vec::new();
        let (d, m, yy) = self.birth_ddmmyy();
        // Two-digit years: try both centuries; valid if either is a real date.
        let real = |y: i64| {
            let days = crate::time::days_from_civil(y, m as i64, d as i64);
            crate::time::civil_from_days(days) == (y, m as i64, d as i64)
        };
        if !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
            || !(real(1900 + yy as i64) || real(2000 + yy as i64))
        {
            out.push(NikWarning::ImpossibleDate);
        } else if let Some((y, bm, bd)) = birth
            && (bm != m as i64 || bd != d as i64 || y.rem_euclid(100) != yy as i64)
        {
            out.push(NikWarning::BirthDateDiffers);
        }
        if let Some(s) = sex
            && s != self.sex()
        {
            out.push(NikWarning::SexDiffers);
        }
        out
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nik([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Synthetic numbers: district 53.04.01 (Kab. Belu), invented serials.
    const WOMAN: &str = "5304015708990001"; // 17 Aug 1999, female (57 = 17 + 40)
    const MAN: &str = "5304011708990002"; // 17 Aug 1999, male

    #[test]
    fn parses_and_decodes() {
        let n = Nik::parse("5304 0157 0899 0001").unwrap();
        assert_eq!(n.as_str(), WOMAN);
        assert_eq!(n.district().unwrap().as_str(), "53.04.01");
        assert_eq!(n.sex(), Sex::Female);
        assert_eq!(n.birth_ddmmyy(), (17, 8, 99));
        assert_eq!(n.serial(), "0001");
        assert_eq!(Nik::parse(MAN).unwrap().sex(), Sex::Male);
        for bad in [
            "",
            "123",
            "53040157089900011",
            "530401570899000a",
            "0004015708990001",
        ] {
            assert!(Nik::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn warns_on_disagreement_but_not_when_consistent() {
        let n = Nik::parse(WOMAN).unwrap();
        assert!(n.check(Some((1999, 8, 17)), Some(Sex::Female)).is_empty());
        assert_eq!(
            n.check(Some((1999, 8, 18)), None),
            vec![NikWarning::BirthDateDiffers]
        );
        assert_eq!(
            n.check(Some((2099, 8, 17)), None),
            vec![],
            "two-digit years cannot tell the century"
        );
        assert_eq!(n.check(None, Some(Sex::Male)), vec![NikWarning::SexDiffers]);
        let impossible = Nik::parse("5304017102990001").unwrap(); // 31 Feb
        assert_eq!(
            impossible.check(None, None),
            vec![NikWarning::ImpossibleDate]
        );
    }

    #[test]
    fn debug_never_shows_the_number() {
        assert_eq!(
            format!("{:?}", Nik::parse(WOMAN).unwrap()),
            "Nik([redacted])"
        );
    }
}
