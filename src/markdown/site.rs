//! Rendering every body of the site (entries, release introductions, pages) in parallel and
//! storing the HTML in the model; link problems become diagnostics at file:line:col.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Problem, Severity};
use crate::load::Body;
use crate::load::source::SourceFile;
use crate::markdown::{Resolver, render};
use crate::model::Site;
use crate::model::ids::Lang;

enum Slot {
    Entry(usize, Lang),
    Intro(usize, Lang),
    Page(usize, Lang),
}

fn folder_in_content(source: &SourceFile) -> String {
    source
        .path
        .parent()
        .and_then(|p| p.strip_prefix("content").ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// Rendered bodies kept between rebuilds (`serve`), keyed by everything the HTML depends on.
#[derive(Default)]
pub struct BodyCache {
    entries: HashMap<u64, (String, Vec<Diagnostic>)>,
}

/// Render one body written in `source`; its HTML and the problems found in its links and
/// file references, at their place in the file.
pub fn render_body(
    source: &SourceFile,
    body: &Body,
    lang: &Lang,
    resolver: &Resolver<'_>,
    unsafe_html: bool,
) -> (String, Vec<Diagnostic>) {
    let folder = folder_in_content(source);
    let r = render(body.text(), &folder, lang, resolver, unsafe_html);
    let diags = r
        .problems
        .into_iter()
        .map(|(span, p)| {
            let warning = matches!(p, Problem::MissingAlt { .. });
            let mut d = source.diagnostic(p, (span.start + body.offset)..(span.end + body.offset));
            if warning {
                d.severity = Severity::Warning;
            }
            d
        })
        .collect();
    (r.html, diags)
}

/// Render all bodies; returns the problems found in links and file references.
pub fn render_all(
    site: &mut Site,
    withheld: &HashSet<String>,
    invalid: &HashSet<String>,
) -> Vec<Diagnostic> {
    render_all_cached(site, withheld, invalid, &mut BodyCache::default())
}

/// `render_all`, reusing bodies from `cache` whose text, folder, language and link targets
/// are unchanged. The cache keeps only what this run used.
pub fn render_all_cached(
    site: &mut Site,
    withheld: &HashSet<String>,
    invalid: &HashSet<String>,
    cache: &mut BodyCache,
) -> Vec<Diagnostic> {
    let mut jobs: Vec<(Slot, &SourceFile, &Body)> = Vec::new();
    for (i, e) in site.entries.iter().enumerate() {
        for (l, v) in &e.versions {
            jobs.push((Slot::Entry(i, l.clone()), &v.source, &v.body));
        }
    }
    for (i, r) in site.releases.iter().enumerate() {
        for (l, t) in &r.text {
            if let Some((src, body)) = &t.intro {
                jobs.push((Slot::Intro(i, l.clone()), src, body));
            }
        }
    }
    for (i, p) in site.pages.iter().enumerate() {
        for (l, v) in &p.versions {
            jobs.push((Slot::Page(i, l.clone()), &v.source, &v.body));
        }
    }
    let resolver = Resolver::new(site, withheld, invalid);
    let unsafe_html = site.config.unsafe_html;
    let epoch = resolver.epoch();
    let previous = &cache.entries;
    let results: Vec<(Slot, u64, String, Vec<Diagnostic>)> = jobs
        .into_par_iter()
        .map(|(slot, source, body)| {
            let lang = match &slot {
                Slot::Entry(_, l) | Slot::Intro(_, l) | Slot::Page(_, l) => l,
            };
            let folder = folder_in_content(source);
            let mut h = DefaultHasher::new();
            (body.text(), body.offset, &folder, lang, epoch, unsafe_html).hash(&mut h);
            source.path.hash(&mut h);
            let key = h.finish();
            if let Some((html, diags)) = previous.get(&key) {
                return (slot, key, html.clone(), diags.clone());
            }
            let (html, diags) = render_body(source, body, lang, &resolver, unsafe_html);
            (slot, key, html, diags)
        })
        .collect();
    drop(resolver);
    let mut diags = Vec::new();
    let mut kept = HashMap::with_capacity(results.len());
    for (slot, key, html, d) in results {
        kept.insert(key, (html.clone(), d.clone()));
        diags.extend(d);
        match slot {
            Slot::Entry(i, l) => {
                if let Some(v) = Arc::make_mut(&mut site.entries[i]).versions.get_mut(&l) {
                    v.body_html = html;
                }
            }
            Slot::Intro(i, l) => {
                if let Some(t) = site.releases[i].text.get_mut(&l) {
                    t.intro_html = html;
                }
            }
            Slot::Page(i, l) => {
                if let Some(v) = site.pages[i].versions.get_mut(&l) {
                    v.body_html = html;
                }
            }
        }
    }
    cache.entries = kept;
    diags
}
