//! `gazette check --external`: whether the links a site makes to other sites still work.
//! It gathers every web URL the site links to (bodies with their file:line:column, and
//! every rendered page for what templates and front-matter fields add), asks each distinct
//! URL once ([`http`]), remembers answers for a while ([`cache`]), and turns broken and
//! redirected links into diagnostics at every place that uses them. It contacts nothing but
//! the URLs the site links to, and never the site's own `base_url`.

pub mod cache;
pub mod collect;
pub mod http;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Problem};
pub use collect::{Place, Uses};

/// `[check]` in `site.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LinkCheckConfig {
    /// URLs starting with any of these are not checked (sites that refuse checkers, links
    /// that need a login, ...).
    pub skip_prefixes: Vec<String>,
    /// How long an answer is reused, in hours; 0 never reuses one.
    pub cache_hours: u64,
    /// How long one request may take, in seconds.
    pub timeout_secs: u64,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host (host and port).
    pub per_host: usize,
    /// The least time between the starts of two requests to one host, in milliseconds.
    pub host_delay_ms: u64,
}

impl Default for LinkCheckConfig {
    fn default() -> Self {
        LinkCheckConfig {
            skip_prefixes: Vec::new(),
            cache_hours: 24,
            timeout_secs: 10,
            concurrency: 8,
            per_host: 2,
            host_delay_ms: 0,
        }
    }
}

impl LinkCheckConfig {
    /// What is wrong with these settings, if anything.
    pub fn problem(&self) -> Option<String> {
        for (name, v) in [
            ("timeout_secs", self.timeout_secs as usize),
            ("concurrency", self.concurrency),
            ("per_host", self.per_host),
        ] {
            if v == 0 {
                return Some(format!("check.{name} must be at least 1"));
            }
        }
        None
    }

    /// Is a URL (as sent, as written) to be left alone?
    fn skipped(&self, urls: [&str; 2]) -> bool {
        self.skip_prefixes
            .iter()
            .any(|p| urls.iter().any(|u| u.starts_with(p.as_str())))
    }
}

/// What asking for a URL found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// A 2xx answer, straight away.
    Ok,
    /// A 2xx answer at the end of redirects, from `to`.
    Redirected { to: String },
    /// An error status (4xx, 5xx, or a redirect without a target); `at` is the URL that
    /// gave it when redirects led there.
    Status { code: u16, at: Option<String> },
    /// No answer: timeout, refused connection, unknown host, too many redirects, bad URL.
    Failed { reason: String },
}

impl Outcome {
    /// Only answers from the other site are kept: a failure to reach it says more about
    /// the network at that moment than about the link.
    fn cacheable(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// What a check of external links did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Distinct URLs the site links to (skipped ones included).
    pub urls: usize,
    /// Skipped by `skip_prefixes`.
    pub skipped: usize,
    /// Answered from the cache.
    pub cached: usize,
    /// Asked over the network.
    pub requested: usize,
    pub broken: usize,
    pub redirected: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "external links: {} distinct, {} checked now, {} from the cache, {} skipped; {} broken, {} redirected",
            self.urls, self.requested, self.cached, self.skipped, self.broken, self.redirected
        )
    }
}

/// Check every URL of `uses` (web URLs by place of use), reusing and updating the cache
/// under `root`. Returns a diagnostic per place of every broken link (errors) and
/// redirected link (warnings).
pub fn check(
    uses: &Uses,
    config: &LinkCheckConfig,
    root: &Path,
    now_secs: i64,
) -> (Vec<Diagnostic>, Summary) {
    let mut summary = Summary {
        urls: uses.len(),
        ..Summary::default()
    };
    let max_age = config.cache_hours as i64 * 3600;
    let mut cached = cache::load(root);
    cached.retain(|_, c| now_secs.saturating_sub(c.checked) < max_age);
    // Answers by URL without its fragment (never sent: `page#a` and `page#b` are one page).
    let mut outcomes: BTreeMap<&str, Outcome> = BTreeMap::new();
    let mut ask = std::collections::BTreeSet::new();
    for url in uses.urls() {
        let target = without_fragment(url);
        if config.skipped([url, uses.written(url)]) {
            summary.skipped += 1;
        } else if outcomes.contains_key(target) || ask.contains(target) {
            // Known already, through another fragment.
        } else if let Some(c) = cached.get(target) {
            summary.cached += 1;
            outcomes.insert(target, c.outcome.clone());
        } else {
            ask.insert(target);
        }
    }
    let ask: Vec<String> = ask.into_iter().map(str::to_string).collect();
    summary.requested = ask.len();
    let settings = http::Settings {
        timeout: Duration::from_secs(config.timeout_secs),
        concurrency: config.concurrency,
        per_host: config.per_host,
        host_delay: Duration::from_millis(config.host_delay_ms),
    };
    let answers = http::check_all(ask, &settings);
    for (url, outcome) in &answers {
        if outcome.cacheable() && max_age > 0 {
            cached.insert(
                url.clone(),
                cache::Cached {
                    checked: now_secs,
                    outcome: outcome.clone(),
                },
            );
        }
    }
    // A cache that cannot be written only makes the next run slower.
    let _ = cache::save(root, &cached);
    for (url, outcome) in &answers {
        outcomes.insert(url, outcome.clone());
    }
    let mut diags = Vec::new();
    for url in uses.urls() {
        if config.skipped([url, uses.written(url)]) {
            continue;
        }
        let Some(outcome) = outcomes.get(without_fragment(url)).cloned() else {
            continue;
        };
        let (problem, error) = match outcome {
            Outcome::Ok => continue,
            Outcome::Redirected { to } => (
                Problem::ExternalRedirect {
                    url: uses.written(url).to_string(),
                    to,
                    more_pages: 0,
                },
                false,
            ),
            Outcome::Status { code, at } => (
                Problem::ExternalBroken {
                    url: uses.written(url).to_string(),
                    why: match at {
                        Some(at) => format!("{} (after redirects, at {at})", status_text(code)),
                        None => status_text(code),
                    },
                    more_pages: 0,
                },
                true,
            ),
            Outcome::Failed { reason } => (
                Problem::ExternalBroken {
                    url: uses.written(url).to_string(),
                    why: reason,
                    more_pages: 0,
                },
                true,
            ),
        };
        if error {
            summary.broken += 1;
        } else {
            summary.redirected += 1;
        }
        diags.extend(uses.diagnostics(url, &problem, error));
    }
    (diags, summary)
}

/// `url` without its `#fragment`.
fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

/// `404 Not Found`, or the bare code for one without a common name.
fn status_text(code: u16) -> String {
    let name = match code {
        300 => "Multiple Choices",
        301..=308 => "redirect without a Location",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return format!("HTTP status {code}"),
    };
    format!("HTTP status {code} {name}")
}
