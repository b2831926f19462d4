//! Items of the collections beside the release entries (enterprise demands, pilot bases…):
//! originals with their translations merged over them, what is held back, which items are
//! closed, and their order. Items share the entries' version type, so validation, Markdown
//! and display treat both alike. It reads no files and renders nothing; references between
//! items are resolved in [`super::refs`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Problem};
use crate::model::assemble::{ModelOptions, hold_of, original_version, translated_in};
use crate::model::ids::{Lang, Slug};
use crate::model::{EntryVersion, HeldBack, HeldEntry, Hold, Taxonomy, taxonomy};
use crate::validate::Value;
use crate::validate::documents::ItemDoc;

/// One item of a collection.
#[derive(Debug, Clone)]
pub struct Item {
    pub slug: Slug,
    /// Its `date`, if it has one.
    pub date: Option<jiff::civil::Date>,
    /// Its `closes` deadline, if it has one.
    pub closes: Option<jiff::civil::Date>,
    /// Past its `closes` date when the site was built: still published, shown as closed and
    /// never offered as a match.
    pub closed: bool,
    /// Set when the item is a draft or under embargo (only present with `--drafts`).
    pub hold: Option<Hold>,
    /// Versions per language; the default language is always present.
    pub versions: BTreeMap<Lang, Box<EntryVersion>>,
}

impl Item {
    /// The version in `lang`, or the original when there is no translation.
    pub fn version(&self, lang: &Lang, default: &Lang) -> &EntryVersion {
        self.versions
            .get(lang)
            .or_else(|| self.versions.get(default))
            .expect("an item always has its default-language version")
    }

    /// Open for matching: public and not closed.
    pub fn is_open(&self) -> bool {
        !self.closed && self.hold.is_none()
    }
}

/// The items of one `[collections.<name>]`, newest first (by `date`, then title, then slug;
/// undated items last).
#[derive(Debug, Clone)]
pub struct Collection {
    /// Index in `SiteConfig::collections`.
    pub def: usize,
    pub name: Slug,
    pub items: Vec<Arc<Item>>,
    /// The taxonomies of the collection's schema over its items (a term's `entries` are
    /// indexes into `items`), built like the results' (see [`super::taxonomy`]).
    pub taxonomies: Vec<Taxonomy>,
}

impl Collection {
    /// The item called `slug`.
    pub fn find(&self, slug: &str) -> Option<usize> {
        self.items.iter().position(|i| i.slug.as_str() == slug)
    }
}

/// What assembling the collections gives besides them.
pub struct Assembled {
    pub collections: Vec<Collection>,
    /// `<collection>/<slug>` of items that exist but are held back.
    pub withheld: HashSet<String>,
}

/// Build every collection from its checked documents. Held-back items are counted in
/// `held_back` and listed in `held` like entries.
pub fn assemble(
    config: &SiteConfig,
    docs: Vec<ItemDoc>,
    options: ModelOptions,
    held_back: &mut HeldBack,
    held: &mut Vec<HeldEntry>,
    diags: &mut Vec<Diagnostic>,
) -> Assembled {
    let default = &config.default_language;
    let today = options
        .now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut collections: Vec<Collection> = config
        .collections
        .iter()
        .enumerate()
        .map(|(def, c)| Collection {
            def,
            name: c.name.clone(),
            items: Vec::new(),
            taxonomies: Vec::new(),
        })
        .collect();
    let mut items: Vec<Vec<Item>> = vec![Vec::new(); collections.len()];
    let mut withheld = HashSet::new();
    let (originals, translations): (Vec<ItemDoc>, Vec<ItemDoc>) =
        docs.into_iter().partition(|d| d.lang == *default);
    let mut by_key: HashMap<(usize, Slug), (usize, PathBuf)> = HashMap::new();
    for d in originals {
        let key = (d.collection, d.slug.clone());
        if let Some((_, other)) = by_key.get(&key) {
            diags.push(
                Diagnostic::error(Problem::DuplicateSlug {
                    slug: d.slug.to_string(),
                    other: other.clone(),
                })
                .in_file(&d.source.path),
            );
            continue;
        }
        let hold = hold_of(&d.fields, options.now);
        if let Some(hold) = hold
            && !options.include_held
        {
            match hold {
                Hold::Draft => held_back.drafts += 1,
                Hold::Embargoed(_) => held_back.embargoed += 1,
            }
            withheld.insert(format!("{}/{}", collections[d.collection].name, d.slug));
            held.push(HeldEntry {
                source: d.source.path.clone(),
                hold,
            });
            continue;
        }
        let date_of = |name: &str| match d.fields.values.get(name) {
            Some(Value::Date(x)) => Some(*x),
            _ => None,
        };
        let (date, closes) = (date_of("date"), date_of("closes"));
        let list = &mut items[d.collection];
        by_key.insert(key, (list.len(), d.source.path.clone()));
        list.push(Item {
            slug: d.slug,
            date,
            closes,
            closed: closes.is_some_and(|c| c < today),
            hold,
            versions: BTreeMap::from([(
                d.lang,
                Box::new(original_version(d.fields, d.source, d.body)),
            )]),
        });
    }
    for d in translations {
        let name = &collections[d.collection].name;
        let Some((i, _)) = by_key.get(&(d.collection, d.slug.clone())) else {
            if !withheld.contains(&format!("{name}/{}", d.slug)) {
                let original = d.source.path.with_file_name(format!("{}.md", d.slug));
                diags.push(
                    Diagnostic::error(Problem::OrphanTranslation { original })
                        .in_file(&d.source.path),
                );
            }
            continue;
        };
        let item = &mut items[d.collection][*i];
        if item.versions.contains_key(&d.lang) {
            diags.push(
                Diagnostic::error(Problem::DuplicateSlug {
                    slug: d.slug.to_string(),
                    other: item.versions[&d.lang].source.path.clone(),
                })
                .in_file(&d.source.path),
            );
            continue;
        }
        let schema = &config.collections[d.collection].schema;
        let version = translated_in(schema, &item.versions[default], d.fields, d.source, d.body);
        item.versions.insert(d.lang, Box::new(version));
    }
    for (c, mut list) in collections.iter_mut().zip(items) {
        list.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.versions[default].title.cmp(&b.versions[default].title))
                .then_with(|| a.slug.cmp(&b.slug))
        });
        c.items = list.into_iter().map(Arc::new).collect();
        let items = &c.items;
        c.taxonomies = taxonomy::build_over(
            config,
            &config.collections[c.def].schema,
            items.len(),
            &|i, lang| &items[i].version(lang, default).values,
        );
    }
    Assembled {
        collections,
        withheld,
    }
}
