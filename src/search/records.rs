//! Records and their tokens. A *record* is what the index knows of one entry in one
//! language: its title, summary, institutions, keywords and body text. Each record is
//! tokenized once into its distinct tokens, sorted so that the tokens of each shard are next
//! to each other (see [`crate::search::shards`]). It decides no shard and writes no JSON.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use crate::model::EntryVersion;
use crate::search::text;
use crate::search::tokenize::{PREFIX_MIN, hash_key, normalize, scan};

/// The indexed text of one entry version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub institutions: Vec<&'a str>,
    pub keywords: Vec<&'a str>,
    pub body_html: Arc<str>,
}

fn texts<'a>(v: &'a EntryVersion, field: &str) -> Vec<&'a str> {
    v.values.get(field).map(|x| x.texts()).unwrap_or_default()
}

impl<'a> Record<'a> {
    /// The record of an entry or item version (`institutions` and `keywords` are read by
    /// the names of the sample schema, and for items a demand's `company` or a base's
    /// `operator` stands for the institutions; a schema without them just indexes less).
    pub fn of(v: &'a EntryVersion) -> Record<'a> {
        let institutions = ["institutions", "company", "operator"]
            .iter()
            .map(|f| texts(v, f))
            .find(|t| !t.is_empty())
            .unwrap_or_default();
        Record {
            title: &v.title,
            summary: v.summary.as_deref().unwrap_or(""),
            institutions,
            keywords: texts(v, "keywords"),
            body_html: v.body_html.get(),
        }
    }

    /// A hash of the whole record, which tells records apart (a record of every language
    /// that is the same is tokenized once; watch mode re-tokenizes only changed records).
    /// foldhash, with a fixed seed: SipHash (`DefaultHasher`) over the bodies' HTML was about
    /// 4 % of a build's CPU.
    pub(super) fn key(&self) -> u64 {
        use std::hash::BuildHasher;
        foldhash::quality::FixedState::with_seed(0).hash_one(self)
    }
}

/// The Fx hash of rustc (a multiply and a rotate per word): far cheaper than SipHash for the
/// millions of small keys an index build hashes, and nothing here is attacker-chosen.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Word keys have this bit set; CJK keys pack their n characters (18 bits each: every CJK
/// character is below U+40000) with n in bits 56–59.
const WORD: u64 = 1 << 63;
const CJK_BITS: u32 = 18;
const CJK_MASK: u64 = (1 << CJK_BITS) - 1;

fn cjk_key(chars: &[char]) -> u64 {
    let packed = chars
        .iter()
        .fold(0u64, |k, &c| k << CJK_BITS | (c as u64 & CJK_MASK));
    (chars.len() as u64) << 56 | packed
}

fn cjk_chars(key: u64) -> impl Iterator<Item = char> {
    let n = ((key >> 56) & 0xF) as u32;
    (0..n).rev().map(move |i| {
        char::from_u32(((key >> (i * CJK_BITS)) & CJK_MASK) as u32).unwrap_or('\u{FFFD}')
    })
}

/// The common Han ideographs (U+4E00–U+9FFF) a record has, and which are also in its title
/// text: a bit each, instead of a hash map entry. Single characters are a third of all the
/// CJK tokens a record's text yields, and nearly all of them are in this block.
struct HanSet {
    seen: Vec<u64>,
    title: Vec<u64>,
}

const HAN_FIRST: u32 = 0x4E00;
const HAN_WORDS: usize = (0xA000 - HAN_FIRST as usize) / 64;

impl Default for HanSet {
    fn default() -> Self {
        HanSet {
            seen: vec![0; HAN_WORDS],
            title: vec![0; HAN_WORDS],
        }
    }
}

impl HanSet {
    /// Add `c` if it is in the block (and say whether it was).
    fn add(&mut self, c: char, title: bool) -> bool {
        let Some(i) = (c as u32).checked_sub(HAN_FIRST).map(|i| i as usize) else {
            return false;
        };
        let Some(word) = self.seen.get_mut(i / 64) else {
            return false;
        };
        *word |= 1 << (i % 64);
        self.title[i / 64] |= u64::from(title) << (i % 64);
        true
    }

    fn len(&self) -> usize {
        self.seen.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Every character added, with whether it was ever added as title text.
    fn chars(&self) -> impl Iterator<Item = (char, bool)> + '_ {
        self.seen.iter().enumerate().flat_map(move |(w, &bits)| {
            let title = self.title[w];
            let mut rest = bits;
            std::iter::from_fn(move || {
                let b = rest.trailing_zeros();
                if b == 64 {
                    return None;
                }
                rest &= rest - 1;
                let c = char::from_u32(HAN_FIRST + w as u32 * 64 + b).unwrap_or('\u{FFFD}');
                Some((c, title >> b & 1 == 1))
            })
        })
    }
}

/// One distinct token of a record: 12 bytes, not 16 (the preview keeps every record's
/// tokens, some thousand a record, so that a rebuild re-tokenizes only what changed).
#[derive(Debug, Clone, Copy)]
#[repr(C, packed(4))]
pub(super) struct Tok {
    /// The token's hash with its bits reversed: sorting by it puts the tokens of each shard
    /// next to each other, for any power-of-two number of shards.
    pub(super) rev: u32,
    /// A packed CJK token, or `WORD | offset << 8 | length` into `DocTokens::words`; with
    /// [`TITLE`] set when the token is also in the title, an institution or a keyword.
    key: u64,
}

/// The bit of [`Tok::key`] that says the token is also in the title text (no CJK key and no
/// word offset reaches it).
const TITLE: u64 = 1 << 62;

impl Tok {
    fn new(rev: u32, title: bool, key: u64) -> Tok {
        Tok {
            rev,
            key: if title { key | TITLE } else { key },
        }
    }

    /// Also in the title, an institution or a keyword.
    pub(super) fn title(&self) -> bool {
        self.key & TITLE != 0
    }

    /// The key without the title flag.
    fn token(&self) -> u64 {
        self.key & !TITLE
    }
}

/// Sort `toks` by `rev`: a least-significant-digit radix sort, a byte per pass, some
/// times faster than a comparison sort on the thousand-odd tokens of a typical record (the
/// order of tokens with the same `rev` does not matter: shards sort their tokens by text).
fn sort_by_rev(toks: &mut Vec<Tok>) {
    let mut from = std::mem::take(toks);
    let mut to = from.clone();
    for shift in [0, 8, 16, 24] {
        let digit = |t: &Tok| (t.rev >> shift) as u8 as usize;
        let mut at = [0usize; 256];
        for t in &from {
            at[digit(t)] += 1;
        }
        let mut sum = 0;
        for n in &mut at {
            (*n, sum) = (sum, sum + *n);
        }
        for t in &from {
            let d = digit(t);
            to[at[d]] = *t;
            at[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *toks = from;
}

/// The distinct tokens of one record, sorted for cutting into shards, and its body text
/// (which the record's document file shows: extracting it again would cost as much as
/// tokenizing).
#[derive(Debug, Default)]
pub struct DocTokens {
    /// Sorted by `rev`, so the tokens of each shard group are next to each other.
    pub(super) toks: Vec<Tok>,
    words: String,
    pub(super) body: Arc<str>,
}

/// A token as a map key while shards are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum KeyRef<'a> {
    Cjk(u64),
    Word(&'a str),
}

impl KeyRef<'_> {
    pub(super) fn text(&self) -> String {
        match self {
            KeyRef::Word(w) => w.to_string(),
            KeyRef::Cjk(k) => cjk_chars(*k).collect(),
        }
    }
}

/// The shard group of a reversed hash: the low `bits` bits of the hash, reversed.
pub(super) fn group(rev: u32, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (rev >> (32 - bits)) as usize
    }
}

impl DocTokens {
    /// Tokenize a record: the title, institutions and keywords count as title text.
    pub fn of(r: &Record<'_>) -> DocTokens {
        let body = text::html_to_text(&r.body_html);
        DocTokens::of_texts(r.title, &r.institutions, &r.keywords, r.summary, body)
    }

    /// Tokenize a record's texts, its body already turned into text (as a document file
    /// holds them, see [`crate::search::patch`]).
    pub fn of_texts(
        title: &str,
        institutions: &[&str],
        keywords: &[&str],
        summary: &str,
        body: String,
    ) -> DocTokens {
        let mut texts: Vec<(String, bool)> = vec![(normalize(title), true)];
        for t in institutions.iter().chain(keywords) {
            texts.push((normalize(t), true));
        }
        texts.push((normalize(summary), false));
        texts.push((normalize(&body), false));
        let size: usize = texts.iter().map(|(t, _)| t.len()).sum();
        let mut cjk: FxMap<u64, bool> = FxMap::default();
        cjk.reserve(size / 3);
        let mut words: FxMap<&str, bool> = FxMap::default();
        words.reserve(size / 16);
        let mut han = HanSet::default();
        for (t, title) in &texts {
            scan(
                t,
                |g| match g {
                    [c] if han.add(*c, *title) => {}
                    _ => *cjk.entry(cjk_key(g)).or_default() |= title,
                },
                |w| *words.entry(w).or_default() |= title,
            );
        }
        let mut toks = Vec::with_capacity(cjk.len() + han.len() + words.len());
        let cjk_tok =
            |key: u64, title: bool| Tok::new(hash_key(cjk_chars(key)).reverse_bits(), title, key);
        toks.extend(han.chars().map(|(c, title)| cjk_tok(cjk_key(&[c]), title)));
        toks.extend(cjk.into_iter().map(|(key, title)| cjk_tok(key, title)));
        // Words are first keyed by their position in `list`, then, once sorted, copied into
        // the arena in token order: cutting the shards then reads the arena front to back
        // instead of jumping around it (a cache miss per word on a large site).
        let list: Vec<&str> = words
            .into_iter()
            .enumerate()
            .map(|(i, (w, title))| {
                let rev = hash_key(w.chars().take(PREFIX_MIN)).reverse_bits();
                toks.push(Tok::new(rev, title, WORD | i as u64));
                w
            })
            .collect();
        sort_by_rev(&mut toks);
        let mut arena = String::with_capacity(list.iter().map(|w| w.len()).sum());
        for t in toks.iter_mut().filter(|t| t.token() & WORD != 0) {
            let w = list[(t.token() & !WORD) as usize];
            *t = Tok::new(
                t.rev,
                t.title(),
                WORD | (arena.len() as u64) << 8 | w.len() as u64,
            );
            arena.push_str(w);
        }
        DocTokens {
            toks,
            words: arena,
            body: body.into(),
        }
    }

    pub(super) fn key_ref(&self, t: &Tok) -> KeyRef<'_> {
        let key = t.token();
        if key & WORD != 0 {
            let start = ((key & !WORD) >> 8) as usize;
            let len = (key & 0xFF) as usize;
            KeyRef::Word(&self.words[start..start + len])
        } else {
            KeyRef::Cjk(key)
        }
    }

    /// How many distinct tokens the record has.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// Every token with its title flag and the shard it goes to among `shards` (a power of
    /// two), as [`crate::search::shards`] cuts them.
    pub(super) fn in_shards(&self, shards: usize) -> Vec<(usize, String, bool)> {
        let bits = shards.trailing_zeros();
        (self.toks.iter())
            .map(|t| {
                let g = group(t.rev, bits) as u32;
                let shard = if bits == 0 {
                    0
                } else {
                    g.reverse_bits() >> (32 - bits)
                };
                (shard as usize, self.key_ref(t).text(), t.title())
            })
            .collect()
    }

    /// Every token with its title flag, sorted (for tests).
    pub fn tokens(&self) -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = self
            .toks
            .iter()
            .map(|t| (self.key_ref(t).text(), t.title()))
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn record<'a>(title: &'a str, body: &'a str) -> Record<'a> {
        Record {
            title,
            summary: "",
            institutions: vec!["浙大"],
            keywords: vec!["MMA"],
            body_html: body.into(),
        }
    }

    #[test]
    fn radix_sort_sorts_by_rev() {
        let mut toks: Vec<Tok> = (0..3000u32)
            .map(|i| Tok::new(i.wrapping_mul(0x9e37_79b9) ^ (i >> 3), i % 2 == 0, i as u64))
            .collect();
        let mut want: Vec<(u32, u64)> = toks.iter().map(|t| (t.rev, t.key)).collect();
        want.sort_unstable();
        sort_by_rev(&mut toks);
        assert!(toks.windows(2).all(|w| { w[0].rev } <= { w[1].rev }));
        assert_eq!(std::mem::size_of::<Tok>(), 12);
        let mut got: Vec<(u32, u64)> = toks.iter().map(|t| (t.rev, t.key)).collect();
        got.sort_unstable();
        assert_eq!(got, want);
        let mut none = Vec::new();
        sort_by_rev(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn han_set_holds_its_block_only_and_ors_title_flags() {
        let mut set = HanSet::default();
        for (c, title, inside) in [
            ('\u{4E00}', false, true),
            ('\u{9FFF}', true, true),
            ('\u{4E00}', true, true),
            ('中', false, true),
            ('\u{4DFF}', true, false),
            ('\u{A000}', true, false),
            ('あ', true, false),
        ] {
            assert_eq!(set.add(c, title), inside, "{c:?}");
        }
        let got: Vec<(char, bool)> = set.chars().collect();
        assert_eq!(got, [('\u{4E00}', true), ('中', false), ('\u{9FFF}', true)]);
        assert_eq!(set.len(), 3);
        // Characters outside the block still become tokens, through the map.
        let t = DocTokens::of(&record("㐀一", "<p>鿿あ</p>"));
        let singles: Vec<(String, bool)> = t
            .tokens()
            .into_iter()
            .filter(|(s, _)| s.chars().count() == 1)
            .collect();
        for (c, title) in [("㐀", true), ("一", true), ("鿿", false), ("あ", false)] {
            assert!(
                singles.contains(&(c.to_string(), title)),
                "{c}: {singles:?}"
            );
        }
    }

    #[test]
    fn doc_tokens_are_distinct_with_title_flags() {
        let t = DocTokens::of(&record("中试", "<p>中试装置 pilot Pilot</p>"));
        let got: Vec<(String, bool)> = t.tokens();
        let want: Vec<(String, bool)> = [
            ("mma", true),
            ("pilot", false),
            ("中", true),
            ("中试", true),
            ("中试装", false),
            ("大", true),
            ("浙", true),
            ("浙大", true),
            ("置", false),
            ("装", false),
            ("装置", false),
            ("试", true),
            ("试装", false),
            ("试装置", false),
        ]
        .iter()
        .map(|(s, b)| (s.to_string(), *b))
        .collect();
        assert_eq!(got, want);
    }
}
