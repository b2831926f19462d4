//! The typed documents a site is made of, and checking one content file into one of them.
//! Release and page files have fixed fields, declared here as schemas so they are checked
//! by the same code as entries.

use crate::config::{FieldDef, FieldDefs, FieldKind, Labels, SiteConfig};
use crate::diagnostics::Diagnostic;
use crate::load::discover::{ContentFile, ContentKind, Format};
use crate::load::source::SourceFile;
use crate::load::{self, Body};
use crate::model::ids::{Lang, ReleaseId, Slug};
use crate::validate::kept::{self, CheckedStore};
use crate::validate::{self, Checked};

/// One checked content file.
#[derive(Debug, Clone)]
pub enum Doc {
    ReleaseMeta {
        release: ReleaseId,
        lang: Lang,
        source: SourceFile,
        fields: Checked,
    },
    ReleaseIntro {
        release: ReleaseId,
        lang: Lang,
        source: SourceFile,
        body: Body,
    },
    Entry(EntryDoc),
    Item(ItemDoc),
    Page {
        slug: Slug,
        lang: Lang,
        source: SourceFile,
        fields: Checked,
        body: Body,
    },
}

fn field(name: &str, kind: FieldKind, required: bool) -> (String, FieldDef) {
    (
        name.to_string(),
        FieldDef {
            name: name.into(),
            kind,
            required,
            taxonomy: false,
            label: Labels::default(),
        },
    )
}

fn text() -> FieldKind {
    FieldKind::Text { max_length: None }
}

/// A checked entry file (an original or a translation).
#[derive(Debug, Clone)]
pub struct EntryDoc {
    pub release: ReleaseId,
    pub slug: Slug,
    pub lang: Lang,
    pub source: SourceFile,
    pub fields: Checked,
    pub body: Body,
}

/// A checked item of a collection (an original or a translation).
#[derive(Debug, Clone)]
pub struct ItemDoc {
    /// Index in `SiteConfig::collections`.
    pub collection: usize,
    pub slug: Slug,
    pub lang: Lang,
    pub source: SourceFile,
    pub fields: Checked,
    pub body: Body,
}

/// Fields of `_release.toml`. In a translation (`_release.en.toml`) only the texts are allowed.
pub fn release_fields(original: bool) -> FieldDefs {
    let mut f = FieldDefs::default();
    if original {
        f.extend([
            field(
                "number",
                FieldKind::Integer {
                    min: Some(0),
                    max: None,
                },
                true,
            ),
            field("title", text(), true),
            field("date", FieldKind::Date, true),
            field("summary", text(), false),
            field("issuer", text(), false),
            field("cover", text(), false),
        ]);
    } else {
        f.extend([
            field("title", text(), false),
            field("summary", text(), false),
            field("issuer", text(), false),
        ]);
    }
    f
}

/// Fields of a standalone page's front matter.
pub fn page_fields(original: bool) -> FieldDefs {
    FieldDefs::from_iter([field("title", text(), original)])
}

/// Read and check one content file. Assets give `None` and no diagnostics.
pub fn check_file(
    root: &std::path::Path,
    file: &ContentFile,
    config: &SiteConfig,
) -> (Option<Doc>, Option<SourceFile>, Vec<Diagnostic>) {
    check_file_kept(root, file, config, None)
}

/// [`check_file`], taking a Markdown document's checked fields from `kept` when its text was
/// checked by the last build (and keeping those it checks, see [`validate::kept`]).
pub fn check_file_kept(
    root: &std::path::Path,
    file: &ContentFile,
    config: &SiteConfig,
    kept: Option<&CheckedStore>,
) -> (Option<Doc>, Option<SourceFile>, Vec<Diagnostic>) {
    if file.kind == ContentKind::Asset {
        return (None, None, Vec::new());
    }
    let source = match load::read_source(root, &file.path) {
        Ok(s) => s,
        Err(d) => return (None, None, vec![d]),
    };
    let keep = Some(source.clone());
    let original = |lang: &Lang| *lang == config.default_language;
    let (doc, diags) = match &file.kind {
        ContentKind::Asset => unreachable!("handled above"),
        ContentKind::ReleaseIntro { release, lang } => (
            Some(Doc::ReleaseIntro {
                release: release.clone(),
                lang: lang.clone(),
                body: load::plain_body(&source),
                source: source.clone(),
            }),
            Vec::new(),
        ),
        ContentKind::ReleaseMeta { release, lang } => match load::parse_toml_file(&source, false) {
            Err(d) => (None, d),
            Ok(parsed) => {
                let (fields, d) = validate::check(&parsed, &release_fields(original(lang)), true);
                let doc = d.is_empty().then(|| Doc::ReleaseMeta {
                    release: release.clone(),
                    lang: lang.clone(),
                    source: source.clone(),
                    fields,
                });
                (doc, d)
            }
        },
        ContentKind::Item {
            collection,
            slug,
            lang,
            format,
        } => {
            let def = &config.collections[*collection];
            let schema = Schema(def.name.as_str(), &def.schema.fields);
            let (checked, d) = checked_document(&source, *format, schema, original(lang), kept);
            let doc = checked.map(|(fields, body)| {
                Doc::Item(ItemDoc {
                    collection: *collection,
                    slug: slug.clone(),
                    lang: lang.clone(),
                    source: source.clone(),
                    fields,
                    body,
                })
            });
            (doc, d)
        }
        ContentKind::Entry {
            release,
            slug,
            lang,
            format,
        } => {
            let schema = Schema(ENTRIES, &config.schema.fields);
            let (checked, d) = checked_document(&source, *format, schema, original(lang), kept);
            let doc = checked.map(|(fields, body)| {
                Doc::Entry(EntryDoc {
                    release: release.clone(),
                    slug: slug.clone(),
                    lang: lang.clone(),
                    source: source.clone(),
                    fields,
                    body,
                })
            });
            (doc, d)
        }
        ContentKind::Page { slug, lang } => {
            // A page's fields are all required; its role picks the schema.
            let fields = page_fields(original(lang));
            let name = if original(lang) {
                PAGES
            } else {
                PAGE_TRANSLATIONS
            };
            let schema = Schema(name, &fields);
            let (checked, d) = checked_document(&source, Format::Markdown, schema, true, kept);
            let doc = checked.map(|(fields, body)| Doc::Page {
                slug: slug.clone(),
                lang: lang.clone(),
                source: source.clone(),
                fields,
                body,
            });
            (doc, d)
        }
    };
    (doc, keep, diags)
}

/// The key of the entry schema in [`kept::key`] (collections' names are slugs, never this).
const ENTRIES: &str = "\u{1}entries";
/// The keys of the pages' fields in [`kept::key`], originals' and translations'.
const PAGES: &str = "\u{1}pages";
const PAGE_TRANSLATIONS: &str = "\u{1}page translations";

/// A schema and its name in [`kept::key`].
#[derive(Clone, Copy)]
struct Schema<'a>(&'a str, &'a FieldDefs);

/// Parse and check a document against `schema` into its fields and body, or take a Markdown
/// document's fields from `kept` when the same text was checked by the last build; fields
/// checked without a problem are kept for the next.
fn checked_document(
    source: &SourceFile,
    format: Format,
    Schema(name, schema): Schema<'_>,
    require: bool,
    kept: Option<&CheckedStore>,
) -> (Option<(Checked, Body)>, Vec<Diagnostic>) {
    let key = (kept.is_some() && format == Format::Markdown)
        .then(|| kept::key(name, require, &source.text));
    if let (Some(store), Some(key)) = (kept, key)
        && let Some(fields) = store.get(key, schema)
        && let Some(body) = load::markdown_body(source)
    {
        return (Some((fields, body)), Vec::new());
    }
    let parsed = match parse_document(source, format) {
        Ok(p) => p,
        Err(d) => return (None, d),
    };
    let (fields, d) = validate::check(&parsed, schema, require);
    if !d.is_empty() {
        return (None, d);
    }
    if let (Some(store), Some(key)) = (kept, key) {
        store.put(key, &fields);
    }
    (Some((fields, parsed.body.clone().unwrap_or_default())), d)
}

/// An entry or item file: Markdown with front matter, or plain TOML with a `body`.
fn parse_document(
    source: &SourceFile,
    format: Format,
) -> Result<load::ParsedDoc<'_>, Vec<Diagnostic>> {
    match format {
        Format::Markdown => load::parse_markdown(source),
        Format::Toml => load::parse_toml_file(source, true),
    }
}
