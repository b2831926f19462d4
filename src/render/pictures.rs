//! Covers in template contexts: which processed image an entry's or a release's cover is,
//! its URL (the widest fallback variant: the original is never published), its `<picture>`
//! for entry pages and cards, and its 1200 × 630 Open Graph crop. The images themselves
//! come from `crate::images`; this file only picks and words them.

use std::sync::Arc;

use crate::images::{Format, ImageSet, Op, markup};
use crate::model::{EntryVersion, Release, Site};

/// The size of Open Graph images (what Facebook, LinkedIn and others crop to).
pub const OG_SIZE: (u32, u32) = (1200, 630);

/// The `sizes` of a card's thumbnail: cards sit in a grid a third to a half of the page.
pub const CARD_SIZES: &str = "(min-width: 50rem) 24rem, 100vw";

/// The cover of an entry version, relative to `content/`.
pub(crate) fn entry_cover_rel(v: &EntryVersion) -> Option<&str> {
    v.cover.as_deref()
}

/// The cover of a release, relative to `content/` (found among the processed images; a
/// release's cover is kept as its site path).
pub(crate) fn release_cover_rel<'s>(site: &'s Site, r: &Release) -> Option<&'s str> {
    let cover = r.cover.as_ref()?;
    site.images
        .sets()
        .find(|(rel, _)| site.urls.asset(rel) == *cover)
        .map(|(rel, _)| rel)
}

/// The processed image of a path relative to `content/`, if it is one.
pub(crate) fn set_of(site: &Site, rel: &str) -> Option<Arc<ImageSet>> {
    site.images.get(rel)?.as_ref().ok().cloned()
}

/// The site path a cover is published at: the widest fallback variant of a processed
/// image, or the file itself (an SVG).
pub(crate) fn published_path(site: &Site, rel: &str) -> String {
    match set_of(site, rel) {
        Some(set) => site.urls.asset(&set.largest().out),
        None => site.urls.asset(rel),
    }
}

/// The site path of a release's cover as published.
pub(crate) fn release_cover_path(site: &Site, r: &Release) -> Option<String> {
    match release_cover_rel(site, r) {
        Some(rel) => Some(published_path(site, rel)),
        None => r.cover.clone(),
    }
}

/// The `<picture>` of a processed cover.
pub(crate) fn picture(site: &Site, set: &ImageSet, alt: &str, lazy: bool, sizes: &str) -> String {
    markup::picture(set, alt, sizes, lazy, None, &|out| {
        site.urls.href(&site.urls.asset(out))
    })
}

/// The absolute URL of the Open Graph crop of the image at `rel`, made now if needed; for
/// an image that is not processed, its own URL.
fn og_image(site: &Site, rel: &str) -> Option<String> {
    if set_of(site, rel).is_none() {
        return Some(site.urls.permalink(&site.urls.asset(rel)));
    }
    let d = og_crop(site, rel)?;
    Some(site.urls.permalink(&site.urls.asset(&d.out)))
}

/// The Open Graph crop of the processed image at `rel`, made now if needed (`None`: not a
/// processed image, which `derive` refuses, or the crop failed).
fn og_crop(site: &Site, rel: &str) -> Option<crate::images::Derived> {
    let (w, h) = OG_SIZE;
    (site.images)
        .derive(rel, Op::Fill(w, h), Some(Format::Jpeg), None)
        .ok()
}

/// The Open Graph image of an entry version.
pub(crate) fn entry_og_image(site: &Site, v: &EntryVersion) -> Option<String> {
    og_image(site, entry_cover_rel(v)?)
}

/// The Open Graph image of a release.
pub(crate) fn release_og_image(site: &Site, r: &Release) -> Option<String> {
    match release_cover_rel(site, r) {
        Some(rel) => og_image(site, rel),
        None => r.cover.as_ref().map(|c| site.urls.permalink(c)),
    }
}

/// Make the Open Graph crops the planned `pages` will name, now and in parallel: a build
/// then knows every image it writes before it writes anything (a crop found only while
/// pages render would be a file the output has and the plan lacks, so each warm build
/// would see a changed site and write its files again).
pub fn make_og_crops(site: &Site, pages: &[crate::plan::PlannedPage]) {
    use crate::plan::PageKind;
    use rayon::prelude::*;
    // Only processed (raster) images have crops: a site without any has nothing to make
    // (asking each of 200,000 pages at 100,000 entries was a phase of its own).
    if site.images.sets().next().is_none() {
        return;
    }
    let default = site.default_lang();
    pages.par_iter().for_each(|p| match p.kind {
        PageKind::Release(i) => {
            if let Some(rel) = release_cover_rel(site, &site.releases[i]) {
                og_crop(site, rel);
            }
        }
        PageKind::Entry(i) => {
            if let Some(rel) = entry_cover_rel(site.entries[i].version(&p.lang, default)) {
                og_crop(site, rel);
            }
        }
        _ => {}
    });
}
