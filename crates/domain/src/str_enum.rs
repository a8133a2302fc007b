//! The string form of the domain's enums (states, kinds, actions) comes from `strum`
//! derives; this macro adds the small public API every layer uses on top of them:
//! `ALL` (every value, in declaration order), `as_str` and `parse` (which trims).
//!
//! An enum is declared inside `str_enum! { … }`, which adds the derives (`Debug`, `Clone`,
//! `Copy`, `PartialEq`, `Eq`, `Hash` and strum's four), with its strings given as
//! `#[strum(serialize_all = "snake_case")]` or one `serialize` per variant.

macro_rules! str_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $t:ident { $($body:tt)* }
    ) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::VariantArray,
            strum::EnumCount,
        )]
        $(#[$meta])*
        $vis enum $t { $($body)* }
        $crate::str_enum::str_enum!(@impl $t);
    };
    (@impl $t:ident) => {
        impl $t {
            /// Every value, in declaration order.
            pub const ALL: [$t; <$t as strum::EnumCount>::COUNT] = {
                let v = <$t as strum::VariantArray>::VARIANTS;
                let mut out = [v[0]; <$t as strum::EnumCount>::COUNT];
                let mut i = 1;
                while i < v.len() {
                    out[i] = v[i];
                    i += 1;
                }
                out
            };

            /// The stored and transmitted form.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// The value written as [`Self::as_str`] gives it (surrounding whitespace is
            /// ignored); `None` for anything else.
            pub fn parse(s: &str) -> Option<$t> {
                s.trim().parse().ok()
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use str_enum;
