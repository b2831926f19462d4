//! Which pages a build need not render again: a page is kept when its signature (everything
//! it shows, computed from the model by `serve::signature`, the same signatures the preview
//! uses) equals the one the output's page records give for it, the output's file still holds
//! the bytes that signature rendered to (by the output's manifest), and the images made on
//! request it asked for are still current. Everything every page depends on is part of every
//! signature: site.toml, the theme's strings and templates, the link targets, the base URL,
//! `--drafts`, and this Gazette (its version and its executable), so a change to any of them
//! renders every page again.
//!
//! This module decides; it renders and writes nothing (the build keeps the pages through
//! `sink::disk::Staging::keep`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::serve::signature::sig_hasher;
use std::path::Path;

use rayon::prelude::*;

use crate::model::Site;
use crate::model::urls::output_file;
use crate::plan::{FileKind, Plan};
use crate::search::SearchFile;
use crate::serve::signature::{FieldsKnown, Signer};
use crate::sink::PathKey;
use crate::sink::pages::PageRecords;

/// What a build's page signatures start from, gathered while the site loads.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The hashes of each source file, by the [`PathKey::of_path`] of its path relative to
    /// the site root (one map of both: at 100,000 entries, two maps with std's hasher were a
    /// serial quarter second). Keyed by a hash of the path's bytes: hashing and comparing a
    /// `Path` goes component by component, which was a tenth of signing a 100,000-entry
    /// site's pages, and a copy of each of 140,000 paths as the key was most of filling the
    /// map.
    pub files: crate::sink::Map<PathKey, FileHashes>,
    /// The hash of site.toml's text as loaded.
    pub config: u64,
    /// The link targets' fingerprint (see `markdown::Resolver::epoch`).
    pub epoch: u64,
    /// Whether drafts and embargoed entries are in (`--drafts`).
    pub drafts: bool,
}

/// What [`Inputs::files`] keeps of one source file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileHashes {
    /// Its whole text's ([`text_hash`]).
    pub text: u64,
    /// The part that holds an entry's fields (a Markdown file's front matter, a TOML file
    /// whole): what feeds and open data show of it.
    pub fields: u64,
}

/// The hash of a source file's text, as [`Inputs::files`] keeps it.
pub fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// This Gazette: its version and, so that a rebuilt binary with the same version number
/// never reuses pages an older one rendered, its executable's size and modification time.
pub fn this_gazette() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{} {:?}", m.len(), m.modified().ok()))
        .unwrap_or_else(|_| "unknown executable".into());
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

/// Each planned page's signature and, for pages kept, the hash of the bytes kept; the same
/// for the planned files that have a signature (search documents, feeds, open data and its
/// CSVW metadata, sitemaps, the marketplace's data and feeds, robots.txt), by index into
/// `plan.files` (`None` for the search shards, which are patched, see `search_update`).
pub struct Reuse {
    pub signatures: Vec<u64>,
    pub kept: Vec<Option<u128>>,
    pub file_signatures: Vec<Option<u64>>,
    pub files_kept: Vec<Option<u128>>,
}

/// The signature of every planned page and of every planned file that has one (by index
/// into `plan.pages` and `plan.files`; `None` for the search shards), computed from the model
/// alone: it reads nothing of the output, so a build signs while it prepares its staging
/// folder.
pub struct Signed {
    pub pages: Vec<u64>,
    pub files: Vec<Option<u64>>,
}

impl Signed {
    /// Sign every page and file of `plan`. `templates` and `strings` are the theme's hashes
    /// as read before the renderer read them; `cards`, the cards' hashes kept between builds
    /// (see [`FieldsKnown`]).
    pub fn sign(
        site: &Site,
        plan: &Plan,
        inputs: &Inputs,
        (templates, strings): (HashMap<String, u64>, u64),
        cards: &crate::kept::Log,
    ) -> Signed {
        let global = {
            let mut h = sig_hasher();
            (
                "gazette build",
                inputs.config,
                strings,
                inputs.epoch,
                &site.config.base_url.absolute,
                inputs.drafts,
                this_gazette(),
            )
                .hash(&mut h);
            h.finish()
        };
        let hashes =
            |p: &Path| (inputs.files.get(&PathKey::of_path(p)).copied()).unwrap_or_default();
        let file_hash = |p: &Path| hashes(p).text;
        let fields_hash = |p: &Path| hashes(p).fields;
        let fields = FieldsKnown {
            hash: &fields_hash,
            cards,
        };
        let signer = Signer::new(site, &file_hash, Some(fields), templates, global);
        let pages: Vec<u64> = plan.pages.par_iter().map(|p| signer.sign(p)).collect();
        let all_entries: Vec<usize> = (0..site.entries.len()).collect();
        let pages_hash = std::sync::OnceLock::new();
        let pages_hash = || {
            *pages_hash.get_or_init(|| {
                let mut h = sig_hasher();
                for p in &plan.pages {
                    (&p.site_path, p.lang.as_str(), &p.kind).hash(&mut h);
                }
                h.finish()
            })
        };
        let files = (plan.files.par_iter())
            .map(|f| {
                Some(match &f.kind {
                    FileKind::Search(SearchFile::Doc { lang, doc }) => {
                        signer.sign_search_doc(plan.search.doc(*doc), lang, *doc)
                    }
                    FileKind::Feed { entries, .. } | FileKind::Data { entries, .. } => {
                        signer.sign_list_file(&f.site_path, &format!("{:?}", f.kind), entries)
                    }
                    FileKind::CsvMetadata { .. } => {
                        signer.sign_list_file(&f.site_path, &format!("{:?}", f.kind), &[])
                    }
                    // A sitemap shows the pages' URLs and alternates (every planned page's
                    // path, language and kind) and dates: every entry's, as lists show it.
                    FileKind::Sitemap { .. } | FileKind::SitemapIndex { .. } => {
                        let kind = format!("{:?} {}", f.kind, pages_hash());
                        signer.sign_list_file(&f.site_path, &kind, &all_entries)
                    }
                    FileKind::Market(_) | FileKind::Robots { .. } => {
                        signer.sign_market_file(&f.site_path, &format!("{:?}", f.kind))
                    }
                    FileKind::Search(_) => return None,
                })
            })
            .collect();
        Signed { pages, files }
    }
}

impl Reuse {
    /// Keep the pages and files of `plan` signed as `signed` whose previous record
    /// (`previous`, the output's) has the same signature, whose file in the output holds the
    /// recorded bytes (`output_hash`, given the place of the page or file in the plan, pages
    /// first, then files, and its path) and, for pages, whose images can be taken back (see
    /// `images::asks`).
    pub fn decide(
        site: &Site,
        plan: &Plan,
        signed: Signed,
        previous: &PageRecords,
        output_hash: &(dyn Fn(usize, &str) -> Option<u128> + Sync),
    ) -> Reuse {
        let Signed { pages, files } = signed;
        let unkept = |n: usize| vec![None; n];
        if previous.is_empty() {
            return Reuse {
                kept: unkept(pages.len()),
                files_kept: unkept(files.len()),
                signatures: pages,
                file_signatures: files,
            };
        }
        // The output's record of `path`, if it was made for `sig` and the file still holds it.
        // `place`: where the page or file is in the plan (pages first, then files);
        // `recorded`: where its record is if the last build had the same plan (the records of
        // the pages, then of the files that have a signature).
        let standing = |place: usize, recorded: usize, path: &str, sig: u64| {
            (previous.get_at(recorded, &PathKey::of(path)))
                .filter(|r| r.signature == sig && output_hash(place, path) == Some(r.hash))
        };
        let kept = (plan.page_files.par_iter().zip(&pages).enumerate())
            .map(|(k, (path, &sig))| {
                standing(k, k, path, sig)
                    .filter(|r| site.images.take_back(path, &r.asked))
                    .map(|r| r.hash)
            })
            .collect();
        let first = plan.page_files.len();
        let recorded: Vec<usize> = (files.iter())
            .scan(first, |next, sig| {
                let at = *next;
                *next += usize::from(sig.is_some());
                Some(at)
            })
            .collect();
        let files_kept = (plan.files.par_iter().zip(&files).zip(&recorded).enumerate())
            .map(|(j, ((f, sig), &at))| {
                standing(first + j, at, &output_file(&f.site_path), (*sig)?).map(|r| r.hash)
            })
            .collect();
        Reuse {
            signatures: pages,
            kept,
            file_signatures: files,
            files_kept,
        }
    }

    /// How many pages are kept.
    pub fn kept_count(&self) -> usize {
        self.kept.iter().filter(|k| k.is_some()).count()
    }
}
