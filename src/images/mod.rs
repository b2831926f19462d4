//! Images: every raster file under `content/` (JPEG, PNG, WebP, GIF) becomes a set of
//! responsive, metadata-free thumbnails (lossy WebP plus the original's format, at the
//! widths of site.toml's `[images]`), cached outside `output/` (see [`cache`]); SVG files
//! are checked before they are published (see [`svg`]). Templates can ask for more sizes
//! (`resize_image`, Open Graph crops) while pages render; those are recorded as extra
//! outputs. Processing is bounded: at most `[images] parallel` images are decoded at once.
//!
//! The jobs are split by file: [`decode`] (limits, orientation, pixel formats), [`colour`]
//! (ICC profiles to sRGB), [`resize`],
//! [`encode`], [`cache`], [`svg`], [`markup`] (`<picture>` HTML), [`uses`] (problems at the
//! files that use an image), [`settings`]. This file runs them for a site. It must not
//! render pages or write `output/`.

pub mod asks;
pub mod cache;
pub mod colour;
pub mod decode;
pub mod encode;
pub mod markup;
pub mod resize;
pub mod settings;
pub mod svg;
pub mod uses;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, ImageFailure, Problem};
use crate::load::discover::ContentFile;
pub use cache::Cache;
pub use resize::Op;
pub use settings::{Format, ImageSettings, ImagesSection};

/// The size and content hash (xxh3-128, as the output's manifest records files) of an
/// encoded file in the cache. Cache files never change once written, so a build can compare
/// them with the output without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sum {
    pub size: u64,
    pub hash: u128,
}

impl Sum {
    pub fn of(bytes: &[u8]) -> Sum {
        Sum {
            size: bytes.len() as u64,
            hash: crate::sink::manifest::hash(bytes),
        }
    }

    fn to_text(self) -> String {
        format!("{}:{:032x}", self.size, self.hash)
    }

    pub(crate) fn parse(text: &str) -> Option<Sum> {
        let (size, hash) = text.trim().split_once(':')?;
        Some(Sum {
            size: size.parse().ok()?,
            hash: u128::from_str_radix(hash, 16).ok()?,
        })
    }
}

/// One encoded file of an image set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// Path in the output folder (`/`-separated), beside the source's own path.
    pub out: String,
    /// The cache file holding its bytes.
    pub file: PathBuf,
    pub sum: Sum,
}

/// The thumbnails of one source image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    /// Path of the source relative to `content/`.
    pub rel: String,
    /// SHA-256 of the source's bytes.
    pub hash: String,
    /// Upright size of the source.
    pub width: u32,
    pub height: u32,
    /// The format older browsers get (the source's, or PNG for GIF and WebP with alpha,
    /// JPEG for WebP without).
    pub fallback: Format,
    /// Every variant, by format (modern ones first, then the fallback) and width.
    pub variants: Vec<Variant>,
}

impl ImageSet {
    /// The variants in `format`, narrowest first.
    pub fn of(&self, format: Format) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(move |v| v.format == format)
    }

    /// The widest variant in the fallback format (what `src` and plain links point to).
    pub fn largest(&self) -> &Variant {
        self.of(self.fallback)
            .last()
            .expect("an image set has at least one fallback variant")
    }
}

/// An image made on request (a template's `resize_image`, an Open Graph crop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derived {
    pub out: String,
    pub width: u32,
    pub height: u32,
    /// The source (relative to `content/`) and the SHA-256 of its bytes.
    pub rel: String,
    pub source_hash: String,
}

/// At most `n` holders at once: each decoded image holds its full-size pixels.
#[derive(Debug)]
struct Gate {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Gate);

impl Gate {
    fn new(n: usize) -> Gate {
        Gate {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }
    fn enter(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.cv.notify_one();
    }
}

type DerivedResult = Result<(Derived, PathBuf, Sum), String>;

/// The processed images of a site, shared by the model, the renderer and the sinks.
#[derive(Debug)]
pub struct Images {
    root: PathBuf,
    pub settings: ImageSettings,
    pub cache: Cache,
    gate: Gate,
    /// Every raster file under content/ by path relative to `content/`.
    sets: BTreeMap<String, Result<Arc<ImageSet>, ImageFailure>>,
    /// Images made on request while rendering, by cache key.
    derived: Mutex<HashMap<String, Arc<OnceLock<DerivedResult>>>>,
    /// Which page asked for which of them (see [`asks`]).
    asks: asks::Asks,
    /// The size and hash of every SVG file checked by a build (never by the preview), as it
    /// was read to be checked: the copy published is compared with them, so the sink need
    /// not read the file again to find it unchanged.
    svg_sums: crate::sink::Map<String, Sum>,
}

/// Is this file one Gazette makes thumbnails of?
pub fn is_raster(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("jpg" | "jpeg" | "png" | "webp" | "gif")
    )
}

fn is_svg(rel: &str) -> bool {
    rel.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case("svg"))
}

/// The manifest of an image set, stored in the cache so a warm build decodes nothing.
#[derive(Serialize, Deserialize)]
struct Manifest {
    width: u32,
    height: u32,
    fallback: String,
    /// (format, width, height, cache key, sum).
    variants: Vec<(String, u32, u32, String, String)>,
}

/// `dir/stem` of a path relative to `content/`.
fn dir_and_stem(rel: &str) -> (&str, &str) {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    (dir, stem)
}

fn out_path(rel: &str, label: &str, key: &str, format: Format) -> String {
    let (dir, stem) = dir_and_stem(rel);
    let name = format!("{stem}.{label}.{}.{}", &key[..10], format.ext());
    if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    }
}

/// Where a cache folder setting points, for a site at `root`.
pub fn cache_dir(root: &Path, settings: &ImageSettings) -> PathBuf {
    if settings.cache.is_absolute() {
        settings.cache.clone()
    } else {
        root.join(&settings.cache)
    }
}

impl Default for Images {
    fn default() -> Self {
        Images::none()
    }
}

impl Images {
    /// No images (a site model made without processing, e.g. in unit tests).
    pub fn none() -> Images {
        Images::empty(PathBuf::new(), ImageSettings::default())
    }

    fn empty(root: PathBuf, settings: ImageSettings) -> Images {
        // Absolute: cache files are named as copies' sources, which are joined to the root.
        let absolute = std::path::absolute(&root).unwrap_or_else(|_| root.clone());
        Images {
            cache: Cache::new(cache_dir(&absolute, &settings)),
            gate: Gate::new(settings.parallel),
            root,
            settings,
            sets: BTreeMap::new(),
            derived: Mutex::default(),
            asks: asks::Asks::default(),
            svg_sums: Default::default(),
        }
    }

    /// Process every raster file of `assets` (from the cache where it can) and check every
    /// SVG; the problems are those of the SVG files (an unsafe SVG is an error wherever it
    /// is used or not, as it is published at its own URL). Failures of raster files are
    /// kept and reported where they are used (see [`uses`]).
    pub fn process(
        root: &Path,
        settings: &ImageSettings,
        assets: &[ContentFile],
    ) -> (Images, Vec<Diagnostic>) {
        Images::process_kept(root, settings, assets, None)
    }

    /// [`Images::process`]; with `gazette` (this Gazette, see `render::reuse::this_gazette`),
    /// an SVG file whose exact bytes the last build found safe is not parsed again (see
    /// [`svg_verdicts`]). Of `files` (a site's content files), only the assets are taken.
    pub fn process_kept(
        root: &Path,
        settings: &ImageSettings,
        files: &[ContentFile],
        gazette: Option<&str>,
    ) -> (Images, Vec<Diagnostic>) {
        let mut images = Images::empty(root.to_path_buf(), settings.clone());
        let is_asset = |a: &&ContentFile| a.kind == crate::load::discover::ContentKind::Asset;
        let raster: Vec<&ContentFile> = files
            .iter()
            .filter(is_asset)
            .filter(|a| is_raster(&a.rel))
            .collect();
        let sets: Vec<(String, Result<Arc<ImageSet>, ImageFailure>)> = raster
            .par_iter()
            .map(|a| (a.rel.clone(), images.make_set(a).map(Arc::new)))
            .collect();
        images.sets = sets.into_iter().collect();
        let safe = gazette.map(|g| svg_verdicts(root, g));
        let seen = gazette.map(|g| svg_sums(root, g));
        let folder = crate::load::held_folder::HeldFolder::open(root);
        let checked: Vec<SvgChecked> = files
            .par_iter()
            .filter(|a| is_asset(a) && is_svg(&a.rel))
            .map(|a| match (&safe, &seen) {
                (Some(safe), Some(seen)) => check_svg_kept(root, &folder, a, safe, seen),
                _ => check_svg(root, a, None),
            })
            .collect();
        if let Some(safe) = safe {
            safe.finish();
        }
        if let Some(seen) = seen {
            seen.finish();
        }
        let mut diags = Vec::new();
        // Room made once (grown one file at a time, the map was rehashed over and over at
        // 100,000 SVG files, on one core).
        images.svg_sums.reserve(checked.len());
        for (sum, diag) in checked {
            images.svg_sums.extend(sum);
            diags.extend(diag);
        }
        (images, diags)
    }

    /// The size and hash of the SVG file at `rel` (relative to `content/`) as a build checked
    /// it (see `svg_sums`).
    pub fn svg_sum(&self, rel: &str) -> Option<Sum> {
        self.svg_sums.get(rel).copied()
    }

    /// The image set of a raster file (path relative to `content/`): `None` if it is not a
    /// raster file under content/.
    pub fn get(&self, rel: &str) -> Option<&Result<Arc<ImageSet>, ImageFailure>> {
        self.sets.get(rel)
    }

    /// Every image set, by path.
    pub fn sets(&self) -> impl Iterator<Item = (&str, &Result<Arc<ImageSet>, ImageFailure>)> {
        self.sets.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// What a page or body that uses the file at `rel` (relative to `content/`) can show
    /// of it: the SHA-256 of a processed image's bytes (its thumbnails' names and sizes
    /// follow from it and the settings), why it failed, or that it is not a raster file.
    /// Equal fingerprints: every URL, size and error that names it is the same.
    pub fn fingerprint(&self, rel: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        match self.sets.get(rel) {
            Some(Ok(set)) => (1u8, set.hash.as_str()).hash(&mut h),
            Some(Err(f)) => (2u8, format!("{f:?}")).hash(&mut h),
            None => 3u8.hash(&mut h),
        }
        h.finish()
    }

    /// The fingerprints of every raster file (equal: every thumbnail and error is the same),
    /// for what may show any image (see `serve::signature::shared_templates_make_images`).
    pub fn fingerprint_all(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        for rel in self.sets.keys() {
            (rel, self.fingerprint(rel)).hash(&mut h);
        }
        h.finish()
    }

    /// These images with the raster files `changed` (same paths, new bytes) processed again
    /// (from the cache where it can) and every other set shared; images made on request of
    /// unchanged sources are kept. For the preview's rebuild after an image was replaced.
    pub fn replacing(&self, changed: &[ContentFile]) -> Images {
        let mut images = Images::empty(self.root.clone(), self.settings.clone());
        let remade: Vec<(String, Result<Arc<ImageSet>, ImageFailure>)> = changed
            .par_iter()
            .filter(|a| is_raster(&a.rel))
            .map(|a| (a.rel.clone(), images.make_set(a).map(Arc::new)))
            .collect();
        images.sets = self.sets.clone();
        images.sets.extend(remade);
        let derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        let kept = derived
            .iter()
            .filter(|(_, cell)| matches!(cell.get(), Some(Ok((d, _, _))) if images.is_current(d)))
            .map(|(k, cell)| (k.clone(), cell.clone()))
            .collect();
        *images.derived.get_mut().unwrap_or_else(|e| e.into_inner()) = kept;
        images
    }

    /// The source's bytes and content hash, or why it cannot be read. The hash of a file
    /// whose size and modification time are unchanged is taken from a stamp in the cache,
    /// so a warm build reads a few bytes per image, not the image.
    fn source(&self, a: &ContentFile) -> Result<(Option<Vec<u8>>, String), ImageFailure> {
        let path = self.root.join(&a.path);
        let meta = std::fs::metadata(&path).map_err(|e| ImageFailure::Read(e.to_string()))?;
        if meta.len() == 0 {
            return Err(ImageFailure::Empty);
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let stamp = format!(
            "{}.stamp",
            cache::key(&[
                b"stamp",
                path.to_string_lossy().as_bytes(),
                &meta.len().to_le_bytes(),
                &mtime.to_le_bytes(),
            ])
        );
        if let Some(h) = self.cache.read(&stamp)
            && h.len() == 64
            && let Ok(h) = String::from_utf8(h)
        {
            return Ok((None, h));
        }
        let bytes = std::fs::read(&path).map_err(|e| ImageFailure::Read(e.to_string()))?;
        decode::sniff(&bytes)?;
        let hash = cache::content_hash(&bytes);
        // A stamp that cannot be written only costs reading the file next time.
        let _ = self.cache.write(&stamp, hash.as_bytes());
        Ok((Some(bytes), hash))
    }

    /// The settings part of a set's cache key.
    fn set_key(&self, hash: &str) -> String {
        let s = &self.settings;
        let widths: Vec<u8> = s.widths.iter().flat_map(|w| w.to_le_bytes()).collect();
        let formats: Vec<u8> = s.formats.iter().map(|f| *f as u8).collect();
        cache::key(&[b"set", hash.as_bytes(), &widths, &[s.quality], &formats])
    }

    fn variant_key(hash: &str, op: &Op, format: Format, quality: u8) -> String {
        cache::key(&[
            b"variant",
            hash.as_bytes(),
            op.key().as_bytes(),
            format.ext().as_bytes(),
            &[quality],
        ])
    }

    /// The set of one raster file, from the cache or made now.
    fn make_set(&self, a: &ContentFile) -> Result<ImageSet, ImageFailure> {
        let (bytes, hash) = self.source(a)?;
        let manifest = format!("{}.json", self.set_key(&hash));
        if let Some(set) = self.cached_set(&a.rel, &hash, &manifest) {
            return Ok(set);
        }
        let bytes = match bytes {
            Some(b) => b,
            None => std::fs::read(self.root.join(&a.path))
                .map_err(|e| ImageFailure::Read(e.to_string()))?,
        };
        let _permit = self.gate.enter();
        let decoded = decode::decode(&bytes, self.settings.max_pixels)?;
        drop(bytes);
        let (w, h) = (decoded.width(), decoded.height());
        let fallback = match decoded.format {
            decode::SourceFormat::Jpeg => Format::Jpeg,
            decode::SourceFormat::Png | decode::SourceFormat::Gif => Format::Png,
            decode::SourceFormat::Webp if decoded.has_alpha() => Format::Png,
            decode::SourceFormat::Webp => Format::Jpeg,
        };
        let mut widths: Vec<u32> = (self.settings.widths.iter().copied())
            .filter(|&x| x < w)
            .collect();
        if w <= *self.settings.widths.last().unwrap_or(&w) {
            widths.push(w);
        }
        let mut formats = self.settings.formats.clone();
        formats.retain(|f| *f != fallback);
        formats.push(fallback);
        let q = self.settings.quality;
        // Widest first, each resampled from the previous one (already much smaller than
        // the source), then the source's pixels are let go.
        let mut pixels = decoded.pixels;
        let mut variants = Vec::new();
        for &tw in widths.iter().rev() {
            let op = Op::FitWidth(tw);
            let (vw, vh) = op.size(w, h);
            pixels = resize::resize(&pixels, vw, vh, false);
            for &f in &formats {
                let key = Self::variant_key(&hash, &op, f, q);
                let name = format!("{key}.{}", f.ext());
                let cached = self.cache.read(&name);
                let (file, sum) = match cached {
                    Some(bytes) => (self.cache.path(&name), Sum::of(&bytes)),
                    None => {
                        let bytes = encode::encode(&pixels, f, q).map_err(ImageFailure::Corrupt)?;
                        self.cache.encoded();
                        let file = (self.cache.write(&name, &bytes))
                            .map_err(|e| ImageFailure::Cache(e.to_string()))?;
                        (file, Sum::of(&bytes))
                    }
                };
                variants.push(Variant {
                    format: f,
                    width: vw,
                    height: vh,
                    out: out_path(&a.rel, &format!("{vw}w"), &key, f),
                    file,
                    sum,
                });
            }
        }
        variants.sort_by_key(|v| (formats.iter().position(|f| *f == v.format), v.width));
        let m = Manifest {
            width: w,
            height: h,
            fallback: fallback.ext().into(),
            variants: variants
                .iter()
                .map(|v| {
                    let key = v.file.file_stem().unwrap_or_default().to_string_lossy();
                    let sum = v.sum.to_text();
                    (
                        v.format.ext().into(),
                        v.width,
                        v.height,
                        key.into_owned(),
                        sum,
                    )
                })
                .collect(),
        };
        let json = serde_json::to_vec(&m).expect("a manifest serializes");
        self.cache
            .write(&manifest, &json)
            .map_err(|e| ImageFailure::Cache(e.to_string()))?;
        Ok(ImageSet {
            rel: a.rel.clone(),
            hash,
            width: w,
            height: h,
            fallback,
            variants,
        })
    }

    /// A set from its manifest, if the manifest and every file it names are in the cache.
    fn cached_set(&self, rel: &str, hash: &str, manifest: &str) -> Option<ImageSet> {
        let m: Manifest = serde_json::from_slice(&self.cache.read(manifest)?).ok()?;
        let fallback = Format::parse(&m.fallback)?;
        let mut variants = Vec::with_capacity(m.variants.len());
        for (ext, w, h, key, sum) in m.variants {
            let format = Format::parse(&ext)?;
            let sum = Sum::parse(&sum)?;
            let name = format!("{key}.{}", format.ext());
            if !self.cache.has(&name) || key.len() < 10 {
                return None;
            }
            let label = format!("{w}w");
            variants.push(Variant {
                format,
                width: w,
                height: h,
                out: out_path(rel, &label, &key, format),
                file: self.cache.path(&name),
                sum,
            });
        }
        Some(ImageSet {
            rel: rel.to_string(),
            hash: hash.to_string(),
            width: m.width,
            height: m.height,
            fallback,
            variants,
        })
    }

    /// The image `op` makes of the raster file `rel` in `format` (default: its fallback
    /// format) at `quality` (default: the site's), made now unless cached. It becomes an
    /// output of the build (see [`Images::derived_outputs`]).
    pub fn derive(
        &self,
        rel: &str,
        op: Op,
        format: Option<Format>,
        quality: Option<u8>,
    ) -> Result<Derived, String> {
        let set = match self.sets.get(rel) {
            Some(Ok(set)) => set.clone(),
            Some(Err(f)) => {
                return Err(Problem::BadImage {
                    path: rel.to_string(),
                    reason: f.clone(),
                }
                .message());
            }
            None => {
                return Err(format!(
                    "`{rel}` is not a JPEG, PNG, WebP or GIF file under content/"
                ));
            }
        };
        let format = format.unwrap_or(set.fallback);
        let quality = quality.unwrap_or(self.settings.quality).clamp(1, 100);
        let key = Self::variant_key(&set.hash, &op, format, quality);
        let cell = {
            let mut map = self.derived.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let result = cell.get_or_init(|| {
            let (w, h) = op.size(set.width, set.height);
            let name = format!("{key}.{}", format.ext());
            // The sum beside the file, so that a warm build need not read the file.
            let sum_name = format!("{key}.sum");
            let known = (self.cache.has(&name))
                .then(|| self.cache.read(&sum_name))
                .flatten()
                .and_then(|t| Sum::parse(&String::from_utf8_lossy(&t)));
            let sum = if let Some(sum) = known {
                sum
            } else if let Some(bytes) = self.cache.read(&name) {
                let sum = Sum::of(&bytes);
                let _ = self.cache.write(&sum_name, sum.to_text().as_bytes());
                sum
            } else {
                let bytes = std::fs::read(self.root.join("content").join(rel))
                    .map_err(|e| e.to_string())?;
                let _permit = self.gate.enter();
                let decoded = decode::decode(&bytes, self.settings.max_pixels).map_err(|f| {
                    Problem::BadImage {
                        path: rel.to_string(),
                        reason: f,
                    }
                    .message()
                })?;
                let pixels = resize::resize(&decoded.pixels, w, h, op.crops());
                drop(decoded);
                let out = encode::encode(&pixels, format, quality)?;
                self.cache.encoded();
                self.cache.write(&name, &out).map_err(|e| e.to_string())?;
                let sum = Sum::of(&out);
                // Without it the next build reads the file once more.
                let _ = self.cache.write(&sum_name, sum.to_text().as_bytes());
                sum
            };
            let label = format!("{w}x{h}");
            Ok((
                Derived {
                    out: out_path(rel, &label, &key, format),
                    width: w,
                    height: h,
                    rel: rel.to_string(),
                    source_hash: set.hash.clone(),
                },
                self.cache.path(&name),
                sum,
            ))
        });
        if let Ok((d, file, _)) = result {
            self.asks.note(d, file);
        }
        result.clone().map(|(d, _, _)| d)
    }

    /// Every image made on request so far: (path in the output folder, cache file, its
    /// sum), sorted.
    pub fn derived_outputs(&self) -> Vec<(String, PathBuf, Sum)> {
        let map = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, PathBuf, Sum)> = (map.values())
            .filter_map(|c| c.get()?.as_ref().ok().cloned())
            .map(|(d, p, s)| (d.out, p, s))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        out
    }

    /// Every image made on request so far, with its cache file.
    pub fn derived_made(&self) -> Vec<(Derived, PathBuf)> {
        let map = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        map.values()
            .filter_map(|c| c.get()?.as_ref().ok().cloned())
            .map(|(d, p, _)| (d, p))
            .collect()
    }

    /// Is `d` made from a source as it is now (same path, same bytes)?
    pub fn is_current(&self, d: &Derived) -> bool {
        matches!(self.sets.get(&d.rel), Some(Ok(set)) if set.hash == d.source_hash)
    }
}

/// The SVG files the last build found safe, by the hash of their bytes, kept for `gazette`
/// (a newer Gazette may refuse more): a file found safe is not parsed again until its bytes
/// change. Only safe files are kept, so an unsafe one is reported on every build.
fn svg_verdicts(root: &Path, gazette: &str) -> crate::kept::Log {
    crate::kept::Log::open(root, "svg", crate::kept::salt(&["svg", gazette]))
}

/// What checking one SVG file gives: with kept verdicts (a build), its path relative to
/// `content/` and its size and hash as read; and its problem, if it is unsafe.
type SvgChecked = (Option<(String, Sum)>, Option<Diagnostic>);

/// The size and hash of each SVG file the last builds read, by its path and fingerprint (see
/// [`check_svg_kept`]).
fn svg_sums(root: &Path, gazette: &str) -> crate::kept::Log {
    crate::kept::Log::open(root, "svg-sums", crate::kept::salt(&["svg-sums", gazette]))
}

/// [`check_svg`] for a build, without reading a file the last builds read as it is now (the
/// same path and fingerprint, `seen`) and found safe: reading and hashing 100,000 SVG files
/// was a tenth of a rebuild's CPU. Only safe files are recorded in `seen`.
fn check_svg_kept(
    root: &Path,
    folder: &crate::load::held_folder::HeldFolder,
    a: &ContentFile,
    safe: &crate::kept::Log,
    seen: &crate::kept::Log,
) -> SvgChecked {
    use crate::kept::bytes::{take, take_u64};
    let fp = folder.fingerprint_below(&a.path).ok();
    let key = fp.map(|fp| fp.key_of(a.rel.as_bytes()));
    let recorded = key.and_then(|k| seen.get(k)).and_then(|mut b| {
        let size = take_u64(&mut b)?;
        let hash = u128::from_le_bytes(take(&mut b, 16)?.try_into().ok()?);
        Some(Sum { size, hash })
    });
    // A record is only ever made of a file this Gazette found safe (the log's salt), so it
    // stands for the verdict too.
    if let Some(sum) = recorded {
        return (Some((a.rel.clone(), sum)), None);
    }
    let checked = check_svg(root, a, Some(safe));
    if let (Some(key), Some(fp), (Some((_, sum)), None)) = (key, fp, &checked)
        && fp.settled()
        && sum.size == fp.size
    {
        let mut record = sum.size.to_le_bytes().to_vec();
        record.extend_from_slice(&sum.hash.to_le_bytes());
        seen.put(key, record);
    }
    checked
}

/// An unsafe SVG under content/, as a diagnostic at its line. `safe`: the files found safe
/// before (see [`svg_verdicts`]), to which this one is added if it is; with it (a build),
/// the file's path relative to `content/` and its size and hash as read.
fn check_svg(root: &Path, a: &ContentFile, safe: Option<&crate::kept::Log>) -> SvgChecked {
    let Ok(text) = std::fs::read_to_string(root.join(&a.path)) else {
        return (None, None);
    };
    // Hashed only when verdicts are kept (a build, not the preview).
    let sum = safe.map(|_| Sum::of(text.as_bytes()));
    let named = sum.map(|s| (a.rel.clone(), s));
    if let (Some(safe), Some(sum)) = (safe, sum)
        && safe.get(sum.hash).is_some()
    {
        return (named, None);
    }
    let checked = svg::check(&text);
    if let (Some(safe), Some(sum), Ok(())) = (safe, sum, &checked) {
        safe.put(sum.hash, Vec::new());
    }
    let Err((risk, span)) = checked else {
        return (named, None);
    };
    let source = crate::load::source::SourceFile::new(a.path.clone(), Arc::from(text.as_str()));
    (
        named,
        Some(source.diagnostic(Problem::UnsafeSvg { risk }, span)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_sit_beside_the_source() {
        let key = "0123456789abcdef";
        assert_eq!(
            out_path("releases/a/photo.jpg", "480w", key, Format::Webp),
            "releases/a/photo.480w.0123456789.webp"
        );
        assert_eq!(
            out_path("p.png", "1200x630", key, Format::Png),
            "p.1200x630.0123456789.png"
        );
        assert!(is_raster("a/B.JPG") && !is_raster("a/b.svg") && !is_raster("x"));
    }
}
