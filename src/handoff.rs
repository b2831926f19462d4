//! The exit of `gazette build` handed to the command line before the kernel takes the build's
//! memory back. After a process's last instruction the kernel still frees all its memory
//! before the shell learns that it ended: a quarter of a second for the 2 GiB of a
//! 100,000-entry rebuild on the 2-core test machine, 8 % of that rebuild (issue 21). As the
//! linker mold does, the command forks before anything else: the child does the work and,
//! once every file it wrote is in place and every file it held is closed, tells the parent
//! its exit code through a pipe; the parent exits with that code at once, and the child's
//! memory is given back after the command has returned. A child that ends without telling
//! (a panic, a signal) is waited for, and the parent ends as it did; a parent killed first
//! takes the child with it (`PR_SET_PDEATHSIG`), as killing a single process would.
//!
//! It owns the two processes' hand-over and nothing else: it must run before any thread
//! exists (a fork copies only the calling thread) and changes nothing a build writes. Linux
//! only; elsewhere, and with `GAZETTE_FORK=0`, the command runs in one process.

/// The child's end of the hand-over: where it tells the waiting parent how it ended.
pub struct Handoff {
    #[cfg(target_os = "linux")]
    tell: std::os::fd::OwnedFd,
}

/// Fork, and go on in the child with its [`Handoff`]. The parent never returns from this:
/// it exits with the code the child tells it, or as the child ended. `None` (one process,
/// nothing forked) off Linux, with `GAZETTE_FORK=0`, or if the pipe or the fork fails.
///
/// Call it only while the process has a single thread.
pub fn split() -> Option<Handoff> {
    if std::env::var_os("GAZETTE_FORK").is_some_and(|v| v == "0") {
        return None;
    }
    imp::split()
}

impl Handoff {
    /// Flush the standard streams, close every file this process holds (so that its locks
    /// are released and whoever reads its output sees the end of it), tell the parent
    /// `code` and end. The memory is freed after the parent has exited.
    pub fn finish(self, code: u8) -> ! {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        imp::finish(self, code)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Handoff;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    pub(super) fn split() -> Option<Handoff> {
        let mut ends = [0 as RawFd; 2];
        // SAFETY: pipe2 writes two descriptors into the array it is given.
        if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return None;
        }
        // SAFETY: both descriptors were just made and are owned by nothing else.
        let (listen, tell) =
            unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the caller promises a single thread, so the child is a whole copy of the
        // process; it goes on running Rust code as the original would have.
        match unsafe { libc::fork() } {
            -1 => None,
            0 => {
                drop(listen);
                // SAFETY: plain integer arguments; the setting only affects this process.
                unsafe {
                    libc::prctl(
                        libc::PR_SET_PDEATHSIG,
                        libc::SIGKILL as libc::c_ulong,
                        0,
                        0,
                        0,
                    );
                    // The parent may have died before the setting was made.
                    if libc::getppid() != parent {
                        libc::raise(libc::SIGKILL);
                    }
                }
                Some(Handoff { tell })
            }
            child => {
                drop(tell);
                wait_for(listen, child)
            }
        }
    }

    /// The parent's part: exit with the code the child tells, or as the child ended.
    fn wait_for(listen: OwnedFd, child: libc::pid_t) -> ! {
        let mut code = [0u8; 1];
        loop {
            // SAFETY: reads at most one byte into a one-byte buffer from an open descriptor.
            let n = unsafe { libc::read(listen.as_raw_fd(), code.as_mut_ptr().cast(), 1) };
            if n == 1 {
                std::process::exit(i32::from(code[0]));
            }
            if n == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            break;
        }
        // The pipe closed without a word: the child ended some other way.
        let mut status = 0;
        loop {
            // SAFETY: waits for our own child and writes its status into `status`.
            let r = unsafe { libc::waitpid(child, &mut status, 0) };
            if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            if r == -1 {
                std::process::exit(1);
            }
            break;
        }
        if libc::WIFEXITED(status) {
            std::process::exit(libc::WEXITSTATUS(status));
        }
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            // SAFETY: restores the default action of the child's signal and raises it here,
            // so that whoever waits for this command sees the same end.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::raise(signal);
            }
            std::process::exit(128 + signal);
        }
        std::process::exit(1)
    }

    pub(super) fn finish(handoff: Handoff, code: u8) -> ! {
        let keep = handoff.tell.as_raw_fd();
        close_all_but(keep);
        // SAFETY: writes one byte from a live buffer to the descriptor kept open above.
        unsafe {
            libc::write(keep, [code].as_ptr().cast(), 1);
            // Everything the build does is done: no destructor, no exit handler is needed.
            libc::_exit(i32::from(code))
        }
    }

    /// Close every descriptor of this process but `keep`.
    fn close_all_but(keep: RawFd) {
        let keep = keep as libc::c_uint;
        // SAFETY: close_range only closes descriptors; nothing in this process uses one
        // again, as it ends right after.
        let ranges = unsafe {
            let low = match keep {
                0 => 0,
                _ => libc::syscall(
                    libc::SYS_close_range,
                    0 as libc::c_uint,
                    keep - 1,
                    0 as libc::c_uint,
                ),
            };
            let high = libc::syscall(
                libc::SYS_close_range,
                keep + 1,
                libc::c_uint::MAX,
                0 as libc::c_uint,
            );
            low == 0 && high == 0
        };
        if !ranges {
            // A kernel before 5.9: close what /proc lists.
            let open: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
                .map(|d| {
                    d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            for fd in open.into_iter().filter(|&fd| fd != keep as RawFd) {
                // SAFETY: as above.
                unsafe { libc::close(fd) };
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Handoff;

    pub(super) fn split() -> Option<Handoff> {
        None
    }

    pub(super) fn finish(_: Handoff, code: u8) -> ! {
        std::process::exit(i32::from(code))
    }
}
