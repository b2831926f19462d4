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

/// Pairs of entries (indexes) whose default-language titles are equal or nearly equal.
/// Uses an index of character pairs, so it is not quadratic in the number of entries.
pub fn similar_titles(site: &Site) -> Vec<(usize, usize)> {
    let default = site.default_lang();
    let grams: Vec<HashSet<(char, char)>> = site
        .entries
        .iter()
        .map(|e| bigrams(&normalize(&e.versions[default].title)))
        .collect();
    let mut index: HashMap<(char, char), Vec<usize>> = HashMap::new();
    for (i, g) in grams.iter().enumerate() {
        for b in g {
            index.entry(*b).or_default().push(i);
        }
    }
    let mut pairs = Vec::new();
    for (i, g) in grams.iter().enumerate() {
        if g.is_empty() {
            continue;
        }
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for b in g {
            let list = &index[b];
            // Pairs common to very many titles say little; skip them to stay linear.
            if list.len() > 500 {
                continue;
            }
            for &j in list.iter().filter(|&&j| j > i) {
                *shared.entry(j).or_default() += 1;
            }
        }
        let mut found: Vec<usize> = shared
            .into_iter()
            .filter(|&(j, n)| {
                let union = g.len() + grams[j].len() - n;
                union > 0 && n as f64 / union as f64 >= SIMILARITY
            })
            .map(|(j, _)| j)
            .collect();
        found.sort_unstable();
        pairs.extend(found.into_iter().map(|j| (i, j)));
    }
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
