//! Asking other sites whether URLs work: a few worker threads share one queue per host, so
//! at most `concurrency` requests are in flight, at most `per_host` of them to one host
//! (host and port), started at least `host_delay` apart. Each URL gets a HEAD request, then
//! a GET when HEAD is refused or fails (some servers answer only GET); redirects are
//! followed by hand (at most ten) so the final URL is known. Bodies are never read. It
//! knows nothing of sites or diagnostics.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Outcome;

/// How to ask.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub host_delay: Duration,
}

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

#[derive(Default)]
struct Host {
    pending: VecDeque<String>,
    active: usize,
    next_start: Option<Instant>,
}

struct Queue {
    /// Hosts in a fixed order, so runs ask in the same order.
    hosts: BTreeMap<String, Host>,
    pending: usize,
}

impl Queue {
    /// The next URL that may start now, or how long until one may (`None`: wait for a
    /// request to finish).
    fn take(
        &mut self,
        per_host: usize,
        delay: Duration,
    ) -> Result<(String, String), Option<Duration>> {
        let now = Instant::now();
        let mut soonest: Option<Duration> = None;
        for (name, h) in self.hosts.iter_mut() {
            if h.pending.is_empty() || h.active >= per_host {
                continue;
            }
            match h.next_start {
                Some(t) if t > now => {
                    let wait = t - now;
                    soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
                }
                _ => {
                    if let Some(url) = h.pending.pop_front() {
                        h.active += 1;
                        h.next_start = Some(now + delay);
                        self.pending -= 1;
                        return Ok((name.clone(), url));
                    }
                }
            }
        }
        Err(soonest)
    }
}

/// The host a URL's requests count against: host and port.
fn host_key(url: &url::Url) -> Option<String> {
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default().unwrap_or(0)
    ))
}

/// Ask for every URL of `urls`; the answer for each.
pub fn check_all(urls: Vec<String>, settings: &Settings) -> BTreeMap<String, Outcome> {
    let mut results = BTreeMap::new();
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    let mut pending = 0;
    for u in urls {
        match url::Url::parse(&u) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => match host_key(&parsed) {
                Some(h) => {
                    hosts.entry(h).or_default().pending.push_back(u);
                    pending += 1;
                }
                None => {
                    results.insert(u, failed("the URL has no host"));
                }
            },
            _ => {
                results.insert(u, failed("not a valid http(s) URL"));
            }
        }
    }
    if pending == 0 {
        return results;
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("gazette-link-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let queue = Mutex::new(Queue { hosts, pending });
    let changed = Condvar::new();
    let answers = Mutex::new(Vec::new());
    let workers = settings.concurrency.min(pending).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let (host, url) = {
                        let Ok(mut q) = queue.lock() else { return };
                        loop {
                            if q.pending == 0 {
                                return;
                            }
                            match q.take(settings.per_host, settings.host_delay) {
                                Ok(job) => break job,
                                Err(wait) => {
                                    let wait = wait.unwrap_or(Duration::from_millis(200));
                                    q = match changed.wait_timeout(q, wait) {
                                        Ok((q, _)) => q,
                                        Err(_) => return,
                                    };
                                }
                            }
                        }
                    };
                    let outcome = probe(&agent, &url);
                    if let Ok(mut a) = answers.lock() {
                        a.push((url, outcome));
                    }
                    if let Ok(mut q) = queue.lock()
                        && let Some(h) = q.hosts.get_mut(&host)
                    {
                        h.active -= 1;
                    }
                    changed.notify_all();
                }
            });
        }
    });
    results.extend(answers.into_inner().unwrap_or_default());
    results
}

fn failed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.to_string(),
    }
}

/// Follow `url` through its redirects to an answer.
fn probe(agent: &ureq::Agent, url: &str) -> Outcome {
    // As a browser sends it: non-ASCII paths percent-encoded, hosts in punycode.
    let mut current = url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.to_string());
    for hop in 0..=MAX_REDIRECTS {
        let (code, location) = match ask(agent, &current) {
            Ok(answer) => answer,
            Err(reason) if hop == 0 => return Outcome::Failed { reason },
            Err(reason) => {
                return Outcome::Failed {
                    reason: format!("{reason} (after redirects, at {current})"),
                };
            }
        };
        let at = (hop > 0).then(|| current.clone());
        match code {
            200..=299 => {
                return match at {
                    None => Outcome::Ok,
                    Some(to) => Outcome::Redirected { to },
                };
            }
            301 | 302 | 303 | 307 | 308 => {
                let next = location.and_then(|l| {
                    url::Url::parse(&current)
                        .ok()?
                        .join(&l)
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                });
                match next {
                    Some(n) => current = n.to_string(),
                    None => return Outcome::Status { code, at },
                }
            }
            _ => return Outcome::Status { code, at },
        }
    }
    failed("more than 10 redirects")
}

/// One URL's status and `Location`: HEAD first; GET when HEAD gives an error status or
/// fails other than by timing out (a server that does not answer HEAD in time will not
/// answer GET either).
fn ask(agent: &ureq::Agent, url: &str) -> Result<(u16, Option<String>), String> {
    let answer = |r: ureq::http::Response<ureq::Body>| {
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (r.status().as_u16(), location)
    };
    match agent.head(url).call() {
        Ok(r) if r.status().as_u16() < 400 => return Ok(answer(r)),
        Err(ureq::Error::Timeout(_)) => return Err(timed_out(agent)),
        _ => {}
    }
    match agent.get(url).call() {
        Ok(r) => Ok(answer(r)),
        Err(ureq::Error::Timeout(_)) => Err(timed_out(agent)),
        Err(e) => Err(describe(&e)),
    }
}

fn timed_out(agent: &ureq::Agent) -> String {
    match agent.config().timeouts().global {
        Some(t) => format!("no answer within {} s", t.as_secs()),
        None => "timed out".into(),
    }
}

/// A reader's wording of a request error.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_at_a_time_is_respected() {
        let mut hosts = BTreeMap::new();
        let mut h = Host::default();
        h.pending.extend(["a".to_string(), "b".to_string()]);
        hosts.insert("x:80".to_string(), h);
        let mut q = Queue { hosts, pending: 2 };
        let delay = Duration::from_secs(60);
        assert_eq!(q.take(1, delay).unwrap().1, "a");
        // The host is busy: nothing to start, wait for the request to end.
        assert_eq!(q.take(1, delay), Err(None));
        q.hosts.get_mut("x:80").unwrap().active = 0;
        // Free again, but the delay has not passed.
        assert!(matches!(q.take(1, delay), Err(Some(d)) if d > Duration::from_secs(50)));
        q.hosts.get_mut("x:80").unwrap().next_start = Some(Instant::now());
        assert_eq!(q.take(1, delay).unwrap().1, "b");
        assert_eq!(q.pending, 0);
    }
}
