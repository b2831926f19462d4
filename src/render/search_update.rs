//! A rebuild's search files when few documents changed since the output was built: the
//! shards those documents' edits touch are read from the output, patched
//! ([`crate::search::patch`]) and written; the other shards and the unchanged documents'
//! files are kept as the output has them; only the changed documents' files are rendered.
//! Tokenizing every document and cutting every shard again cost a third of a one-entry
//! rebuild at 4,016 entries, and grows with the site.
//!
//! It decides from the search documents' signatures ([`crate::render::reuse`]) which
//! documents changed, reads every old file it needs and patches every shard before it writes
//! anything, and says `None` (having written nothing) whenever the whole index must be
//! built instead: no records of a previous build, another number of documents, a file of the
//! output not as its manifest records it, or so many changes that a whole build is cheaper.

use std::collections::BTreeMap;

use crate::model::Site;
use crate::model::ids::Lang;
use crate::model::urls::output_file;
use crate::plan::{FileKind, Plan, PlannedFile};
use crate::render::reuse::Reuse;
use crate::render::{Problems, Renderer, render_some};
use crate::search::patch::{Edit, diff, patch, tokens_of_doc_file};
use crate::search::records::{DocTokens, Record};
use crate::search::{SearchFile, doc_path};
use crate::sink::PathKey;
use crate::sink::disk::Staging;

/// At most this share of the documents may have changed, and of the shard files be patched
/// (beyond, a whole build is cheaper); a small site may always patch a few.
const MOST_CHANGED: usize = 8;
const MOST_PATCHED: usize = 2;
const FEW: usize = 8;

/// What [`patch_search_files`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patched {
    /// Shard files patched (the others were kept).
    pub shards: usize,
    /// Search files written or kept, shards and documents.
    pub files: usize,
}

/// Bring the search files of `plan` up to date in `staging` by patching, if that is possible
/// and cheaper than building the index (see the module's documentation). Returns what was
/// done, or `None` when nothing was.
pub fn patch_search_files(
    site: &Site,
    plan: &Plan,
    reuse: &Reuse,
    staging: &Staging,
    renderer: &Renderer<'_>,
    problems: &Problems,
) -> Option<Patched> {
    let sp = &plan.search;
    let n = sp.len();
    let previous = staging.previous_pages();
    let default = site.default_lang();
    if n == 0 || previous.is_empty() {
        return None;
    }
    // The previous build had as many documents: its last one, and no more.
    let had =
        |d: usize| previous.contains_key(&PathKey::of(&output_file(&doc_path(site, default, d))));
    if !had(n - 1) || had(n) {
        return None;
    }
    let mut doc_files: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut shard_files: BTreeMap<(Lang, usize), usize> = BTreeMap::new();
    for (k, f) in plan.files.iter().enumerate() {
        match &f.kind {
            FileKind::Search(SearchFile::Doc { doc, .. }) => doc_files[*doc].push(k),
            FileKind::Search(SearchFile::Shard { lang, shard }) => {
                shard_files.insert((lang.clone(), *shard), k);
            }
            _ => {}
        }
    }
    let changed: Vec<usize> = (0..n)
        .filter(|&d| doc_files[d].iter().any(|&k| reuse.files_kept[k].is_none()))
        .collect();
    if changed.len() > (n / MOST_CHANGED).max(FEW) {
        return None;
    }
    // Every language's shards hold every document (an untranslated one by its default
    // version); its old tokens are in its old document file of that language, or of the
    // default language if it had none.
    let mut edits: BTreeMap<(Lang, usize), Vec<Edit>> = BTreeMap::new();
    for lang in &site.config.languages {
        let mut by_shard: BTreeMap<usize, Vec<Edit>> = BTreeMap::new();
        for &d in &changed {
            let own = output_file(&doc_path(site, lang, d));
            let path = match previous.contains_key(&PathKey::of(&own)) {
                true => own,
                false => output_file(&doc_path(site, default, d)),
            };
            let old = tokens_of_doc_file(&staging.read_output(&path)?)?;
            let new = DocTokens::of(&Record::of(sp.doc(d).version(site, lang)));
            diff(d as u32, &old, &new, sp.shards, &mut by_shard);
        }
        for (shard, e) in by_shard {
            edits.insert((lang.clone(), shard), e);
        }
    }
    if edits.len() > (shard_files.len() / MOST_PATCHED).max(FEW) {
        return None;
    }
    // Everything is read and patched before anything is written.
    let mut patched: Vec<(String, Vec<u8>)> = Vec::with_capacity(edits.len());
    // The files kept, each with its place in the list the staging folder was prepared
    // with: the pages, then the plan's files (see `Staging::prepare`).
    let place = |k: usize| plan.pages.len() + k;
    let mut kept: Vec<(usize, String, u128)> = Vec::new();
    for (key, &k) in &shard_files {
        let path = output_file(&plan.files[k].site_path);
        match edits.get(key) {
            Some(e) => {
                let bytes = patch(&staging.read_output(&path)?, e)?;
                patched.push((path, bytes));
            }
            None => {
                let hash = staging.output_hash(&path, Some(place(k)))?;
                kept.push((place(k), path, hash));
            }
        }
    }
    let mut render: Vec<&PlannedFile> = Vec::new();
    for &k in doc_files.iter().flatten() {
        match reuse.files_kept[k] {
            Some(hash) => kept.push((place(k), output_file(&plan.files[k].site_path), hash)),
            None => render.push(&plan.files[k]),
        }
    }
    let done = Patched {
        shards: patched.len(),
        files: patched.len() + kept.len() + render.len(),
    };
    for (path, bytes) in &patched {
        if let Err(d) = staging.write(path, bytes) {
            problems.add(d);
        }
    }
    if let Err(d) = staging.keep_at(&kept) {
        problems.add(d);
    }
    render_some(plan, &[], &render, renderer, staging, problems);
    Some(done)
}
