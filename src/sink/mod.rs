//! Sink: where rendered bytes go. `disk` writes a staging folder beside the output and swaps
//! it in, so a failed or killed build never leaves a half-written site.

pub mod disk;
