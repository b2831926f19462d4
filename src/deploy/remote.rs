//! The remote side of a target: opening it with OpenDAL (credentials from the environment or
//! profile files, transient errors retried with backoff), listing what it holds, reading and
//! writing the manifest `.gazette-deploy.json` (path → MD5, size and headers of what the last
//! deploy stored), and putting and deleting single files. It does not decide what to change.

use std::collections::BTreeMap;
use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, HttpTransporter, Operator};
use serde::{Deserialize, Serialize};

use super::config::{Target, TargetKind};
use super::error::DeployError;
use super::headers::Headers;

/// The manifest's key under the target's prefix.
pub const MANIFEST: &str = ".gazette-deploy.json";
/// Where a folder target's files are written before they are renamed into place.
pub const FS_TMP: &str = ".gazette-deploy-tmp";
/// The manifest format this module writes.
pub const MANIFEST_VERSION: u32 = 1;

/// What the last deploy stored for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// MD5 and size of the local file.
    pub md5: String,
    pub size: u64,
    #[serde(flatten)]
    pub headers: Headers,
    /// MD5 and size of the stored body when it differs from the file (gzip-compressed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_size: Option<u64>,
}

impl Stored {
    /// MD5 of the bytes the storage holds.
    pub fn body_md5(&self) -> &str {
        self.stored_md5.as_deref().unwrap_or(&self.md5)
    }

    /// Size of the bytes the storage holds.
    pub fn body_size(&self) -> u64 {
        self.stored_size.unwrap_or(self.size)
    }
}

/// The remote manifest: what each file was stored as. Sorted, so it is deterministic.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub gazette_deploy: u32,
    pub files: BTreeMap<String, Stored>,
    /// Paths a deploy was changing when this manifest was stored: their remote state is
    /// unknown until a deploy finishes (uploaded again if the site has them, else deleted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
}

impl Manifest {
    /// The manifest as JSON, one file a line (readable, diffable, and smaller than pretty
    /// JSON), keys sorted.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = Vec::with_capacity(self.files.len() * 160 + 64);
        json.extend_from_slice(
            format!("{{\"gazette_deploy\":{},\"files\":{{", self.gazette_deploy).as_bytes(),
        );
        for (i, (k, v)) in self.files.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.push(b'\n');
            json.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
            json.push(b':');
            json.extend_from_slice(serde_json::to_string(v).unwrap_or_default().as_bytes());
        }
        json.extend_from_slice(b"\n}");
        if !self.pending.is_empty() {
            json.extend_from_slice(b",\"pending\":");
            json.extend_from_slice(
                serde_json::to_string(&self.pending)
                    .unwrap_or_default()
                    .as_bytes(),
            );
        }
        json.extend_from_slice(b"}\n");
        json
    }
}

/// One object found by listing.
#[derive(Debug, Clone)]
pub struct Listed {
    pub size: u64,
    /// The MD5 when the storage's ETag is one (a simple upload's), lowercase hex.
    pub md5: Option<String>,
}

/// An opened target.
#[derive(Clone)]
pub struct Remote {
    op: Operator,
    /// A folder target's temporary folder, removed when a deploy is done.
    fs_tmp: Option<std::path::PathBuf>,
}

/// How many times a failed request is retried (with exponential backoff and jitter).
const RETRIES: usize = 5;

impl Remote {
    /// Open `target`. Nothing is sent yet.
    pub fn open(target: &Target, workers: usize) -> Result<Remote, DeployError> {
        let setup = |e: opendal::Error| DeployError::Setup {
            target: target.name.clone(),
            message: e.to_string(),
        };
        let mut fs_tmp = None;
        let op = match &target.kind {
            TargetKind::S3 {
                bucket,
                endpoint,
                region,
                profile,
                virtual_host_style,
            } => {
                let mut b = opendal::services::S3::default()
                    .bucket(bucket)
                    .root(&format!("/{}", target.prefix));
                if let Some(e) = endpoint {
                    b = b.endpoint(e);
                }
                // S3-compatible stores accept any region; AWS needs the bucket's own.
                let region = region
                    .clone()
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
                    .unwrap_or_else(|| "us-east-1".into());
                b = b.region(&region);
                if let Some(p) = profile {
                    b = b.profile(p);
                }
                if *virtual_host_style {
                    b = b.enable_virtual_host_style();
                }
                if endpoint.is_some() {
                    // Only AWS has an instance metadata service worth asking.
                    b = b.disable_ec2_metadata();
                }
                Operator::new(b).map_err(setup)?
            }
            TargetKind::Fs { path } => {
                let root = if target.prefix.is_empty() {
                    path.clone()
                } else {
                    path.join(&target.prefix)
                };
                std::fs::create_dir_all(&root).map_err(|e| DeployError::Setup {
                    target: target.name.clone(),
                    message: format!("cannot create {}: {e}", root.display()),
                })?;
                let root_s = root.to_string_lossy().to_string();
                fs_tmp = Some(root.join(FS_TMP));
                let tmp = root.join(FS_TMP).to_string_lossy().to_string();
                Operator::new(
                    opendal::services::Fs::default()
                        .root(&root_s)
                        .atomic_write_dir(&tmp),
                )
                .map_err(setup)?
            }
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(workers.max(1))
            .build()
            .map_err(|e| DeployError::Setup {
                target: target.name.clone(),
                message: format!("HTTP client: {e}"),
            })?;
        let transport = HttpTransporter::new(
            opendal_http_transport_reqwest::ReqwestTransport::new(client),
        );
        let ctx = op.base_context().with_http_transport(transport);
        let op = op
            .with_context(ctx)
            .layer(
                TimeoutLayer::new()
                    .with_timeout(Duration::from_secs(60))
                    .with_io_timeout(Duration::from_secs(20)),
            )
            .layer(
                RetryLayer::new()
                    .with_max_times(RETRIES)
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(5))
                    .with_factor(2.0)
                    .with_jitter(),
            );
        Ok(Remote { op, fs_tmp })
    }

    /// Every object under the prefix but Gazette's own (manifest, temporary files).
    pub async fn list(&self) -> opendal::Result<BTreeMap<String, Listed>> {
        use futures_util::TryStreamExt;
        let mut out = BTreeMap::new();
        let mut lister = self.op.lister_with("").recursive(true).await?;
        while let Some(entry) = lister.try_next().await? {
            let path = entry.path();
            let meta = entry.metadata();
            if path.ends_with('/') || meta.is_dir() || is_own(path) {
                continue;
            }
            let md5 = meta.etag().and_then(etag_md5);
            out.insert(
                path.to_string(),
                Listed {
                    size: meta.content_length(),
                    md5,
                },
            );
        }
        Ok(out)
    }

    /// The manifest of the last deploy, if there is one.
    pub async fn read_manifest(&self) -> Result<Option<Manifest>, DeployError> {
        let bytes = match self.op.read(MANIFEST).await {
            Ok(b) => b.to_vec(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(DeployError::Storage {
                    action: "reading",
                    path: MANIFEST.into(),
                    message: e.to_string(),
                    started: false,
                });
            }
        };
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| DeployError::BadManifest {
            message: e.to_string(),
        })?;
        if m.gazette_deploy != MANIFEST_VERSION {
            return Err(DeployError::BadManifest {
                message: format!(
                    "format {} (this Gazette writes {MANIFEST_VERSION})",
                    m.gazette_deploy
                ),
            });
        }
        Ok(Some(m))
    }

    /// Store the manifest (never cached by a CDN).
    pub async fn write_manifest(&self, m: &Manifest) -> opendal::Result<()> {
        let json = m.to_json();
        self.op
            .write_with(MANIFEST, json)
            .content_type("application/json; charset=utf-8")
            .cache_control("no-store")
            .await
            .map(|_| ())
    }

    /// Store one file with its headers.
    pub async fn put(&self, path: &str, bytes: Vec<u8>, h: &Headers) -> opendal::Result<()> {
        let mut w = self
            .op
            .write_with(path, bytes)
            .content_type(&h.content_type)
            .cache_control(&h.cache_control);
        if let Some(e) = &h.content_encoding {
            w = w.content_encoding(e);
        }
        w.await.map(|_| ())
    }

    /// Tidy up after a finished deploy: a folder target's (empty) temporary folder goes.
    pub fn finish(&self) {
        if let Some(t) = &self.fs_tmp {
            let _ = std::fs::remove_dir(t);
        }
    }

    /// Delete one file (a file already gone is fine).
    pub async fn delete(&self, path: &str) -> opendal::Result<()> {
        self.op.delete(path).await
    }
}

/// Whether a key is Gazette's own bookkeeping, never part of the site.
pub fn is_own(path: &str) -> bool {
    path == MANIFEST || path.starts_with(FS_TMP)
}

/// The MD5 in an ETag, if it is one: `"9e107d9d372bb6826bd81d3542a419d6"`. Multipart and
/// encrypted uploads have other ETags.
pub fn etag_md5(etag: &str) -> Option<String> {
    let t = etag.trim_start_matches("W/").trim_matches('"');
    (t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        assert_eq!(
            etag_md5("\"9E107D9D372BB6826BD81D3542A419D6\"").as_deref(),
            Some("9e107d9d372bb6826bd81d3542a419d6")
        );
        assert_eq!(etag_md5("\"9e107d9d372bb6826bd81d3542a419d6-2\""), None);
    }

    #[test]
    fn manifest_round_trips() {
        let mut files = BTreeMap::new();
        files.insert(
            "index.html".to_string(),
            Stored {
                md5: "x".into(),
                size: 1,
                headers: Headers {
                    content_type: "text/html; charset=utf-8".into(),
                    cache_control: "public".into(),
                    content_encoding: Some("gzip".into()),
                },
                stored_md5: Some("y".into()),
                stored_size: Some(2),
            },
        );
        let m = Manifest {
            gazette_deploy: 1,
            files,
            pending: vec!["gone.html".into()],
        };
        let s = String::from_utf8(m.to_json()).unwrap();
        assert!(s.contains("\n\"index.html\":{\"md5\":\"x\""), "{s}");
        let back: Manifest = serde_json::from_str(&s).unwrap();
        assert_eq!(back.files, m.files);
        assert_eq!(back.pending, m.pending);
    }
}
