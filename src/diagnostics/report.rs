//! The terminal report of diagnostics, quoting the offending line of each file it can
//! read. It renders; it decides nothing about the build.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

use crate::diagnostics::{Diagnostic, Severity};

/// The text of the files a report may quote, so it can show the offending line: those it
/// was given, and, when it knows the site's folder, any other (read when a report needs
/// it, so a large site's texts need not be held for a report that may never come).
#[derive(Default)]
pub struct SourceMap {
    files: std::collections::HashMap<PathBuf, Arc<str>>,
    root: Option<PathBuf>,
}

impl SourceMap {
    /// A map that reads files it was not given from `root` (paths are relative to it).
    pub fn reading_from(root: &Path) -> SourceMap {
        SourceMap {
            files: Default::default(),
            root: Some(root.to_path_buf()),
        }
    }

    pub fn insert(&mut self, path: PathBuf, text: Arc<str>) {
        self.files.insert(path, text);
    }

    /// The text of `file`, if it was given or can be read.
    fn text(&self, file: &Path) -> Option<Arc<str>> {
        if let Some(t) = self.files.get(file) {
            return Some(t.clone());
        }
        let path = self.root.as_ref()?.join(file);
        std::fs::read_to_string(path).ok().map(Arc::from)
    }
}

/// Render diagnostics for a terminal, with source snippets where the file is known.
pub fn render_report(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    let config = term::Config::default();
    for d in diags {
        let (Some(loc), Some(span), Some(text)) = (
            &d.location,
            &d.span,
            d.location.as_ref().and_then(|l| sources.text(&l.file)),
        ) else {
            out.push_str(&d.to_string());
            out.push('\n');
            continue;
        };
        let mut files = SimpleFiles::new();
        let id = files.add(loc.file.display().to_string(), text.as_ref());
        let mut message = d.problem.message();
        if let Some(field) = &d.field {
            message = format!("field `{field}`: {message}");
        }
        let base = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        let mut notes = Vec::new();
        if let Some(e) = d.problem.expected() {
            notes.push(format!("expected {e}"));
        }
        if let Some(h) = d.problem.hint() {
            notes.push(format!("hint: {h}"));
        }
        let end = span.end.min(text.len()).max(span.start.min(text.len()));
        let start = span.start.min(end);
        let diag = base
            .with_code(d.problem.code())
            .with_message(message)
            .with_labels(vec![cs::Label::primary(id, start..end)])
            .with_notes(notes);
        match term::emit_into_string(&config, &files, &diag) {
            Ok(s) => out.push_str(&s),
            Err(_) => {
                out.push_str(&d.to_string());
                out.push('\n');
            }
        }
    }
    out
}
