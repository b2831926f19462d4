//! Open data of the marketplace, as JSON: each collection's public items (typed values,
//! translations, URLs, resolved references) with the schema that describes them, and every
//! match of the site with its score and reasons, so a transfer office can follow up. A
//! collection's CSV and CSVW metadata are the results' writer's (`render::data`), called
//! from here with the collection's public items. Ids are
//! the ones `ref` fields use: `<release>/<slug>` for results, `<slug>` for items. It renders
//! what the model and plan hold; it chooses nothing.

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

use serde_json::{Map, Value as Json};

use crate::config::{RELEASES, RESULTS};
use crate::diagnostics::{Diagnostic, Problem};
use crate::model::Site;
use crate::model::matching::{Match, Reason};
use crate::model::refs::ItemRef;
use crate::plan::MarketFile;
use crate::plan::is_public;
use crate::render::data::{self, Table};
use crate::render::data_json::{Translation, field_json, labels_json, translations};
use crate::validate::Fields;

/// An entry or item as open data names it.
#[derive(Serialize)]
struct Id {
    collection: String,
    id: String,
    url: String,
}

fn id_of(site: &Site, who: ItemRef) -> Id {
    let u = &site.urls;
    let default = site.default_lang();
    match who {
        ItemRef::Entry(i) => {
            let e = &site.entries[i];
            Id {
                collection: RESULTS.into(),
                id: format!("{}/{}", e.release, e.slug),
                url: u.permalink(&u.entry(default, &e.release, &e.slug)),
            }
        }
        ItemRef::Item { collection, item } => {
            let c = &site.collections[collection];
            let it = &c.items[item];
            Id {
                collection: c.name.to_string(),
                id: it.slug.to_string(),
                url: u.permalink(&u.item(default, &c.name, &it.slug)),
            }
        }
        ItemRef::Release(r) => {
            let r = &site.releases[r];
            Id {
                collection: RELEASES.into(),
                id: r.id.to_string(),
                url: u.permalink(&u.release(default, &r.id)),
            }
        }
    }
}

/// Whether `who` is published (open data never names a draft or an embargoed item).
fn public(site: &Site, who: ItemRef) -> bool {
    match who {
        ItemRef::Entry(i) => is_public(site, i),
        ItemRef::Item { collection, item } => {
            site.collections[collection].items[item].hold.is_none()
        }
        ItemRef::Release(_) => true,
    }
}

#[derive(Serialize)]
struct MatchRecord<'a> {
    #[serde(flatten)]
    to: Id,
    score: f64,
    reasons: &'a [Reason],
}

fn match_records<'a>(site: &Site, list: &'a [Match]) -> Vec<MatchRecord<'a>> {
    list.iter()
        .filter(|m| public(site, m.target))
        .map(|m| MatchRecord {
            to: id_of(site, m.target),
            score: f64::from(m.score) / 100.0,
            reasons: &m.reasons,
        })
        .collect()
}

#[derive(Serialize)]
struct ItemRecord<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closes: Option<String>,
    closed: bool,
    values: &'a Fields,
    translations: IndexMap<&'a str, Translation<'a>>,
    urls: IndexMap<&'a str, String>,
    /// Per `ref` field, what it names.
    refs: IndexMap<&'a str, Vec<Id>>,
    /// Who names this item, per referring field (`<collection>.<field>`).
    referenced_by: IndexMap<String, Vec<Id>>,
    matches: Vec<MatchRecord<'a>>,
}

#[derive(Serialize)]
struct CollectionDoc<'a> {
    collection: &'a str,
    label: Map<String, Json>,
    base_url: &'a str,
    schema: Map<String, Json>,
    count: usize,
    items: Vec<ItemRecord<'a>>,
}

#[derive(Serialize)]
struct MatchesOf<'a> {
    #[serde(flatten)]
    from: Id,
    matches: Vec<MatchRecord<'a>>,
}

#[derive(Serialize)]
struct MatchesDoc<'a> {
    base_url: &'a str,
    /// Per public item and result with any match, best first.
    matches: Vec<MatchesOf<'a>>,
}

fn refs_of(site: &Site, who: ItemRef) -> IndexMap<&str, Vec<Id>> {
    site.links
        .outgoing
        .get(&who)
        .into_iter()
        .flatten()
        .map(|(field, targets)| {
            let ids = targets
                .iter()
                .filter(|t| public(site, **t))
                .map(|t| id_of(site, *t))
                .collect();
            (&**field, ids)
        })
        .collect()
}

fn referenced_by(site: &Site, who: ItemRef) -> IndexMap<String, Vec<Id>> {
    let mut out: IndexMap<String, Vec<Id>> = IndexMap::new();
    for (field, from) in site.links.incoming.get(&who).into_iter().flatten() {
        if public(site, *from) {
            let from_id = id_of(site, *from);
            out.entry(format!("{}.{field}", from_id.collection))
                .or_default()
                .push(from_id);
        }
    }
    out
}

/// Collection `c`'s document with its items left out (`count` says how many there are),
/// and the items, made side by side: see [`pretty_with_list`].
fn collection_doc(site: &Site, c: usize) -> (CollectionDoc<'_>, Vec<ItemRecord<'_>>) {
    let col = &site.collections[c];
    let def = &site.config.collections[col.def];
    let u = &site.urls;
    let default = site.default_lang();
    let langs = &site.config.languages;
    let public: Vec<usize> = (0..col.items.len())
        .filter(|&i| col.items[i].hold.is_none())
        .collect();
    let items = public
        .par_iter()
        .map(|&i| {
            let it = &col.items[i];
            let who = ItemRef::Item {
                collection: c,
                item: i,
            };
            ItemRecord {
                id: it.slug.as_str(),
                date: it.date.map(|d| d.to_string()),
                closes: it.closes.map(|d| d.to_string()),
                closed: it.closed,
                values: &it.versions[default].values,
                translations: translations(&it.versions, langs, default),
                urls: langs
                    .iter()
                    .filter(|l| it.versions.contains_key(*l))
                    .map(|l| (l.as_str(), u.permalink(&u.item(l, &col.name, &it.slug))))
                    .collect(),
                refs: refs_of(site, who),
                referenced_by: referenced_by(site, who),
                matches: match_records(site, site.matches.of(who)),
            }
        })
        .collect::<Vec<_>>();
    let doc = CollectionDoc {
        collection: col.name.as_str(),
        label: labels_json(&def.label, site),
        base_url: &site.config.base_url.absolute,
        schema: def
            .schema
            .fields
            .iter()
            .map(|(k, d)| (k.clone(), field_json(d, site)))
            .collect(),
        count: items.len(),
        items: Vec::new(),
    };
    (doc, items)
}

/// `data/matches.json`: the supply–demand matches the office follows up — each public item's
/// best results and each public result's open items. Related results (result to result) are
/// a reading aid shown on the result pages only: as open data they would be some 6 KB per
/// result (60 MB at 10,000 results) of pairs nobody acts on.
fn matches_doc(site: &Site) -> (MatchesDoc<'_>, Vec<MatchesOf<'_>>) {
    let items = site.collections.iter().enumerate().flat_map(|(c, col)| {
        (0..col.items.len()).map(move |i| ItemRef::Item {
            collection: c,
            item: i,
        })
    });
    let who: Vec<ItemRef> = items
        .chain((0..site.entries.len()).map(ItemRef::Entry))
        .filter(|&who| public(site, who))
        .collect();
    let matches = who
        .par_iter()
        .filter_map(|&who| {
            let matches = match_records(site, site.matches.of(who));
            (!matches.is_empty()).then(|| MatchesOf {
                from: id_of(site, who),
                matches,
            })
        })
        .collect();
    let doc = MatchesDoc {
        base_url: &site.config.base_url.absolute,
        matches: Vec::new(),
    };
    (doc, matches)
}

/// Write `doc` into `out` as `serde_json::to_vec_pretty` writes it, with `list` as its last
/// field, which `doc` holds empty: the list's records are serialized side by side, a batch
/// at a time (the matches of a large site are tens of megabytes, written last by one thread
/// while the other had finished, and made whole they were mostly the kernel clearing fresh
/// pages for one growing buffer). The same bytes: a record inside the list is the record on
/// its own, each line indented two levels deeper (a JSON string holds no raw line break, so
/// lines are the format's).
fn pretty_with_list<D: Serialize, T: Serialize + Sync>(
    doc: &D,
    list: &[T],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head = serde_json::to_vec_pretty(doc)?;
    if list.is_empty() {
        return out.write_all(&head);
    }
    // The document ends with its empty last field: `[]` and the closing `\n}`.
    let tail = b"[]\n}";
    debug_assert!(head.ends_with(tail));
    out.write_all(&head[..head.len() - tail.len()])?;
    out.write_all(b"[\n")?;
    // Runs of records, each run's records joined as in the list, one buffer per run.
    const RUN: usize = 256;
    for (b, batch) in list.chunks(RUN * 16).enumerate() {
        let runs = batch
            .par_chunks(RUN)
            .map(|run| {
                let (mut record, mut text) = (Vec::new(), Vec::new());
                for (i, r) in run.iter().enumerate() {
                    if i > 0 {
                        text.extend_from_slice(b",\n");
                    }
                    record.clear();
                    serde_json::to_writer_pretty(&mut record, r)?;
                    for (l, line) in record.split(|&b| b == b'\n').enumerate() {
                        if l > 0 {
                            text.push(b'\n');
                        }
                        text.extend_from_slice(b"    ");
                        text.extend_from_slice(line);
                    }
                }
                Ok(text)
            })
            .collect::<serde_json::Result<Vec<Vec<u8>>>>()?;
        for (i, r) in runs.iter().enumerate() {
            if b > 0 || i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(r)?;
        }
    }
    out.write_all(b"\n  ]\n}")
}

/// Write collection `c`'s JSON (`data/<collection>.json`) into `out`.
pub fn write_collection(site: &Site, c: usize, out: &mut dyn Write) -> std::io::Result<()> {
    let (doc, items) = collection_doc(site, c);
    pretty_with_list(&doc, &items, out)?;
    out.write_all(b"\n")
}

/// Write `data/matches.json` into `out`.
pub fn write_matches(site: &Site, out: &mut dyn Write) -> std::io::Result<()> {
    let (doc, matches) = matches_doc(site);
    pretty_with_list(&doc, &matches, out)?;
    out.write_all(b"\n")
}

/// The bytes of one marketplace data file (`path` names it in errors).
pub fn render(site: &Site, file: &MarketFile, path: &str) -> Result<Vec<u8>, Diagnostic> {
    let mut bytes = Vec::new();
    match file {
        MarketFile::Csv(c) => {
            let rows: Vec<usize> = (site.collections[*c].items.iter().enumerate())
                .filter(|(_, it)| it.hold.is_none())
                .map(|(i, _)| i)
                .collect();
            data::write_csv(site, Table::Collection(*c), &rows, path, &mut bytes)?;
        }
        MarketFile::CsvMetadata(c) => {
            let table = site.urls.data_collection_csv(&site.collections[*c].name);
            return data::csv_metadata(site, Table::Collection(*c), path, &[table]);
        }
        MarketFile::Feed { .. } => unreachable!("feeds are rendered by market_feed"),
        MarketFile::Collection(c) => {
            write_collection(site, *c, &mut bytes).map_err(|e| write_error(path, &e))?;
        }
        MarketFile::Matches => {
            write_matches(site, &mut bytes).map_err(|e| write_error(path, &e))?
        }
    }
    Ok(bytes)
}

/// A marketplace file that could not be written (`path` names it).
pub fn write_error(path: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Problem::OutputWrite {
        path: path.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Clone)]
    struct Record {
        id: String,
        score: f64,
        tags: Vec<String>,
        nested: IndexMap<String, Vec<u32>>,
        none: Option<u8>,
    }

    #[derive(Serialize)]
    struct Doc<'a> {
        base_url: &'a str,
        count: usize,
        list: Vec<Record>,
    }

    #[test]
    fn a_list_written_side_by_side_is_the_document_serde_json_writes() {
        let records: Vec<Record> = (0..9000)
            .map(|i| Record {
                // Line breaks, quotes and non-ASCII inside strings stay escaped.
                id: format!("r{i}\n\"有机玻璃\"\t"),
                score: f64::from(i) / 3.0,
                tags: (0..i % 4).map(|t| format!("t{t}")).collect(),
                nested: (0..i % 3)
                    .map(|k| (format!("k{k}"), (0..k).collect()))
                    .collect(),
                none: None,
            })
            .collect();
        // One record, one run of them, several runs, and several batches of runs (see
        // `pretty_with_list`).
        for n in [0, 1, 2, 40, 600, 9000] {
            let doc = |list: Vec<Record>| Doc {
                base_url: "https://example.org/",
                count: n,
                list,
            };
            let (head, whole) = (doc(Vec::new()), doc(records[..n].to_vec()));
            let mut written = Vec::new();
            pretty_with_list(&head, &records[..n], &mut written).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(serde_json::to_vec_pretty(&whole).unwrap()).unwrap(),
                "{n} records"
            );
        }
    }
}
