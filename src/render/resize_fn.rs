//! The `resize_image` template function, in the spirit of Zola's: a theme asks for an image
//! under `content/` at a size (`op` = `fit_width`, `fit_height`, `fit`, `fill` or `scale`,
//! with `width` and/or `height`), optionally in a `format` (`jpg`, `png`, `webp`; default:
//! the thumbnails' fallback format) and `quality`, and gets `{url, width, height}`. The image
//! is made through `crate::images` (cached, metadata-free) and written with the build. It
//! must not do image work of its own.

use std::sync::{Arc, RwLock};

use serde::Serialize;
use tera::{Error, Kwargs, State, Tera, TeraResult, Value};

use crate::images::{Format, Images, Op};
use crate::model::Site;
use crate::model::urls::Urls;

#[derive(Serialize)]
struct Resized {
    url: String,
    width: u32,
    height: u32,
}

fn dimension(kwargs: &Kwargs, name: &str) -> TeraResult<Option<u32>> {
    match kwargs.get::<i64>(name)? {
        None => Ok(None),
        Some(n) if (1..=8192).contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(Error::message(format!(
            "resize_image: `{name}` = {n} must be from 1 to 8192"
        ))),
    }
}

fn call(images: &Images, urls: &Urls, kwargs: &Kwargs) -> TeraResult<Value> {
    let path: String = kwargs.must_get("path")?;
    let rel = path.trim_start_matches('/');
    let rel = rel.strip_prefix("content/").unwrap_or(rel);
    let op: Option<String> = kwargs.get("op")?;
    let op = Op::parse(
        op.as_deref().unwrap_or("fill"),
        dimension(kwargs, "width")?,
        dimension(kwargs, "height")?,
    )
    .map_err(|e| Error::message(format!("resize_image: {e}")))?;
    let format = match kwargs.get::<String>("format")?.as_deref() {
        None | Some("auto") => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            Error::message(format!(
                "resize_image: unknown format `{f}` (expected auto, jpg, png or webp)"
            ))
        })?),
    };
    let quality = match kwargs.get::<i64>("quality")? {
        None => None,
        Some(q) if (1..=100).contains(&q) => Some(q as u8),
        Some(q) => {
            return Err(Error::message(format!(
                "resize_image: quality {q} must be from 1 to 100"
            )));
        }
    };
    let d = images
        .derive(rel, op, format, quality)
        .map_err(|e| Error::message(format!("resize_image(path=\"{path}\"): {e}")))?;
    Ok(Value::from_serializable(&Resized {
        url: urls.href(&urls.asset(&d.out)),
        width: d.width,
        height: d.height,
    }))
}

/// The images `resize_image` makes its images of: the site's, set again when a template
/// engine kept between the preview's rebuilds renders a site whose images were replaced
/// (see `Renderer::from_prepared`).
pub(crate) type ImagesSlot = Arc<RwLock<Arc<Images>>>;

/// Make `resize_image` available to the templates of `site`, making images of the images
/// `slot` holds.
pub(crate) fn register(tera: &mut Tera, site: &Site, slot: ImagesSlot) {
    let urls = site.urls.clone();
    tera.register_function("resize_image", move |kwargs: Kwargs, _: &State| {
        let images = slot.read().unwrap_or_else(|e| e.into_inner()).clone();
        call(&images, &urls, &kwargs)
    });
}
