//! `site.toml`: the site's title, languages, base URL, theme and entry schema. This module
//! parses and checks the configuration; it must not look at content or templates.

pub mod collections;
pub mod field_name;
pub mod schema;

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Problem};
use crate::load::source::SourceFile;
use crate::model::ids::Lang;
pub use collections::{CollectionDef, MatchingConfig, RELEASES, RESULTS};
pub use schema::{EnumOption, FieldDef, FieldDefs, FieldKind, Labels, Schema};

/// The site's public address, split into what links need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Scheme, host and path prefix, without a trailing slash: `https://example.org/results`.
    pub absolute: String,
    /// The path prefix alone, without a trailing slash: `/results`, or `` at the host root.
    pub path_prefix: String,
}

impl BaseUrl {
    /// Parse `https://host[/prefix/]`. Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<BaseUrl> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if host.is_empty() || host.contains(char::is_whitespace) || path.contains(['?', '#']) {
            return None;
        }
        let path_prefix = path.trim_end_matches('/').to_string();
        let scheme_len = s.len() - rest.len();
        Some(BaseUrl {
            absolute: format!("{}{host}{path_prefix}", &s[..scheme_len]),
            path_prefix,
        })
    }
}

/// Title and description in one of the non-default languages.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangStrings {
    pub title: Option<String>,
    pub description: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkdownSection {
    #[serde(default)]
    unsafe_html: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleasePageSection {
    group_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    #[serde(default)]
    description: String,
    /// A line shown in every page's footer (e.g. "all content is sample data").
    notice: Option<String>,
    base_url: String,
    #[serde(default = "default_lang")]
    default_language: String,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default = "default_theme")]
    theme: String,
    #[serde(default = "default_paginate")]
    paginate_by: usize,
    #[serde(default)]
    translations: IndexMap<String, LangStrings>,
    #[serde(default)]
    markdown: MarkdownSection,
    #[serde(default)]
    release_page: ReleasePageSection,
    #[serde(default)]
    check: crate::links::LinkCheckConfig,
    #[serde(default)]
    images: crate::images::ImagesSection,
    schema: IndexMap<String, schema::RawField>,
    #[serde(default)]
    collections: IndexMap<String, collections::RawCollection>,
    #[serde(default)]
    matching: collections::RawMatching,
    /// `[deploy]`: read and checked by `crate::deploy::config` (the build ignores it).
    #[serde(default)]
    #[allow(dead_code)]
    deploy: Option<serde::de::IgnoredAny>,
}

fn default_lang() -> String {
    "zh".into()
}
fn default_theme() -> String {
    "default".into()
}
fn default_paginate() -> usize {
    20
}

/// The checked site configuration.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    pub notice: Option<String>,
    pub base_url: BaseUrl,
    pub default_language: Lang,
    /// All languages, the default one first.
    pub languages: Vec<Lang>,
    pub theme: String,
    pub paginate_by: usize,
    pub translations: IndexMap<String, LangStrings>,
    /// When true, raw HTML in Markdown is kept as written (not sanitised).
    pub unsafe_html: bool,
    /// The taxonomy field used to group a release's entries, if any.
    pub group_by: Option<String>,
    /// `[check]`: how `gazette check --external` checks links to other sites.
    pub link_check: crate::links::LinkCheckConfig,
    /// `[images]`: thumbnail widths, quality, formats, cache folder, limits.
    pub images: crate::images::ImageSettings,
    pub schema: Schema,
    /// Further collections (demands, pilot bases…), in `site.toml` order.
    pub collections: Vec<CollectionDef>,
    pub matching: MatchingConfig,
    /// Things worth fixing that do not stop a build (e.g. labels missing for a language).
    pub warnings: Vec<String>,
}

impl SiteConfig {
    pub fn title_in(&self, lang: &Lang) -> &str {
        self.translations
            .get(lang.as_str())
            .and_then(|t| t.title.as_deref())
            .unwrap_or(&self.title)
    }

    pub fn description_in(&self, lang: &Lang) -> &str {
        self.translations
            .get(lang.as_str())
            .and_then(|t| t.description.as_deref())
            .unwrap_or(&self.description)
    }

    pub fn notice_in(&self, lang: &Lang) -> Option<&str> {
        self.translations
            .get(lang.as_str())
            .and_then(|t| t.notice.as_deref())
            .or(self.notice.as_deref())
    }

    pub fn is_language(&self, code: &str) -> bool {
        self.languages.iter().any(|l| l.as_str() == code)
    }
}

/// Fields Gazette itself gives meaning to: if the schema declares them, they must have this kind.
const WELL_KNOWN: &[(&str, &str)] = &[
    ("title", "text"),
    ("summary", "text"),
    ("date", "date"),
    ("draft", "bool"),
    ("embargo", "datetime"),
    ("cover", "text"),
    ("cover_alt", "text"),
    ("closes", "date"),
];

/// The name of a field kind, as `site.toml` spells it.
pub(crate) fn kind_name(k: &FieldKind) -> &'static str {
    match k {
        FieldKind::Text { .. } => "text",
        FieldKind::Markdown => "markdown",
        FieldKind::Integer { .. } => "integer",
        FieldKind::Enum { .. } => "enum",
        FieldKind::List { .. } => "list",
        FieldKind::Date => "date",
        FieldKind::DateTime => "datetime",
        FieldKind::Url => "url",
        FieldKind::Email => "email",
        FieldKind::Bool => "bool",
        FieldKind::Table { .. } => "table",
        FieldKind::Ref { .. } => "ref",
    }
}

/// Read and check `site.toml` under `root`.
pub fn load(root: &Path) -> Result<(SiteConfig, SourceFile), Vec<Diagnostic>> {
    let path = root.join("site.toml");
    let rel = Path::new("site.toml");
    let bytes = std::fs::read(&path).map_err(|e| {
        vec![
            Diagnostic::error(Problem::Io {
                message: format!("{e} (is {} a Gazette site?)", root.display()),
            })
            .in_file(rel),
        ]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![
            Diagnostic::error(Problem::InvalidUtf8 {
                valid_up_to: e.utf8_error().valid_up_to(),
            })
            .in_file(rel),
        ]
    })?;
    let source = SourceFile::new(rel.to_path_buf(), Arc::from(text));
    let config = parse(&source)?;
    Ok((config, source))
}

/// Parse configuration text (exposed for tests and `init`).
pub fn parse(source: &SourceFile) -> Result<SiteConfig, Vec<Diagnostic>> {
    let text = &**source.text();
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![source.diagnostic(
            Problem::Config {
                message: e.message().trim().to_string(),
            },
            span,
        )]
    })?;
    let whole = |message: String| {
        vec![Diagnostic::error(Problem::Config { message }).in_file(&source.path)]
    };

    let Some(base_url) = BaseUrl::parse(&raw.base_url) else {
        return Err(whole(format!(
            "base_url `{}` must be an absolute http(s) URL such as https://example.org/results/",
            raw.base_url
        )));
    };
    if let Some(m) = raw.check.problem() {
        return Err(whole(m));
    }
    let default_language = Lang::parse(&raw.default_language).ok_or_else(|| {
        whole(format!(
            "default_language `{}` is not a language code",
            raw.default_language
        ))
    })?;
    let mut languages = vec![default_language.clone()];
    for l in &raw.languages {
        let lang = Lang::parse(l)
            .ok_or_else(|| whole(format!("`{l}` in languages is not a language code")))?;
        if !languages.contains(&lang) {
            languages.push(lang);
        }
    }
    if raw.paginate_by == 0 {
        return Err(whole("paginate_by must be at least 1".into()));
    }
    let mut errors = Vec::new();
    let schema = collections::build_schema(raw.schema, "schema", &mut errors);
    let taxonomy_names: Vec<&str> = schema.taxonomies().map(|f| &*f.name).collect();
    let (collections, matching) =
        collections::build(raw.collections, raw.matching, &taxonomy_names, &mut errors);
    let mut names = vec![RESULTS, RELEASES];
    names.extend(collections.iter().map(|c| c.name.as_str()));
    collections::check_refs(&schema, "schema", &names, &mut errors);
    for c in &collections {
        collections::check_refs(
            &c.schema,
            &format!("collections.{}.schema", c.name),
            &names,
            &mut errors,
        );
    }
    if let Some(g) = &raw.release_page.group_by
        && !schema.fields.get(g).is_some_and(|f| f.taxonomy)
    {
        errors.push(format!(
            "release_page.group_by `{g}` is not a taxonomy field of the schema"
        ));
    }
    for l in raw.translations.keys() {
        if !languages.iter().any(|x| x.as_str() == l) {
            errors.push(format!(
                "[translations.{l}] is not one of the site's languages"
            ));
        }
    }
    let images = raw.images.check().unwrap_or_else(|e| {
        errors.extend(e);
        Default::default()
    });
    if !errors.is_empty() {
        return Err(errors.into_iter().flat_map(whole).collect());
    }
    let mut warnings = Vec::new();
    if languages.len() > 1 {
        fn walk(def: &FieldDef, path: &str, langs: &[Lang], out: &mut Vec<String>) {
            let missing: Vec<&str> = langs
                .iter()
                .map(Lang::as_str)
                .filter(|l| !def.label.0.contains_key(*l))
                .collect();
            // List items take their list's label; only named fields need one.
            if !path.ends_with(".item") && !missing.is_empty() {
                out.push(format!(
                    "schema field `{path}` has no label in {}: pages in that language show `{}`; add label = {{ {} }}",
                    missing.join(", "),
                    def.name,
                    missing.iter().map(|l| format!("{l} = \"…\"")).collect::<Vec<_>>().join(", ")
                ));
            }
            match &def.kind {
                FieldKind::Table { fields } => {
                    for (k, f) in fields {
                        walk(f, &format!("{path}.{k}"), langs, out);
                    }
                }
                FieldKind::List { item } => walk(item, &format!("{path}.item"), langs, out),
                _ => {}
            }
        }
        let schemas = std::iter::once((String::from("schema"), &schema)).chain(
            collections
                .iter()
                .map(|c| (format!("collections.{}.schema", c.name), &c.schema)),
        );
        for (path, schema) in schemas {
            for (name, def) in &schema.fields {
                // Fields never shown in the details table need no label.
                if !matches!(
                    name.as_str(),
                    "title" | "summary" | "cover" | "cover_alt" | "draft" | "embargo" | "date"
                ) {
                    let path = if path == "schema" {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    walk(def, &path, &languages, &mut warnings);
                }
            }
        }
    }
    Ok(SiteConfig {
        warnings,
        title: raw.title,
        description: raw.description,
        notice: raw.notice,
        base_url,
        default_language,
        languages,
        theme: raw.theme,
        paginate_by: raw.paginate_by,
        translations: raw.translations,
        unsafe_html: raw.markdown.unsafe_html,
        group_by: raw.release_page.group_by,
        link_check: raw.check,
        images,
        schema,
        collections,
        matching,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_path_prefix() {
        let b = BaseUrl::parse("https://example.org/results/").unwrap();
        assert_eq!(b.absolute, "https://example.org/results");
        assert_eq!(b.path_prefix, "/results");
        let b = BaseUrl::parse("http://localhost:1111").unwrap();
        assert_eq!(b.path_prefix, "");
        assert!(BaseUrl::parse("example.org").is_none());
    }
}
