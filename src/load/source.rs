//! A loaded text file and the mapping from byte offsets to line and column. It owns turning
//! a span into a `Diagnostic` location; it does not read the disk.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, Location, Problem};

/// A text file of the site, its path relative to the site root.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: Arc<str>) -> Self {
        SourceFile { path, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// An error located at `span` in this file.
    pub fn diagnostic(&self, problem: Problem, span: Range<usize>) -> Diagnostic {
        let (line, column) = self.position(span.start);
        let mut d = Diagnostic::error(problem);
        d.location = Some(Location {
            file: self.path.clone(),
            line,
            column,
        });
        d.span = Some(span);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let f = SourceFile::new("x".into(), Arc::from("ab\n中文x\n"));
        assert_eq!(f.position(0), (1, 1));
        assert_eq!(f.position(3), (2, 1));
        assert_eq!(f.position(9), (2, 3));
    }
}
