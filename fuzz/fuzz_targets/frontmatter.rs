//! Front matter: `split`, then the whole of `parse_markdown` and `parse_toml_file` (with and
//! without taking the body out of a `body` key) on any UTF-8 text, with every diagnostic
//! rendered. Invariants: the split ranges are in order, in bounds and on character
//! boundaries, and the body the parsers hand back is exactly the file text at its offset.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::Arc;

use gazette::load::frontmatter::split;
use gazette::load::source::SourceFile;
use gazette::load::{parse_markdown, parse_toml_file, plain_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match split(text) {
        Ok(s) => {
            assert!(s.front_matter.start <= s.front_matter.end);
            assert!(s.front_matter.end <= s.body.start);
            assert_eq!(s.body.end, text.len());
            for at in [s.front_matter.start, s.front_matter.end, s.body.start] {
                assert!(
                    text.is_char_boundary(at),
                    "split at {at} inside a character"
                );
            }
        }
        Err((_, span)) => {
            assert!(span.start <= span.end && span.end <= text.len());
        }
    }

    let md = SourceFile::new("content/releases/2024-01/fuzz.md".into(), Arc::from(text));
    match parse_markdown(&md) {
        Ok(doc) => {
            let body = doc.body.expect("a Markdown document always has a body");
            assert_eq!(&text[body.offset..], &*body.text);
            let span = doc.table.span();
            assert!(span.end + doc.toml_offset <= text.len());
        }
        Err(diags) => {
            assert!(!diags.is_empty());
            common::exercise_diagnostics(&diags, &md);
        }
    }

    let toml = SourceFile::new("content/releases/2024-01/fuzz.toml".into(), Arc::from(text));
    for body_key in [false, true] {
        match parse_toml_file(&toml, body_key) {
            Ok(doc) => {
                if let Some(body) = doc.body {
                    assert!(body.offset <= text.len());
                    let _ = toml.position(body.offset);
                }
            }
            Err(diags) => {
                assert!(!diags.is_empty());
                common::exercise_diagnostics(&diags, &toml);
            }
        }
    }

    let intro = plain_body(&md);
    assert_eq!(&text[intro.offset..], &*intro.text);
});
