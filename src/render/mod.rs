//! Render: a pure function from (site, one planned page) to HTML bytes, run in parallel over
//! the plan. It builds template contexts (documented in README.md) and never writes files.

pub mod context;
pub mod display;
pub mod templates;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::model::urls::output_file;
use crate::plan::Plan;
pub use context::Renderer;

/// A rendered page: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Render every page of `plan`. All template problems are reported, not just the first.
pub fn render_pages(
    plan: &Plan,
    renderer: &Renderer<'_>,
) -> Result<Vec<RenderedFile>, Vec<Diagnostic>> {
    let results: Vec<Result<RenderedFile, Diagnostic>> = plan
        .pages
        .par_iter()
        .map(|p| {
            renderer.render(p).map(|html| RenderedFile {
                path: output_file(&p.site_path),
                bytes: html.into_bytes(),
            })
        })
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut errors: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.push(f),
            Err(d) => {
                // One broken template fails every page that uses it: report it once.
                if !errors.iter().any(|e| e.problem == d.problem) {
                    errors.push(d);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}
