//! Open data of the marketplace, as JSON: each collection's public items (typed values,
//! translations, URLs, resolved references) with the schema that describes them, and every
//! match of the site with its score and reasons, so a transfer office can follow up. A
//! collection's CSV and CSVW metadata are the results' writer's (`render::data`), called
//! from here with the collection's public items. Ids are
//! the ones `ref` fields use: `<release>/<slug>` for results, `<slug>` for items. It renders
//! what the model and plan hold; it chooses nothing.

use indexmap::IndexMap;
use serde::Serialize;
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

fn collection_doc(site: &Site, c: usize) -> CollectionDoc<'_> {
    let col = &site.collections[c];
    let def = &site.config.collections[col.def];
    let u = &site.urls;
    let default = site.default_lang();
    let langs = &site.config.languages;
    let items = col
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.hold.is_none())
        .map(|(i, it)| {
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
    CollectionDoc {
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
        items,
    }
}

/// `data/matches.json`: the supply–demand matches the office follows up — each public item's
/// best results and each public result's open items. Related results (result to result) are
/// a reading aid shown on the result pages only: as open data they would be some 6 KB per
/// result (60 MB at 10,000 results) of pairs nobody acts on.
fn matches_doc(site: &Site) -> MatchesDoc<'_> {
    let items = site.collections.iter().enumerate().flat_map(|(c, col)| {
        (0..col.items.len()).map(move |i| ItemRef::Item {
            collection: c,
            item: i,
        })
    });
    let matches = items
        .chain((0..site.entries.len()).map(ItemRef::Entry))
        .filter(|&who| public(site, who))
        .filter_map(|who| {
            let matches = match_records(site, site.matches.of(who));
            (!matches.is_empty()).then(|| MatchesOf {
                from: id_of(site, who),
                matches,
            })
        })
        .collect();
    MatchesDoc {
        base_url: &site.config.base_url.absolute,
        matches,
    }
}

/// The bytes of one marketplace data file (`path` names it in errors).
pub fn render(site: &Site, file: &MarketFile, path: &str) -> Result<Vec<u8>, Diagnostic> {
    let doc = match file {
        MarketFile::Collection(c) => serde_json::to_vec_pretty(&collection_doc(site, *c)),
        MarketFile::Matches => serde_json::to_vec_pretty(&matches_doc(site)),
        MarketFile::Csv(c) => {
            let rows: Vec<usize> = (site.collections[*c].items.iter().enumerate())
                .filter(|(_, it)| it.hold.is_none())
                .map(|(i, _)| i)
                .collect();
            let mut out = Vec::new();
            data::write_csv(site, Table::Collection(*c), &rows, path, &mut out)?;
            return Ok(out);
        }
        MarketFile::CsvMetadata(c) => {
            let table = site.urls.data_collection_csv(&site.collections[*c].name);
            return data::csv_metadata(site, Table::Collection(*c), path, &[table]);
        }
        MarketFile::Feed { .. } => unreachable!("feeds are rendered by market_feed"),
    };
    let mut bytes = doc.map_err(|e| {
        Diagnostic::error(Problem::OutputWrite {
            path: path.into(),
            message: e.to_string(),
        })
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
