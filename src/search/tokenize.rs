//! The tokenizer. The index is built with it here, and the search client (`client.js`)
//! runs a line-by-line copy of it on the query, so that index and query always agree; the
//! browser test checks that both give the same tokens for the same text.
//!
//! * Text is lowercased (Unicode, whole string) and full-width ASCII (`ＰＢＡＴ`, `１２`) is
//!   folded to ASCII.
//! * Han characters (and kana and hangul) form runs. A run is indexed as all its n-grams of
//!   one to [`NGRAM`] characters (overlapping): `催化剂` → `催`, `催化`, `催化剂`, `化`,
//!   `化剂`, `剂`. A query run of up to [`NGRAM`] characters is one token, looked up as it
//!   is, so it matches exactly the texts that contain it; a longer run looks up all its
//!   [`NGRAM`]-grams, which every text containing the run also contains (and a text that
//!   has them all but not the run is rare: they would have to occur apart).
//! * Letters and digits of other scripts form words (`PBAT-based` → `pbat`, `based`), cut
//!   to [`MAX_WORD`] characters. A query word of [`PREFIX_MIN`] characters or more also
//!   matches longer words it begins (`cataly` → `catalyst`, `catalysts`).
//! * Anything else (spaces, punctuation) separates tokens.
//!
//! Tokens are spread over shard files by a hash of their *shard key*: the token itself for
//! Han tokens, the first [`PREFIX_MIN`] characters for words, so that every word a query
//! prefix can match is in the one shard of the prefix.

/// Longest CJK n-gram indexed.
pub const NGRAM: usize = 3;

/// Longest word kept, in characters (longer words are cut).
pub const MAX_WORD: usize = 32;

/// Shortest query word matched as a prefix, in characters; also the length of a word's
/// shard key.
pub const PREFIX_MIN: usize = 3;

/// Han ideographs (with extensions and compatibility forms), kana and hangul syllables.
pub fn is_cjk(c: char) -> bool {
    matches!(
        c as u32,
        0x3040..=0x30FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3FFFF
    )
}

/// A character of a word: a letter or digit that is not CJK.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        !is_cjk(c) && c.is_alphanumeric()
    }
}

fn fold_width(c: char) -> char {
    match c as u32 {
        u @ 0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Lowercase and fold full-width ASCII.
///
/// The same as `fold_width` over `str::to_lowercase`, in one pass that copies the runs of
/// characters lowercasing leaves alone (ASCII lowercase, CJK, punctuation) whole instead of
/// looking each up in the case tables. A capital sigma, whose lowercase depends on the
/// letters around it, sends the whole text to `str::to_lowercase`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut kept = 0; // `text[kept..i]` is still to be copied as it is
    for (i, c) in text.char_indices() {
        let same = if c.is_ascii() {
            !c.is_ascii_uppercase()
        } else {
            // CJK, and the CJK punctuation between its words, has no case.
            is_cjk(c) || matches!(c, '\u{3000}'..='\u{303F}') || c.to_lowercase().eq([c])
        };
        if same && fold_width(c) == c {
            continue;
        }
        if c == 'Σ' {
            return text.to_lowercase().chars().map(fold_width).collect();
        }
        out.push_str(&text[kept..i]);
        out.extend(c.to_lowercase().map(fold_width));
        kept = i + c.len_utf8();
    }
    out.push_str(&text[kept..]);
    out
}

/// Walk normalized text once: `gram` gets every CJK n-gram (1 to [`NGRAM`] characters)
/// ending at each CJK character, shortest first; `word` every word, cut to [`MAX_WORD`]
/// characters. Nothing is allocated.
pub fn scan<'a>(normalized: &'a str, mut gram: impl FnMut(&[char]), mut word: impl FnMut(&'a str)) {
    let mut window = ['\0'; NGRAM];
    let mut run = 0;
    let mut start: Option<usize> = None;
    let (mut end, mut chars) = (0, 0);
    let mut end_word = |start: &mut Option<usize>, end: usize| {
        if let Some(s) = start.take() {
            word(&normalized[s..end]);
        }
    };
    for (i, c) in normalized.char_indices() {
        if is_cjk(c) {
            end_word(&mut start, end);
            window.copy_within(1.., 0);
            window[NGRAM - 1] = c;
            run = (run + 1).min(NGRAM);
            for n in 1..=run {
                gram(&window[NGRAM - n..]);
            }
        } else if is_word_char(c) {
            run = 0;
            if start.is_none() {
                start = Some(i);
                chars = 0;
            }
            if chars < MAX_WORD {
                chars += 1;
                end = i + c.len_utf8();
            }
        } else {
            run = 0;
            end_word(&mut start, end);
        }
    }
    end_word(&mut start, end);
}

/// A run of normalized text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// CJK characters.
    Cjk(Vec<char>),
    /// A word, already cut to [`MAX_WORD`] characters.
    Word(String),
}

/// Split normalized text into runs.
pub fn pieces(normalized: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    let mut word_len = 0;
    let flush = |cjk: &mut Vec<char>, word: &mut String, len: &mut usize, out: &mut Vec<Piece>| {
        if !cjk.is_empty() {
            out.push(Piece::Cjk(std::mem::take(cjk)));
        }
        if !word.is_empty() {
            out.push(Piece::Word(std::mem::take(word)));
            *len = 0;
        }
    };
    for c in normalized.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                flush(&mut cjk, &mut word, &mut word_len, &mut out);
            }
            cjk.push(c);
        } else if is_word_char(c) {
            if !cjk.is_empty() {
                flush(&mut cjk, &mut word, &mut word_len, &mut out);
            }
            if word_len < MAX_WORD {
                word.push(c);
                word_len += 1;
            }
        } else {
            flush(&mut cjk, &mut word, &mut word_len, &mut out);
        }
    }
    flush(&mut cjk, &mut word, &mut word_len, &mut out);
    out
}

/// Every token the index holds for `text`, in the order [`scan`] finds them, with repeats.
pub fn index_tokens(text: &str) -> Vec<String> {
    let out = std::cell::RefCell::new(Vec::new());
    scan(
        &normalize(text),
        |g| out.borrow_mut().push(g.iter().collect()),
        |w| out.borrow_mut().push(w.to_string()),
    );
    out.into_inner()
}

/// One part of a query: every part must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A CJK run and the tokens it looks up (itself, or its [`NGRAM`]-grams).
    Cjk { text: String, tokens: Vec<String> },
    /// A word, matched as a prefix when `prefix`.
    Word { text: String, prefix: bool },
}

/// The terms of a query (what the client computes; here for tests and documentation).
pub fn query_terms(query: &str) -> Vec<Term> {
    pieces(&normalize(query))
        .into_iter()
        .map(|p| match p {
            Piece::Cjk(chars) => {
                let tokens = chars
                    .windows(NGRAM.min(chars.len()))
                    .map(|w| w.iter().collect())
                    .collect();
                Term::Cjk {
                    text: chars.into_iter().collect(),
                    tokens,
                }
            }
            Piece::Word(w) => {
                let prefix = w.chars().count() >= PREFIX_MIN;
                Term::Word { text: w, prefix }
            }
        })
        .collect()
}

/// 32-bit FNV-1a over code points, then the MurmurHash3 finaliser (so that the low bits,
/// which pick the shard, are well mixed).
pub fn hash_key(key: impl Iterator<Item = char>) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for c in key {
        h ^= c as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The hash that places a token: of the token for CJK tokens, of its first
/// [`PREFIX_MIN`] characters for a word.
pub fn token_hash(token: &str) -> u32 {
    let word = token.chars().next().is_some_and(is_word_char);
    if word {
        hash_key(token.chars().take(PREFIX_MIN))
    } else {
        hash_key(token.chars())
    }
}

/// The shard (of `shards`, a power of two) that holds `token`.
pub fn shard_of(token: &str, shards: usize) -> usize {
    token_hash(token) as usize & (shards - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_runs_give_characters_and_overlapping_bigrams() {
        assert_eq!(
            index_tokens("催化剂"),
            words(&["催", "化", "催化", "剂", "化剂", "催化剂"])
        );
        assert_eq!(index_tokens("中试。"), words(&["中", "试", "中试"]));
        // Punctuation and spaces end a run: no bigram across them.
        assert_eq!(index_tokens("膜，钢"), words(&["膜", "钢"]));
    }

    #[test]
    fn latin_words_are_lowercased_split_and_folded() {
        assert_eq!(
            index_tokens("PBAT-based Catalyst, 2nd ed."),
            words(&["pbat", "based", "catalyst", "2nd", "ed"])
        );
        // Full-width letters and digits are ASCII; a word next to Han text is its own token.
        assert_eq!(
            index_tokens("ＰＢＡＴ催化剂１２"),
            words(&["pbat", "催", "化", "催化", "剂", "化剂", "催化剂", "12"])
        );
        assert_eq!(index_tokens("Café ÉTÉ"), words(&["café", "été"]));
        let long = "a".repeat(40);
        assert_eq!(index_tokens(&long), vec!["a".repeat(MAX_WORD)]);
    }

    #[test]
    fn query_terms_look_up_short_runs_whole_and_long_ones_by_trigrams() {
        assert_eq!(
            query_terms("甲基丙烯酸甲酯"),
            vec![Term::Cjk {
                text: "甲基丙烯酸甲酯".into(),
                tokens: words(&["甲基丙", "基丙烯", "丙烯酸", "烯酸甲", "酸甲酯"]),
            }]
        );
        assert_eq!(
            query_terms("中试 催化剂"),
            vec![
                Term::Cjk {
                    text: "中试".into(),
                    tokens: words(&["中试"]),
                },
                Term::Cjk {
                    text: "催化剂".into(),
                    tokens: words(&["催化剂"]),
                },
            ]
        );
        assert_eq!(
            query_terms("膜 Pilot ai"),
            vec![
                Term::Cjk {
                    text: "膜".into(),
                    tokens: words(&["膜"]),
                },
                Term::Word {
                    text: "pilot".into(),
                    prefix: true,
                },
                Term::Word {
                    text: "ai".into(),
                    prefix: false,
                },
            ]
        );
        // Typed without spaces: a Han run and a word split where the script changes.
        assert_eq!(
            query_terms("PBAT催化剂"),
            vec![
                Term::Word {
                    text: "pbat".into(),
                    prefix: true,
                },
                Term::Cjk {
                    text: "催化剂".into(),
                    tokens: words(&["催化剂"]),
                },
            ]
        );
        assert!(query_terms("  ，。!? ").is_empty());
    }

    #[test]
    fn every_query_token_is_an_index_token_of_text_containing_it() {
        let text = "本成果为甲基丙烯酸甲酯（MMA）中试装置，采用新型催化剂。";
        let index: std::collections::HashSet<String> = index_tokens(text).into_iter().collect();
        for q in [
            "催化剂",
            "中试",
            "甲基丙烯酸甲酯",
            "MMA",
            "装",
            "新型催化剂",
        ] {
            for t in query_terms(q) {
                match t {
                    Term::Cjk { tokens, .. } => {
                        for tok in tokens {
                            assert!(index.contains(&tok), "{q}: {tok}");
                        }
                    }
                    Term::Word { text, .. } => assert!(index.contains(&text), "{q}"),
                }
            }
        }
    }

    #[test]
    fn normalize_is_lowercase_then_width_folding() {
        for text in [
            "",
            "PBAT-based Catalyst，２０２５年ＰＢＡＴ。",
            "ΟΔΟΣ Σ ΣΑΣ aΣ",
            "İstanbul ǅ Ǆ ß ẞ Å",
            "中文（ＡＢＣ）ｘｙｚ！",
        ] {
            let want: String = text.to_lowercase().chars().map(fold_width).collect();
            assert_eq!(normalize(text), want, "{text}");
        }
    }

    /// Every character, in runs of each kind `normalize` copies whole or maps: the fast paths
    /// (ASCII, CJK, CJK punctuation) must agree with the case tables everywhere.
    #[test]
    fn normalize_agrees_with_the_case_tables_for_every_character() {
        let every: String = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| c != 'Σ')
            .collect();
        let want: String = every.to_lowercase().chars().map(fold_width).collect();
        assert_eq!(normalize(&every), want);
    }

    #[test]
    fn hashes_are_fixed_and_words_shard_by_prefix() {
        // The client computes the same values (tests/search_browser.rs compares them).
        assert_eq!(hash_key("".chars()), 0xab3e_7c0b);
        assert_eq!(token_hash("催化"), 0x66f6_721c);
        assert_eq!(token_hash("catalyst"), 0xf01d_ce9c);
        assert_eq!(token_hash("catalyst"), token_hash("cat"));
        assert_eq!(token_hash("catalyst"), token_hash("catalysis"));
        assert_ne!(token_hash("催化"), token_hash("化剂"));
        assert_eq!(shard_of("催化", 1), 0);
        let spread: std::collections::HashSet<usize> = ["催化", "化剂", "中试", "新材", "材料"]
            .iter()
            .map(|t| shard_of(t, 256))
            .collect();
        assert!(spread.len() >= 4, "{spread:?}");
    }
}
