//! The typed documents a site is made of, and checking one content file into one of them.
//! Release and page files have fixed fields, declared here as schemas so they are checked
//! by the same code as entries.

use crate::config::{FieldDef, FieldDefs, FieldKind, Labels, SiteConfig};
use crate::diagnostics::Diagnostic;
use crate::load::discover::{ContentFile, ContentKind, Format};
use crate::load::known::{KnownSources, Learnt};
use crate::load::source::SourceFile;
use crate::load::{self, Body};
use crate::model::ids::{Lang, ReleaseId, Slug};
use crate::render::reuse::{FileHashes, text_hash};
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
    let c = check_file_kept(root, file, config, None);
    (c.doc, c.source, c.diags)
}

/// What a build keeps of checked documents for the next (see [`check_file_kept`]).
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    pub fields: &'a CheckedStore,
    pub sources: &'a KnownSources,
}

/// One content file checked by [`check_file_kept`].
pub struct CheckedFile {
    pub doc: Option<Doc>,
    pub source: Option<SourceFile>,
    pub diags: Vec<Diagnostic>,
    /// With `kept` (a build): the hashes page signatures start from.
    pub hashes: Option<FileHashes>,
}

/// [`check_file`] for a build, with what the last build kept: a Markdown document whose
/// file is as the last build read it (`load::known`) and whose text it checked
/// (`validate::kept`) is not read: its fields are the kept ones and its text stays on disk.
/// What it reads and checks without a problem is kept for the next build.
pub fn check_file_kept(
    root: &std::path::Path,
    file: &ContentFile,
    config: &SiteConfig,
    kept: Option<Kept<'_>>,
) -> CheckedFile {
    let failed = |diags| CheckedFile {
        doc: None,
        source: None,
        diags,
        hashes: None,
    };
    if file.kind == ContentKind::Asset {
        return failed(Vec::new());
    }
    let original = |lang: &Lang| *lang == config.default_language;
    let page_fields = |lang: &Lang| page_fields(original(lang));
    let pages = match &file.kind {
        ContentKind::Page { lang, .. } => Some(page_fields(lang)),
        _ => None,
    };
    // The schema a Markdown document is checked against, and whether it is an original.
    let schema = match &file.kind {
        ContentKind::Entry { lang, format, .. } => Some((
            Schema(ENTRIES, &config.schema.fields),
            original(lang),
            *format,
        )),
        ContentKind::Item {
            collection,
            lang,
            format,
            ..
        } => {
            let def = &config.collections[*collection];
            let schema = Schema(def.name.as_str(), &def.schema.fields);
            Some((schema, original(lang), *format))
        }
        ContentKind::Page { lang, .. } => {
            let name = if original(lang) {
                PAGES
            } else {
                PAGE_TRANSLATIONS
            };
            let fields = pages.as_ref().unwrap_or_else(|| unreachable!("a page"));
            Some((Schema(name, fields), true, Format::Markdown))
        }
        _ => None,
    };
    // A document (its fields and body) of this file's kind.
    let doc_of = |source: SourceFile, fields: Checked, body: Body| match &file.kind {
        ContentKind::Entry {
            release,
            slug,
            lang,
            ..
        } => Some(Doc::Entry(EntryDoc {
            release: release.clone(),
            slug: slug.clone(),
            lang: lang.clone(),
            source,
            fields,
            body,
        })),
        ContentKind::Item {
            collection,
            slug,
            lang,
            ..
        } => Some(Doc::Item(ItemDoc {
            collection: *collection,
            slug: slug.clone(),
            lang: lang.clone(),
            source,
            fields,
            body,
        })),
        ContentKind::Page { slug, lang } => Some(Doc::Page {
            slug: slug.clone(),
            lang: lang.clone(),
            source,
            fields,
            body,
        }),
        _ => None,
    };
    let is_entry = matches!(file.kind, ContentKind::Entry { .. });
    // A Markdown document's file as the last build read it, if it still is. Not an item's:
    // the opening of its body is read by every build (matching's key, which hashes it).
    let looked = match (kept, schema, &file.kind) {
        (_, _, ContentKind::Item { .. }) => None,
        (Some(k), Some((_, _, Format::Markdown)), _) => k.sources.look(root, &file.path),
        _ => None,
    };
    let known_source = looked.is_some();
    if let (Some(kept), Some((Schema(name, fields), require, _))) = (kept, schema)
        && let Some((source, learnt)) = looked
        && let Some(checked) = kept
            .fields
            .get(kept::key(name, require, learnt.hash), fields)
    {
        let body = Body::rest_of(&source, learnt.body_start);
        let text = learnt.hash as u64;
        let hashes = FileHashes {
            text,
            fields: if is_entry { learnt.front } else { text },
        };
        return CheckedFile {
            doc: doc_of(source.clone(), checked, body),
            source: Some(source),
            diags: Vec::new(),
            hashes: Some(hashes),
        };
    }
    let (source, fp) = match load::read_source_as_found(root, &file.path) {
        Ok(s) => s,
        Err(d) => return failed(vec![d]),
    };
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
        ContentKind::Entry { .. } | ContentKind::Item { .. } | ContentKind::Page { .. } => {
            let Some((schema, require, format)) = schema else {
                unreachable!("documents have a schema")
            };
            // Read, but checked by the last build: the kept fields.
            let key = kept::key(schema.0, require, source.hash());
            let known = (kept.filter(|_| format == Format::Markdown))
                .and_then(|k| Some((k.fields.get(key, schema.1)?, markdown_body(&source)?)));
            let fresh = known.is_none();
            let (checked, d) = match known {
                Some(checked) => (Some(checked), Vec::new()),
                None => checked_document(&source, format, schema, require),
            };
            let doc = checked.and_then(|(fields, body)| {
                if let Some(kept) = kept
                    && format == Format::Markdown
                {
                    if fresh {
                        kept.fields.put(key, &fields, schema.1);
                    }
                    let text = source.text();
                    let learnt = Learnt {
                        len: text.len(),
                        hash: source.hash(),
                        body_start: body.offset,
                        front: text_hash(text.get(..body.offset).unwrap_or(text)),
                    };
                    if let Some(fp) = fp.filter(|_| !known_source) {
                        kept.sources.put(&file.path, &fp, &learnt);
                    }
                }
                doc_of(source.clone(), fields, body)
            });
            (doc, d)
        }
    };
    // Hashes of what was read, as a known source's are (see above).
    let hashes = kept.map(|_| {
        let text = source.text();
        let whole = source.hash() as u64;
        let fields = match &doc {
            Some(Doc::Entry(e)) if source_is_markdown(&file.kind) => {
                text.get(..e.body.offset).map_or(whole, text_hash)
            }
            _ => whole,
        };
        FileHashes {
            text: whole,
            fields,
        }
    });
    CheckedFile {
        doc,
        source: Some(source),
        diags,
        hashes,
    }
}

/// The body of a Markdown file with front matter, without parsing the front matter (for a
/// document whose checked fields were kept).
fn markdown_body(source: &SourceFile) -> Option<Body> {
    let split = load::frontmatter::split(source.text()).ok()?;
    Some(Body::rest_of(source, split.body.start))
}

/// Whether the file is Markdown with front matter.
fn source_is_markdown(kind: &ContentKind) -> bool {
    matches!(
        kind,
        ContentKind::Entry {
            format: Format::Markdown,
            ..
        }
    )
}

/// The key of the entry schema in [`kept::key`] (collections' names are slugs, never this).
const ENTRIES: &str = "\u{1}entries";
/// The keys of the pages' fields in [`kept::key`], originals' and translations'.
const PAGES: &str = "\u{1}pages";
const PAGE_TRANSLATIONS: &str = "\u{1}page translations";

/// A schema and its name in [`kept::key`].
#[derive(Clone, Copy)]
struct Schema<'a>(&'a str, &'a FieldDefs);

/// Parse and check a document against `schema` into its fields and body.
fn checked_document(
    source: &SourceFile,
    format: Format,
    Schema(_, schema): Schema<'_>,
    require: bool,
) -> (Option<(Checked, Body)>, Vec<Diagnostic>) {
    let parsed = match parse_document(source, format) {
        Ok(p) => p,
        Err(d) => return (None, d),
    };
    let (fields, d) = validate::check(&parsed, schema, require);
    if !d.is_empty() {
        return (None, d);
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
