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

/// One token's documents, encoded as they arrive (in increasing order, see
/// [`encode::append`]): all of them, and those with the token in the title, an institution
/// or a keyword. Kept encoded, a posting costs a byte or two instead of a `u32`.
#[derive(Debug, Default)]
struct Postings {
    all: String,
    all_next: u32,
    title: String,
    title_next: u32,
}

impl Postings {
    fn push(&mut self, d: u32, title: bool) {
        encode::append(&mut self.all, &mut self.all_next, d);
        if title {
            encode::append(&mut self.title, &mut self.title_next, d);
        }
    }
}

/// The tokens of one shard group and their postings so far.
#[derive(Debug, Default)]
struct Group {
    cjk: FxMap<u64, Postings>,
    words: FxMap<Box<str>, Postings>,
}

impl Group {
    fn push(&mut self, key: KeyRef<'_>, d: u32, title: bool) {
        match key {
            KeyRef::Cjk(k) => self.cjk.entry(k).or_default().push(d, title),
            KeyRef::Word(w) => match self.words.get_mut(w) {
                Some(p) => p.push(d, title),
                None => {
                    let mut p = Postings::default();
                    p.push(d, title);
                    self.words.insert(w.into(), p);
                }
            },
        }
    }

    /// The JSON of the group's shard: `{"token": ["<documents>", "<title documents>"]}`,
    /// tokens sorted, the second list left out when empty.
    fn json(&self) -> Vec<u8> {
        let mut entries: Vec<(String, &Postings)> = self
            .cjk
            .iter()
            .map(|(k, p)| (KeyRef::Cjk(*k).text(), p))
            .chain(self.words.iter().map(|(w, p)| (w.to_string(), p)))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let size: usize = entries
            .iter()
            .map(|(t, p)| t.len() + p.all.len() + p.title.len() + 12)
            .sum();
        let mut out = String::with_capacity(size + 2);
        out.push('{');
        for (i, (token, p)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(token).unwrap_or_default());
            out.push_str(":[\"");
            out.push_str(&p.all);
            if !p.title.is_empty() {
                out.push_str("\",\"");
                out.push_str(&p.title);
            }
            out.push_str("\"]");
        }
        out.push('}');
        out.into_bytes()
    }
}

/// The shards of one language, filled as documents stream past in order: only the
/// postings are kept, never every document's token list (which would take some times the
/// memory of the finished index on a large site).
struct ShardBuilder {
    bits: u32,
    /// Indexed by group (see [`group`]), not by shard number.
    groups: Vec<Group>,
    /// The number the next document added gets.
    next: u32,
}

impl ShardBuilder {
    fn new(shards: usize) -> ShardBuilder {
        ShardBuilder {
            bits: shards.trailing_zeros(),
            groups: (0..shards).map(|_| Group::default()).collect(),
            next: 0,
        }
    }

    /// Add the next documents, in order. Split over the cores by ranges of groups: each
    /// core finds where its range starts in every document's sorted tokens and walks on
    /// from there.
    fn add(&mut self, docs: &[&DocTokens]) {
        let (bits, first) = (self.bits, self.next);
        self.next += docs.len() as u32;
        let fill = |groups: &mut [Group], start: usize| {
            let end = start + groups.len();
            for (i, doc) in docs.iter().enumerate() {
                let d = first + i as u32;
                let at = doc.toks.partition_point(|t| group(t.rev, bits) < start);
                for t in &doc.toks[at..] {
                    let g = group(t.rev, bits);
                    if g >= end {
                        break;
                    }
                    groups[g - start].push(doc.key_ref(t), d, t.title);
                }
            }
        };
        let parts = cores().min(self.groups.len());
        if parts <= 1 || docs.len() < 4 {
            fill(&mut self.groups, 0);
            return;
        }
        let size = self.groups.len().div_ceil(parts);
        std::thread::scope(|s| {
            for (p, groups) in self.groups.chunks_mut(size).enumerate() {
                let fill = &fill;
                s.spawn(move || fill(groups, p * size));
            }
        });
    }

    /// Every shard's JSON, indexed by shard number. Each group is dropped as soon as its
    /// JSON is made, so the postings and the JSON are never both held whole.
    fn finish(mut self) -> Vec<Vec<u8>> {
        let bits = self.bits;
        let shards = self.groups.len();
        let parts = cores().min(shards).max(1);
        let size = shards.div_ceil(parts);
        let json_of = |groups: &mut [Group]| -> Vec<Vec<u8>> {
            groups
                .iter_mut()
                .map(|g| std::mem::take(g).json())
                .collect()
        };
        let built: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
            let workers: Vec<_> = self
                .groups
                .chunks_mut(size)
                .map(|groups| s.spawn(|| json_of(groups)))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("an indexing thread panicked"))
                .collect()
        });
        let mut out = vec![Vec::new(); shards];
        for (g, json) in built.into_iter().flatten().enumerate() {
            let shard = if bits == 0 {
                0
            } else {
                (g as u32).reverse_bits() >> (32 - bits)
            };
            out[shard as usize] = json;
        }
        out
    }
}

/// Every shard of `docs` (documents in order), as JSON.
#[cfg(test)]
fn build_shards(docs: &[Arc<DocTokens>], shards: usize) -> Vec<Vec<u8>> {
    let mut b = ShardBuilder::new(shards);
    let docs: Vec<&DocTokens> = docs.iter().map(|d| &**d).collect();
    b.add(&docs);
    b.finish()
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
    /// `bodies[lang][n]`: the body text of document `n` in `lang`; only kept in watch mode
    /// (a build extracts it again for the document file rather than hold every body).
    bodies: BTreeMap<Lang, Vec<Arc<str>>>,
}

type Cache = HashMap<u64, Arc<DocTokens>>;

/// Documents tokenized and added to the shards at a time: enough to keep every core busy,
/// few enough that their token lists take little memory.
const CHUNK: usize = 512;

impl Index {
    /// Tokenize the records of `docs` (indexes into `site.entries`) in every language,
    /// reusing `cache`, and cut the shards. With `keep` (watch mode), `cache` is left with
    /// exactly this index's records and the index keeps every body text for the document
    /// files; without, both are dropped as the documents stream past.
    fn build(
        site: &Site,
        docs: &[usize],
        shards: usize,
        cache: &Mutex<Cache>,
        keep: bool,
    ) -> Index {
        let default = site.default_lang();
        let langs = &site.config.languages;
        let mut previous = std::mem::take(&mut *cache.lock().unwrap_or_else(|e| e.into_inner()));
        let mut kept: Cache = HashMap::new();
        let mut builders: Vec<ShardBuilder> =
            langs.iter().map(|_| ShardBuilder::new(shards)).collect();
        let mut bodies: Vec<Vec<Arc<str>>> = langs.iter().map(|_| Vec::new()).collect();
        let mut tokenized = 0;
        for chunk in docs.chunks(CHUNK) {
            // The chunk's records in every language; an untranslated entry is the same
            // record in every language, tokenized once.
            let mut ready: HashMap<u64, Arc<DocTokens>> = HashMap::new();
            let mut todo: Vec<(u64, Record<'_>)> = Vec::new();
            let mut queued = std::collections::HashSet::new();
            let keys: Vec<Vec<u64>> = langs
                .iter()
                .map(|lang| {
                    chunk
                        .iter()
                        .map(|&e| {
                            let r = Record::of(site.entries[e].version(lang, default));
                            let key = r.key();
                            if !ready.contains_key(&key) && !queued.contains(&key) {
                                match previous.remove(&key).or_else(|| kept.get(&key).cloned()) {
                                    Some(t) => {
                                        ready.insert(key, t);
                                    }
                                    None => {
                                        queued.insert(key);
                                        todo.push((key, r));
                                    }
                                }
                            }
                            key
                        })
                        .collect()
                })
                .collect();
            tokenized += todo.len();
            let fresh = par_map(&todo, |(_, r)| Arc::new(DocTokens::of(r)));
            ready.extend(todo.iter().map(|(k, _)| *k).zip(fresh));
            for ((builder, ks), bodies) in builders.iter_mut().zip(&keys).zip(&mut bodies) {
                let toks: Vec<&DocTokens> = ks.iter().map(|k| &*ready[k]).collect();
                builder.add(&toks);
                if keep {
                    bodies.extend(toks.iter().map(|t| t.body.clone()));
                }
            }
            if keep {
                kept.extend(ready);
            }
        }
        *cache.lock().unwrap_or_else(|e| e.into_inner()) = kept;
        let shards = langs
            .iter()
            .cloned()
            .zip(builders.into_iter().map(ShardBuilder::finish))
            .collect();
        let bodies = if keep {
            langs.iter().cloned().zip(bodies).collect()
        } else {
            BTreeMap::new()
        };
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
        self.index
            .get_or_init(|| Index::build(site, docs, shards, &self.cache, self.keep))
    }

    /// Drop the built shards' JSON (a build that has written them; the index is not built
    /// again, so shard files must not be rendered after this). Nothing happens when the
    /// index is shared.
    pub fn forget_shards(&mut self) {
        if let Some(index) = Arc::get_mut(&mut self.index).and_then(OnceLock::get_mut) {
            index.shards.clear();
        }
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

    /// Documents streamed in small batches (each under the size that is split over the
    /// cores) give the same shards as all at once (split over the cores), document numbers
    /// running on across batches.
    #[test]
    fn shards_are_the_same_however_the_documents_arrive() {
        let words = [
            "催化",
            "氧化剂",
            "pilot",
            "plant",
            "膜分离",
            "membrane",
            "中试",
            "MMA",
        ];
        let docs: Vec<DocTokens> = (0..23)
            .map(|i| {
                let body: Vec<&str> = (0..words.len())
                    .filter(|w| (i * 7 + w * 3) % 5 < 2)
                    .map(|w| words[w])
                    .collect();
                let title = words[i % words.len()];
                DocTokens::of(&record(title, &format!("<p>{}</p>", body.join(" "))))
            })
            .collect();
        let refs: Vec<&DocTokens> = docs.iter().collect();
        for shards in [1, 4, 64] {
            let mut whole = ShardBuilder::new(shards);
            whole.add(&refs);
            let mut streamed = ShardBuilder::new(shards);
            for batch in refs.chunks(3) {
                streamed.add(batch);
            }
            let (whole, streamed) = (whole.finish(), streamed.finish());
            assert_eq!(whole, streamed, "{shards} shards");
            // Every document is in the shards: 23 documents have the title token of one.
            let all: String = whole.iter().map(|j| String::from_utf8_lossy(j)).collect();
            assert!(all.contains("\"pilot\""), "{all}");
        }
        let mut one = ShardBuilder::new(1);
        one.add(&refs);
        let map: serde_json::Value = serde_json::from_slice(&one.finish()[0]).unwrap();
        let with_mma = encode::decode(map["mma"][0].as_str().unwrap()).unwrap();
        assert_eq!(
            with_mma,
            (0..23).collect::<Vec<u32>>(),
            "MMA is every record's keyword"
        );
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
