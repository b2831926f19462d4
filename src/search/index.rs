//! Records and postings. A *record* is what the index knows of one entry in one language:
//! its title, summary, institutions, keywords and body text. Each record is tokenized once
//! into its distinct tokens (cached by a hash of the record, so a rebuild in watch mode only
//! tokenizes the records that changed). When the first shard file is asked for, every shard
//! is cut from those token lists in one pass (no text is read again) and kept as JSON bytes,
//! with every document's body text for the document files.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::model::ids::Lang;
use crate::model::{EntryVersion, Site};
use crate::search::tokenize::{PREFIX_MIN, hash_key, normalize, scan};
use crate::search::{encode, text};

/// The indexed text of one entry version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub institutions: Vec<&'a str>,
    pub keywords: Vec<&'a str>,
    pub body_html: &'a str,
}

fn texts<'a>(v: &'a EntryVersion, field: &str) -> Vec<&'a str> {
    v.values.get(field).map(|x| x.texts()).unwrap_or_default()
}

impl<'a> Record<'a> {
    /// The record of an entry version (`institutions` and `keywords` are read by the names
    /// of the sample schema; a schema without them just indexes less).
    pub fn of(v: &'a EntryVersion) -> Record<'a> {
        Record {
            title: &v.title,
            summary: v.summary.as_deref().unwrap_or(""),
            institutions: texts(v, "institutions"),
            keywords: texts(v, "keywords"),
            body_html: &v.body_html,
        }
    }

    fn key(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }
}

/// The Fx hash of rustc (a multiply and a rotate per word): far cheaper than SipHash for the
/// millions of small keys an index build hashes, and nothing here is attacker-chosen.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

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

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

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

/// One distinct token of a record.
#[derive(Debug, Clone, Copy)]
struct Tok {
    /// The token's hash with its bits reversed: sorting by it puts the tokens of each shard
    /// next to each other, for any power-of-two number of shards.
    rev: u32,
    /// Also in the title, an institution or a keyword.
    title: bool,
    /// A packed CJK token, or `WORD | offset << 8 | length` into `DocTokens::words`.
    key: u64,
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
    toks: Vec<Tok>,
    words: String,
    body: Arc<str>,
}

/// A token as a map key while shards are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyRef<'a> {
    Cjk(u64),
    Word(&'a str),
}

impl KeyRef<'_> {
    fn text(&self) -> String {
        match self {
            KeyRef::Word(w) => w.to_string(),
            KeyRef::Cjk(k) => cjk_chars(*k).collect(),
        }
    }
}

/// The shard group of a reversed hash: the low `bits` bits of the hash, reversed.
fn group(rev: u32, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (rev >> (32 - bits)) as usize
    }
}

impl DocTokens {
    /// Tokenize a record: the title, institutions and keywords count as title text.
    pub fn of(r: &Record<'_>) -> DocTokens {
        let body = text::html_to_text(r.body_html);
        let mut texts: Vec<(String, bool)> = vec![(normalize(r.title), true)];
        for t in r.institutions.iter().chain(&r.keywords) {
            texts.push((normalize(t), true));
        }
        texts.push((normalize(r.summary), false));
        texts.push((normalize(&body), false));
        let size: usize = texts.iter().map(|(t, _)| t.len()).sum();
        let mut cjk: FxMap<u64, bool> = FxMap::default();
        cjk.reserve(size / 2);
        let mut words: FxMap<&str, bool> = FxMap::default();
        for (t, title) in &texts {
            scan(
                t,
                |g| *cjk.entry(cjk_key(g)).or_default() |= title,
                |w| *words.entry(w).or_default() |= title,
            );
        }
        let mut toks = Vec::with_capacity(cjk.len() + words.len());
        for (key, title) in cjk {
            toks.push(Tok {
                rev: hash_key(cjk_chars(key)).reverse_bits(),
                title,
                key,
            });
        }
        // Words are first keyed by their position in `list`, then, once sorted, copied into
        // the arena in token order: cutting the shards then reads the arena front to back
        // instead of jumping around it (a cache miss per word on a large site).
        let list: Vec<&str> = words
            .into_iter()
            .enumerate()
            .map(|(i, (w, title))| {
                toks.push(Tok {
                    rev: hash_key(w.chars().take(PREFIX_MIN)).reverse_bits(),
                    title,
                    key: WORD | i as u64,
                });
                w
            })
            .collect();
        sort_by_rev(&mut toks);
        let mut arena = String::with_capacity(list.iter().map(|w| w.len()).sum());
        for t in toks.iter_mut().filter(|t| t.key & WORD != 0) {
            let w = list[(t.key & !WORD) as usize];
            t.key = WORD | (arena.len() as u64) << 8 | w.len() as u64;
            arena.push_str(w);
        }
        DocTokens {
            toks,
            words: arena,
            body: body.into(),
        }
    }

    fn key_ref(&self, t: &Tok) -> KeyRef<'_> {
        if t.key & WORD != 0 {
            let start = ((t.key & !WORD) >> 8) as usize;
            let len = (t.key & 0xFF) as usize;
            KeyRef::Word(&self.words[start..start + len])
        } else {
            KeyRef::Cjk(t.key)
        }
    }

    /// How many distinct tokens the record has.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// Every token with its title flag, sorted (for tests).
    pub fn tokens(&self) -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = self
            .toks
            .iter()
            .map(|t| (self.key_ref(t).text(), t.title))
            .collect();
        v.sort();
        v
    }
}

/// A token's documents, and those that have it in the title, an institution or a keyword.
type Lists = (Vec<u32>, Vec<u32>);

/// The JSON of one shard: `{"token": ["<documents>", "<title documents>"]}`, tokens
/// sorted, the second list left out when empty.
fn shard_json(map: FxMap<KeyRef<'_>, Lists>) -> Vec<u8> {
    let mut entries: Vec<(String, Lists)> = map.into_iter().map(|(k, v)| (k.text(), v)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from("{");
    for (i, (token, (all, title))) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(token).unwrap_or_default());
        out.push_str(":[\"");
        out.push_str(&encode::encode(all));
        if !title.is_empty() {
            out.push_str("\",\"");
            out.push_str(&encode::encode(title));
        }
        out.push_str("\"]");
    }
    out.push('}');
    out.into_bytes()
}

/// Shard groups whose maps are filled at a time: few enough that the maps of a batch stay
/// in the cache while every document's tokens stream past.
const BATCH: usize = 32;

/// Every shard of one language's documents, as JSON. One pass over the token lists, split
/// over the cores by ranges of shards.
fn build_shards(docs: &[Arc<DocTokens>], shards: usize) -> Vec<Vec<u8>> {
    let bits = shards.trailing_zeros();
    // One range per core (shards are even by construction: tokens go by hash). Each core
    // finds where its range starts in every document's tokens once, then walks them in
    // batches of [`BATCH`] groups, keeping its place in each document: no batch searches.
    let parts = shards.min(cores());
    let ranges: Vec<(usize, usize)> = (0..parts)
        .map(|p| (p * shards / parts, (p + 1) * shards / parts))
        .collect();
    let built = par_map(&ranges, |&(start, end)| {
        let mut at: Vec<usize> = docs
            .iter()
            .map(|doc| doc.toks.partition_point(|t| group(t.rev, bits) < start))
            .collect();
        let mut out = Vec::with_capacity(end - start);
        for g0 in (start..end).step_by(BATCH) {
            let g1 = (g0 + BATCH).min(end);
            let mut maps: Vec<FxMap<KeyRef<'_>, Lists>> =
                (g0..g1).map(|_| FxMap::default()).collect();
            for (d, (doc, at)) in docs.iter().zip(&mut at).enumerate() {
                for t in &doc.toks[*at..] {
                    let g = group(t.rev, bits);
                    if g >= g1 {
                        break;
                    }
                    *at += 1;
                    let lists = maps[g - g0].entry(doc.key_ref(t)).or_default();
                    lists.0.push(d as u32);
                    if t.title {
                        lists.1.push(d as u32);
                    }
                }
            }
            out.extend(maps.into_iter().enumerate().map(|(i, m)| {
                let g = (g0 + i) as u32;
                let shard = if bits == 0 {
                    0
                } else {
                    g.reverse_bits() >> (32 - bits)
                };
                (shard as usize, shard_json(m))
            }));
        }
        out
    });
    let mut out = vec![Vec::new(); shards];
    for (shard, json) in built.into_iter().flatten() {
        out[shard] = json;
    }
    out
}

/// The number of cores [`par_map`] runs on.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Run `f` over `items` on every core, with plain scoped threads: this may run inside a
/// rayon worker that other workers wait on, where rayon's work stealing could re-enter it.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("an indexing thread panicked"))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Every language's shard files, built from the records' token lists.
#[derive(Debug, Default)]
pub struct Index {
    /// `shards[lang][n]`: the JSON of shard `n`.
    pub shards: BTreeMap<Lang, Vec<Vec<u8>>>,
    /// Records tokenized for this index (the others came from the cache).
    pub tokenized: usize,
    /// `bodies[lang][n]`: the body text of document `n` in `lang`.
    bodies: BTreeMap<Lang, Vec<Arc<str>>>,
}

type Cache = HashMap<u64, Arc<DocTokens>>;

impl Index {
    /// Tokenize the records of `docs` (indexes into `site.entries`) in every language,
    /// reusing `cache` and leaving in it exactly this index's records, and cut the shards.
    fn build(site: &Site, docs: &[usize], shards: usize, cache: &Mutex<Cache>) -> Index {
        let default = site.default_lang();
        let mut previous = std::mem::take(&mut *cache.lock().unwrap_or_else(|e| e.into_inner()));
        let mut keys: Vec<(&Lang, Vec<u64>)> = Vec::new();
        let mut todo: Vec<(u64, Record<'_>)> = Vec::new();
        let mut kept: Cache = HashMap::new();
        for lang in &site.config.languages {
            let mut list = Vec::with_capacity(docs.len());
            for &e in docs {
                let r = Record::of(site.entries[e].version(lang, default));
                let key = r.key();
                if let std::collections::hash_map::Entry::Vacant(slot) = kept.entry(key) {
                    match previous.remove(&key) {
                        Some(t) => {
                            slot.insert(t);
                        }
                        None => todo.push((key, r)),
                    }
                }
                list.push(key);
            }
            keys.push((lang, list));
        }
        // An untranslated entry is the same record in every language: tokenize it once.
        let mut seen = std::collections::HashSet::new();
        todo.retain(|(k, _)| seen.insert(*k));
        let tokenized = todo.len();
        let fresh = par_map(&todo, |(_, r)| Arc::new(DocTokens::of(r)));
        for ((key, _), t) in todo.iter().zip(fresh) {
            kept.insert(*key, t);
        }
        let mut bodies = BTreeMap::new();
        let shards = keys
            .into_iter()
            .map(|(l, ks)| {
                let docs: Vec<Arc<DocTokens>> = ks.iter().map(|k| kept[k].clone()).collect();
                bodies.insert(l.clone(), docs.iter().map(|d| d.body.clone()).collect());
                (l.clone(), build_shards(&docs, shards))
            })
            .collect();
        *cache.lock().unwrap_or_else(|e| e.into_inner()) = kept;
        Index {
            shards,
            tokenized,
            bodies,
        }
    }

    /// The body text of document `n` in `lang` (as [`text::html_to_text`] gives it).
    pub fn body(&self, lang: &Lang, n: usize) -> Option<&str> {
        self.bodies.get(lang)?.get(n).map(|b| &**b)
    }

    /// The JSON of shard `n` of `lang`.
    pub fn shard(&self, lang: &Lang, n: usize) -> Vec<u8> {
        self.shards
            .get(lang)
            .and_then(|s| s.get(n))
            .cloned()
            .unwrap_or_else(|| b"{}".to_vec())
    }
}

/// The lazily built index of one plan, and the token cache it shares with the plans of
/// later rebuilds (see [`crate::search::SearchPlan::reuse`]).
#[derive(Clone, Default)]
pub struct Memo {
    index: Arc<OnceLock<Index>>,
    cache: Arc<Mutex<Cache>>,
    /// Keep the token lists for a later rebuild (watch mode); a one-off build drops them.
    keep: bool,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    /// The index, built on first use.
    pub fn index(&self, site: &Site, docs: &[usize], shards: usize) -> &Index {
        self.index.get_or_init(|| {
            let index = Index::build(site, docs, shards, &self.cache);
            if !self.keep {
                self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
            }
            index
        })
    }

    /// The index if it is built already (never builds it).
    pub fn ready(&self) -> Option<&Index> {
        self.index.get()
    }

    /// Keep the token lists for the next rebuild, and start from `previous`'s.
    pub fn reuse(&mut self, previous: Option<&Memo>) {
        self.keep = true;
        if let Some(p) = previous {
            self.cache = p.cache.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(title: &'a str, body: &'a str) -> Record<'a> {
        Record {
            title,
            summary: "",
            institutions: vec!["浙大"],
            keywords: vec!["MMA"],
            body_html: body,
        }
    }

    #[test]
    fn radix_sort_sorts_by_rev() {
        let mut toks: Vec<Tok> = (0..3000u32)
            .map(|i| Tok {
                rev: i.wrapping_mul(0x9e37_79b9) ^ (i >> 3),
                title: i % 2 == 0,
                key: i as u64,
            })
            .collect();
        let mut want: Vec<(u32, u64)> = toks.iter().map(|t| (t.rev, t.key)).collect();
        want.sort_unstable();
        sort_by_rev(&mut toks);
        assert!(toks.windows(2).all(|w| w[0].rev <= w[1].rev));
        let mut got: Vec<(u32, u64)> = toks.iter().map(|t| (t.rev, t.key)).collect();
        got.sort_unstable();
        assert_eq!(got, want);
        let mut none = Vec::new();
        sort_by_rev(&mut none);
        assert!(none.is_empty());
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

    #[test]
    fn shards_partition_the_tokens_for_any_power_of_two() {
        let docs = vec![
            Arc::new(DocTokens::of(&record(
                "甲基丙烯酸甲酯中试",
                "<p>催化剂 catalyst catalysis membrane 新材料 pilot plant</p>",
            ))),
            Arc::new(DocTokens::of(&record(
                "中试",
                "<p>催化氧化 氧化剂 pilot</p>",
            ))),
        ];
        let all: std::collections::BTreeSet<String> = docs
            .iter()
            .flat_map(|d| d.tokens().into_iter().map(|(t, _)| t))
            .collect();
        for shards in [1, 2, 4, 16, 256, 1024] {
            let mut seen = std::collections::BTreeSet::new();
            for (s, json) in build_shards(&docs, shards).iter().enumerate() {
                let map: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(json).unwrap();
                for token in map.keys() {
                    assert_eq!(
                        crate::search::tokenize::shard_of(token, shards),
                        s,
                        "{token} in shard {s} of {shards}"
                    );
                    assert!(seen.insert(token.clone()), "{token} twice");
                }
            }
            assert_eq!(seen, all, "{shards} shards");
        }
        let one = build_shards(&docs, 1);
        let map: serde_json::Value = serde_json::from_slice(&one[0]).unwrap();
        // Both documents have 中试 in the title; only the first has 催化剂, the second
        // 催化 and 化剂 apart.
        assert_eq!(map["中试"], serde_json::json!(["AA", "AA"]));
        assert_eq!(map["催化剂"], serde_json::json!(["A"]));
        assert_eq!(map["催化"], serde_json::json!(["AA"]));
        assert_eq!(map["pilot"], serde_json::json!(["AA"]));
        assert_eq!(map["浙大"], serde_json::json!(["AA", "AA"]));
        assert!(map.get("化剂").is_some() && map.get("剂").is_some());
    }
}
