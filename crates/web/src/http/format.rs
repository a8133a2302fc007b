//! How days and amounts are shown on pages (templates call these directly).

/// A day or an amount, however many references deep a template hands it over.
pub(crate) trait Num {
    fn num(&self) -> i64;
}
impl Num for i64 {
    fn num(&self) -> i64 {
        *self
    }
}
impl<T: Num + ?Sized> Num for &T {
    fn num(&self) -> i64 {
        (**self).num()
    }
}

/// A day number as `YYYY-MM-DD`.
pub(crate) fn fmt_day(d: &i64) -> String {
    domain::case::format_day(*d)
}

/// 12500000 → "Rp 12.500.000" (the case page's restitution order).
pub(crate) fn fmt_rupiah(v: &i64) -> String {
    let digits = v.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    format!("Rp {}{out}", if *v < 0 { "-" } else { "" })
}

/// 12500000 → "Rp12.500.000".
pub(crate) fn rupiah(v: &i64) -> String {
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}Rp{out}", if *v < 0 { "-" } else { "" })
}
