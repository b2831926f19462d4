//! Splitting a Markdown file into its TOML front matter (between `+++` lines) and body.
//! Only splitting: parsing the TOML and checking fields happen elsewhere.

use std::ops::Range;

use crate::diagnostics::Problem;

/// The parts of a Markdown document, as byte ranges into the file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub front_matter: Range<usize>,
    pub body: Range<usize>,
}

fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |l| {
        let s = start;
        start += l.len();
        (s, l)
    })
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r', ' ', '\t']) == "+++"
}

/// Split `text` (a BOM, if any, is skipped). Errors carry the span to point at.
pub fn split(text: &str) -> Result<Split, (Problem, Range<usize>)> {
    let skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = lines_with_offsets(&text[skip..]).map(|(o, l)| (o + skip, l));
    let Some((first_off, first)) = lines.next() else {
        return Err((Problem::FrontMatterMissing, 0..0));
    };
    if !is_fence(first) {
        let end = first_off + first.trim_end().len();
        return Err((Problem::FrontMatterMissing, first_off..end));
    }
    let fm_start = first_off + first.len();
    for (off, line) in lines {
        if is_fence(line) {
            return Ok(Split {
                front_matter: fm_start..off,
                body: (off + line.len())..text.len(),
            });
        }
    }
    Err((Problem::FrontMatterUnclosed, first_off..first_off + 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_handles_crlf_and_bom() {
        let t = "\u{feff}+++\r\ntitle = \"a\"\r\n+++\r\nbody\r\n";
        let s = split(t).unwrap();
        assert_eq!(&t[s.front_matter.clone()], "title = \"a\"\r\n");
        assert_eq!(&t[s.body], "body\r\n");
    }

    #[test]
    fn reports_missing_and_unclosed() {
        assert_eq!(
            split("---\ntitle: a\n---\n").unwrap_err().0,
            Problem::FrontMatterMissing
        );
        assert_eq!(
            split("+++\ntitle = 1\n").unwrap_err().0,
            Problem::FrontMatterUnclosed
        );
        assert_eq!(split("").unwrap_err().0, Problem::FrontMatterMissing);
    }
}
