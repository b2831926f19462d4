//! Everything that can be wrong with a site, and its wording: the message, what was
//! expected, a hint and a stable code for each problem. Where a problem was found is not
//! its business (see [`crate::diagnostics::Diagnostic`]).

use std::path::PathBuf;

/// Why an internal `@/` link could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkFailure {
    /// Nothing exists at that path.
    NotFound,
    /// The target exists but is a draft or embargoed, so it is not published.
    NotPublished,
    /// The path is not of a form Gazette knows (`@/releases/<id>/<slug>.md`, `@/pages/<slug>.md`).
    BadForm,
}

/// Why a raster image could not be made into thumbnails (see `crate::images`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFailure {
    /// The file could not be read.
    Read(String),
    /// The file is empty.
    Empty,
    /// The bytes are not an image in a format Gazette reads (JPEG, PNG, WebP, GIF).
    NotAnImage,
    /// The decoder gave up: the file is corrupt or truncated.
    Corrupt(String),
    /// The image claims more pixels than the configured limit (a decompression bomb, or a
    /// photo far larger than any page needs).
    TooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// An animated GIF or WebP: its frames are not made into thumbnails.
    Animated,
    /// The processed image could not be stored in the image cache.
    Cache(String),
}

/// What makes an SVG unsafe to publish at the site's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SvgRisk {
    /// Not well-formed XML (or a DTD, which could declare entities).
    Malformed(String),
    /// A `<script>` element.
    Script,
    /// An event-handler attribute such as `onload`.
    EventAttribute(String),
    /// A `<foreignObject>` element (arbitrary HTML inside the SVG).
    ForeignObject,
    /// A reference to something outside the file (`href`, `xlink:href`, `url(...)`).
    ExternalReference(String),
}

/// Everything that can be wrong with a site. Each variant carries the facts needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Io {
        message: String,
    },
    InvalidUtf8 {
        valid_up_to: usize,
    },
    /// A file a build took as unchanged and read later (to render its body) was saved in
    /// between (see `load::source::LateReads`).
    ChangedWhileBuilding,
    TomlSyntax {
        message: String,
    },
    FrontMatterMissing,
    FrontMatterUnclosed,
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
    WrongType {
        expected: String,
        found: String,
    },
    NotInEnum {
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    OutOfRange {
        value: i64,
        min: Option<i64>,
        max: Option<i64>,
    },
    TooLong {
        length: usize,
        max: usize,
    },
    MissingRequired,
    BadDate {
        value: String,
        expected: &'static str,
    },
    BadUrl {
        value: String,
    },
    BadEmail {
        value: String,
    },
    DuplicateSlug {
        slug: String,
        other: PathBuf,
    },
    DuplicateTitle {
        title: String,
        other: PathBuf,
    },
    EntryOutsideRelease,
    ReleaseWithoutMeta {
        id: String,
    },
    /// `import`/`export --collection` names no collection of `site.toml`.
    UnknownCollection {
        name: String,
        known: Vec<String>,
    },
    BadReleaseId {
        id: String,
    },
    BadSlug {
        name: String,
    },
    UnknownLanguage {
        lang: String,
        known: Vec<String>,
    },
    OrphanTranslation {
        original: PathBuf,
    },
    BrokenLink {
        target: String,
        reason: LinkFailure,
    },
    MissingImage {
        path: String,
    },
    /// A `ref` field names no public item of its collection.
    BrokenRef {
        collection: String,
        id: String,
        /// The item exists but is a draft or embargoed.
        held: bool,
        suggestion: Option<String>,
    },
    PathEscapes {
        path: String,
    },
    /// A raster image used by the file could not be processed.
    BadImage {
        path: String,
        reason: ImageFailure,
    },
    /// An SVG under content/ would run code or load other resources.
    UnsafeSvg {
        risk: SvgRisk,
    },
    Config {
        message: String,
    },
    Template {
        template: String,
        message: String,
    },
    UrlCollision {
        url: String,
        first: String,
    },
    OutputRefused {
        path: PathBuf,
        reason: String,
    },
    OutputWrite {
        path: PathBuf,
        message: String,
    },
    MissingAlt {
        target: String,
    },
    SimilarTitle {
        title: String,
        other_title: String,
        other: PathBuf,
    },
    EmbargoPassed {
        at: String,
    },
    HeldBack {
        draft: bool,
        until: Option<String>,
    },
    /// A link to another site that does not work (`gazette check --external`); `more_pages`
    /// counts pages using it beyond those reported.
    ExternalBroken {
        url: String,
        why: String,
        more_pages: usize,
    },
    /// A link to another site that redirects to `to`.
    ExternalRedirect {
        url: String,
        to: String,
        more_pages: usize,
    },
}

impl Problem {
    /// A short stable code, printed in brackets and usable by tools.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Io { .. } => "io",
            Problem::InvalidUtf8 { .. } => "invalid-utf8",
            Problem::ChangedWhileBuilding => "changed-while-building",
            Problem::TomlSyntax { .. } => "toml-syntax",
            Problem::FrontMatterMissing => "front-matter-missing",
            Problem::FrontMatterUnclosed => "front-matter-unclosed",
            Problem::UnknownKey { .. } => "unknown-key",
            Problem::WrongType { .. } => "wrong-type",
            Problem::NotInEnum { .. } => "not-in-enum",
            Problem::OutOfRange { .. } => "out-of-range",
            Problem::TooLong { .. } => "too-long",
            Problem::MissingRequired => "missing-required",
            Problem::BadDate { .. } => "bad-date",
            Problem::BadUrl { .. } => "bad-url",
            Problem::BadEmail { .. } => "bad-email",
            Problem::DuplicateSlug { .. } => "duplicate-slug",
            Problem::DuplicateTitle { .. } => "duplicate-title",
            Problem::EntryOutsideRelease => "entry-outside-release",
            Problem::ReleaseWithoutMeta { .. } => "release-without-meta",
            Problem::UnknownCollection { .. } => "unknown-collection",
            Problem::BadReleaseId { .. } => "bad-release-id",
            Problem::BadSlug { .. } => "bad-slug",
            Problem::UnknownLanguage { .. } => "unknown-language",
            Problem::OrphanTranslation { .. } => "orphan-translation",
            Problem::BrokenLink { .. } => "broken-link",
            Problem::MissingImage { .. } => "missing-image",
            Problem::BrokenRef { .. } => "broken-ref",
            Problem::PathEscapes { .. } => "path-escapes",
            Problem::BadImage { .. } => "bad-image",
            Problem::UnsafeSvg { .. } => "unsafe-svg",
            Problem::Config { .. } => "config",
            Problem::Template { .. } => "template",
            Problem::UrlCollision { .. } => "url-collision",
            Problem::OutputRefused { .. } => "output-refused",
            Problem::OutputWrite { .. } => "output-write",
            Problem::MissingAlt { .. } => "missing-alt",
            Problem::SimilarTitle { .. } => "similar-title",
            Problem::EmbargoPassed { .. } => "embargo-passed",
            Problem::HeldBack { .. } => "held-back",
            Problem::ExternalBroken { .. } => "broken-external-link",
            Problem::ExternalRedirect { .. } => "redirected-external-link",
        }
    }

    /// One sentence saying what is wrong.
    pub fn message(&self) -> String {
        match self {
            Problem::Io { message } => format!("cannot read file: {message}"),
            Problem::InvalidUtf8 { valid_up_to } => {
                format!("file is not valid UTF-8 (first bad byte at offset {valid_up_to})")
            }
            Problem::ChangedWhileBuilding => {
                "file changed while the build was reading it: nothing was published".into()
            }
            Problem::TomlSyntax { message } => format!("malformed TOML: {message}"),
            Problem::FrontMatterMissing => "entry has no front matter".into(),
            Problem::FrontMatterUnclosed => "front matter is not closed".into(),
            Problem::UnknownKey { key, .. } => format!("unknown key `{key}`"),
            Problem::WrongType { found, .. } => format!("wrong type: found {found}"),
            Problem::NotInEnum { value, .. } => format!("`{value}` is not an allowed value"),
            Problem::OutOfRange { value, .. } => format!("{value} is out of range"),
            Problem::TooLong { length, max } => {
                format!("text is {length} characters long, more than the {max} allowed")
            }
            Problem::MissingRequired => "required field is missing".into(),
            Problem::BadDate { value, .. } => format!("`{value}` is not a valid date"),
            Problem::BadUrl { value } => format!("`{value}` is not a valid URL"),
            Problem::BadEmail { value } => format!("`{value}` is not a valid e-mail address"),
            Problem::DuplicateSlug { slug, other } => format!(
                "slug `{slug}` is already used in this release by {}",
                other.display()
            ),
            Problem::DuplicateTitle { title, other } => format!(
                "title `{title}` is already used in this release by {}",
                other.display()
            ),
            Problem::EntryOutsideRelease => "entry is not inside a release folder".into(),
            Problem::ReleaseWithoutMeta { id } => {
                format!("release folder `{id}` has no _release.toml")
            }
            Problem::UnknownCollection { name, .. } => {
                format!("the site has no collection `{name}`")
            }
            Problem::BadReleaseId { id } => format!("`{id}` is not a valid release id"),
            Problem::BadSlug { name } => {
                format!("`{name}` does not give a usable slug")
            }
            Problem::UnknownLanguage { lang, .. } => {
                format!("`{lang}` is not one of the site's languages")
            }
            Problem::OrphanTranslation { original } => format!(
                "translation has no original (expected {})",
                original.display()
            ),
            Problem::BrokenLink { target, reason } => match reason {
                LinkFailure::NotFound => format!("broken internal link `{target}`"),
                LinkFailure::NotPublished => {
                    format!("internal link `{target}` points to a draft or embargoed entry")
                }
                LinkFailure::BadForm => format!("internal link `{target}` has an unknown form"),
            },
            Problem::MissingImage { path } => format!("referenced file `{path}` does not exist"),
            Problem::BrokenRef {
                collection,
                id,
                held: false,
                ..
            } => format!("`{id}` is not an item of `{collection}`"),
            Problem::BrokenRef { collection, id, .. } => {
                format!("`{id}` in `{collection}` is a draft or embargoed")
            }
            Problem::PathEscapes { path } => {
                format!("path `{path}` points outside the site's content")
            }
            Problem::BadImage { path, reason } => match reason {
                ImageFailure::Read(m) => format!("cannot read image `{path}`: {m}"),
                ImageFailure::Empty => format!("image `{path}` is an empty file"),
                ImageFailure::NotAnImage => {
                    format!("`{path}` is not a JPEG, PNG, WebP or GIF image")
                }
                ImageFailure::Corrupt(m) => {
                    format!("image `{path}` is corrupt or truncated: {m}")
                }
                ImageFailure::TooLarge {
                    width,
                    height,
                    max_pixels,
                } => format!(
                    "image `{path}` claims {width}×{height} pixels, more than the {max_pixels} allowed"
                ),
                ImageFailure::Animated => format!("image `{path}` is animated"),
                ImageFailure::Cache(m) => {
                    format!("cannot store the thumbnails of `{path}` in the image cache: {m}")
                }
            },
            Problem::UnsafeSvg { risk } => match risk {
                SvgRisk::Malformed(m) => format!("SVG is not well-formed XML: {m}"),
                SvgRisk::Script => "SVG contains a <script> element".into(),
                SvgRisk::EventAttribute(a) => {
                    format!("SVG has an event-handler attribute `{a}`")
                }
                SvgRisk::ForeignObject => "SVG contains a <foreignObject> element".into(),
                SvgRisk::ExternalReference(r) => {
                    format!("SVG refers to something outside the file: `{r}`")
                }
            },
            Problem::Config { message } => format!("site.toml: {message}"),
            Problem::Template { template, message } => {
                format!("template `{template}` failed: {message}")
            }
            Problem::UrlCollision { url, first } => {
                format!("two outputs want the URL `{url}` (the first is {first})")
            }
            Problem::OutputRefused { path, reason } => {
                format!("refusing to write output to {}: {reason}", path.display())
            }
            Problem::OutputWrite { path, message } => {
                format!("cannot write {}: {message}", path.display())
            }
            Problem::MissingAlt { target } => format!("image `{target}` has no alt text"),
            Problem::SimilarTitle {
                title,
                other_title,
                other,
            } => format!(
                "title `{title}` is the same as or close to `{other_title}` in {}",
                other.display()
            ),
            Problem::EmbargoPassed { at } => {
                format!("the embargo ended at {at}; the entry is public now")
            }
            Problem::HeldBack { draft: true, .. } => {
                "draft: this entry is in the release but will not be published".into()
            }
            Problem::HeldBack { until, .. } => format!(
                "embargoed until {}: not published yet",
                until.as_deref().unwrap_or("?")
            ),
            Problem::ExternalBroken {
                url,
                why,
                more_pages,
            } => format!(
                "external link `{url}` is broken: {why}{}",
                more(*more_pages)
            ),
            Problem::ExternalRedirect {
                url,
                to,
                more_pages,
            } => format!(
                "external link `{url}` redirects to `{to}`{}",
                more(*more_pages)
            ),
        }
    }

    /// What a correct value looks like, when that can be said.
    pub fn expected(&self) -> Option<String> {
        match self {
            Problem::WrongType { expected, .. } => Some(expected.clone()),
            Problem::NotInEnum { allowed, .. } => Some(format!("one of: {}", allowed.join(", "))),
            Problem::OutOfRange { min, max, .. } => Some(match (min, max) {
                (Some(a), Some(b)) => format!("an integer from {a} to {b}"),
                (Some(a), None) => format!("an integer of at least {a}"),
                (None, Some(b)) => format!("an integer of at most {b}"),
                (None, None) => "an integer".into(),
            }),
            Problem::TooLong { max, .. } => Some(format!("at most {max} characters")),
            Problem::BadDate { expected, .. } => Some((*expected).into()),
            Problem::BadUrl { .. } => Some("an absolute http:// or https:// URL".into()),
            Problem::BadEmail { .. } => Some("an address like name@example.org".into()),
            Problem::BrokenRef { collection, .. } if collection == crate::config::RESULTS => {
                Some("`<release-id>/<slug>` of a published result, e.g. 2024-03/mma-pilot".into())
            }
            Problem::BrokenRef { collection, .. } => Some(format!(
                "the file name (without .md or .toml) of a published item in content/{collection}/"
            )),
            Problem::BadReleaseId { .. } => {
                Some("lowercase ASCII letters, digits, '-' and '_', e.g. 2024-03".into())
            }
            Problem::UnknownLanguage { known, .. } => Some(format!("one of: {}", known.join(", "))),
            Problem::FrontMatterMissing | Problem::FrontMatterUnclosed => {
                Some("a first line `+++`, TOML fields, then a line `+++`".into())
            }
            _ => None,
        }
    }

    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Problem::UnknownKey {
                suggestion: Some(s),
                ..
            }
            | Problem::NotInEnum {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            Problem::UnknownKey { .. } => {
                Some("remove it, or declare it under [schema] in site.toml".into())
            }
            Problem::MissingRequired => Some("add the field; site.toml marks it required".into()),
            Problem::BrokenRef {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            Problem::BrokenRef { held: true, .. } => {
                Some("publish the item first, or remove the reference".into())
            }
            Problem::InvalidUtf8 { .. } => Some("save the file as UTF-8".into()),
            Problem::ChangedWhileBuilding => {
                Some("it was saved during the build; run the build again".into())
            }
            Problem::FrontMatterMissing => {
                Some("start the file with a line `+++`, or write the entry as a .toml file".into())
            }
            Problem::FrontMatterUnclosed => {
                Some("add a line `+++` after the last front-matter field".into())
            }
            Problem::DuplicateSlug { .. } => Some("rename one of the files".into()),
            Problem::DuplicateTitle { .. } => {
                Some("is this the same result submitted twice? merge or retitle one".into())
            }
            Problem::EntryOutsideRelease => {
                Some("move it into content/releases/<release-id>/".into())
            }
            Problem::ReleaseWithoutMeta { .. } => Some(
                "create _release.toml with number, title and date (`gazette new release <id>`)"
                    .into(),
            ),
            Problem::UnknownCollection { known, .. } if known.is_empty() => {
                Some("declare it in site.toml under [collections.<name>]".into())
            }
            Problem::UnknownCollection { known, .. } => Some(format!(
                "the site's collections are: {} (declared in site.toml under [collections.<name>])",
                known.join(", ")
            )),
            Problem::BrokenLink { reason, .. } => Some(match reason {
                LinkFailure::NotPublished => {
                    "publish the target first, or remove the link".into()
                }
                _ => "write @/releases/<release-id>/<slug>.md or @/pages/<slug>.md for a file that exists".into(),
            }),
            Problem::MissingImage { .. } => Some(
                "paths are relative to the file that uses them; check spelling and folder".into(),
            ),
            Problem::PathEscapes { .. } => {
                Some("keep referenced files inside the site's content/ folder".into())
            }
            Problem::OrphanTranslation { .. } => {
                Some("create the default-language file first, or rename the translation".into())
            }
            Problem::UrlCollision { .. } => Some("rename one of the two sources".into()),
            Problem::BadImage { reason, .. } => Some(match reason {
                ImageFailure::TooLarge { .. } => "scale the photo down (a page never needs more than a few thousand pixels across), or raise `[images] max_pixels` in site.toml".into(),
                ImageFailure::Animated => "use a still image (or a video file linked from the text)".into(),
                ImageFailure::Cache(_) => "check that the image cache folder (`[images] cache` in site.toml) is writable".into(),
                _ => "open the file in an image editor and save it again as JPEG, PNG or WebP".into(),
            }),
            Problem::UnsafeSvg { .. } => Some(
                "an SVG is published at the site's own address, where a script in it would run as the site; remove scripts, event attributes, foreignObject and outside references (or export the drawing again as plain SVG)"
                    .into(),
            ),
            Problem::MissingAlt { .. } => Some(
                "describe the image for readers who cannot see it: ![description](path), or set cover_alt"
                    .into(),
            ),
            Problem::SimilarTitle { .. } => Some(
                "the same result may have been submitted twice (e.g. by two institutions); merge them or make the titles distinct"
                    .into(),
            ),
            Problem::EmbargoPassed { .. } => Some("remove the `embargo` field".into()),
            Problem::HeldBack { draft: true, .. } => {
                Some("remove `draft = true` to publish it, or move it out of the release".into())
            }
            Problem::ExternalBroken { .. } => Some(
                "fix or remove the link; if the site refuses link checkers, list its prefix in [check] skip_prefixes in site.toml"
                    .into(),
            ),
            Problem::ExternalRedirect { .. } => {
                Some("link to the final address: it saves readers a detour and outlives the redirect".into())
            }
            _ => None,
        }
    }
}

/// ` (and on N more pages)` for a link reported on a few pages of many.
fn more(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and on 1 more page)".into(),
        n => format!(" (and on {n} more pages)"),
    }
}
