//! Bringing the previous build's shards up to date for the few documents that changed,
//! instead of tokenizing every document and cutting every shard again: a rebuild after an
//! edit of one entry then reads, patches and writes only the shards whose postings that
//! entry's edit changed, and keeps the others as they are.
//!
//! A document's old tokens come from its old document file (`doc/<n>.json` holds exactly the
//! texts the index tokenized: title, institutions, keywords, summary and body text), its new
//! ones from the model. The patched shard is the same JSON a whole build writes
//! ([`crate::search::shards::shard_json`]), so patching and building agree byte for byte
//! (the rebuild tests compare both with cold builds). This module decides nothing about
//! which documents changed and reads or writes no file: the build hands it the old bytes.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::search::encode;
use crate::search::records::DocTokens;
use crate::search::shards::shard_json;

/// The texts of a document file that the index tokenizes.
#[derive(Deserialize)]
struct DocTexts {
    t: String,
    i: Vec<String>,
    k: Vec<String>,
    m: String,
    b: String,
}

/// The tokens of the record a document file (`doc/<n>.json`, as a build wrote it) holds;
/// `None` for bytes that are not one.
pub fn tokens_of_doc_file(json: &[u8]) -> Option<DocTokens> {
    let d: DocTexts = serde_json::from_slice(json).ok()?;
    let institutions: Vec<&str> = d.i.iter().map(String::as_str).collect();
    let keywords: Vec<&str> = d.k.iter().map(String::as_str).collect();
    Some(DocTokens::of_texts(
        &d.t,
        &institutions,
        &keywords,
        &d.m,
        d.b.clone(),
    ))
}

/// One posting to change: document `doc` leaves `token` (`now` is `None`) or is in it,
/// in its title text or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub token: String,
    pub doc: u32,
    pub now: Option<bool>,
}

/// The postings that change when document `doc`'s tokens go from `old` to `new`, by shard
/// (of `shards`, a power of two): only tokens it gained, lost or changed the title flag of.
pub fn diff(
    doc: u32,
    old: &DocTokens,
    new: &DocTokens,
    shards: usize,
    into: &mut BTreeMap<usize, Vec<Edit>>,
) {
    let before: HashMap<String, (usize, bool)> = (old.in_shards(shards).into_iter())
        .map(|(s, t, title)| (t, (s, title)))
        .collect();
    let mut after: HashMap<String, (usize, bool)> = HashMap::with_capacity(before.len());
    for (shard, token, title) in new.in_shards(shards) {
        if before.get(&token) != Some(&(shard, title)) {
            let edit = Edit {
                token: token.clone(),
                doc,
                now: Some(title),
            };
            into.entry(shard).or_default().push(edit);
        }
        after.insert(token, (shard, title));
    }
    for (token, (shard, _)) in before {
        if !after.contains_key(&token) {
            let edit = Edit {
                token,
                doc,
                now: None,
            };
            into.entry(shard).or_default().push(edit);
        }
    }
}

/// Shard JSON `old` with `edits` applied; `None` when `old` is not a shard file.
pub fn patch(old: &[u8], edits: &[Edit]) -> Option<Vec<u8>> {
    let parsed: BTreeMap<String, Vec<String>> = serde_json::from_slice(old).ok()?;
    let mut postings: BTreeMap<String, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for (token, lists) in parsed {
        let all = encode::decode(lists.first()?)?;
        let title = match lists.get(1) {
            Some(t) => encode::decode(t)?,
            None => Vec::new(),
        };
        postings.insert(token, (all, title));
    }
    for e in edits {
        let (all, title) = postings.entry(e.token.clone()).or_default();
        let remove = |v: &mut Vec<u32>| {
            if let Ok(at) = v.binary_search(&e.doc) {
                v.remove(at);
            }
        };
        let insert = |v: &mut Vec<u32>| {
            if let Err(at) = v.binary_search(&e.doc) {
                v.insert(at, e.doc);
            }
        };
        remove(title);
        match e.now {
            None => remove(all),
            Some(in_title) => {
                insert(all);
                if in_title {
                    insert(title);
                }
            }
        }
    }
    let encoded: Vec<(String, String, String)> = (postings.into_iter())
        .filter(|(_, (all, _))| !all.is_empty())
        .map(|(token, (all, title))| (token, encode::encode(&all), encode::encode(&title)))
        .collect();
    Some(shard_json(
        encoded
            .iter()
            .map(|(t, a, ti)| (t.as_str(), a.as_str(), ti.as_str())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::records::tests::record;
    use crate::search::shards::build_shards;
    use std::sync::Arc;

    /// Patching the shards of a set of documents for one changed document gives the shards
    /// built from the changed set, for every shard count.
    #[test]
    fn a_patched_shard_is_the_shard_built_whole() {
        let texts = [
            (
                "甲基丙烯酸甲酯中试",
                "<p>有机玻璃单体 PMMA process pilot</p>",
            ),
            ("锂电池回收", "<p>正极材料 recycling cathode</p>"),
            ("高效光伏组件", "<p>钙钛矿 perovskite tandem cells</p>"),
        ];
        let docs: Vec<Arc<DocTokens>> = texts
            .iter()
            .map(|(t, b)| Arc::new(DocTokens::of(&record(t, b))))
            .collect();
        let changed = Arc::new(DocTokens::of(&record(
            "锂电池回收利用",
            "<p>负极 anode recycling graphite</p>",
        )));
        for shards in [1, 2, 8, 64] {
            let before = build_shards(&docs, shards);
            let after = build_shards(&[docs[0].clone(), changed.clone(), docs[2].clone()], shards);
            let mut edits = BTreeMap::new();
            diff(1, &docs[1], &changed, shards, &mut edits);
            assert!(!edits.is_empty());
            for (n, old) in before.iter().enumerate() {
                let patched = match edits.get(&n) {
                    Some(e) => patch(old, e).expect("a shard file"),
                    None => old.clone(),
                };
                assert_eq!(
                    String::from_utf8_lossy(&patched),
                    String::from_utf8_lossy(&after[n]),
                    "shard {n} of {shards}"
                );
            }
        }
    }

    /// A document file's texts give the tokens of the record it was written from.
    #[test]
    fn a_document_file_gives_back_its_records_tokens() {
        let r = record(
            "甲基丙烯酸甲酯中试",
            "<p>有机玻璃单体 <b>PMMA</b> process</p>",
        );
        let tokens = DocTokens::of(&r);
        let file = serde_json::json!({
            "t": r.title, "u": "/x/", "l": "zh", "r": "2024-01", "s": null,
            "i": r.institutions, "k": r.keywords, "m": r.summary,
            "b": &*tokens.body,
        });
        let again = tokens_of_doc_file(&serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(again.tokens(), tokens.tokens());
        assert!(tokens_of_doc_file(b"{}").is_none());
    }
}
