//! What a deploy will change and in which order: each local file is compared with the
//! manifest and the listing (content MD5, size, headers); changed files are grouped in tiers
//! so that a visitor during a deploy never follows a link to a file that is not there yet
//! (assets and data, then entry pages, then release pages, then the other pages that list
//! them, then feeds and sitemaps); deletions come last. It decides; it must not touch disk
//! or network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::headers::{HeaderRules, Headers};
use super::local::LocalFile;
use super::remote::{Listed, MANIFEST_VERSION, Manifest, Stored};

/// The upload tiers, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// Stylesheets, scripts, images, open data, search index: what pages load.
    Assets,
    /// `releases/<id>/<slug>/`: what release pages and lists link to.
    Entries,
    /// `releases/<id>/` and its statistics.
    Releases,
    /// Home, archives, taxonomy pages, standalone pages, 404.
    Lists,
    /// Feeds, sitemaps, robots.txt: what crawlers and readers follow.
    Feeds,
}

pub const TIERS: [Tier; 5] = [
    Tier::Assets,
    Tier::Entries,
    Tier::Releases,
    Tier::Lists,
    Tier::Feeds,
];

impl Tier {
    pub fn of(path: &str) -> Tier {
        let segs: Vec<&str> = path.split('/').collect();
        let name = segs.last().copied().unwrap_or("");
        if name == "feed.xml"
            || name == "robots.txt"
            || (name.starts_with("sitemap") && name.ends_with(".xml"))
        {
            return Tier::Feeds;
        }
        if !name.ends_with(".html") {
            return Tier::Assets;
        }
        // `releases/…` or `<lang>/releases/…`.
        let rel = match segs.iter().position(|s| *s == "releases") {
            Some(i) if i <= 1 => &segs[i + 1..],
            _ => return Tier::Lists,
        };
        match rel {
            [_, slug, "index.html"] if *slug != "stats" && *slug != "page" => Tier::Entries,
            [_, "index.html"] | [_, "stats", "index.html"] => Tier::Releases,
            _ => Tier::Lists,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tier::Assets => "assets and data",
            Tier::Entries => "entry pages",
            Tier::Releases => "release pages",
            Tier::Lists => "home, lists and other pages",
            Tier::Feeds => "feeds and sitemaps",
        }
    }
}

/// Why a file is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not on the remote.
    New,
    /// On the remote with other bytes.
    Changed,
    /// Same bytes, but other (or unrecorded) headers.
    Headers,
    /// `--force`.
    Forced,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::New => "new",
            Reason::Changed => "changed",
            Reason::Headers => "headers",
            Reason::Forced => "forced",
        })
    }
}

/// One file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file: LocalFile,
    pub headers: Headers,
    pub reason: Reason,
}

/// Everything a deploy will do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Uploads by tier, in [`TIERS`] order, each sorted by path.
    pub tiers: Vec<(Tier, Vec<Upload>)>,
    /// Remote files the site no longer has, sorted.
    pub deletes: Vec<String>,
    /// Files already on the remote as they are locally, as the manifest records them.
    pub unchanged: Vec<(String, Stored)>,
}

impl Plan {
    pub fn uploads(&self) -> impl Iterator<Item = &Upload> {
        self.tiers.iter().flat_map(|(_, u)| u)
    }

    pub fn upload_count(&self) -> usize {
        self.tiers.iter().map(|(_, u)| u.len()).sum()
    }

    pub fn upload_bytes(&self) -> u64 {
        self.uploads().map(|u| u.file.size).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.upload_count() == 0 && self.deletes.is_empty()
    }

    /// The manifest after this plan has run: unchanged files and what was `uploaded`.
    pub fn final_manifest(&self, uploaded: impl IntoIterator<Item = (String, Stored)>) -> Manifest {
        let mut files: BTreeMap<String, Stored> = self.unchanged.iter().cloned().collect();
        files.extend(uploaded);
        Manifest {
            gazette_deploy: MANIFEST_VERSION,
            files,
            pending: Vec::new(),
        }
    }

    /// The manifest to store before anything changes: the old one with every path this plan
    /// touches moved from `files` to `pending`, so a deploy killed midway leaves nothing
    /// recorded as done that is not, and the next one finishes or undoes each of them.
    pub fn pending_manifest(&self, old: Option<&Manifest>) -> Manifest {
        let touched: BTreeSet<&str> = self
            .uploads()
            .map(|u| u.file.path.as_str())
            .chain(self.deletes.iter().map(String::as_str))
            .chain(
                old.iter()
                    .flat_map(|m| m.pending.iter().map(String::as_str)),
            )
            .collect();
        let files = old
            .iter()
            .flat_map(|m| &m.files)
            .filter(|(k, _)| !touched.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Manifest {
            gazette_deploy: MANIFEST_VERSION,
            files,
            pending: touched.into_iter().map(String::from).collect(),
        }
    }
}

/// Compare the local files with what the remote holds: the manifest, and the `listing` when
/// the remote was listed (without one, the manifest is taken as what the remote holds).
pub fn make(
    local: Vec<LocalFile>,
    rules: &HeaderRules,
    manifest: Option<&Manifest>,
    listing: Option<&BTreeMap<String, Listed>>,
    force: bool,
    gzip: bool,
) -> Plan {
    let mut plan = Plan::default();
    let mut by_tier: BTreeMap<Tier, Vec<Upload>> = BTreeMap::new();
    let local_paths: BTreeSet<String> = local.iter().map(|f| f.path.clone()).collect();
    let pending: BTreeSet<&str> = manifest
        .iter()
        .flat_map(|m| m.pending.iter().map(String::as_str))
        .collect();
    for file in local {
        let headers = rules.for_file(&file.path, file.size, gzip);
        // A pending path's remote state is unknown: as if nothing were recorded.
        let recorded = manifest
            .and_then(|m| m.files.get(&file.path))
            .filter(|_| !pending.contains(file.path.as_str()));
        let from_manifest;
        let listed = match listing {
            Some(l) => l.get(&file.path),
            None => {
                from_manifest = recorded.map(|r| Listed {
                    size: r.body_size(),
                    md5: Some(r.body_md5().to_string()),
                });
                from_manifest.as_ref()
            }
        };
        let same_content = recorded.filter(|r| r.md5 == file.md5 && r.size == file.size);
        let reason = match (force, listed, same_content) {
            (true, ..) => Some(Reason::Forced),
            (false, None, _) => Some(Reason::New),
            // The manifest says this content was stored: the storage must agree.
            (false, Some(l), Some(r)) => {
                if l.size != r.body_size() || l.md5.as_ref().is_some_and(|m| m != r.body_md5()) {
                    Some(Reason::Changed)
                } else if r.headers != headers {
                    Some(Reason::Headers)
                } else {
                    None
                }
            }
            (false, Some(l), None) => {
                let raw_same = l.size == file.size && l.md5.as_ref().is_none_or(|m| *m == file.md5);
                Some(if recorded.is_none() && raw_same {
                    Reason::Headers
                } else {
                    Reason::Changed
                })
            }
        };
        match (reason, same_content) {
            (None, Some(r)) => plan.unchanged.push((file.path, r.clone())),
            (reason, _) => by_tier
                .entry(Tier::of(&file.path))
                .or_default()
                .push(Upload {
                    file,
                    headers,
                    reason: reason.unwrap_or(Reason::Changed),
                }),
        }
    }
    plan.tiers = by_tier.into_iter().collect();
    let remote_paths: BTreeSet<&String> = match listing {
        Some(l) => l.keys().collect(),
        None => manifest
            .iter()
            .flat_map(|m| m.files.keys().chain(&m.pending))
            .collect(),
    };
    plan.deletes = remote_paths
        .into_iter()
        .filter(|k| !local_paths.contains(*k))
        .cloned()
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::local::md5_hex;

    fn file(path: &str, body: &str) -> LocalFile {
        LocalFile {
            path: path.into(),
            abs: path.into(),
            size: body.len() as u64,
            md5: md5_hex(body.as_bytes()),
            modified: None,
        }
    }

    #[test]
    fn tiers_follow_links() {
        assert_eq!(Tier::of("style.css"), Tier::Assets);
        assert_eq!(Tier::of("data/entries.json"), Tier::Assets);
        assert_eq!(Tier::of("releases/2024-3/x/index.html"), Tier::Entries);
        assert_eq!(Tier::of("en/releases/2024-3/x/index.html"), Tier::Entries);
        assert_eq!(Tier::of("releases/2024-3/index.html"), Tier::Releases);
        assert_eq!(Tier::of("releases/2024-3/stats/index.html"), Tier::Releases);
        assert_eq!(Tier::of("releases/index.html"), Tier::Lists);
        assert_eq!(Tier::of("index.html"), Tier::Lists);
        assert_eq!(Tier::of("fields/marine/index.html"), Tier::Lists);
        assert_eq!(Tier::of("releases/2024-3/feed.xml"), Tier::Feeds);
        assert_eq!(Tier::of("sitemap.xml"), Tier::Feeds);
    }

    #[test]
    fn compares_bytes_headers_and_listing() {
        let rules = HeaderRules::new(&[]);
        let a = file("a.css", "a");
        let mut manifest = Manifest::default();
        manifest.files.insert(
            "a.css".into(),
            Stored {
                md5: a.md5.clone(),
                size: 1,
                headers: rules.for_path("a.css"),
                stored_md5: None,
                stored_size: None,
            },
        );
        let mut listing = BTreeMap::new();
        listing.insert(
            "a.css".to_string(),
            Listed {
                size: 1,
                md5: Some(a.md5.clone()),
            },
        );
        listing.insert("gone.html".to_string(), Listed { size: 3, md5: None });
        let p = make(
            vec![a.clone(), file("index.html", "x")],
            &rules,
            Some(&manifest),
            Some(&listing),
            false,
            false,
        );
        assert_eq!(p.unchanged[0].0, "a.css");
        let ups: Vec<_> = p
            .uploads()
            .map(|u| (u.file.path.as_str(), u.reason))
            .collect();
        assert_eq!(ups, [("index.html", Reason::New)]);
        assert_eq!(p.deletes, ["gone.html"]);
        // Remote bytes changed behind the manifest's back: upload again.
        listing.get_mut("a.css").unwrap().md5 = Some("0".repeat(32));
        let p = make(
            vec![a.clone()],
            &rules,
            Some(&manifest),
            Some(&listing),
            false,
            false,
        );
        assert_eq!(p.uploads().next().unwrap().reason, Reason::Changed);
        // No manifest: the headers are unknown.
        listing.get_mut("a.css").unwrap().md5 = Some(a.md5.clone());
        let p = make(vec![a.clone()], &rules, None, Some(&listing), false, false);
        assert_eq!(p.uploads().next().unwrap().reason, Reason::Headers);
        // Compression turned on: same bytes, new headers.
        let p = make(
            vec![a],
            &rules,
            Some(&manifest),
            Some(&listing),
            false,
            true,
        );
        assert_eq!(
            p.unchanged.len(),
            1,
            "a.css is under the size worth compressing"
        );
    }
}
