//! Indonesian name normalisation and string similarity.
//!
//! A name is split into tokens; each token is reduced to a canonical spelling so that the
//! usual variants compare equal:
//! - abbreviations: `M.`, `Muh.`, `Moh.`, `Mhd`, `Mohammad`, `Mohamad`, ... → `muhammad`;
//!   `Abd.` → `abdul`; a single letter (with or without a dot) is an *initial*;
//! - old (pre-1972 / Dutch) spellings: `oe`→`u`, `dj`→`j`, `tj`→`c`, `ch`/`kh`→`h`, `sy`→`s`;
//! - letters Indonesians use interchangeably in names: `f`/`p`/`v`, `c`/`k`/`q`, `z`/`s`,
//!   `j`/`y`/`i`, doubled letters (`Sitti`/`Siti`), a final `h` after a vowel
//!   (`Fatimah`/`Fatima`).
//!
//! Remaining differences (typos, `Nugraha`/`Nugroho`) are left to Jaro-Winkler.

/// One canonical name token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub s: Box<str>,
    /// A single letter such as `M.`: it agrees with any token starting with that letter.
    pub initial: bool,
    pub hash: u64,
}

/// 64-bit FNV-1a followed by a murmur finaliser: stable across runs and platforms (the
/// hashes are persisted in the model's frequency tables and used as blocking keys).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

const MUHAMMAD: &[&str] = &[
    "muhammad",
    "muhamad",
    "mohammad",
    "mohamad",
    "muhammat",
    "muhamat",
    "mochammad",
    "mochamad",
    "mohammed",
    "mohamed",
    "muhammed",
    "muhamed",
    "mukhammad",
    "muh",
    "moh",
    "mhd",
    "mhmd",
    "md",
];

/// Canonical tokens of a full name, in their original order. Empty when the name has no letters.
pub fn tokens(name: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let lower = name.to_lowercase();
    for raw in lower.split(|c: char| c.is_whitespace() || c == ',' || c == '-' || c == '/') {
        // a dot ends an abbreviation and may glue two tokens ("m.rizki")
        let pieces: Vec<&str> = raw.split('.').collect();
        let n = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            let letters: String = piece.chars().filter(|c| c.is_ascii_lowercase()).collect();
            if letters.is_empty() {
                continue;
            }
            let dotted = i + 1 < n;
            out.push(canon_token(&letters, dotted));
        }
    }
    out
}

fn make(s: String, initial: bool) -> Tok {
    let hash = hash_bytes(s.as_bytes());
    Tok {
        s: s.into_boxed_str(),
        initial,
        hash,
    }
}

/// Canonical form of one lower-case ASCII token.
pub fn canon_token(letters: &str, dotted: bool) -> Tok {
    if letters.len() <= 9 && letters.starts_with('m') && MUHAMMAD.contains(&letters) {
        return make("muhamad".into(), false);
    }
    if letters == "abd" || letters == "abdoel" {
        return make("abdul".into(), false);
    }
    if letters.len() == 1 {
        let c = phonetic(letters);
        return make(c, true);
    }
    if dotted && letters.len() <= 3 {
        // another abbreviation we do not know: keep it as a prefix-like initial of its first letter
        let first: String = letters.chars().take(1).collect();
        return make(phonetic(&first), true);
    }
    make(phonetic(letters), false)
}

/// The phonetic rewriting described in the module documentation.
pub fn phonetic(s: &str) -> String {
    let mut t = s.to_string();
    for (a, b) in [
        ("oe", "u"),
        ("dj", "j"),
        ("tj", "c"),
        ("sch", "s"),
        ("ch", "h"),
        ("kh", "h"),
        ("sy", "s"),
        ("sh", "s"),
        ("ph", "f"),
        ("th", "t"),
        ("dh", "d"),
        ("ck", "k"),
    ] {
        if t.contains(a) {
            t = t.replace(a, b);
        }
    }
    let mut out = String::with_capacity(t.len());
    let mut prev = '\0';
    for c in t.chars() {
        let m = match c {
            'f' | 'v' => 'p',
            'q' | 'c' => 'k',
            'z' => 's',
            'j' | 'y' => 'i',
            'x' => 'k',
            'w' if prev == 'u' => continue, // "uw" ~ "u" (Kurniyawan/Kurniawan handled by y→i)
            o => o,
        };
        if m == prev {
            continue;
        }
        out.push(m);
        prev = m;
    }
    if out.len() > 3 && out.ends_with('h') {
        let b = out.as_bytes();
        if matches!(b[b.len() - 2], b'a' | b'e' | b'i' | b'o' | b'u') {
            out.pop();
        }
    }
    out
}

/// Jaro-Winkler similarity of two byte strings (prefix scale 0.1, at most 4 prefix chars).
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.len(), b.len());
    let window = (la.max(lb) / 2).saturating_sub(1);
    let mut a_m = [false; 64];
    let mut b_m = [false; 64];
    if la > 64 || lb > 64 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let mut matches = 0usize;
    for i in 0..la {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for j in lo..hi {
            if !b_m[j] && a[i] == b[j] {
                a_m[i] = true;
                b_m[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for i in 0..la {
        if a_m[i] {
            while !b_m[k] {
                k += 1;
            }
            if a[i] != b[k] {
                t += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let jaro = (m / la as f64 + m / lb as f64 + (m - (t / 2) as f64) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transposition), giving up
/// above `max` (returns `max + 1`).
pub fn osa(a: &[u8], b: &[u8], max: usize) -> usize {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > max {
        return max + 1;
    }
    if la > 40 || lb > 40 {
        return if a == b { 0 } else { max + 1 };
    }
    // three rolling rows (the transposition looks two rows back)
    let mut r0 = [0usize; 41];
    let mut r1 = [0usize; 41];
    let mut r2 = [0usize; 41];
    for (j, cell) in r1.iter_mut().enumerate().take(lb + 1) {
        *cell = j;
    }
    for i in 1..=la {
        r2[0] = i;
        let mut row_min = i;
        for j in 1..=lb {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (r1[j] + 1).min(r2[j - 1] + 1).min(r1[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(r0[j - 2] + 1);
            }
            r2[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut r0, &mut r1);
        std::mem::swap(&mut r1, &mut r2);
    }
    r1[lb]
}

/// True when `a` and `b` differ by at most one substitution, insertion, deletion or adjacent
/// transposition (the same as `osa(a, b, 1) <= 1`, without the table).
pub fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if p == la && p == lb {
        return true;
    }
    let s = a[p..]
        .iter()
        .rev()
        .zip(b[p..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    if la == lb {
        let rest = la - p - s;
        rest <= 1 || (rest == 2 && a[p] == b[p + 1] && a[p + 1] == b[p])
    } else {
        la.max(lb) - p - s <= 1
    }
}

/// How well two tokens agree: 1.0 exact, 0.85 for an initial that fits, otherwise Jaro-Winkler.
pub fn token_sim(a: &Tok, b: &Tok) -> f64 {
    if a.hash == b.hash && a.s == b.s {
        return if a.initial { 0.85 } else { 1.0 };
    }
    if a.initial || b.initial {
        let (i, t) = if a.initial { (a, b) } else { (b, a) };
        return if t.s.as_bytes().first() == i.s.as_bytes().first() {
            0.85
        } else {
            0.0
        };
    }
    let (x, y) = (a.s.as_bytes(), b.s.as_bytes());
    let jw = jaro_winkler(x, y);
    // one typo near the start of a short name gets no Winkler bonus (Aulia/Zulia 0.87)
    if jw < 0.9 && x.len() >= 5 && y.len() >= 5 && within_one_edit(x, y) {
        return 0.9;
    }
    jw
}
