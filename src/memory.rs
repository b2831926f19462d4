//! What the program does about memory once it knows how large a site is. The library does
//! not own the allocator (the binary chooses it), so the binary registers a hook with
//! [`on_site_size`] and the loader calls it with the number of files under `content/` before
//! it holds anything large. [`free_later`] frees large values off the path that waits for
//! a result. Nothing here may change what a build produces.

use std::sync::OnceLock;

static HOOK: OnceLock<fn(SiteSize)> = OnceLock::new();

/// What the hook is told about the site being loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteSize {
    /// Content files under `content/`.
    pub files: usize,
    /// The build updates a staging folder an earlier build left (most of the site is read
    /// back from kept work, little is rendered), rather than rendering everything.
    pub rebuild: bool,
}

/// Call `hook` with the size of every site loaded from now on (the first hook registered
/// stays).
pub fn on_site_size(hook: fn(SiteSize)) {
    let _ = HOOK.set(hook);
}

/// Tell the hook, if there is one, how large the site being loaded is.
pub(crate) fn site_size(size: SiteSize) {
    if let Some(hook) = HOOK.get() {
        hook(size);
    }
}

/// Drop `value` on a thread of its own: freeing a large site's model, plan or preview
/// snapshot is millions of deallocations (about 20 ms at 4,016 entries, tens to hundreds of
/// milliseconds at 100,000) that nothing waits for. Should no thread start, `value` is
/// dropped here.
pub fn free_later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("gazette-free".into())
        .spawn(move || drop(value));
}
