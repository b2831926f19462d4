//! Phase timings for profiling, printed to stderr when `GAZETTE_TRACE` is set, with the
//! process's resident memory after each phase and its peak so far where the system tells it (Linux). Owns
//! nothing else and must never change what a build produces.

use std::time::{Duration, Instant};

/// Phase timings of a build or rebuild, printed when `GAZETTE_TRACE` is set (for profiling).
pub struct Trace {
    on: bool,
    last: Instant,
    phases: Vec<(&'static str, Duration, Option<Memory>)>,
}

/// Resident memory now and its peak so far, in MiB.
struct Memory {
    now: u64,
    peak: u64,
}

/// [`Memory`] from `VmRSS` and `VmHWM` of /proc/self/status, where there is such a file.
fn rss_mib() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024)
    };
    Some(Memory {
        now: field("VmRSS:")?,
        peak: field("VmHWM:")?,
    })
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}

impl Trace {
    pub fn new() -> Trace {
        Trace {
            on: std::env::var_os("GAZETTE_TRACE").is_some(),
            last: Instant::now(),
            phases: Vec::new(),
        }
    }

    pub fn mark(&mut self, phase: &'static str) {
        if self.on {
            let now = Instant::now();
            self.phases.push((phase, now - self.last, rss_mib()));
            self.last = now;
        }
    }

    pub fn print(&self) {
        if self.on {
            let parts: Vec<String> = self
                .phases
                .iter()
                .map(|(p, d, rss)| match rss {
                    Some(Memory { now, peak }) => {
                        format!(
                            "{p} {:.1} ({now} MiB, peak {peak})",
                            d.as_secs_f64() * 1000.0
                        )
                    }
                    None => format!("{p} {:.1}", d.as_secs_f64() * 1000.0),
                })
                .collect();
            eprintln!(
                "trace (ms, resident memory after, in MiB): {}",
                parts.join(", ")
            );
        }
    }
}
