//! The translation catalogue. Bahasa Indonesia is the default locale, English the second.
//! Catalogues are plain `key = value` files compiled into the binary; a test keeps the two
//! in step and checks every key the templates and code use.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

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

/// A missing key as a `&'static str`: each distinct key is kept once. Keys can be built
/// from stored values (labels of codes), so the set is capped; past the cap a missing key
/// shows as `??`.
fn missing(key: &str) -> &'static str {
    const CAP: usize = 512;
    static MISSING: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = MISSING
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(k) = set.get(key) {
        return k;
    }
    if set.len() >= CAP {
        return "??";
    }
    let k: &'static str = Box::leak(key.to_owned().into_boxed_str());
    set.insert(k);
    k
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

    /// The translation of `key` (Indonesian when the locale lacks it), if the catalogue has it.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        catalogue(*self)
            .get(key)
            .or_else(|| catalogue(Locale::Id).get(key))
            .copied()
    }

    /// The translation of `key`, or the key itself when missing (a test prevents that), so
    /// a gap in the catalogue shows which key to add.
    pub fn t(&self, key: &str) -> &'static str {
        self.lookup(key).unwrap_or_else(|| missing(key))
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
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

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

    /// Every file under `dir` (recursively) whose name ends with one of `exts`.
    fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                files(&p, exts, out);
            } else if exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
                out.push(p);
            }
        }
    }

    /// The string literal that starts `s` (after blanks), if any.
    fn literal(s: &str) -> Option<&str> {
        let s = s.trim_start().strip_prefix('"')?;
        s.split('"').next()
    }

    /// The second argument of a call whose argument list starts `s`, if it is a literal:
    /// `(field, "key")` as in `FieldError::new`, `Invalid::push`, `Invalid::one`.
    fn second_literal(s: &str) -> Option<&str> {
        let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
        for (i, c) in s.char_indices() {
            if in_str {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return None,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => return literal(&s[i + 1..]),
                ';' => return None,
                _ => {}
            }
        }
        None
    }

    /// Every message key the code can show, by kind: `t("…")`/`tf("…"` in templates and
    /// code, page titles (`Page::from_ctx(…, "…")`), confirmations (`?ok=…` → `flash.…`),
    /// conflicts (`Conflict("…")`), field-error keys (`FieldError::new`, `Invalid::push`,
    /// `Invalid::one`, `key: "…"`, and every `"err.…"` literal) in web, store and domain:
    /// the store's and domain's field errors are shown with `Locale::t` too.
    fn used_keys() -> BTreeMap<String, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(&root.join("templates"), &["html"], &mut paths);
        for dir in ["src", "../store/src", "../domain/src"] {
            files(&root.join(dir), &["rs"], &mut paths);
        }
        let mut keys = BTreeMap::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may use keys that are missing on purpose.
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let mut add = |k: &str| {
                if !k.is_empty() && !k.ends_with('.') && !k.contains(['{', ' ']) {
                    keys.entry(k.to_owned()).or_insert_with(|| name.clone());
                }
            };
            for marker in [".t(\"", ".tf(\"", "Conflict(\"", "key: \""] {
                for piece in text.split(marker).skip(1) {
                    add(piece.split('"').next().unwrap_or(""));
                }
            }
            for piece in text.split("from_ctx(").skip(1) {
                if let Some(k) = second_literal(piece) {
                    add(k);
                }
            }
            for marker in ["FieldError::new(", ".push(", "Invalid::one("] {
                for piece in text.split(marker).skip(1) {
                    if let Some(k) = second_literal(piece) {
                        add(k);
                    }
                }
            }
            for piece in text.split("\"err.").skip(1) {
                let rest = piece.split('"').next().unwrap_or("");
                if rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    add(&format!("err.{rest}"));
                }
            }
            for piece in text.split("?ok=").skip(1) {
                let k: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !k.is_empty() && !k.ends_with('_') {
                    add(&format!("flash.{k}"));
                }
            }
        }
        keys
    }

    /// Every key used (see [`used_keys`]) is in both catalogues.
    #[test]
    fn every_used_key_is_translated() {
        let id = parse_catalogue(ID);
        let en = parse_catalogue(EN);
        let keys = used_keys();
        // The walk must reach the feature folders and the error keys, or it proves nothing.
        assert!(keys.contains_key("err.required") && keys.contains_key("plan.title"));
        let missing: Vec<String> = keys
            .iter()
            .filter(|(k, _)| !id.contains_key(k.as_str()) || !en.contains_key(k.as_str()))
            .map(|(k, file)| format!("{k} (used in {file})"))
            .collect();
        assert!(missing.is_empty(), "untranslated keys: {missing:#?}");
    }

    /// A key defined twice: the later line silently wins, and the earlier wording is dead
    /// text someone may edit in vain (two were found this way).
    #[test]
    fn no_key_is_defined_twice() {
        for text in [ID, EN] {
            let mut seen = std::collections::HashSet::new();
            let twice: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
                .filter(|k| !seen.insert(*k))
                .collect();
            assert!(twice.is_empty(), "keys defined twice: {twice:?}");
        }
    }

    #[test]
    fn a_missing_key_shows_itself() {
        assert_eq!(Locale::En.t("no.such.key"), "no.such.key");
        assert_eq!(Locale::En.lookup("no.such.key"), None);
        assert_eq!(
            Locale::En.t("scope.national"),
            Locale::En.lookup("scope.national").unwrap()
        );
    }

    #[test]
    fn negotiation() {
        assert_eq!(Locale::negotiate(None, None), Locale::Id);
        assert_eq!(Locale::negotiate(Some("en"), Some("id")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("fr-FR,fr")), Locale::Id);
    }
}
