//! The index of one plan: every record tokenized (cached by a hash of the record, so a
//! rebuild in watch mode only tokenizes the records that changed) and streamed into the
//! shards chunk by chunk, built once when first asked for and shared by every shard file.
//! How records are tokenized is in [`crate::search::records`], how shards are cut in
//! [`crate::search::shards`].

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::model::Site;
use crate::model::ids::Lang;
use crate::search::SearchPlan;
use crate::search::records::{DocTokens, Record};
use crate::search::shards::ShardBuilder;

/// The number of cores [`par_map`] runs on.
pub(super) fn cores() -> usize {
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
    /// (a build's document files take it while their chunk streams, see [`Streaming`]).
    bodies: Bodies,
}

type Cache = HashMap<u64, Arc<DocTokens>>;

/// Documents tokenized and added to the shards at a time: enough to keep every core busy,
/// few enough that their token lists take little memory.
const CHUNK: usize = 512;

impl Index {
    /// Tokenize the records of the documents of `sp` (entries, then items) in every
    /// language, reusing `cache`, and cut the shards. With `keep` (watch mode), `cache` is
    /// left with exactly this index's records and the index keeps every body text for the
    /// document files; without, both are dropped as the documents stream past. Once each
    /// chunk of documents is tokenized, `each_chunk` gets the number of its first document,
    /// how many there are and the entries among them, and runs while the chunk goes into the
    /// shards (so it must not need them).
    fn build(
        site: &Site,
        sp: &SearchPlan,
        shards: usize,
        cache: &Mutex<Cache>,
        keep: bool,
        streaming: &Streaming,
        each_chunk: &mut dyn FnMut(usize, usize, &[usize]),
    ) -> Index {
        let docs: Vec<usize> = (0..sp.len()).collect();
        let langs = &site.config.languages;
        let mut previous = std::mem::take(&mut *cache.lock().unwrap_or_else(|e| e.into_inner()));
        let mut kept: Cache = HashMap::new();
        let mut builders: Vec<ShardBuilder> =
            langs.iter().map(|_| ShardBuilder::new(shards)).collect();
        let mut bodies = Bodies::new();
        let mut tokenized = 0;
        for (n, chunk) in docs.chunks(CHUNK).enumerate() {
            // The chunk's records in every language; an untranslated entry is the same
            // record in every language, tokenized once.
            let mut ready: HashMap<u64, Arc<DocTokens>> = HashMap::new();
            let mut todo: Vec<(u64, Record<'_>)> = Vec::new();
            let mut queued = std::collections::HashSet::new();
            // Hashing a record reads its whole body: on every core.
            let record = |n: usize, lang| Record::of(sp.doc(n).version(site, lang));
            let hashed: Vec<Vec<u64>> = par_map(chunk, |&e| {
                langs.iter().map(|l| record(e, l).key()).collect()
            });
            let keys: Vec<Vec<u64>> = langs
                .iter()
                .enumerate()
                .map(|(l, lang)| {
                    chunk
                        .iter()
                        .zip(&hashed)
                        .map(|(&e, hashes)| {
                            let key = hashes[l];
                            if !ready.contains_key(&key) && !queued.contains(&key) {
                                match previous.remove(&key).or_else(|| kept.get(&key).cloned()) {
                                    Some(t) => {
                                        ready.insert(key, t);
                                    }
                                    None => {
                                        queued.insert(key);
                                        todo.push((key, record(e, lang)));
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
            // The chunk's body texts, for its document files (see [`Memo::body`]).
            streaming.start(
                n * CHUNK,
                langs
                    .iter()
                    .zip(&keys)
                    .map(|(lang, ks)| {
                        let bodies = ks.iter().map(|k| ready[k].body.clone()).collect();
                        (lang.clone(), bodies)
                    })
                    .collect(),
            );
            // Each language's shards take the chunk on a thread of their own while
            // `each_chunk` (writing the chunk's pages, on rayon's threads) runs beside them.
            let chunk_tokens = &ready;
            std::thread::scope(|s| {
                for (builder, ks) in builders.iter_mut().zip(&keys) {
                    s.spawn(move || {
                        let toks: Vec<&DocTokens> = ks.iter().map(|k| &*chunk_tokens[k]).collect();
                        builder.add(&toks);
                    });
                }
                let entries: Vec<usize> = (chunk.iter())
                    .filter_map(|&d| match sp.doc(d) {
                        crate::search::Doc::Entry(e) => Some(e),
                        crate::search::Doc::Item(..) => None,
                    })
                    .collect();
                each_chunk(n * CHUNK, chunk.len(), &entries);
            });
            let chunk_bodies = streaming.stop();
            if keep {
                for (lang, b) in chunk_bodies {
                    bodies.entry(lang).or_default().extend(b);
                }
                kept.extend(ready);
            }
        }
        *cache.lock().unwrap_or_else(|e| e.into_inner()) = kept;
        let shards = langs
            .iter()
            .cloned()
            .zip(builders.into_iter().map(ShardBuilder::finish))
            .collect();
        Index {
            shards,
            tokenized,
            bodies,
        }
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

/// The body texts of the chunk of documents streaming through [`Index::build`] now: its
/// first document and, per language, each document's text. A build writes the chunk's
/// document files meanwhile and finds their texts here instead of extracting them from the
/// HTML again (which cost as much as it did for the tokenizer).
#[derive(Default)]
struct Streaming(RwLock<Option<(usize, Bodies)>>);

/// Body texts per language, in document order.
type Bodies = BTreeMap<Lang, Vec<Arc<str>>>;

impl Streaming {
    fn start(&self, first: usize, bodies: Bodies) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some((first, bodies));
    }

    /// The chunk's body texts, no longer offered.
    fn stop(&self) -> Bodies {
        let taken = self.0.write().unwrap_or_else(|e| e.into_inner()).take();
        taken.map(|(_, bodies)| bodies).unwrap_or_default()
    }

    fn body(&self, lang: &Lang, n: usize) -> Option<Arc<str>> {
        let now = self.0.read().unwrap_or_else(|e| e.into_inner());
        let (first, bodies) = now.as_ref()?;
        bodies.get(lang)?.get(n.checked_sub(*first)?).cloned()
    }
}

/// The lazily built index of one plan, and the token cache it shares with the plans of
/// later rebuilds (see [`crate::search::SearchPlan::reuse`]).
#[derive(Clone, Default)]
pub struct Memo {
    index: Arc<OnceLock<Index>>,
    streaming: Arc<Streaming>,
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
    pub fn index(&self, site: &Site, sp: &SearchPlan, shards: usize) -> &Index {
        self.index_streaming(site, sp, shards, &mut |_, _, _| {})
    }

    /// [`Memo::index`], calling `each_chunk` as documents stream into it (see
    /// [`Index::build`]); when the index is built already, it is not called.
    pub fn index_streaming(
        &self,
        site: &Site,
        sp: &SearchPlan,
        shards: usize,
        each_chunk: &mut dyn FnMut(usize, usize, &[usize]),
    ) -> &Index {
        let (cache, streaming) = (&self.cache, &self.streaming);
        self.index
            .get_or_init(|| Index::build(site, sp, shards, cache, self.keep, streaming, each_chunk))
    }

    /// The body text of document `n` in `lang` as the index extracted it, if the index is
    /// built and kept it (watch mode) or document `n` is streaming through it now.
    pub fn body(&self, lang: &Lang, n: usize) -> Option<Arc<str>> {
        match self.index.get() {
            Some(index) => index.bodies.get(lang)?.get(n).cloned(),
            None => self.streaming.body(lang, n),
        }
    }

    /// Drop the built shards' JSON (a build that has written them; the index is not built
    /// again, so shard files must not be rendered after this). Nothing happens when the
    /// index is shared.
    pub fn forget_shards(&mut self) {
        if let Some(index) = Arc::get_mut(&mut self.index).and_then(OnceLock::get_mut) {
            index.shards.clear();
        }
    }

    /// Keep the token lists for the next rebuild, and start from `previous`'s.
    pub fn reuse(&mut self, previous: Option<&Memo>) {
        self.keep = true;
        if let Some(p) = previous {
            self.cache = p.cache.clone();
        }
    }
}
