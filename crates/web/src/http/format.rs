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

/// 12500000 → "Rp 12.500.000" (the case page's restitution order): the domain's format.
pub(crate) fn fmt_rupiah(v: &i64) -> String {
    domain::value::format_rupiah(*v)
}

/// 12500000 → "Rp12.500.000": the plan's and the overviews' tables, where columns of
/// amounts read better without the space.
pub(crate) fn rupiah(v: &i64) -> String {
    domain::value::format_rupiah(*v).replacen("Rp ", "Rp", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rupiah_format_two_spacings() {
        assert_eq!(fmt_rupiah(&12_500_000), "Rp 12.500.000");
        assert_eq!(rupiah(&12_500_000), "Rp12.500.000");
        assert_eq!(rupiah(&0), "Rp0");
        assert_eq!(rupiah(&-1_500), "-Rp1.500");
    }
}
