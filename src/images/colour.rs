//! Colour profiles: pixels of a source with an embedded ICC profile (Display P3 from phones,
//! Adobe RGB from cameras, a grey profile) are converted to sRGB with `moxcms`, because
//! thumbnails carry no profile and browsers show untagged images as sRGB. Without a profile,
//! or with one that cannot be read or used, the pixels are taken as sRGB (what a browser
//! would do). CMYK JPEGs are turned into RGB by the decoder itself (see the README). It
//! must not decode, resize or encode.

use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Rows converted at a time: the conversion needs a copy of its input, kept small.
const ROWS: usize = 64;

/// What happened to an image's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No profile: the pixels are sRGB already (or taken to be).
    Untagged,
    /// Converted from the profile's colour space to sRGB.
    Converted,
    /// A profile that could not be read, or one of a colour space the pixels are not in
    /// (a CMYK profile of a JPEG the decoder has made RGB): the pixels are taken as sRGB.
    Ignored,
}

/// `pixels` in sRGB, 8 bits per channel (RGB8, or RGBA8 with alpha) when a profile was
/// applied; as they are otherwise.
pub fn to_srgb(pixels: DynamicImage, icc: Option<&[u8]>) -> (DynamicImage, Outcome) {
    let Some(icc) = icc else {
        return (pixels, Outcome::Untagged);
    };
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return (pixels, Outcome::Ignored);
    };
    let srgb = ColorProfile::new_srgb();
    let options = TransformOptions::default();
    let alpha = pixels.color().has_alpha();
    match profile.color_space {
        DataColorSpace::Rgb => {
            let (layout, mut out) = if alpha {
                (Layout::Rgba, DynamicImage::ImageRgba8(pixels.into_rgba8()))
            } else {
                (Layout::Rgb, DynamicImage::ImageRgb8(pixels.into_rgb8()))
            };
            let Ok(t) = profile.create_transform_8bit(layout, &srgb, layout, options) else {
                return (out, Outcome::Ignored);
            };
            let row = out.width() as usize * usize::from(out.color().bytes_per_pixel());
            let data: &mut [u8] = match &mut out {
                DynamicImage::ImageRgb8(i) => i,
                DynamicImage::ImageRgba8(i) => i,
                _ => &mut [],
            };
            let mut copy = Vec::with_capacity(row * ROWS);
            for chunk in data.chunks_mut(row.max(1) * ROWS) {
                copy.clear();
                copy.extend_from_slice(chunk);
                if t.transform(&copy, chunk).is_err() {
                    chunk.copy_from_slice(&copy);
                }
            }
            (out, Outcome::Converted)
        }
        DataColorSpace::Gray => {
            let (w, h) = (pixels.width(), pixels.height());
            let (src_layout, dst_layout, src): (Layout, Layout, Vec<u8>) = if alpha {
                let g: GrayAlphaImage = pixels.to_luma_alpha8();
                (Layout::GrayAlpha, Layout::Rgba, g.into_raw())
            } else {
                let g: GrayImage = pixels.to_luma8();
                (Layout::Gray, Layout::Rgb, g.into_raw())
            };
            let Ok(t) = profile.create_transform_8bit(src_layout, &srgb, dst_layout, options)
            else {
                return (pixels, Outcome::Ignored);
            };
            let channels = if alpha { 4 } else { 3 };
            let mut dst = vec![0u8; w as usize * h as usize * channels];
            if t.transform(&src, &mut dst).is_err() {
                return (pixels, Outcome::Ignored);
            }
            let out = if alpha {
                RgbaImage::from_raw(w, h, dst).map(DynamicImage::ImageRgba8)
            } else {
                RgbImage::from_raw(w, h, dst).map(DynamicImage::ImageRgb8)
            };
            match out {
                Some(out) => (out, Outcome::Converted),
                None => (pixels, Outcome::Ignored),
            }
        }
        _ => (pixels, Outcome::Ignored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_p3_becomes_srgb_and_broken_profiles_are_ignored() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let img = RgbImage::from_fn(4, 4, |x, _| match x {
            0 => image::Rgb([128, 128, 128]),
            _ => image::Rgb([40, 200, 40]),
        });
        let (out, o) = to_srgb(DynamicImage::ImageRgb8(img.clone()), Some(&p3));
        assert_eq!(o, Outcome::Converted);
        let out = out.into_rgb8();
        // Grey stays grey; a P3 green is more saturated than the same numbers in sRGB.
        let g = out.get_pixel(0, 0);
        assert!(g[0].abs_diff(128) <= 2 && g[1].abs_diff(128) <= 2, "{g:?}");
        let c = out.get_pixel(2, 0);
        assert!(c[0] < 30 && c[1] > 200, "{c:?}");
        let (same, o) = to_srgb(DynamicImage::ImageRgb8(img.clone()), Some(b"not a profile"));
        assert_eq!(o, Outcome::Ignored);
        assert_eq!(same.into_rgb8(), img);
        let (same, o) = to_srgb(DynamicImage::ImageRgb8(img.clone()), None);
        assert_eq!(o, Outcome::Untagged);
        assert_eq!(same.into_rgb8(), img);
    }
}
