//! Cutting the index into shard files: the postings of every token, filled as documents
//! stream past in order, and each shard's JSON. It tokenizes nothing (see
//! [`crate::search::records`]) and decides nothing about which documents are indexed.

use crate::search::encode;
use crate::search::index::cores;
use crate::search::records::{DocTokens, FxMap, KeyRef, group};

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
        shard_json(
            entries
                .iter()
                .map(|(t, p)| (t.as_str(), p.all.as_str(), p.title.as_str())),
        )
    }
}

/// A shard's JSON from its tokens in order, each with its encoded documents and title
/// documents: `{"token": ["<documents>", "<title documents>"]}`, the second list left out
/// when empty. The one writer of shard files (built whole here, or patched, see
/// [`crate::search::patch`]).
pub(super) fn shard_json<'a>(
    entries: impl Iterator<Item = (&'a str, &'a str, &'a str)> + Clone,
) -> Vec<u8> {
    let size: usize = (entries.clone())
        .map(|(t, all, title)| t.len() + all.len() + title.len() + 12)
        .sum();
    let mut out = String::with_capacity(size + 2);
    out.push('{');
    for (i, (token, all, title)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(token).unwrap_or_default());
        out.push_str(":[\"");
        out.push_str(all);
        if !title.is_empty() {
            out.push_str("\",\"");
            out.push_str(title);
        }
        out.push_str("\"]");
    }
    out.push('}');
    out.into_bytes()
}

/// Blocks of groups each core fills one after the other. Filling all its groups from each
/// document in turn sent every posting to a random place in a few hundred megabytes on a
/// large site, a cache miss each; a block's postings fit in the cache, so a token in many of
/// a batch's documents is found there again.
const BLOCKS: usize = 64;

/// The shards of one language, filled as documents stream past in order: only the
/// postings are kept, never every document's token list (which would take some times the
/// memory of the finished index on a large site).
pub(super) struct ShardBuilder {
    bits: u32,
    /// Indexed by group (see [`group`]), not by shard number.
    groups: Vec<Group>,
    /// The number the next document added gets.
    next: u32,
}

impl ShardBuilder {
    pub(super) fn new(shards: usize) -> ShardBuilder {
        ShardBuilder {
            bits: shards.trailing_zeros(),
            groups: (0..shards).map(|_| Group::default()).collect(),
            next: 0,
        }
    }

    /// Add the next documents, in order. Split over the cores by ranges of groups: each
    /// core finds where its range starts in every document's sorted tokens and walks on
    /// from there, a block of groups at a time (see [`BLOCKS`]).
    pub(super) fn add(&mut self, docs: &[&DocTokens]) {
        let (bits, first) = (self.bits, self.next);
        self.next += docs.len() as u32;
        let fill = |groups: &mut [Group], start: usize| {
            let end = start + groups.len();
            // Where each document's tokens of the next block start.
            let mut at: Vec<usize> = docs
                .iter()
                .map(|doc| doc.toks.partition_point(|t| group(t.rev, bits) < start))
                .collect();
            let block = groups.len().div_ceil(BLOCKS);
            for block_start in (start..end).step_by(block) {
                let block_end = (block_start + block).min(end);
                for (i, doc) in docs.iter().enumerate() {
                    let d = first + i as u32;
                    for t in &doc.toks[at[i]..] {
                        let g = group(t.rev, bits);
                        if g >= block_end {
                            break;
                        }
                        groups[g - start].push(doc.key_ref(t), d, t.title());
                        at[i] += 1;
                    }
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
    pub(super) fn finish(mut self) -> Vec<Vec<u8>> {
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
pub(super) fn build_shards(docs: &[std::sync::Arc<DocTokens>], shards: usize) -> Vec<Vec<u8>> {
    let mut b = ShardBuilder::new(shards);
    let docs: Vec<&DocTokens> = docs.iter().map(|d| &**d).collect();
    b.add(&docs);
    b.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::search::records::tests::record;

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

    /// Every token's postings are the documents that have it, and its title postings those
    /// that have it in the title, whatever the number of shards: enough documents and
    /// groups that the cores split the groups and fill them a block at a time.
    #[test]
    fn every_token_lists_exactly_the_documents_that_have_it() {
        let words = [
            "催化剂",
            "中试",
            "membrane",
            "pilot",
            "膜分离",
            "氧化",
            "plant",
            "新材料",
            "MMA",
            "纳米",
            "sensor",
            "碳纤维",
            "battery",
            "储能",
            "catalyst",
            "光伏",
        ];
        let texts: Vec<(String, String)> = (0..61)
            .map(|i| {
                let pick = |k: usize| -> Vec<&str> {
                    (0..words.len())
                        .filter(|w| (i * k + w * 5) % 7 < 3)
                        .map(|w| words[w])
                        .collect()
                };
                (pick(3).join(" "), format!("<p>{}</p>", pick(11).join(" ")))
            })
            .collect();
        let docs: Vec<Arc<DocTokens>> = texts
            .iter()
            .map(|(t, b)| Arc::new(DocTokens::of(&record(t, b))))
            .collect();
        let mut want: std::collections::BTreeMap<String, (Vec<u32>, Vec<u32>)> = Default::default();
        for (d, doc) in docs.iter().enumerate() {
            for (token, title) in doc.tokens() {
                let lists = want.entry(token).or_default();
                lists.0.push(d as u32);
                if title {
                    lists.1.push(d as u32);
                }
            }
        }
        for shards in [1, 8, 256, 1024] {
            let mut got: std::collections::BTreeMap<String, (Vec<u32>, Vec<u32>)> =
                Default::default();
            for json in build_shards(&docs, shards) {
                let map: std::collections::BTreeMap<String, Vec<String>> =
                    serde_json::from_slice(&json).unwrap();
                for (token, lists) in map {
                    let decode = |i: usize| {
                        lists
                            .get(i)
                            .map_or(Some(Vec::new()), |l| encode::decode(l))
                            .unwrap()
                    };
                    assert!(got.insert(token, (decode(0), decode(1))).is_none());
                }
            }
            assert_eq!(got, want, "{shards} shards");
        }
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
