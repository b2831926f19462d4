//! Open data as JSON: the entries the plan chose with their typed values, translations and
//! URLs, the schema and the releases covered (shape in README.md, "Open data"). A site-wide
//! file is as large as all entries' fields together, so it is written as it is made, its
//! entries serialized on every core a batch at a time. It renders; it does not choose
//! entries.

use std::io::Write;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::config::{FieldDef, FieldKind, Labels};
use crate::model::Site;
use crate::model::ids::{Lang, ReleaseId, Slug};
use crate::validate::Fields;

/// Labels as a JSON object in the site's language order.
pub(crate) fn labels_json(labels: &Labels, site: &Site) -> Map<String, Json> {
    site.config
        .languages
        .iter()
        .filter_map(|l| {
            labels
                .0
                .get(l.as_str())
                .map(|s| (l.to_string(), s.clone().into()))
        })
        .collect()
}

/// A field's definition as JSON: `kind`, `required`, `label`, and per kind `options`,
/// `item` or `fields`.
pub(crate) fn field_json(def: &FieldDef, site: &Site) -> Json {
    let mut m = Map::new();
    let kind = crate::config::kind_name(&def.kind);
    m.insert("kind".into(), kind.into());
    m.insert("required".into(), def.required.into());
    let label = labels_json(&def.label, site);
    if !label.is_empty() {
        m.insert("label".into(), Json::Object(label));
    }
    match &def.kind {
        FieldKind::Enum { options } => {
            let opts: Vec<Json> = options
                .iter()
                .map(|o| json!({ "key": o.key, "label": labels_json(&o.labels, site) }))
                .collect();
            m.insert("options".into(), opts.into());
        }
        FieldKind::List { item } => {
            m.insert("item".into(), field_json(item, site));
        }
        FieldKind::Table { fields } => {
            let f: Map<String, Json> = fields
                .iter()
                .map(|(k, d)| (k.clone(), field_json(d, site)))
                .collect();
            m.insert("fields".into(), Json::Object(f));
        }
        _ => {}
    }
    Json::Object(m)
}

#[derive(Serialize)]
pub(crate) struct Translation<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
}

#[derive(Serialize)]
struct EntryRecord<'a> {
    /// `<release>/<slug>`: stable, never reused.
    id: String,
    release: &'a ReleaseId,
    slug: &'a Slug,
    /// The entry's `date`, or its release's.
    date: String,
    /// Every schema value of the original, typed.
    values: &'a Fields,
    /// Title and summary of each translation.
    translations: IndexMap<&'a str, Translation<'a>>,
    /// The entry's page in each language it exists in.
    urls: IndexMap<&'a str, String>,
}

/// A whole JSON export. Serialised as it is: the entries, most of the file, go straight to
/// the output rather than through a `serde_json::Value` first (same bytes, field order is
/// declaration order).
#[derive(Serialize)]
struct DataDoc<'a> {
    title: &'a str,
    base_url: &'a str,
    default_language: &'a Lang,
    languages: &'a [Lang],
    schema: Map<String, Json>,
    releases: Vec<Json>,
    count: usize,
    entries: Vec<EntryRecord<'a>>,
}

/// Write the JSON of `entries`, covering `releases` (indexes into `Site::releases`), into
/// `out` as it is made: the site-wide file is as large as all the entries' fields together,
/// so its entries are serialized on every core a batch at a time (see [`super::pieces`]).
pub fn write_json(
    site: &Site,
    entries: &[usize],
    releases: &[usize],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    write_json_in(site, entries, releases, out, super::pieces::TASK)
}

/// Where `serde_json`'s pretty printer puts a document's entries: after `"entries": ` at the
/// end of the document, which it closes with this when there are none.
const NO_ENTRIES: &[u8] = b"[]\n}";

/// The indentation of an entry inside the document (two levels of two spaces).
const ENTRY_INDENT: &[u8] = b"\n    ";

fn write_json_in(
    site: &Site,
    entries: &[usize],
    releases: &[usize],
    out: &mut dyn Write,
    task: usize,
) -> std::io::Result<()> {
    // The document without its entries, then each entry pretty-printed on its own and
    // indented to its place: the bytes `serde_json` writes for the whole document (a JSON
    // text has line breaks only between tokens, so indenting after each one is exact).
    let mut doc = data_doc(site, releases, Vec::new());
    doc.count = entries.len();
    let mut head = serde_json::to_vec_pretty(&doc)?;
    if !head.ends_with(NO_ENTRIES) {
        return Err(std::io::Error::other(
            "serde_json ended the document unexpectedly",
        ));
    }
    head.truncate(head.len() - NO_ENTRIES.len());
    head.push(b'[');
    out.write_all(&head)?;
    super::pieces::write(
        entries,
        task,
        out,
        |e| e,
        |start, chunk, buf| {
            for (k, &i) in chunk.iter().enumerate() {
                if start + k > 0 {
                    buf.push(b',');
                }
                let text = serde_json::to_vec_pretty(&record(site, i))?;
                for line in text.split(|&b| b == b'\n') {
                    buf.extend_from_slice(ENTRY_INDENT);
                    buf.extend_from_slice(line);
                }
            }
            Ok(())
        },
    )?;
    if entries.is_empty() {
        out.write_all(b"]\n}")?;
    } else {
        out.write_all(b"\n  ]\n}")?;
    }
    out.write_all(b"\n")
}

/// The JSON record of entry `i`.
fn record(site: &Site, i: usize) -> EntryRecord<'_> {
    let u = &site.urls;
    let default = site.default_lang();
    let langs = &site.config.languages;
    let e = &site.entries[i];
    let original = &e.versions[default];
    EntryRecord {
        id: format!("{}/{}", e.release, e.slug),
        release: &e.release,
        slug: &e.slug,
        date: e.date.to_string(),
        values: &original.values,
        translations: translations(&e.versions, langs, default),
        urls: langs
            .iter()
            .filter(|l| e.versions.contains_key(*l))
            .map(|l| (l.as_str(), u.permalink(&u.entry(l, &e.release, &e.slug))))
            .collect(),
    }
}

/// Title and summary of every translation among `versions` (an entry's or an item's), in the
/// site's language order.
pub(crate) fn translations<'a>(
    versions: &'a std::collections::BTreeMap<Lang, Box<crate::model::EntryVersion>>,
    langs: &'a [Lang],
    default: &Lang,
) -> IndexMap<&'a str, Translation<'a>> {
    langs
        .iter()
        .filter(|l| *l != default)
        .filter_map(|l| {
            let v = versions.get(l)?;
            Some((
                l.as_str(),
                Translation {
                    title: &v.title,
                    summary: v.summary.as_deref(),
                },
            ))
        })
        .collect()
}

/// The JSON document covering `releases`, holding `records`.
fn data_doc<'a>(site: &'a Site, releases: &[usize], records: Vec<EntryRecord<'a>>) -> DataDoc<'a> {
    let u = &site.urls;
    let langs = &site.config.languages;
    let release_list: Vec<Json> = releases
        .iter()
        .map(|&i| {
            let r = &site.releases[i];
            let titles: Map<String, Json> = langs
                .iter()
                .filter_map(|l| Some((l.to_string(), r.text.get(l)?.title.clone().into())))
                .collect();
            let urls: Map<String, Json> = langs
                .iter()
                .map(|l| (l.to_string(), u.permalink(&u.release(l, &r.id)).into()))
                .collect();
            json!({
                "id": r.id,
                "number": r.number,
                "date": r.date.to_string(),
                "title": titles,
                "urls": urls,
            })
        })
        .collect();
    let schema: Map<String, Json> = site
        .config
        .schema
        .fields
        .iter()
        .map(|(k, d)| (k.clone(), field_json(d, site)))
        .collect();
    DataDoc {
        title: &site.config.title,
        base_url: &site.config.base_url.absolute,
        default_language: site.default_lang(),
        languages: langs,
        schema,
        releases: release_list,
        count: records.len(),
        entries: records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries written in pieces, however they are cut, make the document `serde_json`
    /// writes whole; so do no entries.
    #[test]
    fn json_written_in_pieces_is_the_whole_document() {
        let loaded = crate::sample_site();
        let site = &loaded.site;
        let all: Vec<usize> = (0..site.entries.len()).collect();
        assert!(all.len() > 10);
        let releases: Vec<usize> = (0..site.releases.len()).collect();
        for (entries, releases) in [
            (&all[..], &releases[..]),
            (&all[3..9], &releases[..1]),
            (&[][..], &releases[..]),
        ] {
            let records = entries.iter().map(|&i| record(site, i)).collect();
            let mut whole = serde_json::to_vec_pretty(&data_doc(site, releases, records)).unwrap();
            whole.push(b'\n');
            for task in [1, 2, 7, 64] {
                let mut out = Vec::new();
                write_json_in(site, entries, releases, &mut out, task).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(whole.clone()).unwrap(),
                    "{} entries, {task} per task",
                    entries.len()
                );
            }
        }
    }
}
