//! Phase timings for profiling, printed to stderr when `GAZETTE_TRACE` is set, with the
//! process's resident memory after each phase and its peak so far where the system tells it (Linux). Owns
//! nothing else and must never change what a build produces.

use std::time::{Duration, Instant};

/// Phase timings of a build or rebuild, printed when `GAZETTE_TRACE` is set (for profiling).
pub struct Trace {
    on: bool,
    last: Instant,
    last_cpu: Option<u64>,
    phases: Vec<(&'static str, Duration, Option<u64>, Option<Memory>)>,
    notes: Vec<String>,
}

/// Resident memory now and its peak so far, in MiB.
struct Memory {
    now: u64,
    peak: u64,
}

/// CPU time (user and system, every thread) the process has used so far, in milliseconds,
/// from /proc/self/stat (in clock ticks, assumed to be the usual 100 per second).
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let mut f = rest.split_whitespace();
    let utime: u64 = f.nth(11)?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some((utime + stime) * 10)
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
        let on = std::env::var_os("GAZETTE_TRACE").is_some();
        Trace {
            on,
            last: Instant::now(),
            // Read only when traced: matching makes a trace on every (preview) computation.
            last_cpu: if on { cpu_ms() } else { None },
            phases: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A line printed after the phases (what a phase found), when traced.
    pub fn note(&mut self, note: String) {
        if self.on {
            self.notes.push(note);
        }
    }

    pub fn mark(&mut self, phase: &'static str) {
        if self.on {
            let now = Instant::now();
            let cpu = cpu_ms();
            let used = cpu.zip(self.last_cpu).map(|(c, l)| c.saturating_sub(l));
            self.phases.push((phase, now - self.last, used, rss_mib()));
            self.last = now;
            self.last_cpu = cpu;
        }
    }

    pub fn print(&self) {
        if self.on {
            let parts: Vec<String> = self
                .phases
                .iter()
                .map(|(p, d, cpu, rss)| {
                    let cpu = cpu.map(|c| format!(", cpu {c}")).unwrap_or_default();
                    match rss {
                        Some(Memory { now, peak }) => format!(
                            "{p} {:.1} ({now} MiB, peak {peak}{cpu})",
                            d.as_secs_f64() * 1000.0
                        ),
                        None => format!("{p} {:.1}{cpu}", d.as_secs_f64() * 1000.0),
                    }
                })
                .collect();
            eprintln!(
                "trace (ms, resident memory after, in MiB, CPU ms of every thread): {}",
                parts.join(", ")
            );
            for n in &self.notes {
                eprintln!("trace: {n}");
            }
        }
    }
}
