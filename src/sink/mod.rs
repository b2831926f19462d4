//! Sink: where rendered bytes go. `disk` brings a staging folder beside the output up to date
//! and swaps it in, so a failed or killed build never leaves a half-written site; `manifest`,
//! `survey` and `update` let it write only what changed (`ahead` surveys the staging folder
//! before the next build starts), `slots` keeps what they know of each file by its place in
//! the plan, and `pages` lets the next build render only the pages whose signature changed.

pub mod ahead;
pub mod disk;
pub mod manifest;
mod open_dir;
pub mod pages;
pub mod slots;
pub mod survey;
pub mod update;

/// The maps and sets of paths the sink keeps: hundreds of thousands of them on a large site,
/// hashed with foldhash (SipHash was a tenth of a 100,000-entry rebuild; the keys are the
/// site's own paths, so a fixed seed is no risk).
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
/// See [`Map`].
pub type Set<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;

/// A file's path in a site (relative, `/`-separated) as the sink's largest maps key it: the
/// XXH3-128 of its bytes. Looking 460,000 paths up by their text, several times a build,
/// went to each path's own allocation and compared it whole on every hit; a key is 16 bytes
/// kept in the table itself. Two paths of one site with the same key would take about 2^64
/// paths to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathKey(u128);

impl PathKey {
    pub fn of(path: &str) -> PathKey {
        PathKey(xxhash_rust::xxh3::xxh3_128(path.as_bytes()))
    }

    /// [`PathKey::of`] a path as the platform holds it (the same key for a UTF-8 path).
    pub fn of_path(path: &std::path::Path) -> PathKey {
        PathKey(xxhash_rust::xxh3::xxh3_128(
            path.as_os_str().as_encoded_bytes(),
        ))
    }
}
