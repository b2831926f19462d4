//! Assembling checked documents into the `Site`: attach translations to originals, decide
//! what is held back (drafts, embargoes), sort, and build taxonomies. Problems that involve
//! more than one file are found here. Releases and standalone pages are assembled in
//! [`releases`] and [`pages`]; entries, which need both the releases and each other, here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Problem};
use crate::load::Body;
use crate::load::discover::{AssetSet, ContentFile, asset_set};
use crate::load::source::SourceFile;
use crate::model::ids::{Lang, ReleaseId, Slug};
use crate::model::taxonomy;
use crate::model::urls::{Urls, resolve_content_path};
use crate::model::{
    Entry, EntryVersion, HeldBack, HeldEntry, Hold, Site, collections, matching, refs,
};
use crate::validate::documents::{Doc, EntryDoc};
use crate::validate::{Checked, Value};

mod pages;
mod releases;

/// Options that change what the model contains.
#[derive(Debug, Clone, Copy)]
pub struct ModelOptions {
    /// Include drafts and embargoed entries (`--drafts`, preview).
    pub include_held: bool,
    /// The moment embargoes are compared with.
    pub now: jiff::Timestamp,
    /// What to do about matching.
    pub matching: MatchingRun,
}

/// Whether [`assemble`] computes the site's matches and keeps what it built for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchingRun {
    /// Compute them (`gazette check`).
    Compute,
    /// Compute them and keep what matching built (`Assembled::matching`) for re-querying
    /// after edits (preview).
    Keep,
    /// Leave `Site::matches` empty: the caller fills it (a build, from
    /// `model::match_cache`).
    Later,
}

/// The site plus what `markdown` needs to resolve links to entries that are not in it.
pub struct Assembled {
    pub site: Site,
    /// Link keys (`releases/<id>/<slug>`) of entries that exist but are held back.
    pub withheld: HashSet<String>,
    /// Link keys of documents that failed validation (already reported).
    pub invalid: HashSet<String>,
    /// What matching built, with [`MatchingRun::Keep`] on a site that matches.
    pub matching: Option<matching::State>,
}

pub(super) fn text(fields: &Checked, name: &str) -> Option<String> {
    fields
        .values
        .get(name)
        .and_then(Value::as_text)
        .map(str::to_string)
}

/// Check that a path written in `source` names an asset; return its site path.
pub(super) fn asset_path(
    source: &SourceFile,
    span: Option<&Range<usize>>,
    field: &str,
    target: &str,
    assets: &AssetSet<'_>,
    urls: &Urls,
) -> Result<String, Diagnostic> {
    let rel = resolve_in(source, target);
    asset_check(source, span, field, target, rel.as_deref(), assets)?;
    Ok(urls.asset(&rel.unwrap_or_default()))
}

/// Check that `target`, a path written in `source` that resolves to `rel` (relative to
/// `content/`; `None`: it leads out of it), names an asset.
pub(super) fn asset_check(
    source: &SourceFile,
    span: Option<&Range<usize>>,
    field: &str,
    target: &str,
    rel: Option<&str>,
    assets: &AssetSet<'_>,
) -> Result<(), Diagnostic> {
    let problem = match rel {
        None => Problem::PathEscapes {
            path: target.to_string(),
        },
        Some(rel) if assets.contains(rel) => return Ok(()),
        Some(_) => Problem::MissingImage {
            path: target.to_string(),
        },
    };
    let span = span.cloned().unwrap_or(0..0);
    Err(source.diagnostic(problem, span).with_field(field))
}

/// The path `target`, written in `source`, names, relative to `content/` (`None` when it
/// leads out of `content/`).
fn resolve_in(source: &SourceFile, target: &str) -> Option<String> {
    resolve_content_path(
        &crate::images::uses::folder_in_content(&source.path),
        target,
    )
}

/// The path the `cover` of `values`, written in `source`, names (see [`resolve_in`]).
fn cover_of(values: &crate::validate::value::Fields, source: &SourceFile) -> Option<String> {
    resolve_in(source, values.get("cover").and_then(Value::as_text)?)
}

/// The default-language version of an entry, from its checked file (body not rendered).
pub fn original_version(fields: Checked, source: SourceFile, body: Body) -> EntryVersion {
    EntryVersion {
        title: text(&fields, "title").unwrap_or_default(),
        summary: text(&fields, "summary"),
        cover: cover_of(&fields.values, &source),
        values: fields.values,
        body,
        body_html: Default::default(),
        source,
    }
}

/// A translation merged over the `original` version: its own values first, the original's
/// for what it leaves out, in schema order (body not rendered).
pub fn translated_version(
    config: &SiteConfig,
    original: &EntryVersion,
    fields: Checked,
    source: SourceFile,
    body: Body,
) -> EntryVersion {
    translated_in(&config.schema, original, fields, source, body)
}

/// [`translated_version`] for a document of `schema` (an entry's or a collection's).
pub(crate) fn translated_in(
    schema: &crate::config::Schema,
    original: &EntryVersion,
    fields: Checked,
    source: SourceFile,
    body: Body,
) -> EntryVersion {
    let mut values = crate::validate::value::Fields::over(&original.values, fields.values);
    // Keep schema order after merging.
    values.sort_by_key(|k| schema.fields.get_index_of(k));
    values.shrink_to_fit();
    EntryVersion {
        title: values
            .get("title")
            .and_then(Value::as_text)
            .unwrap_or_default()
            .to_string(),
        summary: values
            .get("summary")
            .and_then(Value::as_text)
            .map(str::to_string),
        cover: cover_of(&values, &source),
        values,
        body,
        body_html: Default::default(),
        source,
    }
}

/// The order of `Site::entries`: by release (newest first), then default-language title,
/// then slug.
pub fn site_order(a: &Entry, b: &Entry, default: &Lang) -> std::cmp::Ordering {
    a.release_index
        .cmp(&b.release_index)
        .then_with(|| a.versions[default].title.cmp(&b.versions[default].title))
        .then_with(|| a.slug.cmp(&b.slug))
}

/// The maps of this module hold one key per entry, 100,000 on a large site: foldhash, not
/// SipHash, as nothing here is chosen by an attacker.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// `entries` in [`site_order`]. The keys are gathered first, side by side: comparing entries
/// in place looked up each one's default-language version in its map of versions, for
/// every one of the sort's 1.7 million comparisons at 100,000 entries.
fn sorted(entries: Vec<Entry>, default: &Lang) -> Vec<Entry> {
    let order: Vec<usize> = {
        let keys: Vec<(usize, &str, &str)> = entries
            .iter()
            .map(|e| {
                (
                    e.release_index,
                    e.versions[default].title.as_str(),
                    e.slug.as_str(),
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..entries.len()).collect();
        // Unstable is deterministic here: a release's slugs are distinct, so no two keys tie.
        order.par_sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
        order
    };
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let entries: Vec<Entry> = order.iter().filter_map(|&i| slots[i].take()).collect();
    debug_assert!(
        (entries.windows(2)).all(|w| site_order(&w[0], &w[1], default).is_lt()),
        "the keys sort as site_order does"
    );
    entries
}

/// An original entry document made ready on its own (see [`assemble`]).
struct Prepared {
    release: ReleaseId,
    slug: Slug,
    lang: Lang,
    release_index: usize,
    hold: Option<Hold>,
    /// The checks of its cover, reported only if the entry is kept.
    checks: Vec<Diagnostic>,
    date: jiff::civil::Date,
    version: EntryVersion,
}

/// Ready one original entry document of release `release_index` (dated `release_date`).
fn prepare(
    d: EntryDoc,
    release_index: usize,
    release_date: jiff::civil::Date,
    now: jiff::Timestamp,
    asset_set: &AssetSet<'_>,
) -> Prepared {
    let EntryDoc {
        release,
        slug,
        lang,
        source,
        fields,
        body,
    } = d;
    let hold = hold_of(&fields, now);
    let cover_span = fields.spans.get("cover").cloned();
    let date = match fields.values.get("date") {
        Some(Value::Date(d)) => *d,
        _ => release_date,
    };
    let version = original_version(fields, source, body);
    let mut checks = Vec::new();
    if let Some(cover) = version.values.get("cover").and_then(Value::as_text) {
        let source = &version.source;
        if version
            .values
            .get("cover_alt")
            .and_then(Value::as_text)
            .is_none()
        {
            let mut d = source
                .diagnostic(
                    Problem::MissingAlt {
                        target: cover.to_string(),
                    },
                    cover_span.clone().unwrap_or(0..0),
                )
                .with_field("cover_alt");
            d.severity = crate::diagnostics::Severity::Warning;
            checks.push(d);
        }
        let rel = version.cover.as_deref();
        if let Err(d) = asset_check(source, cover_span.as_ref(), "cover", cover, rel, asset_set) {
            checks.push(d);
        }
    }
    Prepared {
        release,
        slug,
        lang,
        release_index,
        hold,
        checks,
        date,
        version,
    }
}

/// Why a document with these fields is held back at `now`, if it is (`draft`, `embargo`).
pub(crate) fn hold_of(fields: &Checked, now: jiff::Timestamp) -> Option<Hold> {
    let draft = fields.values.get("draft").and_then(Value::as_bool) == Some(true);
    let embargo = match fields.values.get("embargo") {
        Some(Value::DateTime(t)) if *t > now => Some(*t),
        _ => None,
    };
    if draft {
        Some(Hold::Draft)
    } else {
        embargo.map(Hold::Embargoed)
    }
}

/// Build the site model from checked documents.
pub fn assemble(
    config: &SiteConfig,
    docs: Vec<Doc>,
    assets: Vec<ContentFile>,
    options: ModelOptions,
    invalid: &HashSet<String>,
) -> (Assembled, Vec<Diagnostic>) {
    let default = config.default_language.clone();
    let urls = Urls {
        base: config.base_url.clone(),
        default_lang: default.clone(),
    };
    let asset_set = asset_set(&assets);
    let mut diags = Vec::new();

    let mut metas = Vec::new();
    let mut intros = Vec::new();
    // Sized once: growing vectors and maps of 100,000 documents moved them again and again.
    let entry_docs = |original: bool| {
        docs.iter()
            .filter(|d| matches!(d, Doc::Entry(e) if (e.lang == default) == original))
            .count()
    };
    let mut originals = Vec::with_capacity(entry_docs(true));
    let mut translations = Vec::with_capacity(entry_docs(false));
    let mut pages_docs = Vec::new();
    let mut item_docs = Vec::new();
    let ref_uses = refs::gather(config, &docs);
    for d in docs {
        match d {
            Doc::Entry(e) if e.lang == default => originals.push(e),
            Doc::Entry(e) => translations.push(e),
            d @ Doc::ReleaseMeta { .. } => metas.push(d),
            d @ Doc::ReleaseIntro { .. } => intros.push(d),
            d @ Doc::Page { .. } => pages_docs.push(d),
            Doc::Item(i) => item_docs.push(i),
        }
    }

    let mut release_list =
        releases::assemble(metas, intros, &default, &asset_set, &urls, &mut diags);
    let release_index: HashMap<ReleaseId, usize> = release_list
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();

    // Entries: originals first.
    let mut held_back = HeldBack::default();
    let mut held = Vec::new();
    let mut withheld = HashSet::new();
    let mut entries: Vec<Entry> = Vec::with_capacity(originals.len());
    let mut by_key: FastMap<(ReleaseId, Slug), (usize, PathBuf)> =
        FastMap::with_capacity_and_hasher(originals.len(), Default::default());
    // What each original needs of no other file (its hold, the checks of its cover, its
    // version), on every core: done one after the other, this was 0.4 s at 100,000 entries.
    // Which originals are kept is decided after, in order.
    let prepared: Vec<Option<Prepared>> = originals
        .into_par_iter()
        .map(|d| {
            let ri = *release_index.get(&d.release)?;
            Some(prepare(
                d,
                ri,
                release_list[ri].date,
                options.now,
                &asset_set,
            ))
        })
        .collect();
    // Not there: reported by discovery as a release without _release.toml.
    for p in prepared.into_iter().flatten() {
        let Prepared {
            release,
            slug,
            lang,
            release_index: ri,
            hold,
            checks,
            date,
            version,
        } = p;
        let key = (release.clone(), slug.clone());
        if let Some((_, other)) = by_key.get(&key) {
            diags.push(
                Diagnostic::error(Problem::DuplicateSlug {
                    slug: slug.to_string(),
                    other: other.clone(),
                })
                .in_file(&version.source.path),
            );
            continue;
        }
        if let Some(hold) = hold
            && !options.include_held
        {
            match hold {
                Hold::Draft => held_back.drafts += 1,
                Hold::Embargoed(_) => held_back.embargoed += 1,
            }
            withheld.insert(format!("releases/{release}/{slug}"));
            held.push(HeldEntry {
                source: version.source.path.clone(),
                hold,
            });
            continue;
        }
        diags.extend(checks);
        by_key.insert(key, (entries.len(), version.source.path.clone()));
        entries.push(Entry {
            release,
            release_index: ri,
            slug,
            date,
            hold,
            versions: BTreeMap::from([(lang, Box::new(version))]),
        });
    }
    // Translations: which entry each belongs to, here; their merged versions, in parallel
    // (a copy of the original's values each, tens of thousands on a large site).
    let mut merges = Vec::with_capacity(translations.len());
    let mut translated: FastMap<(usize, Lang), PathBuf> =
        FastMap::with_capacity_and_hasher(translations.len(), Default::default());
    for d in translations {
        let key = (d.release.clone(), d.slug.clone());
        let Some(&(i, _)) = by_key.get(&key) else {
            let key = format!("releases/{}/{}", d.release, d.slug);
            if !withheld.contains(&key) && !invalid.contains(&key) {
                let original = d.source.path.with_file_name(format!("{}.md", d.slug));
                diags.push(
                    Diagnostic::error(Problem::OrphanTranslation { original })
                        .in_file(&d.source.path),
                );
            }
            continue;
        };
        if let Some(existing) = translated.get(&(i, d.lang.clone())) {
            diags.push(
                Diagnostic::error(Problem::DuplicateSlug {
                    slug: d.slug.to_string(),
                    other: existing.clone(),
                })
                .in_file(&d.source.path),
            );
            continue;
        }
        translated.insert((i, d.lang.clone()), d.source.path.clone());
        merges.push((i, d));
    }
    let versions: Vec<(usize, Lang, EntryVersion)> = merges
        .into_par_iter()
        .map(|(i, d)| {
            let original = &entries[i].versions[&default];
            let version = translated_version(config, original, d.fields, d.source, d.body);
            (i, d.lang, version)
        })
        .collect();
    for (i, lang, version) in versions {
        entries[i].versions.insert(lang, Box::new(version));
    }

    // Site order: newest release first, then by title; stable and deterministic.
    let entries = sorted(entries, &default);
    let mut seen_titles: FastMap<(usize, &str), &SourceFile> =
        FastMap::with_capacity_and_hasher(entries.len(), Default::default());
    for e in &entries {
        let v = &e.versions[&default];
        if let Some(first) = seen_titles.insert((e.release_index, v.title.as_str()), &v.source) {
            diags.push(
                v.source
                    .diagnostic(
                        Problem::DuplicateTitle {
                            title: v.title.clone(),
                            other: first.path.clone(),
                        },
                        0..0,
                    )
                    .with_field("title"),
            );
        }
    }
    for (i, e) in entries.iter().enumerate() {
        release_list[e.release_index].entries.push(i);
    }

    let pages = pages::assemble(pages_docs, &default, invalid, &mut diags);

    let taxonomies = taxonomy::build(config, &entries);
    let col = collections::assemble(
        config,
        item_docs,
        options,
        &mut held_back,
        &mut held,
        &mut diags,
    );
    withheld.extend(col.withheld);
    let entries: Vec<Arc<Entry>> = entries.into_iter().map(Arc::new).collect();
    let links = refs::resolve(
        ref_uses,
        &release_list,
        &entries,
        &col.collections,
        &withheld,
        &mut diags,
    );
    let (matches, matching) = match options.matching {
        MatchingRun::Keep => matching::compute_keeping(config, &entries, &col.collections),
        MatchingRun::Compute => (matching::compute(config, &entries, &col.collections), None),
        MatchingRun::Later => (Default::default(), None),
    };
    let site = Site {
        config: config.clone(),
        urls,
        releases: release_list,
        entries,
        collections: Arc::new(col.collections),
        links: Arc::new(links),
        matches: Arc::new(matches),
        pages,
        taxonomies: Arc::new(taxonomies),
        assets: Arc::new(assets),
        held_back,
        held,
        images: Default::default(),
    };
    (
        Assembled {
            site,
            withheld,
            invalid: invalid.clone(),
            matching,
        },
        diags,
    )
}
