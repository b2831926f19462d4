//! Publishing checks run by `gazette check` on the assembled site: the same or nearly the
//! same title across the whole site (one result submitted twice), entries held back from a
//! release (drafts, embargoes) and embargoes that have already passed. Warnings only; it
//! never changes the model.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Diagnostic, Problem, Severity};
use crate::model::{Hold, Site};
use crate::validate::Value;

/// How alike two titles must be (Jaccard similarity of character pairs) to be flagged.
pub const SIMILARITY: f64 = 0.8;

fn normalize(title: &str) -> Vec<char> {
    title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(chars: &[char]) -> HashSet<(char, char)> {
    if chars.len() == 1 {
        return HashSet::from([(chars[0], ' ')]);
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn warning(mut d: Diagnostic) -> Diagnostic {
    d.severity = Severity::Warning;
    d
}

/// Character pairs found in more titles than this are left out of the candidate search (they
/// say little, and following them would make the search quadratic). Similarity itself is
/// always computed on every pair of both titles.
const COMMON: usize = 500;

/// Pairs of entries (indexes) whose default-language titles are equal or nearly equal.
/// Uses an index of character pairs, so it is not quadratic in the number of entries.
pub fn similar_titles(site: &Site) -> Vec<(usize, usize)> {
    let default = site.default_lang();
    let titles: Vec<&str> = site
        .entries
        .iter()
        .map(|e| e.versions[default].title.as_str())
        .collect();
    similar_pairs(&titles)
}

/// Pairs `(i, j)`, `i < j`, sorted, of titles that are equal after normalisation or whose
/// character pairs have a Jaccard similarity of at least [`SIMILARITY`].
///
/// Equal titles are grouped first: every later title of a group is paired with the group's
/// first, whatever its character pairs. Distinct titles are compared by prefix filtering:
/// with every title's pairs in one order, rarest first, two titles that reach the threshold
/// have a pair in common that is among the first `len - ceil(SIMILARITY × len) + 1` (the
/// prefix) of each. So only titles whose prefixes meet are compared, and those exactly, on
/// their full sets of pairs (rare and common alike). Only a pair in more than [`COMMON`]
/// prefixes is not followed, which can miss two titles made of very common pairs only, never
/// two equal ones.
pub fn similar_pairs(titles: &[&str]) -> Vec<(usize, usize)> {
    // Distinct normalised titles, each with the entries that carry it (in order).
    let mut group_of: HashMap<Vec<char>, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut grams: Vec<HashSet<(char, char)>> = Vec::new();
    for (i, t) in titles.iter().enumerate() {
        let chars = normalize(t);
        if chars.is_empty() {
            continue;
        }
        match group_of.get(&chars) {
            Some(&g) => groups[g].push(i),
            None => {
                grams.push(bigrams(&chars));
                group_of.insert(chars, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = groups
        .iter()
        .flat_map(|g| g[1..].iter().map(|&j| (g[0], j)))
        .collect();

    // How many distinct titles have each pair; each title's pairs rarest first.
    let mut freq: HashMap<(char, char), usize> = HashMap::new();
    for g in &grams {
        for b in g {
            *freq.entry(*b).or_default() += 1;
        }
    }
    let prefixes: Vec<Vec<(char, char)>> = grams
        .iter()
        .map(|g| {
            let mut ordered: Vec<(char, char)> = g.iter().copied().collect();
            ordered.sort_unstable_by_key(|b| (freq[b], *b));
            // A hair below the exact product, so rounding can only lengthen the prefix.
            let overlap = (SIMILARITY * ordered.len() as f64 - 1e-9).ceil().max(1.0) as usize;
            ordered.truncate(ordered.len() + 1 - overlap.min(ordered.len()));
            ordered
        })
        .collect();
    let mut index: HashMap<(char, char), Vec<usize>> = HashMap::new();
    for (u, p) in prefixes.iter().enumerate() {
        for b in p {
            index.entry(*b).or_default().push(u);
        }
    }
    // Which title last looked at each candidate, so each pair is compared once.
    let mut seen = vec![usize::MAX; grams.len()];
    for (u, p) in prefixes.iter().enumerate() {
        let g = &grams[u];
        for b in p {
            let list = &index[b];
            if list.len() > COMMON {
                continue;
            }
            for &v in list.iter().filter(|&&v| v > u) {
                if seen[v] == u {
                    continue;
                }
                seen[v] = u;
                let h = &grams[v];
                let (small, large) = if g.len() <= h.len() { (g, h) } else { (h, g) };
                // Jaccard is at most |small| / |large| (with a hair of room for rounding).
                if (small.len() as f64) < SIMILARITY * large.len() as f64 - 1e-9 {
                    continue;
                }
                let shared = small.iter().filter(|b| large.contains(b)).count();
                let union = g.len() + h.len() - shared;
                if shared as f64 / union as f64 >= SIMILARITY {
                    let (a, c) = (groups[u][0], groups[v][0]);
                    pairs.push((a.min(c), a.max(c)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// All publishing warnings for `site`, given the current time.
pub fn publishing_warnings(site: &Site, now: jiff::Timestamp) -> Vec<Diagnostic> {
    let default = site.default_lang();
    let mut out = Vec::new();
    for (i, j) in similar_titles(site) {
        let (a, b) = (
            &site.entries[i].versions[default],
            &site.entries[j].versions[default],
        );
        out.push(warning(
            b.source
                .diagnostic(
                    Problem::SimilarTitle {
                        title: b.title.clone(),
                        other_title: a.title.clone(),
                        other: a.source.path.clone(),
                    },
                    0..0,
                )
                .with_field("title"),
        ));
    }
    for h in &site.held {
        let problem = match h.hold {
            Hold::Draft => Problem::HeldBack {
                draft: true,
                until: None,
            },
            Hold::Embargoed(t) => Problem::HeldBack {
                draft: false,
                until: Some(t.to_string()),
            },
        };
        out.push(warning(Diagnostic::error(problem).in_file(&h.source)));
    }
    for e in &site.entries {
        let v = &e.versions[default];
        if let Some(Value::DateTime(t)) = v.values.get("embargo")
            && *t <= now
        {
            out.push(warning(
                v.source
                    .diagnostic(Problem::EmbargoPassed { at: t.to_string() }, 0..0)
                    .with_field("embargo"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (64-bit LCG).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u32) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % u64::from(n)) as u32
        }
    }

    fn jaccard(a: &str, b: &str) -> f64 {
        let (a, b) = (bigrams(&normalize(a)), bigrams(&normalize(b)));
        let shared = a.intersection(&b).count();
        shared as f64 / (a.len() + b.len() - shared) as f64
    }

    /// 1,200 titles share one long run of common character pairs and differ in a short tail
    /// of rare ones, so most of each title's pairs are in more than `COMMON` titles.
    #[test]
    fn duplicates_among_many_titles_sharing_common_pairs_are_flagged() {
        let stem = "新型高效节能环保材料制备";
        let mut rng = Lcg(7);
        let mut titles: Vec<String> = (0..1_200)
            .map(|_| {
                let tail: String = (0..4)
                    .map(|_| char::from_u32(0x5000 + rng.below(0x4000)).unwrap())
                    .collect();
                format!("{stem}{tail}")
            })
            .collect();
        titles[900] = titles[100].clone();
        // Equal once normalised: punctuation, spaces and case do not count.
        titles[1_000] = format!("{stem} AB·甲乙。");
        titles[1_100] = format!("{stem}ab甲乙");
        // Nearly equal: one character differs at the end.
        titles[300] = format!("{stem}甲乙丙丁戊");
        titles[400] = format!("{stem}甲乙丙丁己");
        assert!(jaccard(&titles[300], &titles[400]) >= SIMILARITY);
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        assert_eq!(
            similar_pairs(&refs),
            [(100, 900), (300, 400), (1_000, 1_100)]
        );
    }

    /// Prefix filtering finds exactly the pairs a comparison of every pair finds.
    #[test]
    fn candidate_search_misses_no_similar_pair() {
        // Variants of random titles: up to two characters changed, added or removed.
        let alphabet: Vec<char> = "新材料制备技术工艺高效节能".chars().collect();
        let mut rng = Lcg(42);
        let pick = |rng: &mut Lcg| alphabet[rng.below(alphabet.len() as u32) as usize];
        let mut titles: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        while titles.len() < 400 {
            let len = 1 + rng.below(16) as usize;
            let base: Vec<char> = (0..len).map(|_| pick(&mut rng)).collect();
            for _ in 0..12 {
                let mut t = base.clone();
                for _ in 0..rng.below(3) {
                    let at = rng.below(t.len() as u32 + 1) as usize;
                    match rng.below(3) {
                        0 if at < t.len() => t[at] = pick(&mut rng),
                        1 if at < t.len() && t.len() > 1 => {
                            t.remove(at);
                        }
                        _ => t.insert(at, pick(&mut rng)),
                    }
                }
                let t: String = t.into_iter().collect();
                if seen.insert(t.clone()) {
                    titles.push(t);
                }
            }
        }
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        let mut every = Vec::new();
        for i in 0..titles.len() {
            for j in i + 1..titles.len() {
                if jaccard(&titles[i], &titles[j]) >= SIMILARITY {
                    every.push((i, j));
                }
            }
        }
        assert!(every.len() > 100, "{} near duplicates", every.len());
        assert_eq!(similar_pairs(&refs), every);
    }

    #[test]
    fn titles_without_letters_or_digits_are_not_compared() {
        assert_eq!(similar_pairs(&["——", "……", "!"]), []);
        assert_eq!(similar_pairs(&["A", "a", "b"]), [(0, 1)]);
    }
}
