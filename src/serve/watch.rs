//! Watching the site's files: notify with the full debouncer, so an editor's save dance
//! (temp file, rename, swap file) or a `git checkout` of many files gives one batch. Editor
//! temp and swap files, `output/`, `target/` and `.git/` are ignored.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;
use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use crate::load::discover::is_ignored_name;

/// How long the file system must be quiet before a batch of changes is handed over.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// Does a change to `path` (absolute) matter to the site at `root`?
pub fn relevant(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let Some(first) = parts.next() else {
        return false;
    };
    if !matches!(
        first.as_str(),
        "site.toml" | "content" | "static" | "templates" | "themes"
    ) {
        return false;
    }
    !rel.components()
        .any(|c| is_ignored_name(&c.as_os_str().to_string_lossy()))
}

/// Creations, writes, renames and removals; not reads (our own rebuilds read every file).
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Modify(_) => true,
        _ => false,
    }
}

/// Watch `root`; every batch of relevant changes sends their paths on the returned channel.
/// The watcher lives as long as the returned guard.
pub fn watch(root: &Path) -> notify::Result<(impl Drop, mpsc::Receiver<Vec<PathBuf>>)> {
    let (tx, rx) = mpsc::channel();
    let root_owned = root.to_path_buf();
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            let paths: Vec<PathBuf> = events
                .iter()
                .filter(|e| changes_content(&e.kind))
                .flat_map(|e| e.paths.iter())
                .filter(|p| relevant(&root_owned, p))
                .cloned()
                .collect();
            if !paths.is_empty() {
                let _ = tx.send(paths);
            }
        }
    })?;
    debouncer.watch(root, RecursiveMode::Recursive)?;
    Ok((debouncer, rx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_and_outputs_are_ignored() {
        let root = Path::new("/site");
        assert!(relevant(root, Path::new("/site/content/releases/a/b.md")));
        assert!(relevant(root, Path::new("/site/site.toml")));
        assert!(relevant(
            root,
            Path::new("/site/themes/default/static/style.css")
        ));
        for p in [
            "/site/content/releases/a/.b.md.swp",
            "/site/content/releases/a/b.md~",
            "/site/content/releases/a/4913",
            "/site/content/releases/a/.#b.md",
            "/site/output/index.html",
            "/site/target/x",
            "/site/.git/index",
            "/elsewhere/content/a.md",
        ] {
            assert!(!relevant(root, Path::new(p)), "{p}");
        }
    }
}
