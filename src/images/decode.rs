//! Decoding an image file into upright 8-bit pixels: the format is sniffed from the bytes,
//! the size the header claims is checked against the limit *before* any pixel buffer is
//! allocated (a 50,000 × 50,000 PNG of a few hundred bytes is refused, not decoded), the
//! EXIF orientation is applied, an embedded colour profile is converted to sRGB (see
//! [`super::colour`]), and 16-bit, grayscale, palette and CMYK sources all come out as
//! RGB(A) 8-bit. Metadata (EXIF, XMP, IPTC, ICC) is read for orientation and colour only and
//! never kept with the pixels. It must not resize or encode.

use std::io::Cursor;

use image::{
    AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
    metadata::Orientation,
};

use crate::diagnostics::ImageFailure;

/// The format a source image was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

/// Upright pixels of a source image.
pub struct Decoded {
    /// RGB8, or RGBA8 when the source has an alpha channel.
    pub pixels: DynamicImage,
    pub format: SourceFormat,
}

impl Decoded {
    pub fn width(&self) -> u32 {
        self.pixels.width()
    }
    pub fn height(&self) -> u32 {
        self.pixels.height()
    }
    pub fn has_alpha(&self) -> bool {
        self.pixels.color().has_alpha()
    }
}

/// The format of `bytes`, or why they are not an image Gazette reads.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, ImageFailure> {
    if bytes.is_empty() {
        return Err(ImageFailure::Empty);
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(SourceFormat::Jpeg),
        Ok(ImageFormat::Png) => Ok(SourceFormat::Png),
        Ok(ImageFormat::WebP) => Ok(SourceFormat::Webp),
        Ok(ImageFormat::Gif) => Ok(SourceFormat::Gif),
        _ => Err(ImageFailure::NotAnImage),
    }
}

fn image_format(f: SourceFormat) -> ImageFormat {
    match f {
        SourceFormat::Jpeg => ImageFormat::Jpeg,
        SourceFormat::Png => ImageFormat::Png,
        SourceFormat::Webp => ImageFormat::WebP,
        SourceFormat::Gif => ImageFormat::Gif,
    }
}

/// Decoder limits for at most `max_pixels` pixels: the largest buffer a decoder may
/// allocate is that many pixels of 16-bit RGBA (8 bytes each) plus room for its state.
pub fn limits(max_pixels: u64) -> Limits {
    let mut l = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    l.max_image_width = Some(side);
    l.max_image_height = Some(side);
    l.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    l
}

fn corrupt(e: impl std::fmt::Display) -> ImageFailure {
    ImageFailure::Corrupt(e.to_string())
}

/// Decode `bytes` into upright 8-bit pixels, refusing anything that claims more than
/// `max_pixels` pixels before decoding it.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, ImageFailure> {
    let format = sniff(bytes)?;
    if format == SourceFormat::Jpeg && !jpeg_complete(bytes) {
        // The JPEG decoder fills a cut-off scan with grey rather than failing.
        return Err(corrupt("the file is truncated (no end-of-image marker)"));
    }
    if format == SourceFormat::Gif && is_animated_gif(bytes, max_pixels)? {
        return Err(ImageFailure::Animated);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    reader.limits(limits(max_pixels));
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| too_large_or(e, max_pixels))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ImageFailure::TooLarge {
            width,
            height,
            max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(corrupt("the image has no pixels"));
    }
    // A broken EXIF block does not make the picture unusable: it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // So is a broken colour profile: the pixels are then taken as sRGB.
    let icc = decoder.icc_profile().ok().flatten();
    let pixels = DynamicImage::from_decoder(decoder).map_err(|e| too_large_or(e, max_pixels))?;
    let (mut pixels, _) = super::colour::to_srgb(pixels, icc.as_deref());
    if format == SourceFormat::Webp && is_animated_webp(bytes) {
        return Err(ImageFailure::Animated);
    }
    pixels.apply_orientation(orientation);
    let pixels = if pixels.color().has_alpha() {
        match pixels {
            DynamicImage::ImageRgba8(_) => pixels,
            other => DynamicImage::ImageRgba8(other.to_rgba8()),
        }
    } else {
        match pixels {
            DynamicImage::ImageRgb8(_) => pixels,
            other => DynamicImage::ImageRgb8(other.to_rgb8()),
        }
    };
    Ok(Decoded { pixels, format })
}

/// A decoder error, worded as a size refusal when it is one.
fn too_large_or(e: image::ImageError, max_pixels: u64) -> ImageFailure {
    match e {
        image::ImageError::Limits(_) => ImageFailure::TooLarge {
            width: 0,
            height: 0,
            max_pixels,
        },
        other => corrupt(other),
    }
}

/// Does a GIF have more than one frame? Frames are decoded one at a time under the limits.
fn is_animated_gif(bytes: &[u8], max_pixels: u64) -> Result<bool, ImageFailure> {
    let mut d = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
    let (w, h) = d.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(ImageFailure::TooLarge {
            width: w,
            height: h,
            max_pixels,
        });
    }
    d.set_limits(limits(max_pixels)).map_err(corrupt)?;
    let mut frames = d.into_frames();
    let mut n = 0;
    for f in frames.by_ref().take(2) {
        f.map_err(|e| too_large_or(e, max_pixels))?;
        n += 1;
    }
    Ok(n > 1)
}

/// Does a JPEG have its end-of-image marker after its first scan? Marker segments are
/// walked up to the first start-of-scan (so a thumbnail embedded in EXIF, which has its own
/// end marker, is skipped); in the scan data a 0xFF byte is followed by 0x00, a restart or
/// another marker, so 0xFF 0xD9 there is the end of the image.
fn jpeg_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            return bytes[i + 2 + len.min(bytes.len() - i - 2)..]
                .windows(2)
                .any(|w| w == [0xFF, 0xD9]);
        }
        i += 2 + len;
    }
    false
}

/// Is a WebP file animated (a VP8X header with the animation flag)?
fn is_animated_webp(bytes: &[u8]) -> bool {
    bytes.len() > 21 && &bytes[12..16] == b"VP8X" && bytes[20] & 0x02 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_and_refuses() {
        let d = decode(&png(30, 20), 1000).unwrap();
        assert_eq!((d.width(), d.height()), (30, 20));
        assert_eq!(d.format, SourceFormat::Png);
        assert!(matches!(
            decode(&png(30, 20), 100),
            Err(ImageFailure::TooLarge { .. })
        ));
        assert_eq!(decode(b"", 100).err(), Some(ImageFailure::Empty));
        assert_eq!(
            decode(b"hello, world", 100).err(),
            Some(ImageFailure::NotAnImage)
        );
        let mut cut = png(30, 20);
        cut.truncate(cut.len() / 2);
        assert!(matches!(decode(&cut, 1000), Err(ImageFailure::Corrupt(_))));
        let img =
            image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 0]));
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        assert!(jpeg_complete(&jpeg));
        assert!(decode(&jpeg, 10_000).is_ok());
        jpeg.truncate(jpeg.len() - 10);
        assert!(!jpeg_complete(&jpeg));
        assert!(matches!(
            decode(&jpeg, 10_000),
            Err(ImageFailure::Corrupt(_))
        ));
    }
}
