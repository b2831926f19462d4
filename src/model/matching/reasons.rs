//! The reasons of a match, in words a person can check: the fields, keywords, synonym
//! groups and region both sides name, and the telling terms both texts contain. It explains
//! the matches queries found; it finds none.

use super::Reason;
use super::index::Index;
use super::profile::{Profile, STOP, Tok, gram_hash, tok_hash};
use crate::search::tokenize::{Piece, normalize, pieces};

/// What two profiles share besides text.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) fields: Vec<(String, String)>,
    pub(super) keywords: Vec<String>,
    pub(super) region: Option<String>,
    pub(super) synonyms: Vec<usize>,
}

pub(super) fn structured(a: &Profile, b: &Profile) -> Shared {
    Shared {
        fields: a
            .fields
            .iter()
            .filter(|f| b.fields.contains(f))
            .map(|(f, k)| (f.to_string(), k.clone()))
            .collect(),
        keywords: a
            .keywords
            .iter()
            .filter(|k| !k.is_empty() && b.keywords.contains(k))
            .cloned()
            .collect(),
        region: a.region.clone().filter(|r| b.region.as_ref() == Some(r)),
        synonyms: a
            .synonyms
            .iter()
            .filter(|g| b.synonyms.contains(g))
            .copied()
            .collect(),
    }
}

/// Whether token `h` is worth naming as a reason ([`Index::tells`]): a token the index does
/// not hold is in no result, so no result shares it.
pub(super) fn telling(h: Tok, index: &Index) -> bool {
    !index.common.contains(&h)
}

/// A query's text cut once: its CJK runs with the bigram starting at each character, and
/// its words, each as its place in `all` when it tells results apart ([`telling`], asked
/// once per query). Each of the query's matches then only walks `all` beside the other
/// side's tokens and marks what both have.
pub(super) struct QueryText {
    /// The CJK characters, run after run.
    pub(super) chars: Vec<char>,
    /// Per character, the place in `all` of the bigram starting there (none at a run's last
    /// one, nor for a bigram that does not tell).
    pub(super) grams: Vec<Option<u32>>,
    /// Where each CJK run is in `chars`.
    pub(super) runs: Vec<std::ops::Range<usize>>,
    /// Words that could be named (two characters or more, not a number, not a stop word,
    /// telling), with their place in `all`.
    pub(super) words: Vec<(String, u32)>,
    /// The hashes of the telling bigrams and words, sorted, once each.
    pub(super) all: Vec<Tok>,
}

impl QueryText {
    pub(super) fn new(text: &str, index: &Index) -> QueryText {
        let mut chars: Vec<char> = Vec::new();
        let mut gram_hashes: Vec<Option<Tok>> = Vec::new();
        let mut runs = Vec::new();
        let mut words: Vec<(String, Tok)> = Vec::new();
        for piece in pieces(&normalize(text)) {
            match piece {
                Piece::Cjk(run) => {
                    let start = chars.len();
                    gram_hashes.extend(run.windows(2).map(|pair| Some(gram_hash(pair))));
                    gram_hashes.push(None);
                    chars.extend(run);
                    runs.push(start..chars.len());
                }
                Piece::Word(w) => {
                    if w.chars().nth(1).is_some()
                        && !w.chars().all(|c| c.is_ascii_digit())
                        && !STOP.contains(&w.as_str())
                    {
                        let h = tok_hash(&w);
                        words.push((w, h));
                    }
                }
            }
        }
        let tells = |h: &Tok| telling(*h, index);
        let mut all: Vec<Tok> = gram_hashes
            .iter()
            .flatten()
            .copied()
            .filter(tells)
            .collect();
        all.extend(words.iter().map(|w| w.1).filter(tells));
        all.sort_unstable();
        all.dedup();
        let place = |h: Tok| all.binary_search(&h).ok().map(|i| i as u32);
        QueryText {
            grams: gram_hashes.iter().map(|h| h.and_then(place)).collect(),
            words: (words.into_iter())
                .filter_map(|(w, h)| Some((w, place(h)?)))
                .collect(),
            chars,
            runs,
            all,
        }
    }
}

/// The words both `a` and `b` contain that tell them apart from other results: a CJK
/// stretch whose overlapping bigrams are all shared is named whole (`有机玻璃`, not `有机`,
/// `机玻`, `玻璃`); longest first, at most five.
pub(super) fn shared_terms(a: &QueryText, b: &Profile) -> Vec<String> {
    // Which of `a.all` `b` has too (two sorted lists walked together).
    let mut shared = vec![false; a.all.len()];
    let mut any = false;
    let (mut i, mut j) = (0, 0);
    while i < a.all.len() && j < b.tokens.len() {
        match a.all[i].cmp(&b.tokens[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared[i] = true;
                any = true;
                i += 1;
                j += 1;
            }
        }
    }
    if !any {
        return Vec::new();
    }
    let has = |g: &Option<u32>| g.is_some_and(|i| shared[i as usize]);
    let mut found: Vec<String> = Vec::new();
    let push = |t: String, found: &mut Vec<String>| {
        if !found.contains(&t) {
            found.push(t);
        }
    };
    for run in &a.runs {
        let (chars, grams) = (&a.chars[run.clone()], &a.grams[run.clone()]);
        let mut run_start: Option<usize> = None;
        for i in 0..chars.len() {
            match (has(&grams[i]), run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(st)) => {
                    push(chars[st..=i].iter().collect(), &mut found);
                    run_start = None;
                }
                _ => {}
            }
        }
    }
    for (w, i) in &a.words {
        if shared[*i as usize] {
            push(w.clone(), &mut found);
        }
    }
    found.sort_by(|x, y| y.chars().count().cmp(&x.chars().count()).then(x.cmp(y)));
    let mut kept: Vec<String> = Vec::new();
    for t in found {
        if !kept.iter().any(|k| k.contains(t.as_str())) {
            kept.push(t);
        }
    }
    kept.truncate(5);
    kept
}

pub(super) fn reasons(
    q: &Profile,
    q_text: &QueryText,
    r: &Profile,
    synonyms: &[Vec<String>],
) -> Vec<Reason> {
    let s = structured(q, r);
    let mut out: Vec<Reason> = s
        .fields
        .into_iter()
        .map(|(field, key)| Reason::Field { field, key })
        .collect();
    out.extend(
        s.keywords
            .into_iter()
            .map(|keyword| Reason::Keyword { keyword }),
    );
    out.extend(s.synonyms.into_iter().map(|g| Reason::Synonym {
        word: synonyms[g].join(" = "),
    }));
    let terms = shared_terms(q_text, r);
    if !terms.is_empty() {
        out.push(Reason::Terms { terms });
    }
    if let Some(region) = s.region {
        out.push(Reason::Region { region });
    }
    out
}
