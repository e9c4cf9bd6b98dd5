//! Product shots drawn in code for the demo shop's seeded reviews: a box,
//! bottle or jar on a soft backdrop, different for every seed.
use super::photos::encode_jpeg;
use image::{Rgb, RgbImage};

/// A product shot for the demo shop: a box, bottle or jar in a colour picked
/// from `seed`, lit from the left, casting a soft shadow on a pastel backdrop.
pub fn sample_photo(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut rng = SplitMix(seed);
    let backdrop_hue = rng.unit();
    let top = hsv(backdrop_hue, 0.12 + 0.12 * rng.unit(), 0.97);
    let bottom = hsv(backdrop_hue + 0.08, 0.18 + 0.12 * rng.unit(), 0.86);
    let body = hsv(rng.unit(), 0.45 + 0.3 * rng.unit(), 0.6 + 0.3 * rng.unit());
    let accent = hsv(rng.unit(), 0.25, 0.95);
    let kind = rng.next() % 3;

    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let unit = w.min(h);
    let (cx, floor) = (w * (0.42 + 0.16 * rng.unit()), h * 0.8);
    // Half-sizes of the body and of the neck or lid, in pixels.
    let (body_w, body_h, top_w, top_h) = match kind {
        0 => (0.22, 0.22, 0.0, 0.0),    // box
        1 => (0.11, 0.24, 0.045, 0.07), // bottle
        _ => (0.2, 0.14, 0.21, 0.035),  // jar
    };
    let (body_w, body_h, top_w, top_h) = (body_w * unit, body_h * unit, top_w * unit, top_h * unit);
    let body_cy = floor - body_h;
    let top_cy = body_cy - body_h - top_h + 1.0;
    let corner = if kind == 0 { 0.02 * unit } else { 0.06 * unit };

    let image = RgbImage::from_fn(width, height, |x, y| {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        let t = py / h;
        let mut colour = mix(top, bottom, smooth(0.55, 0.85, t));
        // Vignette, then the shadow the object throws on the table.
        let (dx, dy) = ((px - w / 2.0) / w, (py - h / 2.0) / h);
        colour = scale(colour, 1.0 - 0.25 * (dx * dx + dy * dy));
        let (sx, sy) = (
            (px - cx - 0.04 * unit) / (body_w * 1.5),
            (py - floor) / (0.05 * unit),
        );
        colour = scale(
            colour,
            1.0 - 0.35 * (1.0 - smooth(0.4, 1.0, (sx * sx + sy * sy).sqrt())),
        );

        let across = ((px - cx) / body_w).clamp(-1.0, 1.0);
        let light = 0.72 + 0.38 * (1.0 - (across + 0.35).powi(2)).max(0.0);
        let highlight = 0.5 * (1.0 - smooth(0.0, 0.08, (across + 0.45).abs()));
        let body_cover = cover(rounded_box(px - cx, py - body_cy, body_w, body_h, corner));
        let in_label = ((py - body_cy) / body_h).abs() < 0.3 && kind != 2;
        let mut surface = if in_label {
            mix(body, accent, 0.8)
        } else {
            body
        };
        surface = mix(scale(surface, light), [255.0; 3], highlight);
        colour = mix(colour, surface, body_cover);
        if top_w > 0.0 {
            let top_cover = cover(rounded_box(px - cx, py - top_cy, top_w, top_h, 0.3 * top_h));
            let cap = scale(mix(body, [30.0; 3], 0.55), light);
            colour = mix(colour, cap, top_cover);
        }
        Rgb(colour.map(|c| c.round().clamp(0.0, 255.0) as u8))
    });
    encode_jpeg(&image, 85).expect("an in-memory RGB image encodes")
}

type Colour = [f32; 3];

fn mix(a: Colour, b: Colour, t: f32) -> Colour {
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

fn scale(c: Colour, by: f32) -> Colour {
    c.map(|v| v * by)
}

fn smooth(from: f32, to: f32, x: f32) -> f32 {
    let t = ((x - from) / (to - from)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Signed distance (pixels, negative inside) from a box of half-size `hw`×`hh` with rounded corners.
fn rounded_box(x: f32, y: f32, hw: f32, hh: f32, r: f32) -> f32 {
    let (qx, qy) = (x.abs() - hw + r, y.abs() - hh + r);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    outside + qx.max(qy).min(0.0) - r
}

/// How much of a pixel a shape covers, from its signed distance (a one-pixel soft edge).
fn cover(distance: f32) -> f32 {
    (0.5 - distance).clamp(0.0, 1.0)
}

fn hsv(hue: f32, s: f32, v: f32) -> Colour {
    let h = hue.rem_euclid(1.0) * 6.0;
    let f = h.fract();
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let rgb = match h as u32 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    };
    rgb.map(|c| c * 255.0)
}

/// A tiny deterministic generator, so a seed always draws the same photo.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;

    #[test]
    fn sample_photos_are_jpegs_that_differ_by_seed() {
        let a = sample_photo(1, 96, 72);
        let b = sample_photo(2, 96, 72);
        assert_eq!(image::guess_format(&a).unwrap(), ImageFormat::Jpeg);
        assert_ne!(a, b);
        assert_eq!(a, sample_photo(1, 96, 72));
        let decoded = image::load_from_memory(&a).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (96, 72));
    }
}
