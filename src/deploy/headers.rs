//! The HTTP headers a deployed file is stored with: `Content-Type` (with `charset=utf-8` for
//! text) and `Cache-Control`, from the site's `[[deploy.rules]]` first and Gazette's defaults
//! after. It decides headers from a file's path only; it must not read files or talk to a
//! storage.

use globset::{Glob, GlobMatcher};

use super::config::Rule;

/// `Cache-Control` for files whose name carries a content hash: they never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` for pages, feeds, sitemaps and data: they change with every release.
pub const SHORT: &str = "public, max-age=300";
/// `Cache-Control` for other assets (stylesheets, images, scripts without a hash in the name).
pub const ASSET: &str = "public, max-age=3600";

/// The headers a file is stored with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Headers {
    pub content_type: String,
    pub cache_control: String,
    /// `gzip` when the file is stored compressed (targets with `gzip = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
}

/// Files smaller than this are not worth compressing.
const GZIP_MIN: u64 = 1024;

/// Whether a content type compresses well (text, JSON, XML, SVG, JavaScript).
pub fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("javascript")
}

/// The site's rules, compiled, then the defaults.
pub struct HeaderRules {
    rules: Vec<(GlobMatcher, Rule)>,
}

impl HeaderRules {
    /// Compile rules already checked by `config` (a pattern that fails here is skipped).
    pub fn new(rules: &[Rule]) -> HeaderRules {
        HeaderRules {
            rules: rules
                .iter()
                .filter_map(|r| {
                    let g = globset::GlobBuilder::new(&r.pattern)
                        .literal_separator(true)
                        .build()
                        .or_else(|_| Glob::new(&r.pattern))
                        .ok()?;
                    Some((g.compile_matcher(), r.clone()))
                })
                .collect(),
        }
    }

    /// Headers for the file at `path` (relative to the output folder, `/`-separated) of
    /// `size` bytes; `gzip`: the target stores text compressed.
    pub fn for_file(&self, path: &str, size: u64, gzip: bool) -> Headers {
        let mut h = self.for_path(path);
        let rule_gzip = self
            .rules
            .iter()
            .find(|(g, _)| g.is_match(path))
            .and_then(|(_, r)| r.gzip);
        if rule_gzip.unwrap_or(gzip) && size >= GZIP_MIN && compressible(&h.content_type) {
            h.content_encoding = Some("gzip".into());
        }
        h
    }

    /// Headers for the file at `path` (relative to the output folder, `/`-separated),
    /// stored as it is.
    pub fn for_path(&self, path: &str) -> Headers {
        let rule = self.rules.iter().find(|(g, _)| g.is_match(path));
        let cache_control = rule
            .and_then(|(_, r)| r.cache_control.clone())
            .unwrap_or_else(|| default_cache_control(path).to_string());
        let content_type = rule
            .and_then(|(_, r)| r.content_type.clone())
            .unwrap_or_else(|| content_type(path));
        Headers {
            content_type,
            cache_control,
            content_encoding: None,
        }
    }
}

/// Gazette's default `Cache-Control` for a path.
pub fn default_cache_control(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if has_content_hash(name) {
        IMMUTABLE
    } else if [".html", ".xml", ".txt", ".json", ".csv"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        SHORT
    } else {
        ASSET
    }
}

/// Whether a file name carries a content hash: a `.`- or `-`-separated part of at least 8
/// hex digits, with at least one digit and one letter (`app.3f9a0c1d.js`, `shard-0e1f2a3b4c.json`).
pub fn has_content_hash(name: &str) -> bool {
    let stem = match name.rfind('.') {
        Some(i) => &name[..i],
        None => name,
    };
    stem.split(['.', '-', '_']).any(|part| {
        part.len() >= 8
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && part.bytes().any(|b| b.is_ascii_digit())
            && part.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// `Content-Type` from the file's extension, `; charset=utf-8` for text (Gazette writes all
/// text as UTF-8). Feeds are Atom.
pub fn content_type(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "feed.xml" {
        return "application/atom+xml; charset=utf-8".into();
    }
    let m = mime_guess::from_path(name).first_or_octet_stream();
    let s = m.essence_str();
    if s.starts_with("text/")
        || s == "application/javascript"
        || s == "application/json"
        || s == "application/xml"
        || s.ends_with("+xml")
        || s.ends_with("+json")
    {
        format!("{s}; charset=utf-8")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("a/feed.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.png"), "image/png");
        assert_eq!(default_cache_control("releases/a/index.html"), SHORT);
        assert_eq!(
            default_cache_control("search/zh/3f9a0c1d7e.json"),
            IMMUTABLE
        );
        assert_eq!(default_cache_control("style.css"), ASSET);
        assert!(!has_content_hash("releases.json"));
        assert!(!has_content_hash("2024-03.html"));
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = HeaderRules::new(&[
            Rule {
                pattern: "*.css".into(),
                cache_control: Some("no-cache".into()),
                content_type: None,
                gzip: Some(false),
            },
            Rule {
                pattern: "**/*.css".into(),
                cache_control: Some("max-age=1".into()),
                content_type: Some("text/plain".into()),
                gzip: None,
            },
        ]);
        assert_eq!(
            rules.for_file("style.css", 5000, true).content_encoding,
            None
        );
        assert_eq!(
            rules
                .for_file("a/b.css", 5000, true)
                .content_encoding
                .as_deref(),
            Some("gzip")
        );
        assert_eq!(rules.for_file("a/b.css", 100, true).content_encoding, None);
        assert_eq!(rules.for_file("a/b.png", 5000, true).content_encoding, None);
        let h = rules.for_path("style.css");
        assert_eq!(h.cache_control, "no-cache");
        assert_eq!(h.content_type, "text/css; charset=utf-8");
        let h = rules.for_path("a/b.css");
        assert_eq!(h.cache_control, "max-age=1");
        assert_eq!(h.content_type, "text/plain");
    }
}
