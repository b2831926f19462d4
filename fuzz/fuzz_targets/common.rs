//! Shared by the fuzz targets: every diagnostic a target gets back is rendered the way the
//! CLI shows it (terminal report with a source snippet, one-line form, JSON), so a span that
//! is out of bounds or splits a character panics here instead of in front of an editor.

#![allow(dead_code)]

use gazette::diagnostics::{Diagnostic, SourceMap, render_report};
use gazette::load::source::SourceFile;

pub fn exercise_diagnostics(diags: &[Diagnostic], source: &SourceFile) {
    let mut sources = SourceMap::default();
    sources.insert(source.path.clone(), source.text.clone());
    let report = render_report(diags, &sources);
    assert!(diags.is_empty() || !report.is_empty());
    for d in diags {
        let _ = d.to_string();
        let _ = d.to_json();
        if let Some(span) = &d.span {
            assert!(
                span.start <= span.end && span.end <= source.text.len(),
                "span {span:?} outside a {}-byte file: {d}",
                source.text.len()
            );
            let _ = source.position(span.start);
        }
    }
}
