//! Writes the sample site's raster images (covers and a figure), drawn deterministically
//! by `shared/picture.rs`, so the repository's images can be made again bit for bit:
//!
//! ```sh
//! cargo run --example gen_images
//! ```
//!
//! The pictures are made for this repository and are under the same licence as the rest of
//! it (see content/IMAGES.md).

#[path = "shared/picture.rs"]
mod picture;

use std::path::Path;

/// (path under content/, seed, width, height)
const IMAGES: [(&str, u64, u32, u32); 4] = [
    (
        "releases/2025-01/pet-glycolysis-recycling/cover.jpg",
        1,
        1800,
        1200,
    ),
    ("releases/2025-01/sic-power-module/cover.jpg", 2, 1800, 1200),
    (
        "releases/2024-03/seawater-hydrogen/cover.jpg",
        3,
        1800,
        1200,
    ),
    ("releases/2024-03/seawater-hydrogen/site.jpg", 4, 1200, 800),
];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    for (rel, seed, w, h) in IMAGES {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("folder");
        let img = picture::draw(seed, w, h);
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .expect("encode");
        std::fs::write(&path, out).expect("write");
        println!("{}", path.display());
    }
}
