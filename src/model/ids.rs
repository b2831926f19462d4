//! Identifier types with their invariants: a `Lang` code, a `ReleaseId`, an entry `Slug`.
//! Constructors check the invariant, so code holding one never re-checks it.

use std::fmt;

use serde::Serialize;

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// A language code such as `zh`, `en` or `zh-hant`: 2–3 lowercase letters, optionally a
/// `-` and a subtag.
///
/// Held inline (at most 12 bytes, zero-padded), not on the heap: every page, version and
/// term carries its language, and a 100,000-entry site cloned and compared hundreds of
/// thousands of them per build (an allocation per clone, a pointer followed per comparison
/// in the versions' maps). It orders, hashes, prints and serializes as its text.
#[derive(Clone, PartialEq, Eq)]
pub struct Lang {
    len: u8,
    bytes: [u8; Lang::MAX],
}

impl Lang {
    /// The longest code: 3 letters, `-`, 8 for the subtag.
    const MAX: usize = 12;

    pub fn parse(s: &str) -> Option<Lang> {
        let (main, sub) = match s.split_once('-') {
            Some((m, s)) => (m, Some(s)),
            None => (s, None),
        };
        let main_ok = (2..=3).contains(&main.len()) && main.chars().all(|c| c.is_ascii_lowercase());
        let sub_ok = sub.is_none_or(|s| {
            (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !(main_ok && sub_ok) || s.len() > Lang::MAX {
            return None;
        }
        let mut bytes = [0; Lang::MAX];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Lang {
            len: s.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only `parse` makes one, from a `&str` of ASCII characters.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Ord for Lang {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Lang {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Lang {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lang").field(&self.as_str()).finish()
    }
}

impl Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release folder name: lowercase ASCII letters, digits, `-`, `_`; starts with a letter or
/// digit; at most 64 characters. Safe to use as a path segment and in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ReleaseId(String);

impl ReleaseId {
    pub fn parse(s: &str) -> Option<ReleaseId> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars().all(is_slug_char)
            && s.starts_with(|c: char| c.is_ascii_alphanumeric());
        ok.then(|| ReleaseId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Replace Han characters by their (toneless) pinyin, separated by spaces.
fn to_pinyin(s: &str) -> String {
    use pinyin::ToPinyin;
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        match c.to_pinyin() {
            Some(p) => {
                out.push(' ');
                out.push_str(p.plain());
                out.push(' ');
            }
            None => out.push(c),
        }
    }
    out
}

/// A URL path segment made of lowercase ASCII letters, digits and `-`, never empty.
/// Chinese and other scripts are transliterated (pinyin for Chinese).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Make a slug from any text: kept as is when already a slug, else transliterated.
    pub fn from_text(s: &str) -> Option<Slug> {
        if ReleaseId::parse(s).is_some() && s.len() <= 100 {
            return Some(Slug(s.to_string()));
        }
        let mut out = slug::slugify(to_pinyin(s));
        if out.len() > 100 {
            let mut cut = 100;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out = out.trim_end_matches('-').to_string();
        }
        (!out.is_empty()).then_some(Slug(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_titles_get_pinyin_slugs() {
        let s = Slug::from_text("甲基丙烯酸甲酯千吨级中试").unwrap();
        assert_eq!(
            s.as_str(),
            "jia-ji-bing-xi-suan-jia-zhi-qian-dun-ji-zhong-shi"
        );
        assert_eq!(Slug::from_text("mma-pilot").unwrap().as_str(), "mma-pilot");
        assert_eq!(Slug::from_text("宁波市").unwrap().as_str(), "ning-bo-shi");
        assert_eq!(
            Slug::from_text("MMA 中试").unwrap().as_str(),
            "mma-zhong-shi"
        );
        assert!(Slug::from_text("!!!").is_none());
    }

    #[test]
    fn release_ids_reject_paths() {
        assert!(ReleaseId::parse("2024-03").is_some());
        for bad in ["..", "a/b", "", "-x", "A", "a b"] {
            assert!(ReleaseId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn language_codes() {
        assert!(Lang::parse("zh").is_some());
        assert!(Lang::parse("zh-hant").is_some());
        assert!(Lang::parse("english").is_none());
        assert!(Lang::parse("EN").is_none());
        // The longest code there is fits; one more letter of subtag does not parse.
        assert_eq!(
            Lang::parse("abc-abcdefgh").unwrap().as_str(),
            "abc-abcdefgh"
        );
        assert!(Lang::parse("abc-abcdefghi").is_none());
    }

    /// A code held inline orders, hashes, prints and serializes exactly as its text did
    /// (maps keyed by language, signatures and JSON depend on it).
    #[test]
    fn language_codes_behave_as_their_text() {
        use std::hash::BuildHasher;
        let codes = ["zh", "en", "zh-hant", "abc-abcdefgh", "en-gb", "ja", "z1"];
        let langs: Vec<Lang> = codes.iter().filter_map(|c| Lang::parse(c)).collect();
        assert_eq!(langs.len(), codes.len() - 1, "z1 is not a code");
        let texts: Vec<&str> = codes[..codes.len() - 1].to_vec();
        let mut by_lang = langs.clone();
        by_lang.sort();
        let mut by_text = texts.clone();
        by_text.sort();
        let sorted: Vec<&str> = by_lang.iter().map(Lang::as_str).collect();
        assert_eq!(sorted, by_text);
        let state = foldhash::fast::FixedState::with_seed(7);
        for (l, t) in langs.iter().zip(&texts) {
            assert_eq!(state.hash_one(l), state.hash_one(t.to_string()));
            assert_eq!(format!("{l}"), *t);
            assert_eq!(format!("{l:?}"), format!("Lang({t:?})"));
            assert_eq!(serde_json::to_string(l).unwrap(), format!("{t:?}"));
            assert_eq!(*l, Lang::parse(t).unwrap());
        }
        assert_ne!(langs[0], langs[1]);
    }
}
