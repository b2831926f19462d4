//! Typed references between collections (`kind = "ref"` fields): which item each one names,
//! checked against what the site publishes, and the back-links every referenced item shows.
//! References are gathered from the checked documents (which still know where each value
//! was written, for file:line:column errors) and resolved once the model is sorted. It must
//! not render anything.

use crate::config::field_name::FieldName;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{FieldDef, FieldKind, RELEASES, RESULTS, Schema, SiteConfig};
use crate::diagnostics::{Diagnostic, Problem};
use crate::load::source::SourceFile;
use crate::model::collections::Collection;
use crate::model::{Entry, Release};
use crate::validate::documents::Doc;
use crate::validate::{Checked, Value};

/// An entry (result) or an item of a collection, by its index in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemRef {
    Entry(usize),
    Item {
        collection: usize,
        item: usize,
    },
    /// A release, by its index in `Site::releases` (named by `collection = "releases"`
    /// fields: the release an item is published in).
    Release(usize),
}

/// Whose field a reference was written in, before the model has indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    /// `<release>/<slug>`
    Entry(String),
    Item(usize, String),
}

/// One `ref` value as written.
#[derive(Debug, Clone)]
pub struct RefUse {
    owner: Owner,
    source: SourceFile,
    field: FieldName,
    span: Range<usize>,
    collection: String,
    id: String,
}

/// Every reference of the documents, in document order (originals and translations).
///
/// On every core, and each document looks only at the fields its schema lets hold a
/// reference: a 100,000-entry site whose results have one `ref` field (or none) was a
/// serial tenth of a second of walking every field of every document.
pub fn gather(config: &SiteConfig, docs: &[Doc]) -> Vec<RefUse> {
    let entry_refs = ref_fields(&config.schema);
    let item_refs: Vec<Vec<&FieldDef>> = (config.collections.iter())
        .map(|c| ref_fields(&c.schema))
        .collect();
    docs.par_iter()
        .flat_map_iter(|d| {
            let mut out = Vec::new();
            match d {
                Doc::Entry(e) => gather_doc(
                    || Owner::Entry(format!("{}/{}", e.release, e.slug)),
                    &e.source,
                    &e.fields,
                    &entry_refs,
                    &mut out,
                ),
                Doc::Item(i) => gather_doc(
                    || Owner::Item(i.collection, i.slug.to_string()),
                    &i.source,
                    &i.fields,
                    &item_refs[i.collection],
                    &mut out,
                ),
                _ => {}
            }
            out
        })
        .collect()
}

/// The fields of `schema` that may hold a reference (a `ref`, or a list or table of them),
/// in schema order.
fn ref_fields(schema: &Schema) -> Vec<&FieldDef> {
    schema.fields.values().filter(|d| d.holds_refs()).collect()
}

/// The references written in one document's `fields` (`defs`: its schema's fields that may
/// hold one); `owner` is made only for a document that has one.
fn gather_doc(
    owner: impl Fn() -> Owner,
    source: &SourceFile,
    fields: &Checked,
    defs: &[&FieldDef],
    out: &mut Vec<RefUse>,
) {
    fn walk(def: &FieldDef, v: &Value, found: &mut Vec<(String, String)>) {
        match (&def.kind, v) {
            (FieldKind::Ref { collection }, Value::Text(id)) => {
                found.push((collection.clone(), id.to_string()));
            }
            (FieldKind::List { item }, Value::List(items)) => {
                items.iter().for_each(|i| walk(item, i, found));
            }
            (FieldKind::Table { fields }, Value::Table(t)) => {
                for (name, v) in t.iter() {
                    if let Some(d) = fields.get(name) {
                        walk(d, v, found);
                    }
                }
            }
            _ => {}
        }
    }
    // A document's values are in schema order, as `defs` are.
    let mut found = Vec::new();
    for def in defs {
        let Some(v) = fields.values.get_field(def.name) else {
            continue;
        };
        walk(def, v, &mut found);
        for (collection, id) in found.drain(..) {
            out.push(RefUse {
                owner: owner(),
                source: source.clone(),
                field: def.name,
                span: fields.spans.get(&def.name).cloned().unwrap_or(0..0),
                collection,
                id,
            });
        }
    }
}

/// What one item's `ref` fields name: per field (schema order), the targets in the order
/// written.
pub type Outgoing = Vec<(FieldName, Vec<ItemRef>)>;

/// The resolved references of the site.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// Per referring item, per field (schema order), what it names.
    pub outgoing: HashMap<ItemRef, Outgoing>,
    /// Per referenced item, who names it and in which field, in model order.
    pub incoming: HashMap<ItemRef, Vec<(FieldName, ItemRef)>>,
}

impl Links {
    /// A hash of every reference, the same for the same references whatever the maps' order.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut all: Vec<_> = self.outgoing.iter().collect();
        all.sort_by_key(|(k, _)| **k);
        let mut h = std::hash::DefaultHasher::new();
        all.hash(&mut h);
        h.finish()
    }
}

/// Resolve `uses` against the model. A reference to something missing or held back is an
/// error at the value; references written by held-back documents are not checked (they are
/// not published).
pub fn resolve(
    uses: Vec<RefUse>,
    releases: &[Release],
    entries: &[Arc<Entry>],
    collections: &[Collection],
    withheld: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Links {
    // Keyed by release and slug as the model holds them: formatting `<release>/<slug>` for
    // each of 100,000 entries was most of resolving a site's few references. Made when a
    // reference first needs it (a site whose entries reference nothing never does: at
    // 100,000 entries, making it was 40 ms of a rebuild on one core), with a fixed hasher
    // (SipHash took twice as long, and a suggestion's candidates come out in one order).
    let entry_ids = std::cell::OnceCell::new();
    let entry_ids = || -> &crate::sink::Map<(&str, &str), usize> {
        entry_ids.get_or_init(|| {
            (entries.iter().enumerate())
                .map(|(i, e)| ((e.release.as_str(), e.slug.as_str()), i))
                .collect()
        })
    };
    let item_ids: HashMap<(&str, &str), ItemRef> = collections
        .iter()
        .enumerate()
        .flat_map(|(c, col)| {
            col.items.iter().enumerate().map(move |(i, it)| {
                (
                    (col.name.as_str(), it.slug.as_str()),
                    ItemRef::Item {
                        collection: c,
                        item: i,
                    },
                )
            })
        })
        .collect();
    let find = |collection: &str, id: &str| -> Option<ItemRef> {
        if collection == RESULTS {
            let (release, slug) = id.split_once('/')?;
            entry_ids()
                .get(&(release, slug))
                .map(|&i| ItemRef::Entry(i))
        } else if collection == RELEASES {
            releases
                .iter()
                .position(|r| r.id.as_str() == id)
                .map(ItemRef::Release)
        } else {
            item_ids.get(&(collection, id)).copied()
        }
    };
    let owner_of = |o: &Owner| -> Option<ItemRef> {
        match o {
            Owner::Entry(id) => find(RESULTS, id),
            Owner::Item(c, slug) => find(collections[*c].name.as_str(), slug),
        }
    };
    // Per owner and field, the targets in the order written (a translation may repeat the
    // original's references: each target is kept once).
    let mut outgoing: BTreeMap<ItemRef, Outgoing> = BTreeMap::new();
    for u in uses {
        let Some(owner) = owner_of(&u.owner) else {
            continue;
        };
        let Some(target) = find(&u.collection, &u.id) else {
            let held = if u.collection == RESULTS {
                withheld.contains(&format!("releases/{}", u.id))
            } else {
                withheld.contains(&format!("{}/{}", u.collection, u.id))
            };
            let candidates: Vec<String> = if u.collection == RESULTS {
                (entry_ids().keys())
                    .map(|(r, s)| format!("{r}/{s}"))
                    .collect()
            } else if u.collection == RELEASES {
                releases.iter().map(|r| r.id.to_string()).collect()
            } else {
                item_ids
                    .keys()
                    .filter(|(c, _)| *c == u.collection)
                    .map(|(_, s)| s.to_string())
                    .collect()
            };
            let suggestion = (!held)
                .then(|| crate::validate::suggest(&u.id, candidates.iter().map(String::as_str)))
                .flatten();
            diags.push(
                u.source
                    .diagnostic(
                        Problem::BrokenRef {
                            collection: u.collection.clone(),
                            id: u.id.clone(),
                            held,
                            suggestion,
                        },
                        u.span.clone(),
                    )
                    .with_field(&*u.field),
            );
            continue;
        };
        let fields = outgoing.entry(owner).or_default();
        match fields.iter_mut().find(|(f, _)| *f == u.field) {
            Some((_, targets)) if targets.contains(&target) => {}
            Some((_, targets)) => targets.push(target),
            None => fields.push((u.field, vec![target])),
        }
    }
    let mut incoming: HashMap<ItemRef, Vec<(FieldName, ItemRef)>> = HashMap::new();
    for (owner, fields) in &outgoing {
        for (field, targets) in fields {
            for t in targets {
                incoming.entry(*t).or_default().push((*field, *owner));
            }
        }
    }
    Links {
        outgoing: outgoing.into_iter().collect(),
        incoming,
    }
}

/// The item `id` of `collection` names in `site`, if it is there (for display: a build has
/// already reported every reference that is not).
pub fn find(site: &crate::model::Site, collection: &str, id: &str) -> Option<ItemRef> {
    if collection == RELEASES {
        return site
            .releases
            .iter()
            .position(|r| r.id.as_str() == id)
            .map(ItemRef::Release);
    }
    if collection == RESULTS {
        let (release, slug) = id.split_once('/')?;
        let r = site.releases.iter().find(|r| r.id.as_str() == release)?;
        r.entries
            .iter()
            .copied()
            .find(|&e| site.entries[e].slug.as_str() == slug)
            .map(ItemRef::Entry)
    } else {
        let c = site
            .collections
            .iter()
            .position(|c| c.name.as_str() == collection)?;
        let item = site.collections[c].find(id)?;
        Some(ItemRef::Item {
            collection: c,
            item,
        })
    }
}
