//! Pillow's bicubic resize, byte for byte, for 8-bit RGB.
//!
//! CLIP was trained on images resized by PIL: OpenAI's preprocessing and Hugging Face's
//! `CLIPImageProcessor` both call `Image.resize(size, resample=BICUBIC)` to bring the shortest
//! side to 224. OpenCV's `INTER_CUBIC` is a different filter: its kernel is a = -0.75 rather
//! than -0.5, it always samples a fixed 4×4 neighbourhood, so a downscale aliases where PIL
//! widens the kernel to cover every source pixel, and its fixed-point rounding differs. The
//! embeddings are only comparable with CLIP's own if the pixels are, so this reproduces PIL.
//!
//! It mirrors `src/libImaging/Resample.c` of Pillow 13.0.0 (`bicubic_filter`,
//! `precompute_coeffs`, `normalize_coeffs_8bpc`, the 8 bpc horizontal and vertical passes,
//! `clip8` and the pass logic of `ImagingResampleInner`) for the whole-image box that
//! `Image.resize` uses when no `box` is given. `src/clip/testdata/resize/` holds Pillow's own
//! outputs (made by `tools/pil_resize_reference.py`) and the tests below must match every byte.
//!
//! Pass order is the one thing that differs between Pillow versions: 13 runs the vertical pass
//! first when the height loses more than twice as many pixels as the width; 12.3 and earlier run
//! the horizontal pass first (12.3 flips it only for images over 100 times taller than wide).
//! Each pass rounds to 8 bits, so the order changes many pixels by one and, where the filter
//! overshoots and clips, some by more. A resize that keeps the aspect ratio, like CLIP's, is only
//! affected for images more than twice as tall as wide. The fixture's other cases match 12.3.0.

/// Fractional bits of the fixed-point weights, Pillow's `PRECISION_BITS` (32 - 8 - 2): a sum of
/// 8-bit samples times weights must fit an `i32`, with two bits to spare because the bicubic
/// kernel's negative lobes let the positive weights add up to more than one.
const PRECISION_BITS: u32 = 22;

/// Half of one output step in fixed point: accumulators start here so the final shift rounds to
/// nearest (halves up) instead of truncating.
const ROUNDING: i32 = 1 << (PRECISION_BITS - 1);

/// Radius of the bicubic kernel in source pixels at scale 1.
const SUPPORT: f64 = 2.0;

/// Keys' cubic convolution kernel with a = -0.5, written exactly as Pillow evaluates it (the
/// same operations in the same order, so the doubles agree to the last bit).
fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// The fixed-point weights of one output pixel over the input pixels `first..first + weights.len()`.
struct Taps {
    first: usize,
    weights: Vec<i32>,
}

/// Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for one axis.
fn taps(in_size: usize, out_size: usize) -> Vec<Taps> {
    let scale = in_size as f64 / out_size as f64;
    // On a downscale the kernel is stretched over `scale` source pixels, so every source pixel
    // contributes (this is the antialiasing OpenCV lacks); an upscale keeps the natural width.
    let filter_scale = scale.max(1.0);
    let support = SUPPORT * filter_scale;
    // Multiply by the reciprocal as Pillow does: dividing could differ in the last bit.
    let inv_filter_scale = 1.0 / filter_scale;
    (0..out_size)
        .map(|out| {
            let center = (out as f64 + 0.5) * scale;
            // `as` truncates toward zero like C's `(int)` cast; Pillow adds 0.5 to round and then
            // clamps the window to the image.
            let first = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let raw: Vec<f64> = (first..end).map(|x| bicubic((x as f64 - center + 0.5) * inv_filter_scale)).collect();
            // Normalise by the sum (accumulated left to right, as in C) so the weights add up to
            // one even where the window is cut off at the border.
            let sum = raw.iter().fold(0.0, |acc, w| acc + w);
            let weights = raw
                .into_iter()
                .map(|w| {
                    let w = if sum != 0.0 { w / sum } else { w };
                    // Round half away from zero into fixed point (`as` truncates toward zero).
                    let fixed = w * f64::from(1u32 << PRECISION_BITS);
                    (if w < 0.0 { fixed - 0.5 } else { fixed + 0.5 }) as i32
                })
                .collect();
            Taps { first, weights }
        })
        .collect()
}

/// Back to 8 bits: drop the fractional bits (an arithmetic shift, i.e. floor, after the
/// `ROUNDING` offset) and clamp, since the kernel's negative lobes can overshoot 0..=255.
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resamples every row of an RGB image of rows `width` pixels wide to `taps.len()` pixels.
fn horizontal_pass(src: &[u8], width: usize, taps: &[Taps]) -> Vec<u8> {
    let rows = src.len() / (width * 3);
    let mut out = Vec::with_capacity(rows * taps.len() * 3);
    for row in src.chunks_exact(width * 3) {
        for tap in taps {
            let run = &row[tap.first * 3..(tap.first + tap.weights.len()) * 3];
            let mut acc = [ROUNDING; 3];
            for (pixel, &weight) in run.chunks_exact(3).zip(&tap.weights) {
                for (a, &value) in acc.iter_mut().zip(pixel) {
                    *a += i32::from(value) * weight;
                }
            }
            out.extend(acc.map(clip8));
        }
    }
    out
}

/// Resamples every column of an RGB image `width` pixels wide to `taps.len()` rows.
fn vertical_pass(src: &[u8], width: usize, taps: &[Taps]) -> Vec<u8> {
    let stride = width * 3;
    let mut out = Vec::with_capacity(taps.len() * stride);
    for tap in taps {
        let mut acc = vec![ROUNDING; stride];
        for (i, &weight) in tap.weights.iter().enumerate() {
            let row = &src[(tap.first + i) * stride..][..stride];
            for (a, &value) in acc.iter_mut().zip(row) {
                *a += i32::from(value) * weight;
            }
        }
        out.extend(acc.into_iter().map(clip8));
    }
    out
}

/// `Image.resize((new_width, new_height), resample=Image.BICUBIC)` of Pillow 13 on an 8-bit RGB
/// image: `src` is `width * height` interleaved RGB pixels, row by row, no padding. Returns
/// `new_width * new_height * 3` bytes in the same layout; an empty vector if either new side is 0.
/// The three channels are filtered independently, so BGR in gives the same pixels as BGR out.
///
/// # Panics
/// If `src.len() != width * height * 3`, or the source is empty and the result is not.
pub fn resize_bicubic_rgb(src: &[u8], width: usize, height: usize, new_width: usize, new_height: usize) -> Vec<u8> {
    assert_eq!(src.len(), width * height * 3, "expected {width}×{height} RGB pixels");
    if new_width == 0 || new_height == 0 {
        return Vec::new();
    }
    assert!(width > 0 && height > 0, "cannot resize an empty image to {new_width}×{new_height}");

    // An axis whose size does not change is not filtered at all (Pillow skips the pass, so a
    // same-size resize returns the input unchanged, as `Image.resize` does).
    let horizontal = (new_width != width).then(|| taps(width, new_width));
    let vertical = (new_height != height).then(|| taps(height, new_height));

    // Pillow 13 filters vertically first when the height loses more than twice as many pixels as
    // the width (it is cheaper). The intermediate image is rounded to 8 bits, so the order is
    // part of the result.
    let (dx, dy) = (width as i64 - new_width as i64, height as i64 - new_height as i64);
    let vertical_first = dy > 0 && dy > 2 * dx;

    // Pillow's horizontal pass only covers the source rows the vertical pass will read; with the
    // whole image as the box that is every row, so no crop is needed here.
    match (horizontal, vertical) {
        (None, None) => src.to_vec(),
        (Some(h), None) => horizontal_pass(src, width, &h),
        (None, Some(v)) => vertical_pass(src, width, &v),
        (Some(h), Some(v)) if vertical_first => horizontal_pass(&vertical_pass(src, width, &v), width, &h),
        (Some(h), Some(v)) => vertical_pass(&horizontal_pass(src, width, &h), new_width, &v),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_same_size_returns_the_input_unchanged() {
        let src: Vec<u8> = (0..5 * 3 * 3).map(|i| (i * 37 % 256) as u8).collect();
        assert_eq!(resize_bicubic_rgb(&src, 5, 3, 5, 3), src);
    }

    /// Halving two pixels: both sit half a pixel from the centre, so each weighs exactly one
    /// half and the result is their mean, rounded half up.
    #[test]
    fn two_pixels_to_one_is_their_mean_rounded_half_up() {
        let src = [10, 20, 30, 21, 0, 255];
        assert_eq!(resize_bicubic_rgb(&src, 2, 1, 1, 1), [16, 10, 143]);
    }

    #[test]
    fn a_flat_colour_stays_flat() {
        let src = [200, 3, 99].repeat(37 * 23);
        assert_eq!(resize_bicubic_rgb(&src, 37, 23, 16, 51), [200, 3, 99].repeat(16 * 51));
    }

    /// Pillow's own outputs, made by `tools/pil_resize_reference.py`: every byte must match.
    #[test]
    fn matches_pillow_byte_for_byte() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/clip/testdata/resize");
        let index: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
        let cases = index["cases"].as_array().unwrap();
        assert!(!cases.is_empty());
        let size = |v: &serde_json::Value| (v[0].as_u64().unwrap() as usize, v[1].as_u64().unwrap() as usize);
        let mut failures = Vec::new();
        for case in cases {
            let ((width, height), (new_width, new_height)) = (size(&case["input_size"]), size(&case["output_size"]));
            let input = std::fs::read(dir.join(case["input"].as_str().unwrap())).unwrap();
            let expected = std::fs::read(dir.join(case["output"].as_str().unwrap())).unwrap();
            let got = resize_bicubic_rgb(&input, width, height, new_width, new_height);
            assert_eq!(got.len(), expected.len(), "{}", case["output"]);
            if let Some(i) = got.iter().zip(&expected).position(|(a, b)| a != b) {
                let differing = got.iter().zip(&expected).filter(|(a, b)| a != b).count();
                failures.push(format!(
                    "{} {width}×{height} → {new_width}×{new_height}: first difference at byte {i} (pixel ({}, {}), \
                     channel {}): ours {}, Pillow {}; {differing} of {} bytes differ",
                    case["input"],
                    i / 3 % new_width,
                    i / 3 / new_width,
                    i % 3,
                    got[i],
                    expected[i],
                    got.len(),
                ));
            }
        }
        let pillow = index["pillow"].as_str().unwrap_or("?");
        assert!(failures.is_empty(), "not Pillow {pillow}'s bicubic:\n{}", failures.join("\n"));
    }
}
