//! The Tera 2 environment: the theme's templates with the site's own `templates/` overriding
//! them file by file, and the theme's translated UI strings. It loads templates; it does not
//! build contexts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use tera::Tera;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Problem};

/// UI strings per language: `strings["en"]["releases"]`.
pub type Strings = IndexMap<String, IndexMap<String, String>>;

/// The theme string `key` in `lang`, else in the `default` language, else the key itself.
pub fn string(strings: &Strings, lang: &str, default: &str, key: &str) -> String {
    (strings.get(lang).and_then(|m| m.get(key)))
        .or_else(|| strings.get(default).and_then(|m| m.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

fn collect(root: &Path, dir: &Path, into: &mut BTreeMap<String, PathBuf>) {
    let full = root.join(dir);
    if !full.is_dir() {
        return;
    }
    for e in WalkDir::new(&full)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(&full) else {
            continue;
        };
        let name = rel.to_string_lossy().replace('\\', "/");
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        into.insert(name, dir.join(rel));
    }
}

fn template_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Load templates and strings for `theme` under `root`.
pub fn load(root: &Path, theme: &str) -> Result<(Tera, Strings), Vec<Diagnostic>> {
    load_with(root, theme, |_| {})
}

/// [`load`], with `register` adding functions to the environment before the templates,
/// which are checked against them, are added.
pub fn load_with(
    root: &Path,
    theme: &str,
    register: impl FnOnce(&mut Tera),
) -> Result<(Tera, Strings), Vec<Diagnostic>> {
    let theme_dir = PathBuf::from("themes").join(theme);
    if !root.join(&theme_dir).is_dir() {
        return Err(vec![
            Diagnostic::error(Problem::Config {
                message: format!(
                    "theme `{theme}` not found (expected folder {})",
                    theme_dir.display()
                ),
            })
            .in_file(Path::new("site.toml")),
        ]);
    }
    let mut files = BTreeMap::new();
    collect(root, &theme_dir.join("templates"), &mut files);
    collect(root, Path::new("templates"), &mut files);
    let mut diags = Vec::new();
    let mut sources = Vec::new();
    for (name, path) in &files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(text) => sources.push((name.clone(), text)),
            Err(e) => diags.push(
                Diagnostic::error(Problem::Io {
                    message: e.to_string(),
                })
                .in_file(path),
            ),
        }
    }
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    register(&mut tera);
    if let Err(e) = tera.add_raw_templates(sources) {
        diags.push(Diagnostic::error(Problem::Template {
            template: "(loading)".into(),
            message: template_error(&e),
        }));
    }
    let strings_path = theme_dir.join("strings.toml");
    let strings: Strings = match std::fs::read_to_string(root.join(&strings_path)) {
        Ok(text) => match toml::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::error(Problem::TomlSyntax {
                        message: e.message().to_string(),
                    })
                    .in_file(&strings_path),
                );
                Strings::new()
            }
        },
        Err(_) => Strings::new(),
    };
    if diags.is_empty() {
        Ok((tera, strings))
    } else {
        Err(diags)
    }
}

/// Render `template` into bytes (UTF-8: templates and values are text) and turn a failure
/// into a diagnostic. Rendering to bytes spares checking every page's UTF-8 again, which
/// `Tera::render` does to make a `String` (2.4 % of a build's CPU, perf).
pub fn render(tera: &Tera, template: &str, ctx: &tera::Context) -> Result<Vec<u8>, Diagnostic> {
    let mut out = Vec::with_capacity(32 * 1024);
    tera.render_to(template, ctx, &mut out)
        .map(|()| out)
        .map_err(|e| {
            Diagnostic::error(Problem::Template {
                template: template.to_string(),
                message: template_error(&e),
            })
        })
}
