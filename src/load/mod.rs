//! Load: read content files into `SourceFile`s and parse them into span-carrying TOML
//! documents (`ParsedDoc`). Later stages never touch the filesystem for content, but for the
//! text of a file a build knew by its fingerprint (`known`), read and checked on first use.
//! This module does not know the schema: checking values is `validate`'s job.

pub mod discover;
pub mod frontmatter;
pub mod held_folder;
pub mod known;
pub mod source;

use std::path::Path;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, Problem};
use crate::sink::manifest::Fingerprint;
use source::{SourceFile, Text};

/// Read a file as UTF-8 text. `rel` is relative to `root` and is what diagnostics show.
pub fn read_source(root: &Path, rel: &Path) -> Result<SourceFile, Diagnostic> {
    read_source_as_found(root, rel).map(|(s, _)| s)
}

/// [`read_source`], with the file's fingerprint as it was when read (taken before reading,
/// so a file changed while being read gets another by the next build).
pub fn read_source_as_found(
    root: &Path,
    rel: &Path,
) -> Result<(SourceFile, Option<Fingerprint>), Diagnostic> {
    let io_error = |e: std::io::Error| {
        Diagnostic::error(Problem::Io {
            message: e.to_string(),
        })
        .in_file(rel)
    };
    let (bytes, fp) = read_shared(&root.join(rel)).map_err(io_error)?;
    match shared_str(bytes) {
        Ok(text) => Ok((SourceFile::new(rel.to_path_buf(), text), fp)),
        Err((bytes, at)) => {
            let valid = String::from_utf8_lossy(&bytes[..at]).into_owned();
            let f = SourceFile::new(rel.to_path_buf(), Arc::from(valid));
            let mut d = f.diagnostic(Problem::InvalidUtf8 { valid_up_to: at }, at..at);
            d.span = None;
            Err(d)
        }
    }
}

/// A file's bytes, read straight into the shared buffer its text will live in. Reading into
/// a `Vec` and making an `Arc<str>` of it copies every source once more, into memory just
/// faulted in: about a tenth of reading and checking a 100,000-entry site (issue 6).
/// Also the file's fingerprint as it was before reading, when the bytes read are all it had
/// then.
fn read_shared(path: &Path) -> std::io::Result<(Arc<[u8]>, Option<Fingerprint>)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    // Not zeroed first (zeroing every buffer was nearly a third of reading the sources): the
    // kernel writes each byte, and the buffer is taken as initialised only once every byte
    // was read.
    let mut buf = Arc::<[u8]>::new_uninit_slice(len);
    let Some(inside) = Arc::get_mut(&mut buf) else {
        unreachable!("a buffer just made has no other owner")
    };
    let mut filled = 0;
    while filled < len {
        match rustix::io::read(&file, &mut inside[filled..]) {
            Ok(([], _)) => break,
            Ok((got, _)) => filled += got.len(),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A file that changed length since its metadata was read (an editor saving it now) is
    // read whole the ordinary way.
    if filled == len && file.read(&mut [0])? == 0 {
        // SAFETY: `read` initialised `inside[..filled]`, and `filled == len`.
        Ok((unsafe { buf.assume_init() }, Some(Fingerprint::of(&meta))))
    } else {
        Ok((std::fs::read(path)?.into(), None))
    }
}

/// `bytes` as text without a copy, or the bytes back with the length of their valid
/// UTF-8 start.
fn shared_str(bytes: Arc<[u8]>) -> Result<Arc<str>, (Arc<[u8]>, usize)> {
    // simdutf8 (its `compat` API says where the valid start ends, as std does): std's check
    // of mostly Chinese text was a quarter of reading the sources of a large site.
    if let Err(e) = simdutf8::compat::from_utf8(&bytes) {
        let at = e.valid_up_to();
        return Err((bytes, at));
    }
    // SAFETY: the bytes were just checked to be UTF-8, and `str` has the layout of `[u8]`,
    // so the pointer `into_raw` gives is a valid `*const str` for `from_raw`.
    Ok(unsafe { Arc::from_raw(Arc::into_raw(bytes) as *const str) })
}

/// A document's body text and where it starts in the file.
#[derive(Debug, Clone)]
pub struct Body {
    /// The file's own text for a Markdown body (no copy, and not read yet when the file is
    /// known by its fingerprint), or the decoded string of a TOML `body`. Shared, so
    /// documents can be cloned cheaply (the preview keeps them between rebuilds).
    buf: Text,
    /// Where the body is in `buf`.
    range: std::ops::Range<usize>,
    /// Byte offset in the file where the body text starts (approximate for TOML strings
    /// with escapes).
    pub offset: usize,
}

impl Default for Body {
    fn default() -> Self {
        Body::new("", 0)
    }
}

impl Body {
    /// The part of `source`'s text from `start` on (not read for it).
    pub fn rest_of(source: &SourceFile, start: usize) -> Body {
        let buf = source.held().clone();
        Body {
            range: start..buf.byte_len(),
            buf,
            offset: start,
        }
    }

    /// A body of its own text, found at `offset` in its file.
    pub fn new(text: &str, offset: usize) -> Body {
        Body {
            buf: Text::Here(Arc::from(text), source::hash_of(text)),
            range: 0..text.len(),
            offset,
        }
    }

    /// The Markdown text (read now if its file's text was still on disk).
    pub fn text(&self) -> &str {
        self.buf.get().get(self.range.clone()).unwrap_or("")
    }

    /// What stands for the Markdown text without reading it: the hash of the text it is
    /// part of and where in it it is (the same text gives the same identity).
    pub fn identity(&self) -> (u128, std::ops::Range<usize>) {
        (self.buf.hash(), self.range.clone())
    }
}

/// A parsed TOML document (a whole `.toml` file, or a Markdown file's front matter).
pub struct ParsedDoc<'a> {
    pub source: &'a SourceFile,
    pub table: Spanned<DeTable<'a>>,
    /// Byte offset of the TOML text within the file: add it to every span in `table`.
    pub toml_offset: usize,
    pub body: Option<Body>,
}

fn parse_toml<'a>(
    source: &'a SourceFile,
    text: &'a str,
    offset: usize,
) -> Result<Spanned<DeTable<'a>>, Vec<Diagnostic>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Ok(table);
    }
    Err(errors
        .into_iter()
        .map(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            source.diagnostic(
                Problem::TomlSyntax { message },
                (span.start + offset)..(span.end + offset),
            )
        })
        .collect())
}

/// Parse a Markdown file with TOML front matter.
pub fn parse_markdown(source: &SourceFile) -> Result<ParsedDoc<'_>, Vec<Diagnostic>> {
    let text: &str = source.text();
    let split = frontmatter::split(text).map_err(|(p, span)| vec![source.diagnostic(p, span)])?;
    let offset = split.front_matter.start;
    let table = parse_toml(source, &text[split.front_matter.clone()], offset)?;
    Ok(ParsedDoc {
        source,
        table,
        toml_offset: offset,
        body: Some(Body::rest_of(source, split.body.start)),
    })
}

/// Parse a plain TOML file. With `body_key`, a string under `body` is taken out as the body.
pub fn parse_toml_file(
    source: &SourceFile,
    body_key: bool,
) -> Result<ParsedDoc<'_>, Vec<Diagnostic>> {
    let text: &str = source.text();
    let skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut table = parse_toml(source, &text[skip..], skip)?;
    let mut body = None;
    if body_key {
        let key = table
            .get_ref()
            .keys()
            .find(|k| k.get_ref() == "body")
            .cloned();
        if let Some(key) = key {
            let value = table.get_mut().remove(&key);
            if let Some(v) = value {
                let span = v.span();
                match v.into_inner() {
                    DeValue::String(s) => {
                        let raw = &text[(span.start + skip).min(text.len())..];
                        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                            let nl = if raw[3..].starts_with("\r\n") {
                                2
                            } else {
                                usize::from(raw[3..].starts_with('\n'))
                            };
                            3 + nl
                        } else {
                            1
                        };
                        body = Some(Body::new(&s, span.start + skip + quote));
                    }
                    other => {
                        return Err(vec![
                            source
                                .diagnostic(
                                    Problem::WrongType {
                                        expected: "Markdown text (a string)".into(),
                                        found: other.type_str().into(),
                                    },
                                    (span.start + skip)..(span.end + skip),
                                )
                                .with_field("body"),
                        ]);
                    }
                }
            }
        }
    }
    Ok(ParsedDoc {
        source,
        table,
        toml_offset: skip,
        body,
    })
}

/// Parse a plain Markdown file without front matter (a release introduction).
pub fn plain_body(source: &SourceFile) -> Body {
    let skip = if source.text().starts_with('\u{feff}') {
        3
    } else {
        0
    };
    Body::rest_of(source, skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_whole_and_checked_as_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let text = "+++\ntitle = \"催化剂\"\n+++\n".repeat(500);
        std::fs::write(dir.path().join("a.md"), &text).unwrap();
        std::fs::write(dir.path().join("empty.md"), "").unwrap();
        std::fs::write(dir.path().join("bad.md"), b"ok \xE5\x82 then").unwrap();
        let a = read_source(dir.path(), Path::new("a.md")).unwrap();
        assert_eq!(&**a.text(), text);
        assert_eq!(
            &**read_source(dir.path(), Path::new("empty.md"))
                .unwrap()
                .text(),
            ""
        );
        let bad = read_source(dir.path(), Path::new("bad.md")).unwrap_err();
        assert!(
            matches!(*bad.problem, Problem::InvalidUtf8 { valid_up_to: 3 }),
            "{bad:?}"
        );
        assert!(read_source(dir.path(), Path::new("missing.md")).is_err());
    }
}
