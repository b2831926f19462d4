//! Images: covers and figures become responsive `<picture>`s of cached, metadata-free
//! thumbnails; bad images are errors at the file that uses them; unsafe SVG is refused.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::time::SystemTime;

use common::*;
use image::{ImageDecoder, ImageFormat, Rgb, RgbImage};

const ALPHA: &str = "content/releases/2024-01/alpha.md";

/// A JPEG of `w` × `h` pixels, left half red and right half blue.
fn halves(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    out
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// An EXIF block (TIFF, little-endian) with an orientation, a description and GPS
/// latitude, as phones write them.
fn exif_block(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    // IFD0 at 8: three entries.
    let ifd0_len = 2 + 3 * 12 + 4;
    let desc_at = 8 + ifd0_len;
    let desc = b"SECRET-PLACE-DESCRIPTION\0";
    let gps_at = desc_at + desc.len();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value);
    };
    t.extend(3u16.to_le_bytes());
    entry(
        &mut t,
        0x010E,
        2,
        desc.len() as u32,
        (desc_at as u32).to_le_bytes(),
    );
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, (gps_at as u32).to_le_bytes());
    t.extend(0u32.to_le_bytes());
    t.extend(desc);
    // GPS IFD: latitude reference and latitude (three rationals after the IFD).
    let rationals_at = gps_at + 2 + 2 * 12 + 4;
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, (rationals_at as u32).to_le_bytes());
    t.extend(0u32.to_le_bytes());
    for (n, d) in [(30u32, 1u32), (15, 1), (4242, 100)] {
        t.extend(n.to_le_bytes());
        t.extend(d.to_le_bytes());
    }
    t
}

/// A JPEG with EXIF (GPS and `orientation`), XMP and IPTC segments after its SOI marker.
fn jpeg_with_metadata(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(img);
    let segment = |marker: u8, body: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend(((body.len() + 2) as u16).to_be_bytes());
        s.extend(body);
        s
    };
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_block(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(
        b"<x:xmpmeta><rdf:Description exif:GPSLatitude=\"30,15.42N\" SECRET-XMP/></x:xmpmeta>",
    );
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x10".to_vec();
    iptc.extend(b"\x1c\x02\x5a\0\x0cSECRET-IPTC!");
    let mut out = plain[..2].to_vec();
    out.extend(segment(0xE1, &exif));
    out.extend(segment(0xE1, &xmp));
    out.extend(segment(0xED, &iptc));
    out.extend(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The JPEG marker segments (APPn, COM) of `bytes`, up to the start of scan.
fn jpeg_segments(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let m = bytes[i + 1];
        markers.push(m);
        if m == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        i += 2 + len;
    }
    markers
}

/// No metadata of any kind in an output image: no EXIF, XMP, IPTC or ICC block, no text
/// of the source's metadata, and the decoder finds no EXIF.
fn assert_no_metadata(name: &str, bytes: &[u8]) {
    for needle in [
        &b"Exif"[..],
        b"EXIF",
        b"SECRET",
        b"http://ns.adobe.com/xap",
        b"Photoshop 3.0",
        b"ICC_PROFILE",
        b"iCCP",
        b"eXIf",
        b"tEXt",
        b"iTXt",
        b"XMP ",
    ] {
        assert!(
            !contains(bytes, needle),
            "{name} contains {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let markers = jpeg_segments(bytes);
        assert!(
            !markers
                .iter()
                .any(|m| (0xE1..=0xEF).contains(m) || *m == 0xFE),
            "{name} has metadata segments {markers:x?}"
        );
    }
    let mut d = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    assert_eq!(d.exif_metadata().unwrap(), None, "{name}");
}

/// The cover and body images of alpha become `photo.jpg` with these bytes.
fn use_photo(site: &Path, bytes: &[u8]) {
    fs::write(site.join("content/releases/2024-01/alpha/photo.jpg"), bytes).unwrap();
    let path = site.join(ALPHA);
    let text = fs::read_to_string(&path).unwrap();
    let text = text.replace("alpha/figure.svg", "alpha/photo.jpg");
    let text = if text.contains("![photo of the plant]") {
        text
    } else {
        format!("{text}\n\n![photo of the plant](alpha/photo.jpg)\n")
    };
    fs::write(&path, text).unwrap();
}

fn decode(path: &Path) -> image::DynamicImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `srcset` as (URL, width) pairs.
fn srcset(s: &str) -> Vec<(String, u32)> {
    s.split(", ")
        .map(|c| {
            let (url, w) = c.rsplit_once(' ').unwrap();
            (url.to_string(), w.trim_end_matches('w').parse().unwrap())
        })
        .collect()
}

/// The output file a site URL names (the fixture's base path is `/results/`).
fn out_file(out: &Path, url: &str) -> std::path::PathBuf {
    out.join(url.strip_prefix("/results/").unwrap_or(url))
}

#[test]
fn sample_covers_and_figures_are_responsive_pictures() {
    let site = sample_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let prefix = "/results/";
    let file = |url: &str| out.join(url.strip_prefix(prefix).unwrap());
    let entry = html(&out.join("releases/2025-01/pet-glycolysis-recycling/index.html"));
    let sources = select(&entry, "figure.cover picture source");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].attr("type"), Some("image/webp"));
    let webp = srcset(sources[0].attr("srcset").unwrap());
    assert_eq!(
        webp.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [480, 960, 1600]
    );
    for (url, w) in &webp {
        let img = decode(&file(url));
        assert_eq!(img.width(), *w, "{url}");
        assert_eq!(img.height(), (*w * 2 + 1) / 3, "{url}");
        assert!(fs::read(file(url)).unwrap().starts_with(b"RIFF"), "{url}");
    }
    let img = select(&entry, "figure.cover picture img")[0];
    assert_eq!(img.attr("width"), Some("1600"));
    assert_eq!(img.attr("height"), Some("1067"));
    // The cover is the first image a reader sees: it is not lazy.
    assert_eq!(img.attr("loading"), None);
    assert!(img.attr("alt").unwrap().starts_with("示例封面图"));
    assert!(img.attr("sizes").is_some());
    let jpegs = srcset(img.attr("srcset").unwrap());
    assert_eq!(jpegs.len(), 3);
    for (url, _) in &jpegs {
        assert!(
            fs::read(file(url)).unwrap().starts_with(&[0xFF, 0xD8]),
            "{url}"
        );
    }
    assert_eq!(img.attr("src"), Some(jpegs[2].0.as_str()));
    // Open Graph: a 1200 × 630 crop, at an absolute URL.
    let og = attrs(&entry, "meta[property='og:image']", "content");
    let og = og[0].strip_prefix("https://example.org").unwrap();
    let og_img = decode(&file(og));
    assert_eq!((og_img.width(), og_img.height()), (1200, 630));
    // The original is never published.
    assert!(
        !out.join("releases/2025-01/pet-glycolysis-recycling/cover.jpg")
            .exists()
    );
    // Cards show the thumbnail, lazily.
    let release = html(&out.join("releases/2025-01/index.html"));
    let cards = select(&release, ".card .card-cover picture img");
    assert!(cards.len() >= 2, "{}", cards.len());
    assert!(cards.iter().all(|i| i.attr("loading") == Some("lazy")));
    // A figure in a body: a lazy picture with the editor's alt text.
    let en = html(&out.join("en/releases/2024-03/seawater-hydrogen/index.html"));
    let fig = select(&en, ".prose picture img");
    assert_eq!(fig.len(), 1);
    assert_eq!(fig[0].attr("loading"), Some("lazy"));
    assert!(fig[0].attr("alt").unwrap().starts_with("Sample figure"));
    assert_eq!(fig[0].attr("width"), Some("1200"));
    // The sample SVG still passes as it is.
    assert!(out.join("releases/2024-03/mma-pilot/flow.svg").exists());
}

#[test]
fn metadata_never_reaches_the_output_and_orientation_is_applied() {
    let site = fixture("basic");
    // Stored 300 × 200 (left red, right blue) with orientation 6: shown rotated 90°
    // clockwise, 200 wide and 300 tall, red on top.
    let src = jpeg_with_metadata(&halves(300, 200), 6);
    assert!(contains(&src, b"SECRET-PLACE"));
    use_photo(site.path(), &src);
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    let img = select(&page, "figure.cover picture img")[0];
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("200"), Some("300"))
    );
    let mut images = 0;
    // The theme's own icons (favicon.ico, apple-touch-icon.png) are not the site's images.
    let theme_static = files(&repo().join("themes/default/static"));
    for (name, bytes) in files(&out) {
        if theme_static.contains_key(&name) {
            continue;
        }
        if name.ends_with(".jpg") || name.ends_with(".webp") || name.ends_with(".png") {
            assert_no_metadata(&name, &bytes);
            images += 1;
            let px = image::load_from_memory(&bytes).unwrap().to_rgb8();
            let (w, h) = px.dimensions();
            if w < h {
                let top = px.get_pixel(w / 2, h / 8);
                let bottom = px.get_pixel(w / 2, h - h / 8);
                assert!(top[0] > 150 && top[2] < 100, "{name}: top {top:?}");
                assert!(
                    bottom[2] > 150 && bottom[0] < 100,
                    "{name}: bottom {bottom:?}"
                );
            }
        }
    }
    // 200 wide: one width, two formats, and the Open Graph crop.
    assert_eq!(images, 3);
}

#[test]
fn grayscale_sixteen_bit_and_alpha_sources_are_handled() {
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-01/alpha");
    let gray16 = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(640, 320, |x, _| {
        image::Luma([(x * 100) as u16])
    });
    let mut bytes = Vec::new();
    gray16
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    fs::write(dir.join("gray16.png"), bytes).unwrap();
    let rgba =
        image::RgbaImage::from_fn(500, 500, |x, _| image::Rgba([0, 100, 200, (x / 2) as u8]));
    let mut bytes = Vec::new();
    rgba.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    fs::write(dir.join("alpha.png"), bytes).unwrap();
    let path = site.path().join(ALPHA);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        format!(
            "{text}\n\n![a gray scale](alpha/gray16.png)\n\n![a fading square](alpha/alpha.png)\n"
        ),
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    let imgs = select(&page, ".prose picture img");
    assert_eq!(imgs.len(), 2);
    // PNG sources keep PNG as the fallback; transparency survives in WebP and PNG.
    let fallback = srcset(imgs[1].attr("srcset").unwrap());
    assert_eq!(
        fallback.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [480, 500]
    );
    let a = decode(&out_file(&out, &fallback[1].0));
    assert!(a.color().has_alpha());
    let webp = srcset(
        select(&page, ".prose picture source")[1]
            .attr("srcset")
            .unwrap(),
    );
    let a = decode(&out_file(&out, &webp[0].0));
    assert!(a.color().has_alpha());
    let g = decode(&out_file(
        &out,
        &srcset(imgs[0].attr("srcset").unwrap())[0].0,
    ))
    .to_rgb8();
    assert_eq!(g.dimensions(), (480, 240));
}

/// The CRC-32 of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A PNG of a few hundred bytes that claims `w` × `h` pixels.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend(data);
        c.extend(&body);
        c.extend(crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    // A zlib stream of a few zero bytes (deflate, stored block).
    out.extend(chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0, 4, 0, 1,
        ],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        for c in [0u8, 255] {
            let f = image::RgbaImage::from_pixel(8, 8, image::Rgba([c, 0, 0, 255]));
            enc.encode_frame(image::Frame::new(f)).unwrap();
        }
    }
    out
}

#[test]
fn bad_images_are_errors_at_the_file_that_uses_them() {
    let good = jpeg(&halves(64, 32));
    let mut truncated = jpeg(&halves(600, 400));
    truncated.truncate(truncated.len() / 3);
    let mut corrupt = jpeg(&halves(64, 32));
    // Its markers overwritten: no decoder can make sense of it.
    for b in corrupt.iter_mut().skip(4).take(300) {
        *b = b'A';
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "empty file"),
        (
            "not an image",
            b"<html>not a photo</html>".to_vec(),
            "is not a JPEG",
        ),
        ("truncated", truncated, "corrupt or truncated"),
        ("corrupt", corrupt, "corrupt or truncated"),
        ("bomb", bomb(50_000, 50_000), "claims 50000×50000 pixels"),
        ("animated", animated_gif(), "is animated"),
    ];
    let site = fixture("basic");
    use_photo(site.path(), &good);
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let before = files(&out);
    for (what, bytes, message) in cases {
        let start = std::time::Instant::now();
        use_photo(site.path(), &bytes);
        let err = gazette::build(&opts(site.path())).unwrap_err();
        assert!(
            start.elapsed().as_secs() < 20,
            "{what}: took {:?}",
            start.elapsed()
        );
        let d: Vec<_> = err
            .diagnostics
            .iter()
            .filter(|d| d.problem.code() == "bad-image")
            .collect();
        // The cover and the two figures of the body (the fixture's own, and ours).
        assert_eq!(d.len(), 3, "{what}: {}", err.report());
        for d in &d {
            let loc = d.location.as_ref().unwrap();
            assert_eq!(loc.file, Path::new(ALPHA), "{what}");
            assert!(
                d.problem.message().contains(message),
                "{what}: {}",
                d.problem.message()
            );
            assert!(d.problem.hint().is_some());
        }
        let cover = d
            .iter()
            .find(|d| d.field.as_deref() == Some("cover"))
            .unwrap();
        assert_eq!(cover.location.as_ref().unwrap().line, 10, "{what}");
        assert_eq!(files(&out), before, "{what}: the old output is untouched");
    }
    // A missing file is reported as before.
    fs::remove_file(site.path().join("content/releases/2024-01/alpha/photo.jpg")).unwrap();
    let err = gazette::build(&opts(site.path())).unwrap_err();
    assert!(
        err.diagnostics
            .iter()
            .any(|d| d.problem.code() == "missing-image")
    );
    assert_eq!(files(&out), before);
}

/// Cache file → modification time.
fn cache_state(dir: &Path) -> BTreeMap<String, SystemTime> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_cache_makes_a_second_build_encode_nothing_and_prunes_what_is_unused() {
    let site = fixture("basic");
    use_photo(site.path(), &jpeg(&halves(1000, 600)));
    build_ok(&opts(site.path()));
    let cache = site.path().join(".gazette-cache/images");
    let first = cache_state(&cache);
    let thumbs = |s: &BTreeMap<String, SystemTime>| {
        s.keys()
            .filter(|k| k.ends_with(".jpg") || k.ends_with(".webp"))
            .count()
    };
    // 480, 960 and 1000 wide in two formats, and the Open Graph crop.
    assert_eq!(thumbs(&first), 7);
    let out = site.path().join("output");
    let before = files(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    build_ok(&opts(site.path()));
    assert_eq!(
        cache_state(&cache),
        first,
        "nothing was written to the cache"
    );
    assert_eq!(files(&out), before, "the same output, byte for byte");
    // A changed photo makes only its own thumbnails; the old ones are pruned.
    use_photo(site.path(), &jpeg(&halves(1000, 700)));
    build_ok(&opts(site.path()));
    let third = cache_state(&cache);
    assert_eq!(thumbs(&third), 7);
    let is_thumb = |k: &&String| k.ends_with(".jpg") || k.ends_with(".webp");
    assert!(
        third
            .keys()
            .filter(is_thumb)
            .all(|k| !first.contains_key(k))
    );
    assert!(
        first
            .keys()
            .filter(is_thumb)
            .all(|k| !third.contains_key(k))
    );
    // Files that are not the cache's own entries are left alone.
    fs::write(cache.join("README"), "mine").unwrap();
    build_ok(&opts(site.path()));
    assert!(cache.join("README").exists());
}

#[test]
fn unsafe_svg_is_an_error_at_its_line() {
    let cases = [
        ("<script>alert(document.cookie)</script>", "<script>"),
        (
            "<rect width=\"1\" height=\"1\" onclick=\"steal()\"/>",
            "onclick",
        ),
        ("<foreignObject><p>x</p></foreignObject>", "foreignObject"),
        (
            "<image href=\"https://tracker.example/p.png\"/>",
            "outside the file",
        ),
    ];
    for (body, message) in cases {
        let site = fixture("basic");
        let svg = site
            .path()
            .join("content/releases/2024-01/alpha/figure.svg");
        fs::write(
            &svg,
            format!("<svg xmlns=\"http://www.w3.org/2000/svg\">\n<g>\n{body}\n</g>\n</svg>\n"),
        )
        .unwrap();
        let err = gazette::build(&opts(site.path())).unwrap_err();
        let d = err
            .diagnostics
            .iter()
            .find(|d| d.problem.code() == "unsafe-svg")
            .unwrap_or_else(|| panic!("{body}: {}", err.report()));
        let loc = d.location.as_ref().unwrap();
        assert_eq!(
            loc.file,
            Path::new("content/releases/2024-01/alpha/figure.svg")
        );
        assert_eq!(loc.line, 3, "{body}");
        assert!(
            d.problem.message().contains(message),
            "{}",
            d.problem.message()
        );
        assert!(d.problem.hint().unwrap().contains("script"));
        assert!(!site.path().join("output").exists());
    }
}

#[test]
fn png_sources_keep_png_and_gif_stills_become_png() {
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-01/alpha");
    fs::write(dir.join("chart.png"), png(&halves(300, 100))).unwrap();
    let mut gif = Vec::new();
    halves(90, 30)
        .write_to(&mut Cursor::new(&mut gif), ImageFormat::Gif)
        .unwrap();
    fs::write(dir.join("still.gif"), gif).unwrap();
    let path = site.path().join(ALPHA);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        format!("{text}\n\n![a chart](alpha/chart.png)\n\n![a still](alpha/still.gif)\n\n[the chart](alpha/chart.png)\n"),
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    let srcs = attrs(&page, ".prose picture img", "src");
    assert_eq!(srcs.len(), 2);
    assert!(
        srcs[0].ends_with(".png") && srcs[1].ends_with(".png"),
        "{srcs:?}"
    );
    // A plain link to an image goes to its widest thumbnail.
    let links = attrs(&page, ".prose a", "href");
    assert!(links.contains(&srcs[0]), "{links:?}");
    assert!(!out.join("releases/2024-01/alpha/still.gif").exists());
}

#[test]
fn themes_resize_images_with_resize_image() {
    let site = fixture("basic");
    use_photo(site.path(), &jpeg(&halves(900, 600)));
    fs::create_dir_all(site.path().join("templates")).unwrap();
    fs::write(
        site.path().join("templates/card.html"),
        concat!(
            "{% set a = resize_image(path=\"releases/2024-01/alpha/photo.jpg\", op=\"fill\", width=300, height=300, format=\"webp\", quality=70) %}",
            "{% set b = resize_image(path=\"content/releases/2024-01/alpha/photo.jpg\", op=\"fit_width\", width=450) %}",
            "<article class=\"card\"><img class=\"a\" src=\"{{ a.url }}\" width=\"{{ a.width }}\" height=\"{{ a.height }}\">",
            "<img class=\"b\" src=\"{{ b.url }}\" width=\"{{ b.width }}\" height=\"{{ b.height }}\"><a href=\"{{ e.url }}\">{{ e.title }}</a></article>\n"
        ),
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/index.html"));
    let check = |css: &str, w: u32, h: u32, magic: &[u8]| {
        let img = select(&page, css)[0];
        assert_eq!(img.attr("width"), Some(w.to_string().as_str()), "{css}");
        assert_eq!(img.attr("height"), Some(h.to_string().as_str()), "{css}");
        let file = out_file(&out, img.attr("src").unwrap());
        let bytes = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(bytes.starts_with(magic), "{css}");
        assert_no_metadata(css, &bytes);
        let px = image::load_from_memory(&bytes).unwrap();
        assert_eq!((px.width(), px.height()), (w, h), "{css}");
        px.to_rgb8()
    };
    // A centred square crop of a red | blue image: half red, half blue.
    let a = check(".card img.a", 300, 300, b"RIFF");
    assert!(a.get_pixel(10, 150)[0] > 150 && a.get_pixel(290, 150)[2] > 150);
    check(".card img.b", 450, 300, &[0xFF, 0xD8]);
    // A path that is not an image is a template error naming it.
    fs::write(
        site.path().join("templates/card.html"),
        "{{ resize_image(path=\"releases/2024-01/alpha/nothing.jpg\", width=10, height=10).url }}",
    )
    .unwrap();
    let err = gazette::build(&opts(site.path())).unwrap_err();
    assert!(err.report().contains("nothing.jpg"), "{}", err.report());
}

/// The preview's output as bytes, and a fresh build's (as `tests/incremental.rs` compares).
fn served_and_fresh(
    engine: &gazette::serve::engine::Engine,
    root: &Path,
    base: &str,
) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    let served = gazette::serve::engine::materialize(&engine.snapshot().unwrap());
    let mut o = opts(root);
    o.drafts = true;
    o.base_url = Some(base.into());
    let loaded = gazette::load_site(&o).unwrap_or_else(|f| panic!("{}", f.report()));
    let r = gazette::render_site(&loaded, root).unwrap_or_else(|d| panic!("{d:?}"));
    let mut fresh: BTreeMap<String, Vec<u8>> =
        r.files.into_iter().map(|f| (f.path, f.bytes)).collect();
    for c in r.plan.copies {
        fresh.insert(c.to, fs::read(root.join(c.from)).unwrap());
    }
    (served, fresh)
}

#[test]
fn the_preview_shows_a_replaced_cover_and_equals_a_fresh_build() {
    const BASE: &str = "http://127.0.0.1:1111/";
    let site = fixture("basic");
    let root = site.path();
    use_photo(root, &jpeg(&halves(800, 400)));
    let mut engine = gazette::serve::engine::Engine::new(root, BASE);
    engine
        .rebuild()
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let cover = |engine: &gazette::serve::engine::Engine| -> (String, String) {
        let served = gazette::serve::engine::materialize(&engine.snapshot().unwrap());
        let page = scraper::Html::parse_document(
            std::str::from_utf8(&served["releases/2024-01/alpha/index.html"]).unwrap(),
        );
        let src = select(&page, "figure.cover picture img")[0]
            .attr("src")
            .unwrap()
            .to_string();
        let og = attrs(&page, "meta[property='og:image']", "content").remove(0);
        (src, og)
    };
    let (before, og_before) = cover(&engine);
    let (served, fresh) = served_and_fresh(&engine, root, BASE);
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>()
    );
    // Replace the photo (a new size, new pixels): the watcher reports the image file.
    let photo = root.join("content/releases/2024-01/alpha/photo.jpg");
    fs::write(&photo, jpeg(&halves(600, 600))).unwrap();
    engine
        .rebuild_changed(&[photo])
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let (after, og_after) = cover(&engine);
    assert_ne!(before, after);
    assert_ne!(og_before, og_after);
    let (served, fresh) = served_and_fresh(&engine, root, BASE);
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>()
    );
    for (k, v) in &fresh {
        assert!(served[k] == *v, "{k} differs from a fresh build");
    }
    let path = after.strip_prefix('/').unwrap();
    let img = image::load_from_memory(&served[path]).unwrap();
    assert_eq!((img.width(), img.height()), (600, 600));
}

/// A PNG of `w` × `h` pixels in one colour.
fn flat_png(w: u32, h: u32, c: [u8; 3]) -> Vec<u8> {
    png(&RgbImage::from_pixel(w, h, Rgb(c)))
}

/// Overwrite `path` with `bytes`, its modification time moved on (coarse file systems).
fn replace_file(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
    let t = SystemTime::now() + std::time::Duration::from_secs(2);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// The HTML pages whose bytes differ between two outputs with the same pages.
fn changed_pages(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    (a.iter())
        .filter(|(k, v)| k.ends_with(".html") && b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// alpha's cover and a figure in its body are `alpha/photo.jpg`; the standalone page
/// `about` (Chinese only) shows `chart.png` in its body.
fn site_with_a_cover_and_a_figure(root: &Path) {
    use_photo(root, &jpeg(&halves(800, 400)));
    fs::write(
        root.join("content/pages/chart.png"),
        flat_png(300, 200, [0, 128, 0]),
    )
    .unwrap();
    let about = root.join("content/pages/about.md");
    let text = fs::read_to_string(&about).unwrap();
    fs::write(&about, format!("{text}\n![a chart](chart.png)\n")).unwrap();
}

#[test]
fn the_preview_renders_again_only_the_pages_that_show_a_replaced_image() {
    const BASE: &str = "http://127.0.0.1:1111/";
    let site = fixture("basic");
    let root = site.path();
    site_with_a_cover_and_a_figure(root);
    let mut engine = gazette::serve::engine::Engine::new(root, BASE);
    engine
        .rebuild()
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let same_as_fresh = |engine: &gazette::serve::engine::Engine, step: &str| {
        let (served, fresh) = served_and_fresh(engine, root, BASE);
        assert_eq!(
            served.keys().collect::<Vec<_>>(),
            fresh.keys().collect::<Vec<_>>(),
            "{step}"
        );
        for (k, v) in &fresh {
            assert!(served[k] == *v, "{step}: {k} differs from a fresh build");
        }
        served
    };
    let mut before = same_as_fresh(&engine, "first build");
    let pages = before.keys().filter(|k| k.ends_with(".html")).count();

    // The cover (and alpha's figure): alpha's pages in both languages and the lists
    // that show its card; nothing else.
    let photo = root.join("content/releases/2024-01/alpha/photo.jpg");
    replace_file(&photo, &jpeg(&halves(600, 600)));
    let editor_temp = root.join("content/releases/2024-01/alpha/.photo.jpg.swp");
    let report = engine
        .rebuild_changed(&[photo.clone(), editor_temp])
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let after = same_as_fresh(&engine, "cover replaced");
    let changed = changed_pages(&after, &before);
    assert!(report.patched, "the image path was not taken");
    for page in [
        "releases/2024-01/alpha/index.html",
        "en/releases/2024-01/alpha/index.html",
        "releases/2024-01/index.html",
        "en/releases/2024-01/index.html",
    ] {
        assert!(
            changed.contains(&page.to_string()),
            "{page} not in {changed:?}"
        );
    }
    assert!(
        changed.iter().any(|p| p.contains("/fields/")),
        "{changed:?}"
    );
    assert_eq!(report.rendered, changed.len(), "rendered: {changed:?}");
    assert!(
        report.rendered < pages / 2,
        "{} of {pages}",
        report.rendered
    );
    // The old thumbnails and crop are no longer served; the new ones are.
    let jpgs = |m: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        (m.keys())
            .filter(|k| k.contains("alpha/photo."))
            .cloned()
            .collect()
    };
    assert!(jpgs(&after).iter().all(|k| !before.contains_key(k)));
    assert_eq!(jpgs(&after).len(), jpgs(&before).len());
    before = after;

    // A figure in a standalone page's body: that page, in the one language that shows it.
    let chart = root.join("content/pages/chart.png");
    replace_file(&chart, &flat_png(400, 100, [200, 0, 0]));
    let report = engine
        .rebuild_changed(std::slice::from_ref(&chart))
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let after = same_as_fresh(&engine, "figure replaced");
    assert!(report.patched, "the image path was not taken");
    assert_eq!(changed_pages(&after, &before), ["about/index.html"]);
    assert_eq!(report.rendered, 1);

    // A body the text fast path rendered since the last full rebuild names it now: that
    // body is found too.
    let alpha_en = root.join("content/releases/2024-01/alpha.en.md");
    let text = fs::read_to_string(&alpha_en).unwrap();
    replace_file(
        &alpha_en,
        format!("{text}\n![the chart](../../pages/chart.png)\n").as_bytes(),
    );
    let report = engine
        .rebuild_changed(std::slice::from_ref(&alpha_en))
        .unwrap();
    assert!(report.patched, "the text fast path was not taken");
    before = same_as_fresh(&engine, "figure added by the text fast path");
    replace_file(&chart, &flat_png(400, 100, [200, 100, 0]));
    let report = engine
        .rebuild_changed(std::slice::from_ref(&chart))
        .unwrap();
    let after = same_as_fresh(&engine, "figure replaced again");
    assert!(report.patched, "the image path was not taken");
    assert_eq!(
        changed_pages(&after, &before),
        ["about/index.html", "en/releases/2024-01/alpha/index.html"]
    );
    // alpha's pages in both languages (an entry's pages are rendered together) and about.
    assert_eq!(report.rendered, 3);
    before = after;

    // The same bytes saved again: nothing to show again.
    replace_file(&chart, &flat_png(400, 100, [200, 100, 0]));
    let report = engine.rebuild_changed(&[chart]).unwrap();
    assert_eq!(report.rendered, 0);

    // A full rebuild after these agrees, and renders only what the image path rendered
    // (their signatures changed), not every page.
    let report = engine.rebuild().unwrap();
    let after = same_as_fresh(&engine, "full rebuild");
    assert_eq!(changed_pages(&after, &before), Vec::<String>::new());
    assert!(
        report.rendered < pages / 2,
        "{} of {pages}",
        report.rendered
    );

    // A page-kind template making an image of it (`resize_image`): the pages that asked.
    fs::create_dir_all(root.join("templates")).unwrap();
    let entry = fs::read_to_string(root.join("themes/default/templates/entry.html")).unwrap();
    let entry = entry.replacen(
        "{% block content %}",
        "{% block content %}{% set c = resize_image(path='pages/chart.png', width=40, height=40) %}<img class=\"chart\" src=\"{{ c.url }}\">",
        1,
    );
    assert!(
        entry.contains("class=\"chart\""),
        "entry.html has no content block"
    );
    fs::write(root.join("templates/entry.html"), entry).unwrap();
    engine.rebuild().unwrap();
    let before = same_as_fresh(&engine, "entry.html makes an image");
    let chart = root.join("content/pages/chart.png");
    replace_file(&chart, &flat_png(300, 300, [0, 0, 200]));
    let report = engine
        .rebuild_changed(std::slice::from_ref(&chart))
        .unwrap();
    let after = same_as_fresh(&engine, "image of entry pages replaced");
    let changed = changed_pages(&after, &before);
    assert!(report.patched, "the image path was not taken");
    assert!(changed.contains(&"about/index.html".to_string()));
    assert!(changed.contains(&"releases/2024-01/beta/index.html".to_string()));
    assert_eq!(report.rendered, changed.len(), "{changed:?}");
    // Cards are made outside pages: a card making an image of it renders every page.
    fs::remove_file(root.join("templates/entry.html")).unwrap();
    fs::write(
        root.join("templates/card.html"),
        "{% set c = resize_image(path='pages/chart.png', width=40, height=40) %}<img src=\"{{ c.url }}\"><a href=\"{{ e.url }}\">{{ e.title }}</a>\n",
    )
    .unwrap();
    engine.rebuild().unwrap();
    same_as_fresh(&engine, "card.html makes an image");
    replace_file(&chart, &flat_png(300, 300, [0, 200, 200]));
    let report = engine
        .rebuild_changed(std::slice::from_ref(&chart))
        .unwrap();
    assert!(!report.patched);
    same_as_fresh(&engine, "image of every card replaced");
    fs::remove_file(root.join("templates/card.html")).unwrap();
    engine.rebuild().unwrap();

    // A broken replacement is left to the full rebuild, which reports it at the cover.
    replace_file(&photo, b"not a photo");
    let err = engine.rebuild_changed(&[photo]).unwrap_err();
    assert!(err.report().contains("alpha.md"), "{}", err.report());
}

#[test]
fn a_build_renders_again_only_the_pages_that_show_a_replaced_image() {
    let site = fixture("basic");
    let root = site.path();
    site_with_a_cover_and_a_figure(root);
    let o = opts(root);
    let first = build_ok(&o);
    let before = files(&root.join("output"));
    let pages = before.keys().filter(|k| k.ends_with(".html")).count();
    assert_eq!(first.rendered, first.pages);
    let cold = |step: &str| {
        let out = tempfile::tempdir().unwrap();
        let mut o = opts(root);
        o.output = Some(out.path().join("site"));
        build_ok(&o);
        let cold = files(&out.path().join("site"));
        let now = files(&root.join("output"));
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            cold.keys().collect::<Vec<_>>(),
            "{step}"
        );
        for (k, v) in &cold {
            assert!(now[k] == *v, "{step}: {k} differs from a cold build");
        }
        now
    };

    replace_file(
        &root.join("content/releases/2024-01/alpha/photo.jpg"),
        &jpeg(&halves(600, 600)),
    );
    let s = build_ok(&o);
    let after = cold("cover replaced");
    let changed = changed_pages(&after, &before);
    assert!(changed.contains(&"en/releases/2024-01/alpha/index.html".to_string()));
    assert!(changed.contains(&"releases/2024-01/index.html".to_string()));
    assert_eq!(s.rendered, changed.len(), "{changed:?}");
    assert!(s.rendered < pages / 2, "{} of {pages}", s.rendered);

    replace_file(
        &root.join("content/pages/chart.png"),
        &flat_png(400, 100, [200, 0, 0]),
    );
    let s = build_ok(&o);
    let again = cold("figure replaced");
    assert_eq!(changed_pages(&again, &after), ["about/index.html"]);
    assert_eq!(s.rendered, 1);
}

#[test]
fn images_in_raw_html_become_pictures_with_the_editors_alt_and_size() {
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-01/alpha");
    fs::write(dir.join("plant.jpg"), jpeg(&halves(1200, 800))).unwrap();
    let path = site.path().join(ALPHA);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        format!(
            "{text}\n\n<figure class=\"plant\"><img alt=\"the pilot plant\" width=\"400\" src=\"alpha/plant.jpg\">\
             <figcaption>Pilot</figcaption></figure>\n\n\
             Inline: <img src=\"alpha/plant.jpg\" alt=\"again\" onerror=\"alert(1)\"> in a sentence.\n"
        ),
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    let check_files = |list: &str, magic: &[u8]| {
        let list = srcset(list);
        assert_eq!(
            list.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
            [480, 960, 1200]
        );
        for (url, w) in &list {
            let bytes = fs::read(out_file(&out, url)).unwrap();
            assert!(bytes.starts_with(magic), "{url}");
            assert_no_metadata(url, &bytes);
            assert_eq!(image::load_from_memory(&bytes).unwrap().width(), *w);
        }
    };
    // The figure: the editor's alt and width kept, the height follows, `sizes` is the width.
    let img = select(&page, ".prose figure.plant picture img");
    assert_eq!(img.len(), 1);
    let img = img[0];
    assert_eq!(img.attr("alt"), Some("the pilot plant"));
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("400"), Some("267"))
    );
    assert_eq!(img.attr("sizes"), Some("400px"));
    assert_eq!(img.attr("loading"), Some("lazy"));
    check_files(img.attr("srcset").unwrap(), &[0xFF, 0xD8]);
    let source = select(&page, ".prose figure.plant picture source")[0];
    assert_eq!(source.attr("type"), Some("image/webp"));
    check_files(source.attr("srcset").unwrap(), b"RIFF");
    assert_eq!(
        img.attr("src"),
        Some(srcset(img.attr("srcset").unwrap())[2].0.as_str())
    );
    // Inline: the site's `sizes`, the image's own size, the sanitiser's work kept.
    let inline = select(&page, ".prose p picture img");
    assert_eq!(inline.len(), 1);
    assert_eq!(inline[0].attr("alt"), Some("again"));
    assert_eq!(
        (inline[0].attr("width"), inline[0].attr("height")),
        (Some("1200"), Some("800"))
    );
    assert_eq!(inline[0].attr("onerror"), None);
    assert_eq!(
        inline[0].attr("sizes"),
        Some("(min-width: 50rem) 50rem, 100vw")
    );
    assert!(!out.join("releases/2024-01/alpha/plant.jpg").exists());
}

/// An image of four vertical stripes of the given colours.
fn stripes(w: u32, h: u32, colours: [[u8; 3]; 4]) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| Rgb(colours[(x * 4 / w) as usize]))
}

/// The colour in the middle of stripe `i` of four.
fn stripe(img: &image::RgbImage, i: u32) -> [u8; 3] {
    let (w, h) = img.dimensions();
    img.get_pixel(w * (2 * i + 1) / 8, h / 2).0
}

fn close(got: [u8; 3], want: [u8; 3], by: u8, what: &str) {
    assert!(
        got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= by),
        "{what}: got {got:?}, want {want:?}"
    );
}

/// `rgb` (in `profile`'s space) in sRGB, as moxcms converts it.
fn in_srgb(profile: &moxcms::ColorProfile, rgb: [u8; 3]) -> [u8; 3] {
    let t = profile
        .create_transform_8bit(
            moxcms::Layout::Rgb,
            &moxcms::ColorProfile::new_srgb(),
            moxcms::Layout::Rgb,
            moxcms::TransformOptions::default(),
        )
        .unwrap();
    let mut out = [0u8; 3];
    t.transform(&rgb, &mut out).unwrap();
    out
}

#[test]
fn colour_profiles_are_converted_to_srgb_and_cmyk_is_not_inverted() {
    use image::ImageEncoder;
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-01/alpha");
    let colours = [[128, 128, 128], [40, 200, 40], [200, 60, 30], [30, 60, 200]];
    let img = stripes(800, 200, colours);
    // A phone photo: JPEG with a Display P3 profile.
    let p3 = moxcms::ColorProfile::new_display_p3();
    let mut bytes = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95);
    enc.set_icc_profile(p3.encode().unwrap()).unwrap();
    enc.write_image(img.as_raw(), 800, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    fs::write(dir.join("p3.jpg"), bytes).unwrap();
    // A 16-bit PNG with an Adobe RGB profile.
    let adobe = moxcms::ColorProfile::new_adobe_rgb();
    let wide = image::ImageBuffer::<Rgb<u16>, _>::from_fn(800, 200, |x, y| {
        let p = img.get_pixel(x, y).0;
        Rgb(p.map(|c| u16::from(c) * 257))
    });
    let mut bytes = Vec::new();
    let mut enc = image::codecs::png::PngEncoder::new(&mut bytes);
    enc.set_icc_profile(adobe.encode().unwrap()).unwrap();
    let raw: Vec<u8> = wide.as_raw().iter().flat_map(|c| c.to_be_bytes()).collect();
    enc.write_image(&raw, 800, 200, image::ExtendedColorType::Rgb16)
        .unwrap();
    fs::write(dir.join("adobe16.png"), bytes).unwrap();
    // A print-shop CMYK JPEG (Adobe's inverted CMYK): cyan, magenta, yellow, black stripes.
    let inks = [
        [255, 0, 0, 0],
        [0, 255, 0, 0],
        [0, 0, 255, 0],
        [0, 0, 0, 255],
    ];
    let cmyk: Vec<u8> = (0..200)
        .flat_map(|_| (0..800).flat_map(move |x| inks[x * 4 / 800]))
        .collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 95)
        .encode(&cmyk, 800, 200, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    fs::write(dir.join("cmyk.jpg"), bytes).unwrap();
    // A grey JPEG without a profile, a grey PNG with a gamma 1.0 grey profile.
    let grey = image::GrayImage::from_fn(800, 200, |x, _| image::Luma([(x * 4 / 800 * 60) as u8]));
    let mut bytes = Vec::new();
    grey.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
        .unwrap();
    fs::write(dir.join("grey.jpg"), bytes).unwrap();
    let mut bytes = Vec::new();
    let mut enc = image::codecs::png::PngEncoder::new(&mut bytes);
    enc.set_icc_profile(
        moxcms::ColorProfile::new_gray_with_gamma(1.0)
            .encode()
            .unwrap(),
    )
    .unwrap();
    enc.write_image(grey.as_raw(), 800, 200, image::ExtendedColorType::L8)
        .unwrap();
    fs::write(dir.join("linear-grey.png"), bytes).unwrap();
    let path = site.path().join(ALPHA);
    let text = fs::read_to_string(&path).unwrap();
    let names = [
        "p3.jpg",
        "adobe16.png",
        "cmyk.jpg",
        "grey.jpg",
        "linear-grey.png",
    ];
    let body: String = names
        .iter()
        .map(|n| format!("\n\n![{n}](alpha/{n})"))
        .collect();
    fs::write(&path, format!("{text}{body}\n")).unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    let imgs = select(&page, ".prose picture img");
    assert_eq!(imgs.len(), names.len());
    // Every fallback and WebP variant (the widest of each) in sRGB, without a profile.
    let sources = select(&page, ".prose picture source");
    let pixels = |i: usize| -> Vec<(String, image::RgbImage)> {
        [imgs[i].attr("srcset"), sources[i].attr("srcset")]
            .into_iter()
            .map(|s| {
                let url = srcset(s.unwrap()).pop().unwrap().0;
                let bytes = fs::read(out_file(&out, &url)).unwrap();
                assert_no_metadata(&url, &bytes);
                let px = image::load_from_memory(&bytes).unwrap().to_rgb8();
                assert_eq!(px.width(), 800, "{url}");
                (url, px)
            })
            .collect()
    };
    for (i, profile) in [(0, &p3), (1, &adobe)] {
        for (url, px) in pixels(i) {
            for (s, c) in colours.iter().enumerate() {
                let want = in_srgb(profile, *c);
                close(stripe(&px, s as u32), want, 8, &format!("{url} stripe {s}"));
            }
            // The conversion shows: a wide-gamut green is greener than the same numbers.
            assert!(stripe(&px, 1)[0] < 25, "{url}: {:?}", stripe(&px, 1));
        }
    }
    for (url, px) in pixels(2) {
        let want = [[0, 255, 255], [255, 0, 255], [255, 255, 0], [0, 0, 0]];
        for (s, w) in want.iter().enumerate() {
            close(stripe(&px, s as u32), *w, 24, &format!("{url} ink {s}"));
        }
    }
    for (url, px) in pixels(3) {
        for s in 0..4 {
            let v = (s * 60) as u8;
            close(stripe(&px, s), [v, v, v], 6, &format!("{url} grey {s}"));
        }
    }
    // Linear grey: mid-tones come out lighter in sRGB, black and white stay.
    for (url, px) in pixels(4) {
        close(stripe(&px, 0), [0, 0, 0], 3, &url);
        let mid = stripe(&px, 2);
        assert!(mid[0] > 150 && mid[0] == mid[1], "{url}: {mid:?}");
    }
}

#[test]
fn a_warm_build_over_its_output_does_not_read_the_thumbnails() {
    let site = fixture("basic");
    use_photo(site.path(), &jpeg(&halves(1000, 600)));
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let before = files(&out);
    // Spoil every thumbnail in the cache, keeping its size: a build that read them would
    // publish the spoiled bytes.
    let cache = site.path().join(".gazette-cache/images");
    let mut spoiled = 0;
    for e in fs::read_dir(&cache).unwrap() {
        let p = e.unwrap().path();
        let ext = p
            .extension()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if ["jpg", "webp"].contains(&ext.as_str()) {
            let n = fs::read(&p).unwrap().len();
            fs::write(&p, vec![b'x'; n]).unwrap();
            spoiled += 1;
        }
    }
    assert_eq!(spoiled, 7);
    // Twice: the second build writes into the folder the first one swapped out.
    for round in 0..2 {
        build_ok(&opts(site.path()));
        let after = files(&out);
        let differ: Vec<&String> = (before.keys().chain(after.keys()))
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        assert!(differ.is_empty(), "round {round}: {differ:?} differ");
    }
}
