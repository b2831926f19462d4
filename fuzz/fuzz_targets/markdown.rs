//! Markdown rendering with link rewriting: any UTF-8 text rendered as the body of an entry of
//! a small site built once per process (`gazette init` into a temporary folder, plus a
//! translation, a TOML entry, a draft, assets and a page), with the real `Resolver` from
//! `load_site`. Invariants: problem spans are inside the text, and the sanitised HTML holds no
//! `<script`, no event-handler attribute, no `javascript:`/`vbscript:`/`data:` URL in any
//! attribute, and no style beyond `text-align`.

#![no_main]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use gazette::markdown::{Resolver, render};
use gazette::model::ids::Lang;
use gazette::{BuildOptions, Loaded, load_site};
use libfuzzer_sys::fuzz_target;

const ENTRY: &str = "+++\ntitle = \"第二项成果\"\nsummary = \"一句话。\"\ninstitutions = [\"示例大学\"]\nstage = \"pilot\"\n\n[contact]\nname = \"联系人\"\n+++\n\n正文。\n";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A tiny site with one of everything a link can point at.
fn fixture_site() -> Loaded {
    let root: PathBuf =
        std::env::temp_dir().join(format!("gazette-fuzz-markdown-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    gazette::scaffold::init(&root).expect("gazette init");
    let dir = "content/releases/first";
    write(&root, &format!("{dir}/second.md"), ENTRY);
    write(
        &root,
        &format!("{dir}/third.toml"),
        "title = \"第三项\"\nsummary = \"TOML 条目。\"\ninstitutions = [\"甲\"]\nstage = \"research\"\nbody = \"正文\"\n\n[contact]\nname = \"乙\"\n",
    );
    write(
        &root,
        &format!("{dir}/secret.md"),
        &ENTRY.replace("title = \"第二项成果\"", "title = \"草稿\"\ndraft = true"),
    );
    write(
        &root,
        &format!("{dir}/example.en.md"),
        "+++\ntitle = \"Example\"\nsummary = \"One line.\"\n+++\n\nBody.\n",
    );
    write(
        &root,
        &format!("{dir}/example/figure.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(&root, &format!("{dir}/my file.pdf"), "%PDF-1.4\n");
    write(&root, &format!("{dir}/数据.csv"), "a,b\n");
    write(&root, "content/releases/shared.png", "png");
    write(
        &root,
        "content/pages/about.en.md",
        "+++\ntitle = \"About\"\n+++\n\nHi.\n",
    );
    let loaded = load_site(&BuildOptions::new(&root)).expect("the fixture site loads");
    let _ = std::fs::remove_dir_all(&root);
    assert!(loaded.site.entries.len() >= 3, "{loaded:?}");
    loaded
}

static SITE: LazyLock<Loaded> = LazyLock::new(fixture_site);
static WITHHELD: LazyLock<HashSet<String>> =
    LazyLock::new(|| HashSet::from(["releases/first/secret".to_string()]));
static INVALID: LazyLock<HashSet<String>> =
    LazyLock::new(|| HashSet::from(["releases/first/broken".to_string()]));
static RESOLVER: LazyLock<Resolver<'static>> =
    LazyLock::new(|| Resolver::new(&SITE.site, &WITHHELD, &INVALID));
static LANGS: LazyLock<[Lang; 2]> =
    LazyLock::new(|| [Lang::parse("zh").unwrap(), Lang::parse("en").unwrap()]);

const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "cite",
    "poster",
    "background",
    "longdesc",
    "data",
    "codebase",
    "xlink:href",
];

/// What a browser makes of a URL attribute before it looks at the scheme (WHATWG URL
/// parsing): leading and trailing C0 controls and spaces are stripped, tabs and line breaks
/// are removed anywhere, and the scheme is case-insensitive. (Any other control character
/// inside, as in `jav\x10ascript:`, makes it a relative URL, which is harmless.)
fn normalised_url(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The declarations of a style attribute as CSS splits them: at `;` outside strings,
/// comments and brackets (`text-align: "a;color:red"` is one declaration).
fn css_declarations(style: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = style.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                if let Some(n) = chars.next() {
                    current.push(n);
                }
                continue;
            }
            '"' | '\'' => {
                current.push(c);
                while let Some(n) = chars.next() {
                    current.push(n);
                    if n == '\\' {
                        if let Some(e) = chars.next() {
                            current.push(e);
                        }
                    } else if n == c || n == '\n' {
                        break;
                    }
                }
                continue;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                current.push(' ');
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.retain(|d| !d.trim().is_empty());
    out
}

fn assert_inert(html: &str, input: &str) {
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "<script in sanitised output for {input:?}:\n{html}"
    );
    let doc = scraper::Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let tag = el.name();
        assert!(
            !matches!(
                tag,
                "script" | "style" | "iframe" | "object" | "embed" | "svg" | "math" | "form"
            ),
            "<{tag}> survived sanitising {input:?}:\n{html}"
        );
        for (name, value) in el.attrs() {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "event attribute {name} survived {input:?}:\n{html}"
            );
            // Only attributes a browser follows as URLs: `title`, `alt` and `id` may say
            // "javascript:" as plain words.
            if URL_ATTRIBUTES.contains(&name.as_str()) {
                let url = normalised_url(value);
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !url.starts_with(scheme),
                        "{name}=\"{value}\" survived {input:?}:\n{html}"
                    );
                }
            }
            if name == "style" {
                // Only `text-align` declarations may survive (their values are not filtered,
                // but a `url(…)` or markup in `text-align` is invalid CSS and does nothing).
                for decl in css_declarations(value) {
                    let property = decl.split(':').next().unwrap_or("").trim();
                    assert!(
                        property.eq_ignore_ascii_case("text-align"),
                        "style=\"{value}\" survived {input:?}:\n{html}"
                    );
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Alternate the page language (links resolve per language) without a format byte, so
    // plain Markdown files work as seeds.
    let lang = &LANGS[data.len() % 2];
    let rendered = render(text, "releases/first", lang, &RESOLVER, false);
    for (span, problem) in &rendered.problems {
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "problem span {span:?} outside the text: {problem:?}"
        );
    }
    assert_inert(&rendered.html, text);
});
