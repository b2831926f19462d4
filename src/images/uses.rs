//! Problems with images, reported at the files that use them: an entry's or a release's
//! `cover` naming a raster file that could not be processed is an error at that `cover`
//! line (images in Markdown bodies are reported by `markdown` at the image). It must not
//! process images.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, Problem};
use crate::load::source::SourceFile;
use crate::model::Site;
use crate::model::urls::resolve_content_path;
use crate::validate::Value;

/// The span of the `cover = ...` line in a TOML front matter or `_release.toml`.
fn cover_span(text: &str) -> Option<Range<usize>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("cover")
            && rest.trim_start().starts_with('=')
        {
            let start = at + (line.len() - t.len());
            return Some(start..at + line.trim_end().len());
        }
        at += line.len();
    }
    None
}

/// Every cover of `site` that names a raster file that failed to process.
pub fn check(site: &Site, root: &std::path::Path) -> Vec<Diagnostic> {
    let images = &site.images;
    let mut diags = Vec::new();
    // Most builds have no failed image: then there is nothing to look for in 100,000
    // entries' covers (a tenth of a second, serial, at 100,000 entries).
    if !images.sets().any(|(_, set)| set.is_err()) {
        return diags;
    }
    let mut report = |source: &SourceFile, rel: &str, target: &str| {
        if let Some(Err(reason)) = images.get(rel)
            && let Some(span) = cover_span(source.text())
        {
            diags.push(
                source
                    .diagnostic(
                        Problem::BadImage {
                            path: target.to_string(),
                            reason: reason.clone(),
                        },
                        span,
                    )
                    .with_field("cover"),
            );
        }
    };
    for e in &site.entries {
        for v in e.versions.values() {
            let Some(c) = v.values.get("cover").and_then(Value::as_text) else {
                continue;
            };
            let dir = folder_in_content(&v.source.path);
            if let Some(rel) = resolve_content_path(&dir, c) {
                report(&v.source, &rel, c);
            }
        }
    }
    for r in &site.releases {
        let Some(cover) = &r.cover else { continue };
        let Some((rel, _)) = images
            .sets()
            .find(|(rel, _)| site.urls.asset(rel) == *cover)
        else {
            continue;
        };
        if let Some(Err(_)) = images.get(rel)
            && let Ok(text) = std::fs::read_to_string(root.join(&r.source))
        {
            let source = SourceFile::new(r.source.clone(), Arc::from(text.as_str()));
            report(&source, rel, rel.rsplit('/').next().unwrap_or(rel));
        }
    }
    diags
}

/// The folder of a file under `content/`, relative to `content/`.
pub(crate) fn folder_in_content(path: &std::path::Path) -> String {
    // A path as discovery makes them (`content/…/name.md`, plain `/`-separated UTF-8) cut as
    // text: parsing it into components, twice, then copying it twice was most of this for
    // each of the 230,000 versions and bodies of a 100,000-entry site, on every build.
    if let Some(rest) = path.to_str().and_then(|p| p.strip_prefix("content/"))
        && !(rest.contains('\\') || rest.contains("//"))
        && !(rest.starts_with('/') || rest.ends_with('/'))
        && !(rest.split('/')).any(|part| part == "." || part == "..")
    {
        return rest.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
    }
    path.parent()
        .and_then(|p| p.strip_prefix("content").ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_content_is_the_one_its_path_components_give() {
        use std::path::Path;
        let slow = |p: &Path| {
            p.parent()
                .and_then(|p| p.strip_prefix("content").ok())
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default()
        };
        for p in [
            "content/a.md",
            "content/releases/2024-01/alpha.md",
            "content/releases/2024-01/alpha/index.md",
            "content/释放/一批/成果.md",
            "content//releases/x.md",
            "content/./releases/x.md",
            "content/releases/../x.md",
            "content/releases/",
            "content",
            "content/",
            "other/a.md",
            "contents/a.md",
            "a.md",
            "",
        ] {
            let p = Path::new(p);
            assert_eq!(folder_in_content(p), slow(p), "{}", p.display());
        }
    }

    #[test]
    fn finds_the_cover_line() {
        let text = "+++\ntitle = \"x\"\n  cover = \"a.jpg\"\ncover_alt = \"y\"\n+++\n";
        let span = cover_span(text).unwrap();
        assert_eq!(&text[span], "cover = \"a.jpg\"");
        assert_eq!(cover_span("covers = 1\n"), None);
    }
}
