//! Writing a long file made of independent pieces, one or a few entries each, in order,
//! with the pieces made on every core a batch at a time. The site-wide open data files are
//! as large as all entries' fields together: made this way they stream in bounded memory and
//! are not one long task that a build waits for at its end (at 4,016 entries the CSV and
//! JSON were each a single thread's work for most of the last render phase). It orders and
//! writes; what a piece holds is its caller's business.

use std::io::Write;

use rayon::prelude::*;

/// Items a batch holds at once.
const BATCH: usize = 2048;

/// Items per task inside a batch.
pub const TASK: usize = 64;

/// Write `items`, `task` at a time, made by `make(start, chunk, buffer)` where `start` is
/// the index of `chunk`'s first item in `items`; `io` turns a write error into `E`.
pub fn write<E: Send>(
    items: &[usize],
    task: usize,
    out: &mut dyn Write,
    io: impl Fn(std::io::Error) -> E,
    make: impl Fn(usize, &[usize], &mut Vec<u8>) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let task = task.max(1);
    let batch = BATCH.max(task);
    for (b, items) in items.chunks(batch).enumerate() {
        let parts: Vec<Result<Vec<u8>, E>> = items
            .par_chunks(task)
            .enumerate()
            .map(|(t, chunk)| {
                let mut buf = Vec::new();
                make(b * batch + t * task, chunk, &mut buf).map(|()| buf)
            })
            .collect();
        for p in parts {
            out.write_all(&p?).map_err(&io)?;
        }
    }
    Ok(())
}
