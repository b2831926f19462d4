//! The new site's files by their place in the plan (a "slot": the position of a path in the
//! list a build gives `disk::Staging::prepare`). What the sink knows of each file (the
//! staging folder's record, the output's, what this build wrote) is kept in vectors indexed
//! by slot instead of in maps keyed by path: callers that go through the plan in order pass
//! the slot they are at, and a lookup is then a read next to the last one. At 100,000
//! entries, four maps of 440,000 paths, filled and probed at random places, were most of the
//! sink's CPU (each probe a cache and TLB miss on these machines).
//!
//! A path's slot is found from its key by interpolation in the keys sorted (the keys are
//! XXH3 hashes, spread evenly: a handful of probes), which costs one parallel sort to make
//! where a map cost 440,000 inserts at random places.
//!
//! It owns that index; it knows nothing of files on disk.

use rayon::prelude::*;

use super::PathKey;

/// The plan's file paths, each with its key, and the keys sorted for finding a path's slot.
#[derive(Debug, Default)]
pub struct Slots {
    /// Every path, one after the other; `ends[slot]` is where the slot's path ends.
    text: String,
    ends: Vec<usize>,
    keys: Vec<PathKey>,
    /// `(key, slot)` by key, one slot per key (the first, if the plan names a path twice).
    sorted: Vec<(PathKey, u32)>,
    /// Whether every path is named once: only then is a slot's own key proof that a key
    /// found there is in that slot.
    unique: bool,
}

impl Slots {
    /// The slots of `paths`, in order.
    pub fn new(paths: &[&str]) -> Slots {
        let (text, ends) = {
            let mut text = String::with_capacity(paths.iter().map(|p| p.len()).sum());
            let mut ends = Vec::with_capacity(paths.len());
            for p in paths {
                text.push_str(p);
                ends.push(text.len());
            }
            (text, ends)
        };
        let keys: Vec<PathKey> = paths.par_iter().map(|p| PathKey::of(p)).collect();
        let mut sorted: Vec<(PathKey, u32)> = (keys.par_iter().enumerate())
            .map(|(slot, k)| (*k, slot as u32))
            .collect();
        // By key, then slot: of a key named twice the first slot comes first and is kept.
        sorted.par_sort_unstable();
        let before = sorted.len();
        sorted.dedup_by_key(|(k, _)| *k);
        let unique = sorted.len() == before;
        Slots {
            text,
            ends,
            keys,
            sorted,
            unique,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The path in `slot`.
    pub fn path(&self, slot: usize) -> &str {
        let start = match slot {
            0 => 0,
            s => self.ends[s - 1],
        };
        &self.text[start..self.ends[slot]]
    }

    /// The slot of the path whose key is `key`, if the plan has it.
    pub fn find(&self, key: PathKey) -> Option<usize> {
        find_sorted(&self.sorted, key.0).map(|s| s as usize)
    }

    /// [`Slots::find`], trying `hint` first: callers going through the plan in order (or a
    /// list made in its order) pass where they are.
    pub fn find_at(&self, key: PathKey, hint: usize) -> Option<usize> {
        match self.unique && self.keys.get(hint) == Some(&key) {
            true => Some(hint),
            false => self.find(key),
        }
    }

    /// [`Slots::find_at`] with a hint if there is one.
    pub fn find_hinted(&self, key: PathKey, hint: Option<usize>) -> Option<usize> {
        match hint {
            Some(h) => self.find_at(key, h),
            None => self.find(key),
        }
    }

    /// The slot of `path`, if the plan has it.
    pub fn of(&self, path: &str) -> Option<usize> {
        self.find(PathKey::of(path))
    }
}

/// The value beside `key` in `sorted` (sorted by key, keys spread evenly over `u128`), by
/// interpolation: each probe guesses the key's place from the keys at the ends of the part
/// still searched, which narrows 440,000 keys down to a few in three or four probes. After
/// eight guesses (keys not spread evenly) it halves instead.
fn find_sorted(sorted: &[(PathKey, u32)], key: u128) -> Option<u32> {
    // Invariant: if `key` is in `sorted`, it is in `lo..hi`, and `low < key < high` for the
    // keys just outside that range (the ends of `u128` at first).
    let (mut lo, mut hi) = (0usize, sorted.len());
    let (mut low, mut high) = (0u128, u128::MAX);
    let mut guesses = 0;
    while hi - lo > 8 {
        let at = if guesses < 8 {
            guesses += 1;
            // Where `key` falls between `low` and `high`, as a fraction of `hi - lo`, on
            // their top 64 bits (so the product fits in a `u128`).
            let span = high - low;
            let shift = (128 - span.leading_zeros()).saturating_sub(64);
            let part = (key - low) >> shift;
            let whole = (span >> shift) + 1;
            lo + (part * (hi - lo) as u128 / whole) as usize
        } else {
            lo + (hi - lo) / 2
        };
        let (k, slot) = sorted[at];
        match k.0.cmp(&key) {
            std::cmp::Ordering::Equal => return Some(slot),
            std::cmp::Ordering::Less => (lo, low) = (at + 1, k.0),
            std::cmp::Ordering::Greater => (hi, high) = (at, k.0),
        }
    }
    (sorted[lo..hi].iter())
        .find(|(k, _)| k.0 == key)
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_found_in_its_slot_and_no_other_path_is() {
        for n in [0usize, 1, 2, 9, 100, 5_000] {
            let paths: Vec<String> = (0..n)
                .map(|i| format!("releases/r{}/e{i}/index.html", i % 13))
                .collect();
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let slots = Slots::new(&refs);
            assert_eq!(slots.len(), n);
            for (i, p) in refs.iter().enumerate() {
                assert_eq!(slots.path(i), *p);
                assert_eq!(slots.of(p), Some(i), "{p}");
                assert_eq!(slots.find_at(PathKey::of(p), i), Some(i));
                // A wrong hint still finds it.
                assert_eq!(slots.find_at(PathKey::of(p), (i + 1) % n.max(1)), Some(i));
            }
            for i in 0..50 {
                assert_eq!(slots.of(&format!("missing/{i}.html")), None);
            }
        }
    }

    #[test]
    fn keys_not_spread_evenly_are_found_too() {
        // Keys bunched at both ends of the range and in runs: the search falls back to halving.
        let mut keys: Vec<u128> = (0..3_000u128).map(|i| i * 7).collect();
        keys.extend((0..3_000u128).map(|i| u128::MAX - i * 3));
        keys.extend((0..3_000u128).map(|i| (1u128 << 100) + i));
        keys.sort_unstable();
        let sorted: Vec<(PathKey, u32)> = (keys.iter().enumerate())
            .map(|(i, k)| (PathKey(*k), i as u32))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(find_sorted(&sorted, *k), Some(i as u32), "{k}");
        }
        for k in [1u128, 8, u128::MAX - 1, (1 << 100) - 1, 1 << 99] {
            assert_eq!(find_sorted(&sorted, k), None, "{k}");
        }
    }

    #[test]
    fn a_path_named_twice_has_its_first_slot() {
        let slots = Slots::new(&["a.html", "b.html", "a.html"]);
        assert_eq!(slots.of("a.html"), Some(0));
        assert_eq!(slots.find_at(PathKey::of("a.html"), 2), Some(0));
        assert_eq!(slots.of("b.html"), Some(1));
    }
}
