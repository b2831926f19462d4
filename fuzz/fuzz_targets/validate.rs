//! Schema validation: any UTF-8 text, read both as a TOML entry (`<slug>.toml`, body in
//! `body`) and as a Markdown entry with front matter, checked against the sample site's
//! schema (the repository's own `site.toml`, embedded at compile time) as an original and as
//! a translation, and against the fixed fields of release and page files. Invariants: an
//! original without errors has every required field, spans are in bounds, and every
//! diagnostic renders.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::{Arc, LazyLock};

use gazette::config::SiteConfig;
use gazette::load::source::SourceFile;
use gazette::load::{ParsedDoc, parse_markdown, parse_toml_file};
use gazette::validate::check;
use gazette::validate::documents::{page_fields, release_fields};
use libfuzzer_sys::fuzz_target;

static CONFIG: LazyLock<SiteConfig> = LazyLock::new(|| {
    let source = SourceFile::new(
        "site.toml".into(),
        Arc::from(include_str!("../../site.toml")),
    );
    gazette::config::parse(&source).expect("the sample site.toml parses")
});

fn check_all(doc: &ParsedDoc<'_>, text: &str) {
    let config = &*CONFIG;
    let schemas = [
        (&config.schema.fields, true),
        (&config.schema.fields, false),
        (&release_fields(true), true),
        (&release_fields(false), true),
        (&page_fields(true), true),
    ];
    for (fields, require) in schemas {
        let (checked, diags) = check(doc, fields, require);
        common::exercise_diagnostics(&diags, doc.source);
        for span in checked.spans.values() {
            assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
        }
        if diags.is_empty() && require {
            for (name, def) in fields.iter() {
                if def.required {
                    assert!(
                        checked.values.contains_key(name),
                        "no errors, yet required `{name}` has no value"
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
    let toml = SourceFile::new("content/releases/2024-01/fuzz.toml".into(), Arc::from(text));
    match parse_toml_file(&toml, true) {
        Ok(doc) => check_all(&doc, text),
        Err(diags) => common::exercise_diagnostics(&diags, &toml),
    }
    let md = SourceFile::new("content/releases/2024-01/fuzz.md".into(), Arc::from(text));
    if let Ok(doc) = parse_markdown(&md) {
        check_all(&doc, text);
    }
});
