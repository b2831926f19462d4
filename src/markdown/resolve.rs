//! Resolving what a document links to: `@/` internal links to entries, releases and pages,
//! and relative paths to files under `content/`. It answers from an index of the model and
//! never touches the disk.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostics::{LinkFailure, Problem};
use crate::load::discover::{AssetSet, asset_set};
use crate::model::Site;
use crate::model::ids::{Lang, Slug};
use crate::model::urls::resolve_content_path;

enum Target {
    /// Entry index.
    Entry(usize),
    /// Release index.
    Release(usize),
    /// Page index.
    Page(usize),
}

/// Every link target of a site by link key, shareable between resolvers of sites with the
/// same entries, releases and pages (see [`Resolver::reusing`]).
pub struct Targets(crate::sink::Map<String, Target>);

/// An index of link targets built once per build.
pub struct Resolver<'a> {
    site: &'a Site,
    targets: Arc<Targets>,
    withheld: &'a HashSet<String>,
    invalid: &'a HashSet<String>,
    assets: Arc<AssetSet<'a>>,
}

impl Targets {
    /// Every link target of `site`.
    pub fn of(site: &Site) -> Arc<Targets> {
        // The entries' keys are made on every core (one string each).
        let keys: Vec<String> = site.entries.par_iter().map(|e| e.link_key()).collect();
        let capacity = keys.len() + 2 * site.releases.len();
        let mut targets = crate::sink::Map::with_capacity_and_hasher(capacity, Default::default());
        for (i, key) in keys.into_iter().enumerate() {
            targets.insert(key, Target::Entry(i));
        }
        for (i, r) in site.releases.iter().enumerate() {
            targets.insert(format!("releases/{}/_release", r.id), Target::Release(i));
            targets.insert(format!("releases/{}", r.id), Target::Release(i));
        }
        for (i, p) in site.pages.iter().enumerate() {
            targets.insert(format!("pages/{}", p.slug), Target::Page(i));
        }
        Arc::new(Targets(targets))
    }
}

impl<'a> Resolver<'a> {
    pub fn new(
        site: &'a Site,
        withheld: &'a HashSet<String>,
        invalid: &'a HashSet<String>,
    ) -> Self {
        Resolver::reusing(site, Targets::of(site), withheld, invalid)
    }

    /// A resolver for `site` with the targets of an earlier resolver, for a site whose
    /// entries, releases and pages are the same ones at the same indexes (only their text
    /// may differ).
    pub fn reusing(
        site: &'a Site,
        targets: Arc<Targets>,
        withheld: &'a HashSet<String>,
        invalid: &'a HashSet<String>,
    ) -> Self {
        let assets = Arc::new(asset_set(&site.assets));
        Resolver::sharing(site, targets, assets, withheld, invalid)
    }

    /// [`Resolver::reusing`] with the site's file paths made once already (a large site
    /// has a hundred thousand files, and its bodies are rendered in many rounds).
    pub fn sharing(
        site: &'a Site,
        targets: Arc<Targets>,
        assets: Arc<AssetSet<'a>>,
        withheld: &'a HashSet<String>,
        invalid: &'a HashSet<String>,
    ) -> Self {
        Resolver {
            site,
            targets,
            withheld,
            invalid,
            assets,
        }
    }

    /// The link targets, to reuse (see [`Resolver::reusing`]).
    pub fn targets(&self) -> Arc<Targets> {
        self.targets.clone()
    }

    /// A fingerprint of everything links can resolve to: equal fingerprints mean every link
    /// and file path resolves the same, so rendered bodies can be reused. It covers which
    /// files exist, not their bytes: what a body shows of an image it names (thumbnail
    /// names and sizes) is keyed separately, by [`Rendered::images`](super::Rendered) and
    /// `Images::fingerprint`, so a replaced photo renders again only what shows it.
    pub fn epoch(&self) -> u64 {
        // Each key (a tag, the name, the languages it has) hashed on every core, and the
        // hashes sorted: a 100,000-entry site has 300,000 keys, and formatting, sorting and
        // hashing them as strings was 2–3 % of an edit rebuild's CPU.
        fn key<'k>(tag: u8, name: &str, langs: impl Iterator<Item = &'k str>) -> u128 {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&[tag]);
            h.update(name.as_bytes());
            // 0xff is in no UTF-8 text: names and languages cannot run into each other.
            for l in langs {
                h.update(&[0xff]);
                h.update(l.as_bytes());
            }
            h.digest128()
        }
        let mut keys: Vec<u128> = self
            .targets
            .0
            .par_iter()
            .map(|(k, t)| match t {
                Target::Entry(i) => {
                    let versions = self.site.entries[*i].versions.keys();
                    key(b'e', k, versions.map(|l| l.as_str()))
                }
                Target::Release(_) => key(b'r', k, std::iter::empty()),
                Target::Page(i) => {
                    let versions = self.site.pages[*i].versions.keys();
                    key(b'p', k, versions.map(|l| l.as_str()))
                }
            })
            .collect();
        keys.extend(
            self.withheld
                .iter()
                .map(|w| key(b'w', w, std::iter::empty())),
        );
        keys.extend(
            self.invalid
                .iter()
                .map(|w| key(b'i', w, std::iter::empty())),
        );
        keys.par_extend((self.assets.par_iter()).map(|a| key(b'a', a, std::iter::empty())));
        keys.par_sort_unstable();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for k in &keys {
            h.update(&k.to_le_bytes());
        }
        h.update(self.site.config.base_url.path_prefix.as_bytes());
        h.digest()
    }

    /// Resolve `@/<target>` (given without `@/`) to an href for a page in `lang`.
    pub fn link(&self, target: &str, lang: &Lang) -> Result<String, LinkFailure> {
        let (path, fragment) = match target.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (target, None),
        };
        let path = path.trim_end_matches('/');
        let mut key = path
            .strip_suffix(".md")
            .or_else(|| path.strip_suffix(".toml"))
            .unwrap_or(path)
            .to_string();
        // A link may name a translation file (`x.en.md`): it means the same entry.
        if let Some((base, suffix)) = key.rsplit_once('.')
            && Lang::parse(suffix).is_some()
        {
            key = base.to_string();
        }
        let mut parts: Vec<&str> = key.split('/').collect();
        if parts.len() != 2 && parts.len() != 3 {
            return Err(LinkFailure::BadForm);
        }
        if !matches!(parts[0], "releases" | "pages") {
            return Err(LinkFailure::BadForm);
        }
        let slugged;
        if let Some(last) = parts.last_mut()
            && *last != "_release"
            && let Some(s) = Slug::from_text(last)
        {
            slugged = s.to_string();
            *last = &slugged;
        }
        let key = parts.join("/");
        let urls = &self.site.urls;
        let default = self.site.default_lang();
        let site_path = match self.targets.0.get(&key) {
            Some(Target::Entry(i)) => {
                let e = &self.site.entries[*i];
                let l = if e.versions.contains_key(lang) {
                    lang
                } else {
                    default
                };
                urls.entry(l, &e.release, &e.slug)
            }
            Some(Target::Release(i)) => urls.release(lang, &self.site.releases[*i].id),
            Some(Target::Page(i)) => {
                let p = &self.site.pages[*i];
                let l = if p.versions.contains_key(lang) {
                    lang
                } else {
                    default
                };
                urls.page(l, &p.slug)
            }
            None if self.withheld.contains(&key) => return Err(LinkFailure::NotPublished),
            // The target failed validation and is reported on its own; the build fails anyway.
            None if self.invalid.contains(&key) => return Ok("#".to_string()),
            None => return Err(LinkFailure::NotFound),
        };
        let mut href = urls.href(&site_path);
        if let Some(f) = fragment {
            href.push('#');
            href.push_str(f);
        }
        Ok(href)
    }

    /// The href of a file at `out` in the output folder (an image variant).
    pub fn image_href(&self, out: &str) -> String {
        self.site.urls.href(&self.site.urls.asset(out))
    }

    /// The thumbnails of the raster file a relative path in `from_dir` names, if it is one
    /// that was processed.
    pub fn image_set(&self, from_dir: &str, target: &str) -> Option<Arc<crate::images::ImageSet>> {
        let rel = resolve_content_path(from_dir, target)?;
        self.site.images.get(&rel)?.as_ref().ok().cloned()
    }

    /// The `sizes` attribute of body images (site.toml `[images] sizes`).
    pub fn image_sizes(&self) -> &str {
        &self.site.images.settings.sizes
    }

    /// Resolve a relative file path written in a document in `from_dir`.
    pub fn asset(&self, from_dir: &str, target: &str) -> Result<String, Problem> {
        match resolve_content_path(from_dir, target) {
            None => Err(Problem::PathEscapes {
                path: target.to_string(),
            }),
            Some(rel) if self.assets.contains(rel.as_str()) => match self.site.images.get(&rel) {
                // A raster file is published only as its thumbnails: links go to the widest.
                Some(Ok(set)) => Ok(self.image_href(&set.largest().out)),
                Some(Err(reason)) => Err(Problem::BadImage {
                    path: target.to_string(),
                    reason: reason.clone(),
                }),
                None => Ok(self.site.urls.href(&self.site.urls.asset(&rel))),
            },
            Some(_) => Err(Problem::MissingImage {
                path: target.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_follows_what_links_can_resolve_to() {
        let loaded = crate::sample_site();
        let site = &loaded.site;
        let none = HashSet::new();
        let epoch = Resolver::new(site, &none, &none).epoch();
        assert_eq!(epoch, Resolver::new(site, &none, &none).epoch(), "the same");
        // A target withheld, or the same name invalid: each another epoch.
        let one: HashSet<String> = ["releases/2099-01/gone".to_string()].into();
        let withheld = Resolver::new(site, &one, &none).epoch();
        let invalid = Resolver::new(site, &none, &one).epoch();
        assert!(withheld != epoch && invalid != epoch && withheld != invalid);
        // One file fewer under content/.
        let assets = asset_set(&site.assets);
        let first = *assets.iter().min().expect("the sample site has files");
        let mut fewer = assets.clone();
        fewer.remove(first);
        let r = Resolver::sharing(
            site,
            Resolver::new(site, &none, &none).targets(),
            Arc::new(fewer),
            &none,
            &none,
        );
        assert_ne!(r.epoch(), epoch);
        let all = Resolver::sharing(
            site,
            Resolver::new(site, &none, &none).targets(),
            Arc::new(assets),
            &none,
            &none,
        );
        assert_eq!(all.epoch(), epoch, "the same files, the same epoch");
    }
}
