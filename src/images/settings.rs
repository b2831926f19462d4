//! The `[images]` table of site.toml: widths, quality, formats, limits and where the cache
//! lives, with their defaults and checks. It must not process images.

use std::path::PathBuf;

use serde::Deserialize;

/// `[images]` as written in site.toml (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesSection {
    widths: Option<Vec<u32>>,
    quality: Option<u8>,
    formats: Option<Vec<String>>,
    sizes: Option<String>,
    cache: Option<PathBuf>,
    max_pixels: Option<u64>,
    parallel: Option<usize>,
}

/// A format the build writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Webp,
    Jpeg,
    Png,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }

    /// A format named in site.toml or a template (`jpg`, `jpeg`, `png`, `webp`).
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "webp" => Some(Format::Webp),
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

/// The checked image settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSettings {
    /// Widths of the responsive variants, ascending, without repeats.
    pub widths: Vec<u32>,
    /// Quality of lossy encodes (WebP and JPEG), 1–100.
    pub quality: u8,
    /// Modern formats offered before the fallback (the original's format) in `<picture>`.
    pub formats: Vec<Format>,
    /// The `sizes` attribute of body images and covers.
    pub sizes: String,
    /// The cache folder; relative paths are relative to the site root.
    pub cache: PathBuf,
    /// The most pixels (width × height) an image may claim before it is refused undecoded.
    pub max_pixels: u64,
    /// How many images may be decoded at once (each holds its full-size pixels).
    pub parallel: usize,
}

pub const DEFAULT_WIDTHS: [u32; 3] = [480, 960, 1600];
pub const DEFAULT_QUALITY: u8 = 80;
pub const DEFAULT_CACHE: &str = ".gazette-cache/images";
/// 50 megapixels: a 8,700 × 5,800 photo; a 6,000 × 4,000 phone photo is 24.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// Widths above this are refused in site.toml.
const MAX_WIDTH: u32 = 8192;

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            widths: DEFAULT_WIDTHS.to_vec(),
            quality: DEFAULT_QUALITY,
            formats: vec![Format::Webp],
            sizes: "(min-width: 50rem) 50rem, 100vw".into(),
            cache: PathBuf::from(DEFAULT_CACHE),
            max_pixels: DEFAULT_MAX_PIXELS,
            parallel: default_parallel(),
        }
    }
}

/// At most four decodes at once, fewer on smaller machines: a 24-megapixel photo holds
/// some 100 MB while it is resized.
fn default_parallel() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

impl ImagesSection {
    /// The settings, or what is wrong with them (one message per problem).
    pub fn check(self) -> Result<ImageSettings, Vec<String>> {
        let d = ImageSettings::default();
        let mut errors = Vec::new();
        let mut widths = self.widths.unwrap_or(d.widths);
        widths.sort_unstable();
        widths.dedup();
        if widths.is_empty() || widths.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
            errors.push(format!(
                "[images] widths must be a non-empty list of widths from 1 to {MAX_WIDTH}"
            ));
        }
        let quality = self.quality.unwrap_or(d.quality);
        if !(1..=100).contains(&quality) {
            errors.push("[images] quality must be from 1 to 100".to_string());
        }
        let mut formats = Vec::new();
        for f in self.formats.unwrap_or_else(|| vec!["webp".into()]) {
            match f.as_str() {
                "webp" => formats.push(Format::Webp),
                other => errors.push(format!(
                    "[images] formats: `{other}` is not supported (expected \"webp\"; the original's format is always the fallback)"
                )),
            }
        }
        let max_pixels = self.max_pixels.unwrap_or(d.max_pixels);
        if max_pixels == 0 {
            errors.push("[images] max_pixels must be more than 0".to_string());
        }
        let parallel = self.parallel.unwrap_or(d.parallel);
        if parallel == 0 {
            errors.push("[images] parallel must be at least 1".to_string());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ImageSettings {
            widths,
            quality,
            formats,
            sizes: self.sizes.unwrap_or(d.sizes),
            cache: self.cache.unwrap_or(d.cache),
            max_pixels,
            parallel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_checks() {
        let s = ImagesSection::default().check().unwrap();
        assert_eq!(s, ImageSettings::default());
        let bad = ImagesSection {
            widths: Some(vec![]),
            quality: Some(0),
            formats: Some(vec!["avif".into()]),
            ..Default::default()
        };
        assert_eq!(bad.check().unwrap_err().len(), 3);
        let sorted = ImagesSection {
            widths: Some(vec![960, 480, 960]),
            ..Default::default()
        };
        assert_eq!(sorted.check().unwrap().widths, vec![480, 960]);
    }
}
