//! `gazette deploy`: publish the built output folder to a target declared in `site.toml`
//! (S3-compatible storage or a local folder), uploading only what changed, in an order that
//! never leaves a link dangling, deleting what the site no longer has last. This module
//! strings the steps together (`config` → `local` → `remote` listing → `plan` → `run`); it
//! must not build the site, and nothing in it prints (the CLI does).

pub mod config;
pub mod error;
pub mod headers;
pub mod local;
pub mod plan;
pub mod remote;
pub mod run;

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

pub use error::DeployError;
use plan::Plan;
use remote::{Manifest, Remote};

/// What `gazette deploy` was asked to do.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub root: PathBuf,
    /// The built site (default: `<root>/output`).
    pub output: Option<PathBuf>,
    /// The target's name (default: the first declared).
    pub target: Option<String>,
    pub dry_run: bool,
    /// Upload every file, whatever the remote holds.
    pub force: bool,
    /// List the remote even when a manifest exists, and compare each object's size and
    /// ETag: finds objects changed or deleted behind Gazette's back.
    pub verify: bool,
    /// Refuse a deploy that would delete more remote files than this (`None`: no limit).
    pub max_deletes: Option<usize>,
    /// Uploads and deletions in flight at once.
    pub workers: usize,
}

/// The default of `--max-deletes`.
pub const DEFAULT_MAX_DELETES: usize = 256;
/// The default of `--workers`.
pub const DEFAULT_WORKERS: usize = 8;

/// A deploy ready to run: the remote listed and the plan made, nothing changed yet.
pub struct Prepared {
    runtime: tokio::runtime::Runtime,
    remote: Remote,
    manifest: Option<Manifest>,
    pub plan: Plan,
    /// `name (where)` of the target.
    pub target: String,
    /// Things worth knowing before publishing (an output older than its sources).
    pub warnings: Vec<String>,
    workers: usize,
    dry_run: bool,
    started: Instant,
}

/// What a deploy did (or, for a dry run, would do).
#[derive(Debug, Clone)]
pub struct Summary {
    pub target: String,
    pub dry_run: bool,
    pub uploaded: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub bytes: u64,
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (up, del) = if self.dry_run {
            ("to upload", "to delete")
        } else {
            ("uploaded", "deleted")
        };
        write!(
            f,
            "{}{}: {} {up}, {} {del}, {} unchanged, {} ({} bytes), {:.2} s",
            if self.dry_run {
                "dry run, "
            } else {
                "deployed to "
            },
            self.target,
            self.uploaded,
            self.deleted,
            self.unchanged,
            indicatif::HumanBytes(self.bytes),
            self.bytes,
            self.seconds
        )
    }
}

/// Read the configuration and the output, list the remote and plan the deploy. Nothing is
/// changed on the remote.
pub fn prepare(opts: &DeployOptions) -> Result<Prepared, DeployError> {
    let started = Instant::now();
    let cfg = config::load(&opts.root).map_err(|(diagnostics, source)| DeployError::Config {
        diagnostics,
        source,
    })?;
    let target = cfg
        .target(opts.target.as_deref())
        .map_err(|message| DeployError::NoTarget { message })?
        .clone();
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| opts.root.join("output"));
    if !output.is_dir() {
        return Err(DeployError::NoOutput { path: output });
    }
    let local = local::inventory(&output).map_err(|e| DeployError::ReadOutput {
        path: output.clone(),
        message: e.to_string(),
    })?;
    let mut warnings = Vec::new();
    if local.is_empty() {
        warnings.push(format!("{} is empty", output.display()));
    }
    let newest_output = local.iter().filter_map(|f| f.modified).max();
    if let (Some(out_t), Some((src_t, src))) = (newest_output, local::newest_source(&opts.root))
        && src_t > out_t
    {
        warnings.push(format!(
            "{} is older than the sources ({} changed after the last build); deploying it as it is — run `gazette build` first to publish the change",
            output.display(),
            src.strip_prefix(&opts.root).unwrap_or(&src).display()
        ));
    }
    let remote = Remote::open(&target, opts.workers)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| DeployError::Setup {
            target: target.name.clone(),
            message: e.to_string(),
        })?;
    let manifest = match runtime.block_on(remote.read_manifest()) {
        Ok(m) => m,
        Err(DeployError::BadManifest { .. }) if opts.force => None,
        Err(e) => return Err(e),
    };
    // The manifest is the record of what the remote holds; without one (a first deploy, or
    // a bucket filled by another tool), with --force or --verify, the remote is listed.
    let listing = if manifest.is_none() || opts.force || opts.verify {
        Some(
            runtime
                .block_on(remote.list())
                .map_err(|e| DeployError::Storage {
                    action: "listing",
                    path: target.describe(),
                    message: e.to_string(),
                    started: false,
                })?,
        )
    } else {
        None
    };
    let rules = headers::HeaderRules::new(&cfg.rules);
    let plan = plan::make(
        local,
        &rules,
        manifest.as_ref(),
        listing.as_ref(),
        opts.force,
        target.gzip,
    );
    if let Some(max) = opts.max_deletes
        && plan.deletes.len() > max
    {
        return Err(DeployError::TooManyDeletes {
            count: plan.deletes.len(),
            max,
        });
    }
    Ok(Prepared {
        runtime,
        remote,
        manifest,
        plan,
        target: format!("{} ({})", target.name, target.describe()),
        warnings,
        workers: opts.workers,
        dry_run: opts.dry_run,
        started,
    })
}

impl Prepared {
    /// Every planned change, one line each, in the order they will be made.
    pub fn changes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (tier, uploads) in &self.plan.tiers {
            for u in uploads {
                let gz = if u.headers.content_encoding.is_some() {
                    "; gzip"
                } else {
                    ""
                };
                out.push(format!(
                    "upload {} ({}, {} bytes, {}; {}; {}{gz})",
                    u.file.path,
                    u.reason,
                    u.file.size,
                    tier.label(),
                    u.headers.content_type,
                    u.headers.cache_control
                ));
            }
        }
        for d in &self.plan.deletes {
            out.push(format!("delete {d}"));
        }
        out
    }

    /// Carry out the plan (or, for a dry run, only count it). `progress`: draw a progress bar.
    pub fn run(self, progress: bool) -> Result<Summary, DeployError> {
        let unchanged = self.plan.unchanged.len();
        if self.dry_run {
            return Ok(Summary {
                target: self.target,
                dry_run: true,
                uploaded: self.plan.upload_count(),
                deleted: self.plan.deletes.len(),
                unchanged,
                bytes: self.plan.upload_bytes(),
                seconds: self.started.elapsed().as_secs_f64(),
            });
        }
        let bar = run::progress_bar(progress && !self.plan.is_empty());
        let done = self.runtime.block_on(run::execute(
            &self.remote,
            &self.plan,
            self.manifest.as_ref(),
            self.workers,
            &bar,
        ));
        bar.finish_and_clear();
        let done = done?;
        Ok(Summary {
            target: self.target,
            dry_run: false,
            uploaded: done.uploaded,
            deleted: done.deleted,
            unchanged,
            bytes: done.bytes,
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}
