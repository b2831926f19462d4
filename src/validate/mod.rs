//! Validate: check parsed documents against the schema and the fixed shapes of release and
//! page files, collecting *every* problem with its location. It produces typed values; it
//! does not resolve links between documents (that needs the whole model).

pub mod documents;
pub mod kept;
pub mod value;

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::config::field_name::FieldName;
use crate::config::{FieldDef, FieldDefs, FieldKind};
use crate::diagnostics::{Diagnostic, Problem};
use crate::load::ParsedDoc;
use crate::load::source::SourceFile;
pub use value::{Fields, Value};

/// The checked fields of one document.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Values in schema order.
    pub values: Fields,
    /// Absolute byte span of each top-level value, for later diagnostics.
    pub spans: Spans,
}

/// The absolute byte span of each top-level value of a document, by field name, kept sorted
/// by name; names are interned (`FieldName`). A dozen or two per document, looked up
/// rarely (a reference or a cover to report on): a sorted list, not a map of owned names,
/// which cost an allocation and a SipHash insert per field of each of 140,000 documents
/// on every build of a 100,000-entry site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans(Vec<(FieldName, Range<usize>)>);

impl Spans {
    pub fn with_capacity(n: usize) -> Spans {
        Spans(Vec::with_capacity(n))
    }

    /// The span of the value of `name`, if it was given.
    pub fn get(&self, name: &str) -> Option<&Range<usize>> {
        let i = self.0.binary_search_by(|(n, _)| (**n).cmp(name)).ok()?;
        Some(&self.0[i].1)
    }

    /// Note the span of `name`'s value (replacing any noted before).
    pub fn insert(&mut self, name: FieldName, span: Range<usize>) {
        // Spans read back come in name order: one comparison instead of a search each.
        if self.0.last().is_none_or(|(last, _)| *last < name) {
            self.0.push((name, span));
            return;
        }
        match self.0.binary_search_by(|(n, _)| (**n).cmp(&*name)) {
            Ok(i) => self.0[i].1 = span,
            Err(i) => self.0.insert(i, (name, span)),
        }
    }

    /// Every name and span, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (FieldName, &Range<usize>)> {
        self.0.iter().map(|(n, r)| (*n, r))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<FieldName>> FromIterator<(S, Range<usize>)> for Spans {
    fn from_iter<I: IntoIterator<Item = (S, Range<usize>)>>(iter: I) -> Spans {
        let mut spans = Spans::default();
        for (name, span) in iter {
            spans.insert(name.into(), span);
        }
        spans
    }
}

/// Closest name among `candidates`, if close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

struct Checker<'a> {
    source: &'a SourceFile,
    offset: usize,
    /// When false, required fields may be missing (translations inherit them).
    require: bool,
    diags: Vec<Diagnostic>,
}

fn found_name(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(_) => "a string".into(),
        DeValue::Integer(_) => "an integer".into(),
        DeValue::Float(_) => "a float".into(),
        DeValue::Boolean(_) => "a boolean".into(),
        DeValue::Datetime(_) => "a date/time".into(),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let bad = |c: char| c.is_whitespace() || "<>()[]\\,;:\"@".contains(c);
    !local.is_empty()
        && !local.contains(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(bad)
}

fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !s.contains(char::is_whitespace) && !s.contains(['<', '>', '"'])
    })
}

impl Checker<'_> {
    fn span(&self, r: Range<usize>) -> Range<usize> {
        (r.start + self.offset)..(r.end + self.offset)
    }

    fn report(&mut self, problem: Problem, span: Range<usize>, field: &str) {
        let span = self.span(span);
        self.diags
            .push(self.source.diagnostic(problem, span).with_field(field));
    }

    /// Check a table against `fields`; `path` prefixes field names in messages.
    fn table(
        &mut self,
        table: &DeTable<'_>,
        table_span: Range<usize>,
        fields: &FieldDefs,
        path: &str,
        spans: Option<&mut Spans>,
    ) -> Fields {
        let mut given: HashMap<&str, &Spanned<DeValue<'_>>> = HashMap::new();
        for (k, v) in table.iter() {
            let key: &str = k.get_ref();
            let full = join(path, key);
            if fields.contains_key(key) {
                given.insert(key, v);
            } else {
                let suggestion = suggest(key, fields.keys().map(String::as_str));
                self.report(
                    Problem::UnknownKey {
                        key: key.to_string(),
                        suggestion,
                    },
                    k.span(),
                    &full,
                );
            }
        }
        // Sized exactly: a site holds one such map per entry version, for the whole build.
        let mut out = Fields::with_capacity(given.len());
        let mut spans = spans;
        for (name, def) in fields {
            let full = join(path, name);
            match given.get(name.as_str()) {
                Some(v) => {
                    if let Some(s) = spans.as_deref_mut() {
                        s.insert(def.name, self.span(v.span()));
                    }
                    if let Some(val) = self.value(def, v, &full) {
                        out.insert(def.name, val);
                    }
                }
                None if def.required && self.require => {
                    let at = table_span.start..table_span.start;
                    self.report(Problem::MissingRequired, at, &full);
                }
                None => {}
            }
        }
        out
    }

    fn value(&mut self, def: &FieldDef, v: &Spanned<DeValue<'_>>, path: &str) -> Option<Value> {
        let span = v.span();
        let wrong = |this: &mut Self| {
            this.report(
                Problem::WrongType {
                    expected: def.kind.describe(),
                    found: found_name(v.get_ref()),
                },
                span.clone(),
                path,
            );
            None
        };
        match (&def.kind, v.get_ref()) {
            (FieldKind::Text { max_length }, DeValue::String(s)) => {
                let len = s.chars().count();
                if let Some(max) = max_length
                    && len > *max
                {
                    self.report(
                        Problem::TooLong {
                            length: len,
                            max: *max,
                        },
                        span,
                        path,
                    );
                    return None;
                }
                Some(Value::Text(Box::from(&**s)))
            }
            (FieldKind::Markdown, DeValue::String(s)) => Some(Value::Text(Box::from(&**s))),
            (FieldKind::Integer { min, max }, DeValue::Integer(i)) => {
                let digits = i.as_str().replace('_', "");
                let digits = digits
                    .strip_prefix("0x")
                    .or_else(|| digits.strip_prefix("0o"))
                    .or_else(|| digits.strip_prefix("0b"))
                    .unwrap_or(&digits);
                let Ok(n) = i64::from_str_radix(digits, i.radix()) else {
                    return wrong(self);
                };
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    self.report(
                        Problem::OutOfRange {
                            value: n,
                            min: *min,
                            max: *max,
                        },
                        span,
                        path,
                    );
                    return None;
                }
                Some(Value::Integer(n))
            }
            (FieldKind::Enum { options }, DeValue::String(s)) => {
                if options.iter().any(|o| o.key == **s) {
                    return Some(Value::Text(Box::from(&**s)));
                }
                let by_label = options
                    .iter()
                    .find(|o| o.labels.0.values().any(|l| l == &**s))
                    .map(|o| o.key.clone());
                let suggestion =
                    by_label.or_else(|| suggest(s, options.iter().map(|o| o.key.as_str())));
                self.report(
                    Problem::NotInEnum {
                        value: s.to_string(),
                        allowed: options.iter().map(|o| o.key.clone()).collect(),
                        suggestion,
                    },
                    span,
                    path,
                );
                None
            }
            (FieldKind::List { item }, DeValue::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, it) in items.iter().enumerate() {
                    match self.value(item, it, &format!("{path}[{i}]")) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(Value::List(out.into_boxed_slice()))
            }
            (FieldKind::Date, DeValue::Datetime(dt)) => match (dt.date, dt.time) {
                (Some(d), None) => {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8)
                        .ok()
                        .map(Value::Date)
                        .or_else(|| {
                            self.bad_date(dt.to_string(), span, path, "a date like 2024-09-30")
                        })
                }
                _ => self.bad_date(dt.to_string(), span, path, "a date like 2024-09-30"),
            },
            (FieldKind::Date, DeValue::String(s)) => match s.parse::<jiff::civil::Date>() {
                Ok(d) => Some(Value::Date(d)),
                Err(_) => self.bad_date(s.to_string(), span, path, "a date like 2024-09-30"),
            },
            (FieldKind::DateTime, DeValue::Datetime(dt)) => {
                let text = dt.to_string();
                self.datetime(&text, span, path)
            }
            (FieldKind::DateTime, DeValue::String(s)) => self.datetime(s, span, path),
            (FieldKind::Url, DeValue::String(s)) => {
                if is_url(s) {
                    Some(Value::Text(Box::from(&**s)))
                } else {
                    self.report(
                        Problem::BadUrl {
                            value: s.to_string(),
                        },
                        span,
                        path,
                    );
                    None
                }
            }
            (FieldKind::Email, DeValue::String(s)) => {
                if is_email(s) {
                    Some(Value::Text(Box::from(&**s)))
                } else {
                    self.report(
                        Problem::BadEmail {
                            value: s.to_string(),
                        },
                        span,
                        path,
                    );
                    None
                }
            }
            (FieldKind::Bool, DeValue::Boolean(b)) => Some(Value::Bool(*b)),
            // Whether the item exists is known only to the model (`model::refs`).
            (FieldKind::Ref { .. }, DeValue::String(s)) if !s.trim().is_empty() => {
                Some(Value::Text(Box::from(s.trim())))
            }
            (FieldKind::Table { fields }, DeValue::Table(t)) => {
                let before = self.diags.len();
                let out = self.table(t, span, fields, path, None);
                (self.diags.len() == before).then_some(Value::Table(Box::new(out)))
            }
            _ => wrong(self),
        }
    }

    fn datetime(&mut self, text: &str, span: Range<usize>, path: &str) -> Option<Value> {
        match text.parse::<jiff::Timestamp>() {
            Ok(t) => Some(Value::DateTime(t)),
            Err(_) => self.bad_date(
                text.to_string(),
                span,
                path,
                "a date and time with offset, like 2025-01-01T09:00:00+08:00",
            ),
        }
    }

    fn bad_date(
        &mut self,
        value: String,
        span: Range<usize>,
        path: &str,
        expected: &'static str,
    ) -> Option<Value> {
        self.report(Problem::BadDate { value, expected }, span, path);
        None
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Check a document's top-level table against `fields`.
/// `require` is false for translations, which inherit what they leave out.
pub fn check(doc: &ParsedDoc<'_>, fields: &FieldDefs, require: bool) -> (Checked, Vec<Diagnostic>) {
    let mut c = Checker {
        source: doc.source,
        offset: doc.toml_offset,
        require,
        diags: Vec::new(),
    };
    let mut spans = Spans::with_capacity(doc.table.get_ref().len());
    let values = c.table(
        doc.table.get_ref(),
        doc.table.span(),
        fields,
        "",
        Some(&mut spans),
    );
    (Checked { values, spans }, c.diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_found_by_name_whatever_the_order_they_were_noted_in() {
        let mut spans: Spans = [("title", 10..20), ("cover", 30..40)].into_iter().collect();
        spans.insert("abstract".into(), 1..2);
        spans.insert("title".into(), 11..21);
        assert_eq!(spans.get("title"), Some(&(11..21)));
        assert_eq!(spans.get("cover"), Some(&(30..40)));
        assert_eq!(spans.get("abstract"), Some(&(1..2)));
        assert_eq!(spans.get("missing"), None);
        let names: Vec<&str> = spans.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["abstract", "cover", "title"]);
        // Equal whatever the order of noting.
        let other: Spans = [("title", 11..21), ("abstract", 1..2), ("cover", 30..40)]
            .into_iter()
            .collect();
        assert_eq!(spans, other);
    }

    #[test]
    fn a_checked_document_notes_the_span_of_each_value_given() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (config, _) = crate::config::load(root).expect("the sample site.toml");
        let text = "+++\ntitle = \"有机玻璃\"\n+++\nbody\n";
        let source = SourceFile::new("x.md".into(), std::sync::Arc::from(text));
        let parsed = crate::load::parse_markdown(&source).expect("parses");
        let (checked, _) = check(&parsed, &config.schema.fields, false);
        let span = checked
            .spans
            .get("title")
            .expect("a span for the title")
            .clone();
        assert_eq!(&text[span], "\"有机玻璃\"");
        let (name, _) = checked.spans.iter().next().unwrap();
        let def = config.schema.fields.get("title").unwrap();
        assert!(FieldName::same(name, def.name), "the schema's name, shared");
    }

    #[test]
    fn emails_and_urls() {
        assert!(is_email("a.b@example.edu.cn"));
        assert!(!is_email("a b@example.org"));
        assert!(!is_email("nobody@localhost"));
        assert!(!is_email("@example.org"));
        assert!(is_url("https://example.org/x?y=1"));
        assert!(!is_url("javascript:alert(1)"));
        assert!(!is_url("https://"));
    }

    #[test]
    fn suggestions_catch_typos() {
        let names = ["title", "summary", "institutions"];
        assert_eq!(
            suggest("titel", names.iter().copied()).as_deref(),
            Some("title")
        );
        assert_eq!(suggest("zzz", names.iter().copied()), None);
    }
}
