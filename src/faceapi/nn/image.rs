//! Image-shaped helpers on [`Map`]s: crops, zero padding and TF's bilinear resize.

use super::Map;

/// Grows `x` with zero rows at the bottom and zero columns at the right to `h × w`.
pub fn pad_bottom_right(x: &Map, h: usize, w: usize) -> Map {
    let mut out = Map::zeros(h, w, x.c);
    for y in 0..x.h {
        out.data[y * w * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    out
}

/// The `w × h` region of `x` at `(x0, y0)`, clipped to the map.
pub fn crop(x: &Map, x0: usize, y0: usize, w: usize, h: usize) -> Map {
    let (x0, y0) = (x0.min(x.w), y0.min(x.h));
    let (w, h) = (w.min(x.w - x0), h.min(x.h - y0));
    let mut data = Vec::with_capacity(w * h * x.c);
    for y in y0..y0 + h {
        data.extend_from_slice(&x.data[(y * x.w + x0) * x.c..][..w * x.c]);
    }
    Map::new(h, w, x.c, data)
}

/// Zeros to make `x` square, as face-api's `padToSquare`: all at the end (bottom/right), or, when
/// `centre`, `round(diff / 2)` at the end and the rest at the start.
pub fn pad_to_square(x: &Map, centre: bool) -> (Map, (usize, usize)) {
    let side = x.h.max(x.w);
    let diff = side - x.h.min(x.w);
    let before = if centre { diff - (diff as f64 * 0.5).round() as usize } else { 0 };
    let (top, left) = if x.h < x.w { (before, 0) } else { (0, before) };
    let mut out = Map::zeros(side, side, x.c);
    for y in 0..x.h {
        out.data[((y + top) * side + left) * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    (out, (top, left))
}

/// `x` inside a border of zeros (black) `pad` pixels wide on every side.
pub fn pad_border(x: &Map, pad: usize) -> Map {
    let w = x.w + 2 * pad;
    let mut out = Map::zeros(x.h + 2 * pad, w, x.c);
    for y in 0..x.h {
        out.data[((y + pad) * w + pad) * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    out
}

/// TF's `resizeBilinear` with `alignCorners = false, halfPixelCenters = false` (face-api's call):
/// source = destination × (in / out), neighbours `floor` and `min(ceil, in − 1)`.
pub fn resize_bilinear(x: &Map, oh: usize, ow: usize) -> Map {
    if (oh, ow) == (x.h, x.w) {
        return x.clone();
    }
    resize_bilinear_padded(x, (x.h, x.w), (oh, ow), (oh, ow))
}

/// The top-left `keep` rows and columns of [`resize_bilinear`]`(x', size.0, size.1)`, computing
/// only those, where `x'` is `x` padded with zeros at the bottom and right to
/// `padded.0 × padded.1` (face-api's [`pad_to_square`] before resizing), without making the
/// padded copy.
pub fn resize_bilinear_padded(x: &Map, padded: (usize, usize), size: (usize, usize), keep: (usize, usize)) -> Map {
    let (oh, ow) = keep;
    assert!(oh <= size.0 && ow <= size.1, "the corner kept lies inside the resized map");
    assert!(padded.0 >= x.h && padded.1 >= x.w, "padding only adds rows and columns");
    // Source rows (or columns) and weight of each output row (or column), as TF takes them.
    let taps = |out: usize, scale: f64, last: usize| -> Vec<(usize, usize, f64)> {
        (0..out)
            .map(|o| {
                let f = o as f64 * scale;
                (f.floor() as usize, (f.ceil() as usize).min(last), f - f.floor())
            })
            .collect()
    };
    let rows = taps(oh, padded.0 as f64 / size.0 as f64, padded.0 - 1);
    let cols = taps(ow, padded.1 as f64 / size.1 as f64, padded.1 - 1);
    let zeros = vec![0.0; x.c];
    let at = |y: usize, col: usize| if y < x.h && col < x.w { x.at(y, col) } else { &zeros[..] };
    let mut out = Map::zeros(oh, ow, x.c);
    for (oy, &(y0, y1, dy)) in rows.iter().enumerate() {
        for (ox, &(x0, x1, dx)) in cols.iter().enumerate() {
            let dst = &mut out.data[(oy * ow + ox) * x.c..][..x.c];
            let (tl, tr, bl, br) = (at(y0, x0), at(y0, x1), at(y1, x0), at(y1, x1));
            for ch in 0..x.c {
                let top = tl[ch] as f64 + (tr[ch] as f64 - tl[ch] as f64) * dx;
                let bottom = bl[ch] as f64 + (br[ch] as f64 - bl[ch] as f64) * dx;
                dst[ch] = (top + (bottom - top) * dy) as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn centred_square_padding_puts_the_rounded_half_at_the_end() {
        let x = Map::new(1, 4, 1, vec![1.0, 2.0, 3.0, 4.0]);
        let (sq, (top, left)) = pad_to_square(&x, true);
        // diff 3: round(1.5) = 2 rows after, 1 before.
        assert_eq!((top, left), (1, 0));
        assert_eq!(&sq.data[4..8], &[1.0, 2.0, 3.0, 4.0]);
        assert!(sq.data[..4].iter().chain(&sq.data[8..]).all(|&v| v == 0.0));
    }

    #[test]
    fn bilinear_resize_samples_like_tf() {
        let x = Map::new(1, 2, 1, vec![0.0, 10.0]);
        // out x = 0, 0.5, 1.0, 1.5 in source coordinates; the last clamps to the right pixel.
        assert_eq!(resize_bilinear(&x, 1, 4).data, vec![0.0, 5.0, 10.0, 10.0]);
    }

    #[test]
    fn a_resized_corner_is_the_corner_of_the_resized_map() {
        let x = Map::new(5, 7, 2, (0..70).map(|v| (v * 37 % 11) as f32).collect());
        let full = resize_bilinear(&x, 12, 9);
        let corner = resize_bilinear_padded(&x, (5, 7), (12, 9), (8, 5));
        assert_eq!((corner.h, corner.w), (8, 5));
        assert_eq!(corner, crop(&full, 0, 0, 5, 8));
    }

    #[test]
    fn resizing_with_virtual_padding_equals_resizing_the_padded_copy() {
        let x = Map::new(5, 3, 2, (0..30).map(|v| (v * 37 % 11) as f32).collect());
        let (square, _) = pad_to_square(&x, false);
        assert_eq!(
            resize_bilinear_padded(&x, (5, 5), (8, 8), (8, 6)),
            resize_bilinear_padded(&square, (5, 5), (8, 8), (8, 6))
        );
        let mut bigger = Map::zeros(9, 9, 2);
        for y in 0..5 {
            bigger.data[y * 9 * 2..][..3 * 2].copy_from_slice(&x.data[y * 3 * 2..][..3 * 2]);
        }
        assert_eq!(
            resize_bilinear_padded(&x, (9, 9), (4, 4), (3, 2)),
            resize_bilinear_padded(&bigger, (9, 9), (4, 4), (3, 2))
        );
    }
}
