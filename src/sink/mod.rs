//! Sink: where rendered bytes go. `disk` brings a staging folder beside the output up to date
//! and swaps it in, so a failed or killed build never leaves a half-written site; `manifest`,
//! `survey` and `update` let it write only what changed, and `pages` lets the next build
//! render only the pages whose signature changed.

pub mod disk;
pub mod manifest;
mod open_dir;
pub mod pages;
pub mod survey;
pub mod update;
