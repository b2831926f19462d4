//! Encoding pixels into the output formats: lossy WebP through libwebp (the `webp` crate;
//! the `image` crate's own WebP encoder is lossless only, some five times larger for
//! photos), JPEG and PNG through `image`. Only pixels are written, so no EXIF, XMP, IPTC or
//! ICC block of the source can reach the output. It must not decode or resize.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::settings::Format;

/// `pixels` (RGB8 or RGBA8) encoded as `format` at `quality` (1–100; lossy formats only).
pub fn encode(pixels: &DynamicImage, format: Format, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (pixels.width(), pixels.height());
    match format {
        Format::Webp => {
            let mem = match pixels {
                DynamicImage::ImageRgba8(i) => {
                    webp::Encoder::from_rgba(i.as_raw(), w, h).encode(f32::from(quality))
                }
                DynamicImage::ImageRgb8(i) => {
                    webp::Encoder::from_rgb(i.as_raw(), w, h).encode(f32::from(quality))
                }
                other => {
                    let rgb = other.to_rgb8();
                    webp::Encoder::from_rgb(rgb.as_raw(), w, h).encode(f32::from(quality))
                }
            };
            Ok(mem.to_vec())
        }
        Format::Jpeg => {
            let rgb;
            let raw: &[u8] = match pixels {
                DynamicImage::ImageRgb8(i) => i.as_raw(),
                other => {
                    rgb = other.to_rgb8();
                    rgb.as_raw()
                }
            };
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut Cursor::new(&mut out), quality)
                .write_image(raw, w, h, image::ExtendedColorType::Rgb8)
                .map_err(|e| e.to_string())?;
            Ok(out)
        }
        Format::Png => {
            let mut out = Vec::new();
            let enc =
                PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
            match pixels {
                DynamicImage::ImageRgba8(i) => {
                    enc.write_image(i.as_raw(), w, h, image::ExtendedColorType::Rgba8)
                }
                other => {
                    let rgb = other.to_rgb8();
                    enc.write_image(rgb.as_raw(), w, h, image::ExtendedColorType::Rgb8)
                }
            }
            .map_err(|e| e.to_string())?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_decodes_again() {
        let px = DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
        }));
        for f in [Format::Webp, Format::Jpeg, Format::Png] {
            let bytes = encode(&px, f, 80).unwrap();
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (64, 48), "{f:?}");
        }
    }
}
