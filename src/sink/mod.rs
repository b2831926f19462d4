//! Sink: where rendered bytes go. `disk` brings a staging folder beside the output up to date
//! and swaps it in, so a failed or killed build never leaves a half-written site; `manifest`,
//! `survey` and `update` let it write only what changed (`ahead` surveys the staging folder
//! before the next build starts), and `pages` lets the next build
//! render only the pages whose signature changed.

pub mod ahead;
pub mod disk;
pub mod manifest;
mod open_dir;
pub mod pages;
pub mod survey;
pub mod update;

/// The maps and sets of paths the sink keeps: hundreds of thousands of them on a large site,
/// hashed with foldhash (SipHash was a tenth of a 100,000-entry rebuild; the keys are the
/// site's own paths, so a fixed seed is no risk).
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
/// See [`Map`].
pub type Set<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;
