//! Why a deploy stopped, with what a person needs to act on it. Messages name files, targets
//! and keys, never a credential's value. It only describes; it must not decide anything.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostics::Diagnostic;
use crate::load::source::SourceFile;

/// Why `gazette deploy` did not finish.
#[derive(Debug)]
pub enum DeployError {
    /// Problems in `site.toml`'s `[deploy]` section (located, with hints).
    Config {
        diagnostics: Vec<Diagnostic>,
        source: Option<SourceFile>,
    },
    /// `--target` names no declared target, or none is declared.
    NoTarget { message: String },
    /// The output folder does not exist or is not a folder.
    NoOutput { path: PathBuf },
    /// Reading the output folder failed.
    ReadOutput { path: PathBuf, message: String },
    /// The deploy would delete more remote files than allowed.
    TooManyDeletes { count: usize, max: usize },
    /// The storage could not be set up (bad endpoint, missing region, credentials).
    Setup { target: String, message: String },
    /// A storage operation failed after its retries. `started` is true when some change was
    /// already made on the remote: a rerun finishes the job.
    Storage {
        action: &'static str,
        path: String,
        message: String,
        started: bool,
    },
    /// The remote manifest is not one this version of Gazette wrote.
    BadManifest { message: String },
}

impl DeployError {
    /// Whether the remote may have been changed before the error (exit code 3, not 1).
    pub fn partial(&self) -> bool {
        matches!(self, DeployError::Storage { started: true, .. })
    }

    /// The full report for a terminal: located diagnostics with snippets for configuration
    /// problems, one line otherwise.
    pub fn report(&self) -> String {
        match self {
            DeployError::Config {
                diagnostics,
                source: Some(source),
            } => {
                let mut map = crate::diagnostics::SourceMap::default();
                map.insert(source.path.clone(), source.text().clone());
                crate::diagnostics::render_report(diagnostics, &map)
            }
            other => format!("error: {other}\n"),
        }
    }
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Config { diagnostics, .. } => {
                for d in diagnostics {
                    writeln!(f, "{d}")?;
                }
                Ok(())
            }
            DeployError::NoTarget { message } => write!(f, "{message}"),
            DeployError::NoOutput { path } => write!(
                f,
                "{} does not exist: nothing to deploy; hint: run `gazette build` first",
                path.display()
            ),
            DeployError::ReadOutput { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            DeployError::TooManyDeletes { count, max } => write!(
                f,
                "refusing to delete {count} remote files (more than --max-deletes {max}); nothing was changed; hint: check that the output folder is the whole site, then rerun with --max-deletes {count} (or -1 for no limit)"
            ),
            DeployError::Setup { target, message } => {
                write!(f, "cannot set up target `{target}`: {message}")
            }
            DeployError::Storage {
                action,
                path,
                message,
                started,
            } => {
                write!(f, "{action} `{path}` failed after retries: {message}")?;
                if *started {
                    write!(
                        f,
                        "; the remote is partly updated (every page still has its links); rerun `gazette deploy` to finish"
                    )?;
                } else {
                    write!(f, "; nothing was changed on the remote")?;
                }
                Ok(())
            }
            DeployError::BadManifest { message } => write!(
                f,
                "the remote manifest .gazette-deploy.json is unreadable ({message}); hint: rerun with --force to upload everything and rewrite it"
            ),
        }
    }
}

impl std::error::Error for DeployError {}
