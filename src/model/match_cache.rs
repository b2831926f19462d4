//! The matches a build computed, kept for the next build in `.gazette-cache/matches.bin` and
//! keyed by [`matching::inputs_key`] and this Gazette: a rebuild after an edit that matching
//! does not read (a result's body, its contact, a template) takes the matches from the file
//! instead of computing them again, which was most of a rebuild's CPU time on a site with
//! collections. Any other edit changes the key, and the matches are computed as in a cold
//! build (and stored in place of the old ones).
//!
//! It owns the file and its encoding (a few length-prefixed integers and strings; the file is
//! thrown away whole when anything about it does not fit, so it needs no versioning beyond
//! its key). It decides nothing about matching. A missing, unreadable or damaged file only
//! costs the computation; writing goes through a temporary file and a rename, so a killed
//! build never leaves a half-written file under the real name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::matching::{self, List, Match, Matches, Reason};
use crate::model::refs::ItemRef;
use crate::model::{Entry, collections::Collection};

/// The file's first bytes; a file that starts otherwise is not read.
const MAGIC: &[u8] = b"gazette matches 2\n";

/// Where the matches of the site at `root` are kept.
pub fn path(root: &Path) -> PathBuf {
    root.join(".gazette-cache").join("matches.bin")
}

/// The matches of a site, read back or still to compute ([`begin`]).
pub enum Pending {
    /// Read back from the last build's (`true`), or none: matching is off (`false`).
    Ready(Matches, bool),
    /// To compute from what was taken out of the site, then store at `file` under `key`.
    Compute {
        prepared: Box<matching::Prepared>,
        file: PathBuf,
        key: u64,
    },
}

/// The matches of this site: those stored at `file` if they were computed from the same
/// inputs by this Gazette (`identity` names it, see `render::reuse`), else what computing
/// them needs, taken out of the site: [`Pending::finish`] computes (and stores, best effort)
/// without the site, so a build computes the matches beside the phases that change it.
pub fn begin(
    config: &crate::config::SiteConfig,
    entries: &[Arc<Entry>],
    collections: &[Collection],
    file: &Path,
    identity: &str,
) -> Pending {
    if collections.is_empty() || !config.matching.enabled {
        return Pending::Ready(Matches::default(), false);
    }
    let key = {
        let inputs = matching::inputs_key(config, entries, collections);
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(identity.as_bytes());
        h.update(&inputs.to_le_bytes());
        h.digest()
    };
    if let Some(m) = std::fs::read(file).ok().and_then(|b| decode(&b, key)) {
        return Pending::Ready(m, true);
    }
    match matching::prepare(config, entries, collections) {
        Some(prepared) => Pending::Compute {
            prepared: Box::new(prepared),
            file: file.to_path_buf(),
            key,
        },
        None => Pending::Ready(Matches::default(), false),
    }
}

impl Pending {
    /// The matches, and whether they were read back.
    pub fn finish(self) -> (Matches, bool) {
        match self {
            Pending::Ready(m, reused) => (m, reused),
            Pending::Compute {
                prepared,
                file,
                key,
            } => {
                let m = prepared.matches();
                // A cache that cannot be written only means computing again next time.
                let _ = store(&file, &encode(&m, key));
                (m, false)
            }
        }
    }
}

fn store(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".matches.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// How many lists are written (and read back) together.
const CHUNK: usize = 2048;

struct Writer(Vec<u8>);

impl Writer {
    fn n(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u32).to_le_bytes());
    }

    fn s(&mut self, s: &str) {
        self.n(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    /// `lists` in chunks of [`CHUNK`] lists, each after its length in bytes, so that
    /// they are read back on every core.
    fn lists(&mut self, lists: &[List]) {
        self.n(lists.len());
        for chunk in lists.chunks(CHUNK) {
            let at = self.0.len();
            self.n(0);
            for l in chunk {
                self.n(l.len());
                for m in l.iter() {
                    self.one(m);
                }
            }
            let len = (self.0.len() - at - 4) as u32;
            self.0[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }

    fn one(&mut self, m: &Match) {
        match m.target {
            ItemRef::Entry(e) => {
                self.0.push(0);
                self.n(e);
            }
            ItemRef::Item { collection, item } => {
                self.0.push(1);
                self.n(collection);
                self.n(item);
            }
            ItemRef::Release(r) => {
                self.0.push(2);
                self.n(r);
            }
        }
        self.n(m.score as usize);
        self.n(m.reasons.len());
        for r in &m.reasons {
            match r {
                Reason::Field { field, key } => {
                    self.0.push(0);
                    self.s(field);
                    self.s(key);
                }
                Reason::Keyword { keyword } => {
                    self.0.push(1);
                    self.s(keyword);
                }
                Reason::Terms { terms } => {
                    self.0.push(2);
                    self.n(terms.len());
                    for t in terms {
                        self.s(t);
                    }
                }
                Reason::Region { region } => {
                    self.0.push(3);
                    self.s(region);
                }
                Reason::Synonym { word } => {
                    self.0.push(4);
                    self.s(word);
                }
            }
        }
    }
}

fn encode(m: &Matches, key: u64) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1 << 16));
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&key.to_le_bytes());
    w.n(m.for_items.len());
    for c in &m.for_items {
        w.lists(c);
    }
    w.lists(&m.for_entries);
    w.lists(&m.related);
    w.0
}

struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let (a, b) = (self.0.len() >= n).then(|| self.0.split_at(n))?;
        self.0 = b;
        Some(a)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn n(&mut self) -> Option<usize> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    }

    fn s(&mut self) -> Option<String> {
        let n = self.n()?;
        // simdutf8: std's check is slow on the Chinese text most reasons hold.
        Some(simdutf8::basic::from_utf8(self.take(n)?).ok()?.to_string())
    }

    /// A count of things at least `min` bytes each: never more than the bytes left can
    /// hold, so a damaged count cannot make a huge allocation.
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = self.n()?;
        (n.saturating_mul(min) <= self.0.len()).then_some(n)
    }

    /// Lists written by [`Writer::lists`]: the chunks found one after the other by their
    /// lengths, then read on every core (decoding the lists of a 100,000-entry site was
    /// 190 ms on one core, on the critical path of every rebuild).
    fn lists(&mut self) -> Option<Vec<List>> {
        use rayon::prelude::*;
        let n = self.count(4)?;
        let mut chunks: Vec<(&'b [u8], usize)> = Vec::with_capacity(n.div_ceil(CHUNK));
        let mut left = n;
        while left > 0 {
            let (len, count) = (self.n()?, left.min(CHUNK));
            chunks.push((self.take(len)?, count));
            left -= count;
        }
        let decoded: Vec<Vec<List>> = (chunks.into_par_iter())
            .map(|(bytes, count)| {
                let mut r = Reader(bytes);
                let mut lists = Vec::with_capacity(count);
                for _ in 0..count {
                    let k = r.count(9)?;
                    let mut l = Vec::with_capacity(k);
                    for _ in 0..k {
                        l.push(r.one()?);
                    }
                    lists.push(List::from(l));
                }
                r.0.is_empty().then_some(lists)
            })
            .collect::<Option<_>>()?;
        Some(decoded.into_iter().flatten().collect())
    }

    fn one(&mut self) -> Option<Match> {
        let target = match self.byte()? {
            0 => ItemRef::Entry(self.n()?),
            1 => ItemRef::Item {
                collection: self.n()?,
                item: self.n()?,
            },
            2 => ItemRef::Release(self.n()?),
            _ => return None,
        };
        let score = self.n()? as u32;
        let k = self.count(5)?;
        let mut reasons = Vec::with_capacity(k);
        for _ in 0..k {
            reasons.push(match self.byte()? {
                0 => Reason::Field {
                    field: self.s()?,
                    key: self.s()?,
                },
                1 => Reason::Keyword { keyword: self.s()? },
                2 => {
                    let t = self.count(4)?;
                    Reason::Terms {
                        terms: (0..t).map(|_| self.s()).collect::<Option<_>>()?,
                    }
                }
                3 => Reason::Region { region: self.s()? },
                4 => Reason::Synonym { word: self.s()? },
                _ => return None,
            });
        }
        Some(Match {
            target,
            score,
            reasons,
        })
    }
}

/// The matches in `bytes` if they were stored under `key` and read whole.
fn decode(bytes: &[u8], key: u64) -> Option<Matches> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    if u64::from_le_bytes(r.take(8)?.try_into().ok()?) != key {
        return None;
    }
    let c = r.count(4)?;
    let for_items = (0..c).map(|_| r.lists()).collect::<Option<Vec<_>>>()?;
    let for_entries = r.lists()?;
    let related = r.lists()?;
    r.0.is_empty().then_some(Matches {
        for_items,
        for_entries,
        related,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Matches {
        let m = |target, score, reasons| Match {
            target,
            score,
            reasons,
        };
        let reasons = vec![
            Reason::Field {
                field: "fields".into(),
                key: "new-materials".into(),
            },
            Reason::Keyword {
                keyword: "有机玻璃".into(),
            },
            Reason::Terms {
                terms: vec!["甲基丙烯酸".into(), "pilot".into()],
            },
            Reason::Region {
                region: "济南".into(),
            },
            Reason::Synonym {
                word: "PMMA".into(),
            },
        ];
        Matches {
            for_items: vec![
                vec![List::from(vec![m(ItemRef::Entry(3), 87, reasons.clone())])],
                vec![],
            ],
            for_entries: vec![
                List::from(vec![]),
                List::from(vec![
                    m(
                        ItemRef::Item {
                            collection: 1,
                            item: 7,
                        },
                        12,
                        vec![],
                    ),
                    m(ItemRef::Release(2), 0, reasons[1..3].to_vec()),
                ]),
            ],
            related: vec![List::from(vec![m(ItemRef::Entry(0), 5, reasons)])],
        }
    }

    #[test]
    fn stored_matches_read_back_equal_and_only_under_their_key() {
        let m = sample();
        let bytes = encode(&m, 42);
        assert_eq!(decode(&bytes, 42), Some(m));
        assert_eq!(decode(&bytes, 43), None, "another key");
    }

    #[test]
    fn lists_of_many_chunks_read_back_in_order() {
        let mut m = sample();
        let one = |e| {
            List::from(vec![Match {
                target: ItemRef::Entry(e),
                score: e as u32,
                reasons: vec![Reason::Keyword {
                    keyword: format!("词{e}"),
                }],
            }])
        };
        m.for_entries = (0..2 * CHUNK + 5).map(one).collect();
        m.related = (0..CHUNK).map(|e| one(e + 7)).collect();
        let bytes = encode(&m, 9);
        assert_eq!(decode(&bytes, 9), Some(m));
        // Cut inside a chunk of the entries' lists: not read.
        assert_eq!(decode(&bytes[..bytes.len() / 2], 9), None);
    }

    #[test]
    fn a_damaged_file_is_not_read() {
        let bytes = encode(&sample(), 7);
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], 7), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, 7), None, "trailing bytes");
        let mut huge = bytes.clone();
        let at = MAGIC.len() + 8;
        huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge, 7), None, "a count larger than the file");
    }

    #[test]
    fn matches_are_taken_from_the_file_when_the_inputs_are_the_same() {
        let site = crate::sample_site().site;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.bin");
        let matches = |identity: &str| {
            begin(
                &site.config,
                &site.entries,
                &site.collections,
                &file,
                identity,
            )
            .finish()
        };
        let (first, reused) = matches("test");
        assert!(!reused && file.is_file(), "computed and stored");
        assert_eq!(&first, &*site.matches, "what a build computes");
        assert!(
            !first.related.iter().all(|l| l.is_empty()),
            "a site with matches"
        );
        let (again, reused) = matches("test");
        assert!(reused, "same inputs: read from the file");
        assert_eq!(again, first);
        let (_, reused) = matches("another gazette");
        assert!(!reused, "another Gazette computes them again");
    }
}
