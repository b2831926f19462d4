//! Deterministic "photographs" for the sample site and the benchmark corpus: a sky
//! gradient, hills, a sun and a building outline, with fine grain so that JPEG and WebP
//! have photo-like work to do. The same seed always gives the same pixels. Shared by
//! `gen_images` and `gen_corpus` (included with `#[path]`).

use image::{Rgb, RgbImage};

/// splitmix64 step.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A `w` × `h` picture drawn from `seed`.
pub fn draw(seed: u64, w: u32, h: u32) -> RgbImage {
    let r = |k: u64| (mix(seed.wrapping_mul(31).wrapping_add(k)) % 1000) as f32 / 1000.0;
    let sky_top = [40.0 + 80.0 * r(1), 90.0 + 80.0 * r(2), 160.0 + 90.0 * r(3)];
    let sky_low = [
        200.0 + 50.0 * r(4),
        170.0 + 60.0 * r(5),
        140.0 + 80.0 * r(6),
    ];
    let hill = [40.0 + 60.0 * r(7), 90.0 + 70.0 * r(8), 40.0 + 50.0 * r(9)];
    let (sun_x, sun_y, sun_r) = (0.15 + 0.7 * r(10), 0.12 + 0.25 * r(11), 0.04 + 0.05 * r(12));
    let (freq, phase, amp) = (
        2.0 + 5.0 * r(13),
        std::f32::consts::TAU * r(14),
        0.05 + 0.1 * r(15),
    );
    let (bx, bw, bh) = (0.1 + 0.6 * r(16), 0.12 + 0.15 * r(17), 0.2 + 0.25 * r(18));
    let (wf, hf) = (w as f32, h as f32);
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / wf, y as f32 / hf);
        let horizon = 0.62 + amp * (freq * u * std::f32::consts::TAU + phase).sin();
        let grain = (mix(seed ^ (u64::from(y) << 32 | u64::from(x))) % 7) as f32 - 3.0;
        let mut c = if v > horizon {
            let d = (v - horizon) / (1.0 - horizon).max(0.01);
            [
                hill[0] * (1.0 - 0.4 * d),
                hill[1] * (1.0 - 0.4 * d),
                hill[2] * (1.0 - 0.3 * d),
            ]
        } else {
            let t = v / horizon.max(0.01);
            std::array::from_fn(|i| sky_top[i] * (1.0 - t) + sky_low[i] * t)
        };
        let (dx, dy) = ((u - sun_x) * wf / hf, v - sun_y);
        if (dx * dx + dy * dy).sqrt() < sun_r {
            c = [255.0, 236.0, 180.0];
        }
        if u > bx && u < bx + bw && v > horizon - bh && v < horizon + 0.05 {
            let window = ((u - bx) * 40.0).fract() < 0.5 && ((v * 30.0).fract()) < 0.5;
            c = if window {
                [230.0, 220.0, 150.0]
            } else {
                [70.0, 75.0, 85.0]
            };
        }
        Rgb(c.map(|k| (k + grain).clamp(0.0, 255.0) as u8))
    })
}
