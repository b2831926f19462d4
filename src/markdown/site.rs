//! Rendering every body of the site (entries, release introductions, pages) in parallel and
//! storing the HTML in the model; link problems become diagnostics at file:line:col.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
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

/// Render all bodies; returns the problems found in links and file references.
pub fn render_all(
    site: &mut Site,
    withheld: &HashSet<String>,
    invalid: &HashSet<String>,
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
    let results: Vec<(Slot, String, Vec<Diagnostic>)> = jobs
        .into_par_iter()
        .map(|(slot, source, body)| {
            let lang = match &slot {
                Slot::Entry(_, l) | Slot::Intro(_, l) | Slot::Page(_, l) => l,
            };
            let r = render(
                &body.text,
                &folder_in_content(source),
                lang,
                &resolver,
                unsafe_html,
            );
            let diags = r
                .problems
                .into_iter()
                .map(|(span, p)| {
                    source.diagnostic(p, (span.start + body.offset)..(span.end + body.offset))
                })
                .collect();
            (slot, r.html, diags)
        })
        .collect();
    drop(resolver);
    let mut diags = Vec::new();
    for (slot, html, d) in results {
        diags.extend(d);
        match slot {
            Slot::Entry(i, l) => {
                if let Some(v) = site.entries[i].versions.get_mut(&l) {
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
    diags
}
