//! Problems found in a site: what went wrong (`Problem`, worded in [`problem`]), where
//! (`Location`, byte span), which field, what was expected and a hint. Every stage collects
//! `Diagnostic`s instead of stopping at the first one; this module only describes and
//! renders them (the terminal report with source snippets is [`report`]). It must not read
//! files or decide whether a build goes on (that is `lib.rs`'s job).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod problem;
mod report;

pub use problem::{ImageFailure, LinkFailure, Problem, SvgRisk};
pub use report::{SourceMap, render_report};

/// How bad a problem is. Errors stop a build; warnings are printed and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a file: 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

/// One reported problem with its context.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Boxed so `Result<_, Diagnostic>` stays small.
    pub problem: Box<Problem>,
    pub location: Option<Location>,
    /// Byte span in the file, for the source snippet.
    pub span: Option<Range<usize>>,
    /// The field path, e.g. `contact.email` or `ip[1].type`.
    pub field: Option<String>,
}

impl Diagnostic {
    pub fn error(problem: Problem) -> Self {
        Diagnostic {
            severity: Severity::Error,
            problem: Box::new(problem),
            location: None,
            span: None,
            field: None,
        }
    }

    pub fn warning(problem: Problem) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(problem)
        }
    }

    /// Attach a whole-file location (line 1, column 1).
    pub fn in_file(mut self, file: &Path) -> Self {
        self.location = Some(Location {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
        });
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (Option<&Location>, &'static str) {
        (self.location.as_ref(), self.problem.code())
    }
}

impl fmt::Display for Diagnostic {
    /// One line per diagnostic: `file:line:col: error[code]: field `f`: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}:{}:{}: ", loc.file.display(), loc.line, loc.column)?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]: ", self.problem.code())?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.problem.message())?;
        if let Some(e) = self.problem.expected() {
            write!(f, "; expected {e}")?;
        }
        if let Some(h) = self.problem.hint() {
            write!(f, "; hint: {h}")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// A machine-readable form (`gazette check --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": self.severity,
            "code": self.problem.code(),
            "file": self.location.as_ref().map(|l| l.file.to_string_lossy().replace('\\', "/")),
            "line": self.location.as_ref().map(|l| l.line),
            "column": self.location.as_ref().map(|l| l.column),
            "field": self.field,
            "message": self.problem.message(),
            "expected": self.problem.expected(),
            "hint": self.problem.hint(),
        })
    }
}

/// Sort diagnostics by file, line and column so reports are stable run to run.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}
