//! Phase timings for profiling, printed to stderr when `GAZETTE_TRACE` is set. Owns nothing
//! else and must never change what a build produces.

use std::time::{Duration, Instant};

/// Phase timings of a build or rebuild, printed when `GAZETTE_TRACE` is set (for profiling).
pub struct Trace {
    on: bool,
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
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
            self.phases.push((phase, now - self.last));
            self.last = now;
        }
    }

    pub fn print(&self) {
        if self.on {
            let parts: Vec<String> = self
                .phases
                .iter()
                .map(|(p, d)| format!("{p} {:.1}", d.as_secs_f64() * 1000.0))
                .collect();
            eprintln!("trace (ms): {}", parts.join(", "));
        }
    }
}
