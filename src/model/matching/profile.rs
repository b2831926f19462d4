//! Profiles: what matching knows of each result and item — its tokens (CJK bigrams and
//! trigrams and words, each with the largest weight of the parts it occurs in), fields,
//! keywords, region and synonym groups — and a key of everything profiles read. It cuts and
//! hashes text; it scores nothing and names no reasons.

use crate::config::field_name::FieldName;
use std::hash::BuildHasher;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{MatchingConfig, Schema, SiteConfig};
use crate::model::collections::Collection;
use crate::model::{Entry, EntryVersion};
use crate::search::tokenize::{NGRAM, normalize, scan};
use crate::validate::Value;

/// Body characters read into a profile: the opening of a text says what it is about.
pub(super) const BODY_CHARS: usize = 1200;

pub(super) type Hasher = foldhash::fast::FixedState;
pub(super) type Tok = u64;

pub(super) fn tok_hash(s: &str) -> Tok {
    Hasher::with_seed(0x6761_7a65_7474_6521).hash_one(s)
}

/// What matching knows of one item.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Profile {
    /// (token, weight), sorted by token: the largest weight of the parts it occurs in.
    pub(super) tokens: Vec<(Tok, f32)>,
    /// (field, key) of taxonomy enum values.
    pub(super) fields: Vec<(FieldName, String)>,
    pub(super) keywords: Vec<String>,
    pub(super) region: Option<String>,
    /// The hash of `region`: what scoring compares.
    pub(super) region_key: Option<u64>,
    pub(super) synonyms: Vec<usize>,
    /// Hashes of `fields` and `keywords`, sorted: what scoring compares (the strings are
    /// compared only for the reasons of the matches kept).
    pub(super) field_keys: Vec<u64>,
    pub(super) keyword_keys: Vec<u64>,
}

/// Words too common in English text to say anything.
pub(super) const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "with", "we", "can", "which",
];

/// Every token of `norm` (normalized text) matching uses: CJK bigrams and trigrams, and
/// words of two or more characters that are not stop words.
pub(super) fn each_token(norm: &str, f: impl FnMut(Tok)) {
    let f = std::cell::RefCell::new(f);
    scan(
        norm,
        |g| {
            if g.len() >= 2 {
                (f.borrow_mut())(gram_hash(g));
            }
        },
        |w| {
            if w.chars().count() >= 2 && !STOP.contains(&w) {
                (f.borrow_mut())(tok_hash(w));
            }
        },
    );
}

/// The token hash of an n-gram of at most [`NGRAM`] characters, spelt out on the stack.
pub(super) fn gram_hash(g: &[char]) -> Tok {
    let mut buf = [0u8; 4 * NGRAM];
    let mut n = 0;
    for c in g.iter().take(NGRAM) {
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    tok_hash(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

/// One part of what a profile is made of.
pub(super) enum Part<'v> {
    Title(&'v str),
    Summary(&'v str),
    /// The opening of the body (items only).
    Body(&'v str),
    Keyword(&'v str),
    Region(&'v str),
    /// A key of a taxonomy enum field `matching.fields` names.
    Field(&'v FieldName, &'v str),
}

/// Every part of version `v` (of a document of `schema`) a profile is made of, in order:
/// what [`profile`] builds from and what [`inputs_key`] hashes, so the two cannot drift
/// apart. `body`: whether the opening of the body counts (see [`profile`]).
pub(super) fn each_part<'v>(
    v: &'v EntryVersion,
    schema: &'v Schema,
    config: &MatchingConfig,
    body: bool,
    mut f: impl FnMut(Part<'v>),
) {
    f(Part::Title(&v.title));
    if let Some(s) = &v.summary {
        f(Part::Summary(s));
    }
    if body {
        f(Part::Body(body_opening(v)));
    }
    for k in v
        .values
        .get("keywords")
        .map(Value::texts)
        .unwrap_or_default()
    {
        f(Part::Keyword(k));
    }
    if let Some(r) = v.values.get("region").and_then(Value::as_text) {
        f(Part::Region(r));
    }
    for (name, def) in &schema.fields {
        if def.taxonomy && def.kind.enum_options().is_some() && config.fields.contains(name) {
            for key in v.values.get(name).map(Value::texts).unwrap_or_default() {
                f(Part::Field(&def.name, key));
            }
        }
    }
}

/// The profile of version `v` of a document of `schema`. `body` says whether the opening of
/// the body counts: it does for the items matched (demands say what they need in their
/// text), not for the results indexed, whose title, keywords and summary say what they are
/// (and whose bodies would make the index several times larger).
pub(super) fn profile(
    v: &EntryVersion,
    schema: &Schema,
    config: &MatchingConfig,
    synonyms: &[Vec<String>],
    body: bool,
) -> Profile {
    thread_local! {
        static FOUND: std::cell::RefCell<Vec<(Tok, f32)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    FOUND.with_borrow_mut(|found| {
        found.clear();
        profile_into(v, schema, config, synonyms, body, found)
    })
}

/// [`profile`], with `tokens` (empty) as room for every token found, repeats included:
/// sorted and cut to each token's largest weight, cheaper than a map for the few hundred
/// tokens of a profile, then copied into a list of its own size (100,000 profiles kept
/// with room for 512 tokens each held 900 MB).
pub(super) fn profile_into(
    v: &EntryVersion,
    schema: &Schema,
    config: &MatchingConfig,
    synonyms: &[Vec<String>],
    body: bool,
    tokens: &mut Vec<(Tok, f32)>,
) -> Profile {
    let w = &config.weights;
    let mut p = Profile::default();
    let mut add = |text: &str, weight: f64, p: &mut Profile| {
        if weight <= 0.0 {
            return;
        }
        let norm = normalize(text);
        each_token(&norm, |t| tokens.push((t, weight as f32)));
        if !synonyms.is_empty() {
            for (g, words) in synonyms.iter().enumerate() {
                if words.iter().any(|s| norm.contains(s.as_str())) && !p.synonyms.contains(&g) {
                    p.synonyms.push(g);
                }
            }
        }
    };
    each_part(v, schema, config, body, |part| match part {
        Part::Title(t) => add(t, w.title, &mut p),
        Part::Summary(t) => add(t, w.summary, &mut p),
        Part::Body(t) => add(t, w.body, &mut p),
        Part::Keyword(k) => {
            add(k, w.keywords, &mut p);
            p.keywords.push(normalize(k.trim()));
        }
        Part::Region(r) => {
            p.region = Some(r.trim().to_string());
            p.region_key = Some(tok_hash(r.trim()));
        }
        Part::Field(name, key) => p.fields.push((*name, key.to_string())),
    });
    // By token, each with its largest weight.
    tokens.sort_unstable_by_key(|t| t.0);
    tokens.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = kept.1.max(later.1);
        }
        same
    });
    p.tokens = tokens.as_slice().into();
    p.synonyms.sort_unstable();
    p.field_keys = p
        .fields
        .iter()
        .map(|(f, k)| tok_hash(&format!("{f}\u{0}{k}")))
        .collect();
    p.field_keys.sort_unstable();
    p.field_keys.dedup();
    p.keyword_keys = p
        .keywords
        .iter()
        .filter(|k| !k.is_empty())
        .map(|k| tok_hash(k))
        .collect();
    p.keyword_keys.sort_unstable();
    p.keyword_keys.dedup();
    p
}

/// Write into `out` every part of version `v` a profile is made of ([`each_part`]), each
/// tagged and length-prefixed: two versions that write the same bytes have the same
/// profile, and the same text for reasons ([`text_of`] reads a subset of the same parts).
pub(super) fn write_profile_inputs(
    v: &EntryVersion,
    schema: &Schema,
    config: &MatchingConfig,
    body: bool,
    out: &mut Vec<u8>,
) {
    let mut text = |tag: u8, t: &str| {
        out.push(tag);
        out.extend_from_slice(&(t.len() as u64).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    };
    each_part(v, schema, config, body, |part| match part {
        Part::Title(t) => text(0, t),
        Part::Summary(t) => text(1, t),
        Part::Body(t) => text(2, t),
        Part::Keyword(t) => text(3, t),
        Part::Region(t) => text(4, t),
        Part::Field(name, key) => {
            text(5, name);
            text(6, key);
        }
    });
}

/// A key of everything [`compute`] reads: the matching settings and schemas, and per result
/// and per item its place, whether it takes part (held back, open) and what its profile
/// reads. The same key means [`compute`] gives the same matches (`model::match_cache`).
pub fn inputs_key(config: &SiteConfig, entries: &[Arc<Entry>], collections: &[Collection]) -> u64 {
    use xxhash_rust::xxh3::{Xxh3, xxh3_64};
    let matching = &config.matching;
    let default = &config.default_language;
    let settings = format!(
        "{matching:?}\n{:?}\n{default:?}\n{:?}",
        config.schema,
        (config.collections.iter())
            .map(|d| (&d.name, d.match_results, &d.schema))
            .collect::<Vec<_>>()
    );
    // Each version's inputs written out whole and hashed at once: a streaming hasher fed a
    // tag, a length and a few bytes at a time was most of this key's cost.
    let each = |v: Option<&EntryVersion>, schema: &Schema, taking_part: u8, body: bool| {
        let mut buf = Vec::with_capacity(512);
        buf.push(taking_part);
        if let Some(v) = v {
            let path = v.source.path.as_os_str().as_encoded_bytes();
            buf.extend_from_slice(&(path.len() as u64).to_le_bytes());
            buf.extend_from_slice(path);
            write_profile_inputs(v, schema, matching, body, &mut buf);
        }
        xxh3_64(&buf)
    };
    let results: Vec<u64> = entries
        .par_iter()
        .map(|e| {
            each(
                e.versions.get(default).map(|v| &**v),
                &config.schema,
                e.hold.is_some() as u8,
                false,
            )
        })
        .collect();
    let mut all = Xxh3::new();
    all.update(&xxh3_64(settings.as_bytes()).to_le_bytes());
    all.update(&(results.len() as u64).to_le_bytes());
    for r in results {
        all.update(&r.to_le_bytes());
    }
    for col in collections {
        let schema = &config.collections[col.def].schema;
        let items: Vec<u64> = (col.items.par_iter())
            .map(|it| {
                let part = it.hold.is_some() as u8 | (it.is_open() as u8) << 1;
                each(it.versions.get(default).map(|v| &**v), schema, part, true)
            })
            .collect();
        all.update(&(col.def as u64).to_le_bytes());
        all.update(&(items.len() as u64).to_le_bytes());
        for i in items {
            all.update(&i.to_le_bytes());
        }
    }
    all.digest()
}

/// The first [`BODY_CHARS`] characters of a version's body.
pub(super) fn body_opening(v: &EntryVersion) -> &str {
    let body = v.body.text();
    let cut = body
        .char_indices()
        .nth(BODY_CHARS)
        .map_or(body.len(), |(i, _)| i);
    &body[..cut]
}

/// The text a profile's shared terms are looked for in: what its profile read (`body`:
/// with the opening of the body, as for the items matched; a result's related results are
/// found by its title and keywords, and named by what the results' profiles hold).
pub(super) fn text_of(v: &EntryVersion, body: bool) -> String {
    let mut t = v.title.clone();
    let body = if body { body_opening(v) } else { "" };
    for part in [v.summary.as_deref().unwrap_or(""), body] {
        t.push('\n');
        t.push_str(part);
    }
    if let Some(k) = v.values.get("keywords") {
        for k in k.text_iter() {
            t.push('\n');
            t.push_str(k);
        }
    }
    t
}
