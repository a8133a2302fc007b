//! The translation catalogue. Bahasa Indonesia is the default locale, English the second.
//! Catalogues are plain `key = value` files compiled into the binary; a test keeps the two
//! in step and checks every key the templates and code use.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Id,
    En,
}

const ID: &str = include_str!("../../locales/id.txt");
const EN: &str = include_str!("../../locales/en.txt");

pub(crate) fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

fn catalogue(locale: Locale) -> &'static HashMap<&'static str, &'static str> {
    static CAT_ID: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    static CAT_EN: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    match locale {
        Locale::Id => CAT_ID.get_or_init(|| parse_catalogue(ID)),
        Locale::En => CAT_EN.get_or_init(|| parse_catalogue(EN)),
    }
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Id => "id",
            Locale::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" | "id-id" | "in" => Some(Locale::Id),
            "en" | "en-us" | "en-gb" => Some(Locale::En),
            _ => None,
        }
    }

    /// From the `lang` cookie, else the browser's Accept-Language, else Indonesian.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(l) = cookie.and_then(Locale::parse) {
            return l;
        }
        if let Some(al) = accept_language {
            for part in al.split(',') {
                let tag = part.split(';').next().unwrap_or("").trim();
                let primary = tag.split('-').next().unwrap_or("");
                if let Some(l) = Locale::parse(primary) {
                    return l;
                }
            }
        }
        Locale::Id
    }

    /// The translation of `key`, or the key itself when missing (a test prevents that).
    pub fn t(&self, key: &str) -> &'static str {
        match catalogue(*self).get(key) {
            Some(v) => v,
            None => match catalogue(Locale::Id).get(key) {
                Some(v) => v,
                None => "??",
            },
        }
    }

    /// Translation with `{0}`, `{1}` … replaced.
    pub fn tf(&self, key: &str, args: &[&str]) -> String {
        let mut s = self.t(key).to_owned();
        for (i, a) in args.iter().enumerate() {
            s = s.replace(&format!("{{{i}}}"), a);
        }
        s
    }

    pub fn other(self) -> Locale {
        match self {
            Locale::Id => Locale::En,
            Locale::En => Locale::Id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogues_have_the_same_keys() {
        let id: BTreeSet<_> = parse_catalogue(ID).into_keys().collect();
        let en: BTreeSet<_> = parse_catalogue(EN).into_keys().collect();
        let only_id: Vec<_> = id.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&id).collect();
        assert!(
            only_id.is_empty() && only_en.is_empty(),
            "only in id: {only_id:?}; only in en: {only_en:?}"
        );
    }

    /// Every `t("…")` / `tf("…"` key used in templates and source exists in the catalogue.
    #[test]
    fn every_used_key_is_translated() {
        let cat = parse_catalogue(ID);
        let mut missing = BTreeSet::new();
        // The store names conflicts by message key too (`conflict.*` keys in StoreError).
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../store/src"),
        ];
        for dir in dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for marker in [".t(\"", ".tf(\"", "Conflict(\""] {
                    for piece in text.split(marker).skip(1) {
                        let key = piece.split('"').next().unwrap();
                        if !key.is_empty() && !key.ends_with('.') && !cat.contains_key(key) {
                            missing.insert(key.to_owned());
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "untranslated keys: {missing:?}");
    }

    #[test]
    fn negotiation() {
        assert_eq!(Locale::negotiate(None, None), Locale::Id);
        assert_eq!(Locale::negotiate(Some("en"), Some("id")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("fr-FR,fr")), Locale::Id);
    }
}
