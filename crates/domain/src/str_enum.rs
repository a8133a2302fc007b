//! The string form of the domain's enums (states, kinds, actions) comes from `strum`
//! derives; this macro adds the small public API every layer uses on top of them:
//! `ALL` (every value, in declaration order), `as_str` and `parse` (which trims).
//!
//! An enum opts in with
//! `#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::EnumCount)]`,
//! its strings (`#[strum(serialize_all = "snake_case")]` or one `serialize` per variant),
//! and `str_enum!(Name);`.

macro_rules! str_enum {
    ($t:ident) => {
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
