//! The `[deploy]` section of `site.toml`: targets (`[[deploy.targets]]`) and Cache-Control
//! rules (`[[deploy.rules]]`). It parses and checks them, with file:line:column for every
//! problem, and refuses anything that looks like a credential. It must not read credentials
//! (they come from the environment or the storage's profile files, see `remote.rs`) nor talk
//! to any storage.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, Problem};
use crate::load::source::SourceFile;

/// Where a target keeps the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// An S3-compatible bucket (AWS S3, MinIO, the S3 endpoints of OSS, COS, OBS).
    S3 {
        bucket: String,
        /// `https://host[:port]`; AWS's regional endpoint when absent.
        endpoint: Option<String>,
        region: Option<String>,
        /// A profile in `~/.aws/credentials` / `~/.aws/config` (a name, not a secret).
        profile: Option<String>,
        /// `https://bucket.host/key` instead of `https://host/bucket/key` (OSS and COS need it).
        virtual_host_style: bool,
    },
    /// A local folder (a web server's document root, a mounted share).
    Fs { path: PathBuf },
}

/// One declared target.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Key prefix (folder) inside the bucket or folder, without leading or trailing `/`.
    pub prefix: String,
    /// Store text files gzip-compressed with `Content-Encoding: gzip`.
    pub gzip: bool,
}

impl Target {
    /// `s3://bucket/prefix` or the folder: where the site goes, for messages.
    pub fn describe(&self) -> String {
        let p = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("/{}", self.prefix)
        };
        match &self.kind {
            TargetKind::S3 {
                bucket, endpoint, ..
            } => match endpoint {
                Some(e) => format!("s3://{bucket}{p} at {e}"),
                None => format!("s3://{bucket}{p}"),
            },
            TargetKind::Fs { path } => format!("{}{p}", path.display()),
        }
    }
}

/// A Cache-Control rule: the first rule whose pattern matches a file's path wins.
#[derive(Debug, Clone)]
pub struct Rule {
    pub pattern: String,
    pub cache_control: Option<String>,
    pub content_type: Option<String>,
    /// Store matching files gzip-compressed (or not), whatever the target says.
    pub gzip: Option<bool>,
}

/// The checked `[deploy]` section.
#[derive(Debug, Clone, Default)]
pub struct DeployConfig {
    pub targets: Vec<Target>,
    pub rules: Vec<Rule>,
}

impl DeployConfig {
    /// The target called `name`, or the only/first one when no name is given.
    pub fn target(&self, name: Option<&str>) -> Result<&Target, String> {
        let names = || {
            self.targets
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            None => self.targets.first().ok_or_else(|| {
                "site.toml declares no deploy target; add one under [[deploy.targets]] (see the README, \"Publishing: gazette deploy\")".to_string()
            }),
            Some(n) => self.targets.iter().find(|t| t.name == n).ok_or_else(|| {
                if self.targets.is_empty() {
                    format!("no deploy target `{n}`: site.toml declares none under [[deploy.targets]]")
                } else {
                    format!("no deploy target `{n}`; site.toml declares {}", names())
                }
            }),
        }
    }
}

#[derive(Deserialize)]
struct Wrapper {
    #[serde(default)]
    deploy: Option<RawDeploy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeploy {
    #[serde(default)]
    targets: Vec<Spanned<RawTarget>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    kind: Spanned<String>,
    bucket: Option<String>,
    endpoint: Option<Spanned<String>>,
    region: Option<String>,
    profile: Option<String>,
    #[serde(default)]
    virtual_host_style: bool,
    path: Option<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    gzip: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    pattern: Spanned<String>,
    cache_control: Option<String>,
    content_type: Option<String>,
    gzip: Option<bool>,
}

/// Words in a key's name that mark it as a credential.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "token",
    "access_key",
    "accesskey",
    "access-key",
    "credential",
    "private_key",
    "api_key",
    "apikey",
    "sas",
];

/// Whether a key's name looks like it holds a credential (`secret_access_key`, `token`,
/// `ak`/`sk`, anything ending in `key` or `key_id`).
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    SECRET_WORDS.iter().any(|w| k.contains(w))
        || matches!(k.as_str(), "key" | "ak" | "sk" | "auth")
        || k.ends_with("_key")
        || k.ends_with("key_id")
        || k.ends_with("keyid")
}

/// Read `site.toml` under `root` and check its `[deploy]` section.
/// On failure, the problems and the file's text (for a report with snippets).
pub fn load(root: &Path) -> Result<DeployConfig, (Vec<Diagnostic>, Option<SourceFile>)> {
    let rel = Path::new("site.toml");
    let text = std::fs::read_to_string(root.join(rel)).map_err(|e| {
        let d = Diagnostic::error(Problem::Io {
            message: format!("{e} (is {} a Gazette site?)", root.display()),
        })
        .in_file(rel);
        (vec![d], None)
    })?;
    let source = SourceFile::new(rel.to_path_buf(), Arc::from(text));
    parse(&source, root).map_err(|d| (d, Some(source)))
}

/// Check the `[deploy]` section of `site.toml`'s text; relative `fs` paths are taken from
/// `root`.
pub fn parse(source: &SourceFile, root: &Path) -> Result<DeployConfig, Vec<Diagnostic>> {
    let text = &**source.text();
    let config_error = |message: String, span: std::ops::Range<usize>, field: &str| {
        let d = source.diagnostic(Problem::Config { message }, span);
        if field.is_empty() {
            d
        } else {
            d.with_field(field)
        }
    };
    // Credentials first, before anything could echo a value: every key at the top level and
    // anywhere under [deploy].
    let (table, errors) = DeTable::parse_recoverable(text);
    if let Some(e) = errors.first() {
        return Err(vec![config_error(
            e.message().trim().to_string(),
            e.span().unwrap_or(0..0),
            "",
        )]);
    }
    let mut secrets = Vec::new();
    for (key, value) in table.get_ref() {
        if looks_secret(key.get_ref()) {
            secrets.push((key.get_ref().to_string(), key.span()));
        }
        if key.get_ref() == "deploy" {
            find_secrets(value, "deploy", &mut secrets);
        }
    }
    if !secrets.is_empty() {
        return Err(secrets
            .into_iter()
            .map(|(path, span)| {
                // Located, but without the span: a report would show the line, value and all.
                let mut d = config_error(
                    format!(
                        "`{path}` looks like a credential, and site.toml is no place for one (it is committed and shared); hint: remove it and give credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or in a profile of ~/.aws/credentials named by `profile`"
                    ),
                    span,
                    &path,
                );
                d.span = None;
                d
            })
            .collect());
    }

    let raw: Wrapper = toml::from_str(text).map_err(|e| {
        vec![config_error(
            format!(
                "{} (in [deploy]; expected keys: targets: name, kind, bucket, endpoint, region, profile, virtual_host_style, path, prefix, gzip; rules: pattern, cache_control, content_type, gzip)",
                e.message().trim()
            ),
            e.span().unwrap_or(0..0),
            "",
        )]
    })?;
    let Some(raw) = raw.deploy else {
        return Ok(DeployConfig::default());
    };
    let mut diags = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for (i, t) in raw.targets.into_iter().enumerate() {
        let span = t.span();
        let t = t.into_inner();
        let field = format!("deploy.targets[{i}]");
        if t.name.is_empty() || t.name.contains(char::is_whitespace) {
            diags.push(config_error(
                format!("target name `{}` must be a non-empty word", t.name),
                span.clone(),
                &format!("{field}.name"),
            ));
        }
        if targets.iter().any(|x| x.name == t.name) {
            diags.push(config_error(
                format!("a second target named `{}`; names must be unique", t.name),
                span.clone(),
                &format!("{field}.name"),
            ));
        }
        let prefix = t.prefix.trim_matches('/').to_string();
        if prefix.split('/').any(|s| s == ".." || s == ".") {
            diags.push(config_error(
                format!("prefix `{}` may not contain `.` or `..` segments", t.prefix),
                span.clone(),
                &format!("{field}.prefix"),
            ));
        }
        let kind = match t.kind.get_ref().as_str() {
            "s3" => {
                let Some(bucket) = t.bucket.filter(|b| !b.is_empty()) else {
                    diags.push(config_error(
                        "an s3 target needs `bucket`".into(),
                        span.clone(),
                        &format!("{field}.bucket"),
                    ));
                    continue;
                };
                if t.path.is_some() {
                    diags.push(config_error(
                        "`path` is for kind = \"fs\"; an s3 target has `bucket` and `prefix`"
                            .into(),
                        span.clone(),
                        &format!("{field}.path"),
                    ));
                }
                let endpoint = match t.endpoint {
                    Some(e) => {
                        let ok = (e.get_ref().starts_with("https://")
                            || e.get_ref().starts_with("http://"))
                            && url::Url::parse(e.get_ref())
                                .is_ok_and(|u| u.username().is_empty() && u.password().is_none());
                        if !ok {
                            // An endpoint with a password in it is not echoed.
                            let shown = if e.get_ref().contains('@') {
                                "(with user information)".to_string()
                            } else {
                                format!("`{}`", e.get_ref())
                            };
                            let mut d = config_error(
                                format!(
                                    "endpoint {shown} must be an http(s) URL without user or password, such as https://oss-cn-hangzhou.aliyuncs.com",
                                ),
                                e.span(),
                                &format!("{field}.endpoint"),
                            );
                            if e.get_ref().contains('@') {
                                // The snippet would show the line, password and all.
                                d.span = None;
                            }
                            diags.push(d);
                        }
                        Some(e.into_inner().trim_end_matches('/').to_string())
                    }
                    None => None,
                };
                TargetKind::S3 {
                    bucket,
                    endpoint,
                    region: t.region,
                    profile: t.profile,
                    virtual_host_style: t.virtual_host_style,
                }
            }
            "fs" => {
                let Some(path) = t.path.filter(|p| !p.is_empty()) else {
                    diags.push(config_error(
                        "an fs target needs `path` (the folder to publish into)".into(),
                        span.clone(),
                        &format!("{field}.path"),
                    ));
                    continue;
                };
                if t.bucket.is_some() || t.endpoint.is_some() || t.region.is_some() {
                    diags.push(config_error(
                        "`bucket`, `endpoint` and `region` are for kind = \"s3\"".into(),
                        span.clone(),
                        &field,
                    ));
                }
                TargetKind::Fs {
                    path: root.join(path),
                }
            }
            other => {
                diags.push(config_error(
                    format!("unknown target kind `{other}`; expected \"s3\" or \"fs\""),
                    t.kind.span(),
                    &format!("{field}.kind"),
                ));
                continue;
            }
        };
        targets.push(Target {
            name: t.name,
            kind,
            prefix,
            gzip: t.gzip,
        });
    }
    let mut rules = Vec::new();
    for (i, r) in raw.rules.into_iter().enumerate() {
        let r = r.into_inner();
        if let Err(e) = globset::Glob::new(r.pattern.get_ref()) {
            diags.push(config_error(
                format!("pattern `{}` is not a glob: {e}", r.pattern.get_ref()),
                r.pattern.span(),
                &format!("deploy.rules[{i}].pattern"),
            ));
            continue;
        }
        rules.push(Rule {
            pattern: r.pattern.into_inner(),
            cache_control: r.cache_control,
            content_type: r.content_type,
            gzip: r.gzip,
        });
    }
    if diags.is_empty() {
        Ok(DeployConfig { targets, rules })
    } else {
        Err(diags)
    }
}

fn find_secrets(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    out: &mut Vec<(String, std::ops::Range<usize>)>,
) {
    match value.get_ref() {
        DeValue::Table(t) => {
            for (k, v) in t {
                let p = format!("{path}.{}", k.get_ref());
                if looks_secret(k.get_ref()) {
                    out.push((p.clone(), k.span()));
                }
                find_secrets(v, &p, out);
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                find_secrets(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(t: &str) -> Result<DeployConfig, Vec<Diagnostic>> {
        parse(
            &SourceFile::new("site.toml".into(), Arc::from(t)),
            Path::new("/site"),
        )
    }

    #[test]
    fn targets_parse() {
        let c = parse_text(
            "title = \"x\"\n[[deploy.targets]]\nname = \"prod\"\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:9000/\"\nprefix = \"/site/\"\n[[deploy.targets]]\nname = \"local\"\nkind = \"fs\"\npath = \"public\"\n",
        )
        .unwrap();
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[0].prefix, "site");
        assert!(
            matches!(&c.targets[0].kind, TargetKind::S3 { endpoint: Some(e), .. } if e == "http://127.0.0.1:9000")
        );
        assert!(
            matches!(&c.targets[1].kind, TargetKind::Fs { path } if path == Path::new("/site/public"))
        );
        assert_eq!(c.target(Some("local")).unwrap().name, "local");
        assert!(c.target(Some("nope")).unwrap_err().contains("`prod`"));
    }

    #[test]
    fn secrets_are_refused_with_position_and_without_value() {
        let e = parse_text(
            "title = \"x\"\n[[deploy.targets]]\nname = \"prod\"\nkind = \"s3\"\nbucket = \"b\"\nsecret_access_key = \"hunter2-SECRET\"\n",
        )
        .unwrap_err();
        let text = e[0].to_string();
        assert!(text.starts_with("site.toml:6:1:"), "{text}");
        assert!(
            text.contains("deploy.targets[0].secret_access_key"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn an_endpoint_with_a_password_is_refused_unechoed() {
        let e = parse_text(
            "[[deploy.targets]]\nname = \"a\"\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"https://u:pw-XYZ@host\"\n",
        )
        .unwrap_err();
        let text = e[0].to_string();
        assert!(text.contains("site.toml:5:12"), "{text}");
        assert!(!text.contains("pw-XYZ"), "{text}");
    }

    #[test]
    fn credential_names() {
        for k in [
            "secret",
            "AWS_SECRET_ACCESS_KEY",
            "session-token",
            "sk",
            "key",
            "oss_key_id",
            "password",
        ] {
            assert!(looks_secret(k), "{k}");
        }
        for k in [
            "name", "bucket", "endpoint", "region", "prefix", "profile", "kind", "path", "gzip",
        ] {
            assert!(!looks_secret(k), "{k}");
        }
    }

    #[test]
    fn unknown_kind_and_missing_bucket() {
        let e = parse_text("[[deploy.targets]]\nname = \"a\"\nkind = \"ftp\"\n").unwrap_err();
        assert!(e[0].to_string().contains("site.toml:3:8"), "{}", e[0]);
        let e = parse_text("[[deploy.targets]]\nname = \"a\"\nkind = \"s3\"\n").unwrap_err();
        assert!(e[0].to_string().contains("needs `bucket`"), "{}", e[0]);
    }
}
