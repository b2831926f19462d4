//! Resizing: what size an operation gives (`fit`, `fill`, `scale`, a width), and the
//! resampling itself with `fast_image_resize` (SIMD convolution, Lanczos3). It must not
//! decode or encode.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

/// What to do to an image's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Exactly this width and height, ignoring the aspect ratio.
    Scale(u32, u32),
    /// This width, the height kept in proportion (never wider than the source).
    FitWidth(u32),
    /// This height, the width kept in proportion (never taller than the source).
    FitHeight(u32),
    /// As large as fits inside the box, in proportion (never larger than the source).
    Fit(u32, u32),
    /// Exactly this box, filled in proportion and cropped around the centre.
    Fill(u32, u32),
}

impl Op {
    /// The operation a template names (`scale`, `fit_width`, `fit_height`, `fit`, `fill`).
    pub fn parse(name: &str, width: Option<u32>, height: Option<u32>) -> Result<Op, String> {
        let need = |v: Option<u32>, what: &str| -> Result<u32, String> {
            match v {
                Some(n) if n > 0 && n <= 8192 => Ok(n),
                Some(_) => Err(format!("`{what}` must be from 1 to 8192")),
                None => Err(format!("op `{name}` needs `{what}`")),
            }
        };
        Ok(match name {
            "scale" => Op::Scale(need(width, "width")?, need(height, "height")?),
            "fit_width" => Op::FitWidth(need(width, "width")?),
            "fit_height" => Op::FitHeight(need(height, "height")?),
            "fit" => Op::Fit(need(width, "width")?, need(height, "height")?),
            "fill" => Op::Fill(need(width, "width")?, need(height, "height")?),
            other => {
                return Err(format!(
                    "unknown op `{other}` (expected scale, fit_width, fit_height, fit or fill)"
                ));
            }
        })
    }

    /// A stable text for cache keys.
    pub fn key(&self) -> String {
        match self {
            Op::Scale(w, h) => format!("scale {w} {h}"),
            Op::FitWidth(w) => format!("fit_width {w}"),
            Op::FitHeight(h) => format!("fit_height {h}"),
            Op::Fit(w, h) => format!("fit {w} {h}"),
            Op::Fill(w, h) => format!("fill {w} {h}"),
        }
    }

    /// The size this operation gives a `w` × `h` source.
    pub fn size(&self, w: u32, h: u32) -> (u32, u32) {
        let prop = |num: u32, a: u32, b: u32| -> u32 {
            // round(num * a / b), at least 1
            ((u64::from(num) * u64::from(a) + u64::from(b) / 2) / u64::from(b).max(1)).max(1) as u32
        };
        match *self {
            Op::Scale(tw, th) | Op::Fill(tw, th) => (tw, th),
            Op::FitWidth(tw) => {
                let tw = tw.min(w);
                (tw, prop(h, tw, w))
            }
            Op::FitHeight(th) => {
                let th = th.min(h);
                (prop(w, th, h), th)
            }
            Op::Fit(tw, th) => {
                if w <= tw && h <= th {
                    (w, h)
                } else if u64::from(w) * u64::from(th) > u64::from(h) * u64::from(tw) {
                    (tw, prop(h, tw, w))
                } else {
                    (prop(w, th, h), th)
                }
            }
        }
    }

    /// Does the result crop the source?
    pub fn crops(&self) -> bool {
        matches!(self, Op::Fill(..))
    }
}

/// `src` resampled to `w` × `h`; with `crop`, the source is first cut around its centre to
/// the target's aspect ratio. `src` is RGB8 or RGBA8 (see `decode`).
pub fn resize(src: &DynamicImage, w: u32, h: u32, crop: bool) -> DynamicImage {
    if (src.width(), src.height()) == (w, h) {
        return src.clone();
    }
    let (pixel, alpha) = match src {
        DynamicImage::ImageRgba8(_) => (PixelType::U8x4, true),
        _ => (PixelType::U8x3, false),
    };
    let rgb;
    let bytes: &[u8] = match src {
        DynamicImage::ImageRgba8(i) => i.as_raw(),
        DynamicImage::ImageRgb8(i) => i.as_raw(),
        other => {
            rgb = other.to_rgb8();
            rgb.as_raw()
        }
    };
    let view = ImageRef::new(src.width(), src.height(), bytes, pixel)
        .expect("an RGB(A)8 buffer has the size of its image");
    let mut dst = Image::new(w, h, pixel);
    let mut options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(alpha);
    if crop {
        options = options.fit_into_destination(Some((0.5, 0.5)));
    }
    Resizer::new()
        .resize(&view, &mut dst, &options)
        .expect("source and destination have the same pixel type");
    let raw = dst.into_vec();
    if alpha {
        DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, raw).expect("sized buffer"))
    } else {
        DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, raw).expect("sized buffer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(Op::FitWidth(480).size(2400, 1600), (480, 320));
        assert_eq!(Op::FitWidth(4800).size(2400, 1600), (2400, 1600));
        assert_eq!(Op::FitHeight(400).size(2400, 1600), (600, 400));
        assert_eq!(Op::Fit(500, 500).size(2400, 1600), (500, 333));
        assert_eq!(Op::Fit(500, 500).size(1600, 2400), (333, 500));
        assert_eq!(Op::Fit(5000, 5000).size(1600, 2400), (1600, 2400));
        assert_eq!(Op::Fill(1200, 630).size(100, 100), (1200, 630));
        assert_eq!(Op::FitWidth(1).size(3000, 1), (1, 1));
        assert!(Op::parse("fill", Some(10), None).is_err());
        assert_eq!(Op::parse("fit", Some(10), Some(5)), Ok(Op::Fit(10, 5)));
    }

    #[test]
    fn resizes_and_crops() {
        let src = DynamicImage::ImageRgb8(image::RgbImage::from_fn(200, 100, |x, _| {
            if !(50..150).contains(&x) {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        }));
        let r = resize(&src, 100, 50, false);
        assert_eq!((r.width(), r.height()), (100, 50));
        // The centre crop to a square keeps only the blue middle.
        let c = resize(&src, 20, 20, true).to_rgb8();
        assert!(
            c.pixels().all(|p| p[2] > 200 && p[0] < 60),
            "{:?}",
            c.get_pixel(0, 0)
        );
    }
}
