//! Assembling standalone pages: each original with its translations. A translation
//! without an original is reported here.

use std::collections::{BTreeMap, HashSet};

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::assemble::text;
use crate::model::ids::{Lang, Slug};
use crate::model::{Page, PageVersion};
use crate::validate::documents::Doc;

/// The standalone pages of `pages_docs` (checked pages of every language), in slug order.
/// `invalid` holds the link keys of documents that failed validation, whose translations are
/// not reported again.
pub(super) fn assemble(
    pages_docs: Vec<Doc>,
    default: &Lang,
    invalid: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Page> {
    let mut pages: BTreeMap<Slug, Page> = BTreeMap::new();
    let mut page_translations = Vec::new();
    for d in pages_docs {
        let Doc::Page {
            slug,
            lang,
            source,
            fields,
            body,
        } = d
        else {
            continue;
        };
        let version = PageVersion {
            title: text(&fields, "title").unwrap_or_default(),
            body,
            body_html: String::new(),
            source,
        };
        if lang == *default {
            pages.insert(
                slug.clone(),
                Page {
                    slug,
                    versions: BTreeMap::from([(lang, version)]),
                },
            );
        } else {
            page_translations.push((slug, lang, version));
        }
    }
    for (slug, lang, mut version) in page_translations {
        match pages.get_mut(&slug) {
            Some(p) => {
                if version.title.is_empty() {
                    version.title = p.versions[default].title.clone();
                }
                p.versions.insert(lang, version);
            }
            None if invalid.contains(&format!("pages/{slug}")) => {}
            None => diags.push(
                Diagnostic::error(Problem::OrphanTranslation {
                    original: version.source.path.with_file_name(format!("{slug}.md")),
                })
                .in_file(&version.source.path),
            ),
        }
    }
    pages.into_values().collect()
}
