//! Import: spreadsheets of results into entry files of a release, or of items into a
//! collection's folder (`gazette import`), and export of either back to a spreadsheet
//! (`gazette export`). Both take a [`Destination`]; the rows are checked against its schema
//! with the same code. Every row is checked before anything is written; with any error
//! nothing is written. Re-importing the same file changes nothing; `--update` changes only
//! the fields the spreadsheet provides.

pub mod export;
pub mod mapping;
pub mod rows;
pub mod sheet;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Location, Problem, SourceMap};
use crate::model::ids::{ReleaseId, Slug};
use crate::{Failure, config};
use mapping::{MapFile, Target};

/// Where rows go (and what `export` writes out): a release's entries, or a collection's
/// items (demands, pilot bases…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A release id (its folder must have `_release.toml`).
    Release(String),
    /// A collection's name in `site.toml`; its items live in `content/<name>/`.
    Collection(String),
}

/// The error for `--collection NAME` when the site has no such collection, naming those
/// it has (import and export alike).
pub(crate) fn unknown_collection(config: &config::SiteConfig, name: &str) -> Problem {
    Problem::UnknownCollection {
        name: name.to_string(),
        known: (config.collections.iter())
            .map(|c| c.name.to_string())
            .collect(),
    }
}

impl Destination {
    /// The schema rows are checked against and the folder (relative to the root) their
    /// files go in.
    fn resolve<'c>(
        &self,
        root: &Path,
        config: &'c config::SiteConfig,
    ) -> Result<(&'c config::Schema, PathBuf), Diagnostic> {
        match self {
            Destination::Release(release) => {
                let Some(id) = ReleaseId::parse(release) else {
                    return Err(Diagnostic::error(Problem::BadReleaseId {
                        id: release.clone(),
                    }));
                };
                let dir = PathBuf::from("content/releases").join(id.as_str());
                if !root.join(&dir).join("_release.toml").is_file() {
                    return Err(Diagnostic::error(Problem::ReleaseWithoutMeta {
                        id: id.to_string(),
                    })
                    .in_file(&dir));
                }
                Ok((&config.schema, dir))
            }
            Destination::Collection(name) => {
                let def = (config.collections.iter())
                    .find(|c| c.name.as_str() == name)
                    .ok_or_else(|| {
                        Diagnostic::error(unknown_collection(config, name))
                            .in_file(Path::new("site.toml"))
                    })?;
                Ok((
                    &def.schema,
                    PathBuf::from("content").join(def.name.as_str()),
                ))
            }
        }
    }
}

/// What `gazette import` was asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub root: PathBuf,
    pub file: PathBuf,
    /// The release or collection the rows go into.
    pub into: Destination,
    pub map: Option<PathBuf>,
    pub dry_run: bool,
    pub update: bool,
    pub sheet: Option<String>,
}

/// What happens to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// The entry exists and differs, and `--update` was not given.
    Skip,
}

/// One row's outcome.
#[derive(Debug, Clone)]
pub struct Planned {
    pub row: usize,
    /// Path relative to the site root.
    pub path: PathBuf,
    pub action: Action,
    text: String,
}

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub rows: usize,
    pub planned: Vec<Planned>,
    pub unmapped: Vec<(usize, String)>,
    pub dry_run: bool,
}

impl ImportSummary {
    pub fn count(&self, a: &Action) -> usize {
        self.planned.iter().filter(|p| &p.action == a).count()
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would be " } else { "" };
        write!(
            f,
            "{} rows read: {} {verb}created, {} {verb}updated, {} unchanged, {} skipped (exist and differ; use --update)",
            self.rows,
            self.count(&Action::Create),
            self.count(&Action::Update),
            self.count(&Action::Unchanged),
            self.count(&Action::Skip),
        )
    }
}

fn fail(d: Vec<Diagnostic>) -> Failure {
    Failure::from_diagnostics(d, SourceMap::default())
}

/// The title and path of every original entry already in a release folder.
fn existing_entries(root: &Path, dir: &Path) -> Vec<(String, Slug, PathBuf)> {
    let Ok(read) = std::fs::read_dir(root.join(dir)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut names: Vec<_> = read.flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let name = name.to_string_lossy().into_owned();
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        if stem.starts_with('_') || stem.contains('.') || !(ext == "md" || ext == "toml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(dir).join(&name)) else {
            continue;
        };
        let fm = if ext == "md" {
            match crate::load::frontmatter::split(&text) {
                Ok(s) => text[s.front_matter].to_string(),
                Err(_) => continue,
            }
        } else {
            text.clone()
        };
        let Ok(t) = toml::from_str::<toml::Table>(&fm) else {
            continue;
        };
        let (Some(title), Some(slug)) = (
            t.get("title").and_then(|v| v.as_str()),
            Slug::from_text(stem),
        ) else {
            continue;
        };
        out.push((title.to_string(), slug, dir.join(&name)));
    }
    out
}

/// Run an import. Nothing is written when any row has a problem, or with `dry_run`.
pub fn import(opts: &ImportOptions) -> Result<ImportSummary, Failure> {
    let (config, _) = config::load(&opts.root).map_err(fail)?;
    let (schema, dir) = (opts.into)
        .resolve(&opts.root, &config)
        .map_err(|d| fail(vec![d]))?;
    let map = match &opts.map {
        Some(p) => MapFile::load(p).map_err(|d| fail(vec![d]))?,
        None => MapFile::default(),
    };
    let known = mapping::default_headers(schema);
    let sheet = sheet::read(&opts.file, opts.sheet.as_deref(), |h| {
        mapping::is_known_header(h, &known, &map)
    })
    .map_err(|d| fail(vec![d]))?;
    let columns = mapping::resolve(&sheet.headers, schema, &map).map_err(|errors| {
        fail(
            errors
                .into_iter()
                .map(|message| {
                    Diagnostic::error(Problem::Config { message })
                        .in_file(opts.map.as_deref().unwrap_or(Path::new("MAP.toml")))
                })
                .collect(),
        )
    })?;

    let progress = if sheet.rows.len() >= 200 {
        indicatif::ProgressBar::new(sheet.rows.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results: Vec<_> = sheet
        .rows
        .par_iter()
        .map(|row| {
            let r = rows::convert_row(&opts.file, row, &sheet.headers, &columns, schema, &map);
            progress.inc(1);
            r
        })
        .collect();
    progress.finish_and_clear();
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (entry, diags) in results {
        errors.extend(diags);
        entries.extend(entry);
    }
    // The same title twice in one sheet is one result submitted twice.
    let title_col = columns
        .targets
        .iter()
        .position(|t| t == &Some(Target::Field(vec!["title".into()])))
        .map_or(1, |c| c + 1);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in &entries {
        let title = e.table.get("title").and_then(|v| v.as_str()).unwrap_or("");
        if let Some(first) = seen.insert(title.to_string(), e.row) {
            let mut d = Diagnostic::error(Problem::DuplicateTitle {
                title: title.to_string(),
                other: PathBuf::from(format!("row {first}")),
            })
            .with_field("title");
            d.location = Some(Location {
                file: opts.file.clone(),
                line: e.row,
                column: title_col,
            });
            errors.push(d);
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }

    // Decide each row's file and action.
    let existing = existing_entries(&opts.root, &dir);
    let by_title: HashMap<&str, &PathBuf> =
        existing.iter().map(|(t, _, p)| (t.as_str(), p)).collect();
    let by_slug: HashMap<&Slug, &PathBuf> = existing.iter().map(|(_, s, p)| (s, p)).collect();
    let mut taken: HashSet<String> = existing.iter().map(|(_, s, _)| s.to_string()).collect();
    let mut planned = Vec::new();
    let mut write_errors = Vec::new();
    for e in &entries {
        let title = e.table.get("title").and_then(|v| v.as_str()).unwrap_or("");
        let wanted = e.slug.as_deref().and_then(Slug::from_text);
        let existing_path = by_title
            .get(title)
            .copied()
            .or_else(|| wanted.as_ref().and_then(|s| by_slug.get(s).copied()));
        let (path, action, text) = match existing_path {
            Some(path) => {
                let current = std::fs::read_to_string(opts.root.join(path)).unwrap_or_default();
                let updated = if path.extension().is_some_and(|x| x == "toml") {
                    write::update_toml(&current, &e.table)
                } else {
                    write::update_markdown(&current, &e.table)
                };
                match updated {
                    Ok(t) if t == current => (path.clone(), Action::Unchanged, t),
                    Ok(t) if opts.update => (path.clone(), Action::Update, t),
                    Ok(t) => (path.clone(), Action::Skip, t),
                    Err(message) => {
                        write_errors
                            .push(Diagnostic::error(Problem::TomlSyntax { message }).in_file(path));
                        continue;
                    }
                }
            }
            None => {
                let base = wanted
                    .or_else(|| Slug::from_text(title))
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| format!("row-{}", e.row));
                let mut slug = base.clone();
                let mut n = 2;
                while taken.contains(&slug) {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                taken.insert(slug.clone());
                (
                    dir.join(format!("{slug}.md")),
                    Action::Create,
                    write::new_entry_text(&e.table, e.body.as_deref()),
                )
            }
        };
        planned.push(Planned {
            row: e.row,
            path,
            action,
            text,
        });
    }
    if !write_errors.is_empty() {
        return Err(fail(write_errors));
    }
    if !opts.dry_run {
        // A collection's folder may not exist yet.
        if planned.iter().any(|p| p.action == Action::Create) {
            std::fs::create_dir_all(opts.root.join(&dir)).map_err(|e| {
                fail(vec![Diagnostic::error(Problem::OutputWrite {
                    path: opts.root.join(&dir),
                    message: e.to_string(),
                })])
            })?;
        }
        for p in &planned {
            if matches!(p.action, Action::Create | Action::Update) {
                let full = opts.root.join(&p.path);
                std::fs::write(&full, &p.text).map_err(|e| {
                    fail(vec![Diagnostic::error(Problem::OutputWrite {
                        path: full.clone(),
                        message: e.to_string(),
                    })])
                })?;
            }
        }
    }
    Ok(ImportSummary {
        rows: sheet.rows.len(),
        planned,
        unmapped: columns.unmapped,
        dry_run: opts.dry_run,
    })
}
