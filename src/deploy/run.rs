//! Carrying out a plan: the pending manifest first, then each tier's uploads in parallel
//! (`--workers`), deletions, and the final manifest; progress in files and bytes. Retries of
//! transient errors happen below, in the storage layer (see `remote.rs`). It follows the plan;
//! it must not change it.

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

use super::error::DeployError;
use super::local::md5_hex;
use super::plan::Plan;
use super::remote::{MANIFEST, Manifest, Remote, Stored};

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Done {
    pub uploaded: usize,
    pub deleted: usize,
    pub bytes: u64,
}

/// Run `plan` against `remote`. `old` is the manifest the plan was made from.
pub async fn execute(
    remote: &Remote,
    plan: &Plan,
    old: Option<&Manifest>,
    workers: usize,
    bar: &ProgressBar,
) -> Result<Done, DeployError> {
    let workers = workers.max(1);
    let mut done = Done::default();
    let mut uploaded: Vec<(String, Stored)> = Vec::with_capacity(plan.upload_count());
    let storage =
        |action: &'static str, path: &str, e: opendal::Error, started: bool| DeployError::Storage {
            action,
            path: path.to_string(),
            message: e.to_string(),
            started,
        };
    if plan.is_empty() {
        let final_manifest = plan.final_manifest([]);
        if old.is_none_or(|m| m.files != final_manifest.files || !m.pending.is_empty()) {
            remote
                .write_manifest(&final_manifest)
                .await
                .map_err(|e| storage("writing", MANIFEST, e, false))?;
        }
        return Ok(done);
    }
    remote
        .write_manifest(&plan.pending_manifest(old))
        .await
        .map_err(|e| storage("writing", MANIFEST, e, false))?;
    bar.set_length(plan.upload_bytes());
    let total_files = plan.upload_count() + plan.deletes.len();
    let mut files_done = 0usize;
    for (tier, uploads) in &plan.tiers {
        bar.set_message(format!(
            "{files_done}/{total_files} files · {}",
            tier.label()
        ));
        let mut set: JoinSet<Result<(String, Stored), DeployError>> = JoinSet::new();
        let mut queue = uploads.iter();
        loop {
            while set.len() < workers {
                let Some(u) = queue.next() else { break };
                let remote = remote.clone();
                let u = u.clone();
                set.spawn(async move {
                    let bytes = tokio::fs::read(&u.file.abs).await.map_err(|e| {
                        DeployError::ReadOutput {
                            path: u.file.abs.clone(),
                            message: e.to_string(),
                        }
                    })?;
                    if md5_hex(&bytes) != u.file.md5 {
                        return Err(DeployError::ReadOutput {
                            path: u.file.abs.clone(),
                            message: "it changed during the deploy (was a build running?); rerun when the build is done".into(),
                        });
                    }
                    let mut stored = Stored {
                        md5: u.file.md5.clone(),
                        size: u.file.size,
                        headers: u.headers.clone(),
                        stored_md5: None,
                        stored_size: None,
                    };
                    let body = if u.headers.content_encoding.as_deref() == Some("gzip") {
                        let gz = gzip(&bytes).map_err(|e| DeployError::ReadOutput {
                            path: u.file.abs.clone(),
                            message: format!("compressing: {e}"),
                        })?;
                        stored.stored_md5 = Some(md5_hex(&gz));
                        stored.stored_size = Some(gz.len() as u64);
                        gz
                    } else {
                        bytes
                    };
                    remote
                        .put(&u.file.path, body, &u.headers)
                        .await
                        .map_err(|e| DeployError::Storage {
                            action: "uploading",
                            path: u.file.path.clone(),
                            message: e.to_string(),
                            started: true,
                        })?;
                    Ok((u.file.path, stored))
                });
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            let (path, stored) = joined.map_err(|e| DeployError::Storage {
                action: "uploading",
                path: String::new(),
                message: e.to_string(),
                started: true,
            })??;
            done.bytes += stored.body_size();
            bar.inc(stored.size);
            uploaded.push((path, stored));
            done.uploaded += 1;
            files_done += 1;
            bar.set_message(format!(
                "{files_done}/{total_files} files · {}",
                tier.label()
            ));
        }
    }
    bar.set_message(format!("{files_done}/{total_files} files · deleting"));
    let mut set: JoinSet<Result<(), DeployError>> = JoinSet::new();
    let mut queue = plan.deletes.iter();
    loop {
        while set.len() < workers {
            let Some(p) = queue.next() else { break };
            let remote = remote.clone();
            let p = p.clone();
            set.spawn(async move {
                remote.delete(&p).await.map_err(|e| DeployError::Storage {
                    action: "deleting",
                    path: p.clone(),
                    message: e.to_string(),
                    started: true,
                })
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        joined.map_err(|e| DeployError::Storage {
            action: "deleting",
            path: String::new(),
            message: e.to_string(),
            started: true,
        })??;
        done.deleted += 1;
        files_done += 1;
        bar.set_message(format!("{files_done}/{total_files} files · deleting"));
    }
    remote
        .write_manifest(&plan.final_manifest(uploaded))
        .await
        .map_err(|e| storage("writing", MANIFEST, e, true))?;
    remote.finish();
    Ok(done)
}

/// gzip at the default level; deterministic (no name, no time in the header).
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::default(),
    );
    e.write_all(bytes)?;
    e.finish()
}

/// The progress bar (drawn only on a terminal).
pub fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
