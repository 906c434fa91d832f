//! Borders: bands at the edges of a frame that are not the video — letterboxing, pillarboxing,
//! or the plain "post" frame a re-posted video sits in, header text included.
//!
//! The border colour is read from the frame's outermost pixels. From each side inwards, a row
//! (or column) is border while (nearly) all its pixels are that colour. When that finds a frame
//! on two sides or more, the frame is a border for sure, and a second, lenient pass also takes
//! the lines that are *mostly* border colour: the header text of a post frame. A frame without
//! plain borders gets no lenient pass: a light wall behind a speaker is not a border.

use opencv::core::{Mat, Rect};
use opencv::imgproc;
use opencv::prelude::*;

/// (closeness of a pixel to the border colour, share of a line's pixels that must be close)
const STRICT: (i32, f64) = (10, 0.98);
const LENIENT: (i32, f64) = (24, 0.45);
/// Never crop more than this share of a side: a frame that is mostly plain is content.
const MAX_CROP: f64 = 0.4;

/// The part of `frame` inside its borders (the whole frame when it has none).
pub fn crop_uniform_borders(frame: &Mat) -> Result<Rect, opencv::Error> {
    let mut grey = Mat::default();
    imgproc::cvt_color_def(frame, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let (w, h) = (grey.cols(), grey.rows());
    if w < 4 || h < 4 {
        return Ok(Rect::new(0, 0, w, h));
    }
    let pixels = grey.data_bytes()?;
    let at = |x: i32, y: i32| pixels[(y * w + x) as usize] as i32;
    let border = edge_median(w, h, &at);
    let (max_y, max_x) = ((h as f64 * MAX_CROP) as i32, (w as f64 * MAX_CROP) as i32);
    let sides = |(near, share): (i32, f64)| {
        let close = |x: i32, y: i32| (at(x, y) - border).abs() <= near;
        let row = |y: i32| (0..w).filter(|&x| close(x, y)).count() as f64 >= share * w as f64;
        let col = |x: i32| (0..h).filter(|&y| close(x, y)).count() as f64 >= share * h as f64;
        let count =
            |limit: i32, is_border: &dyn Fn(i32) -> bool| (0..limit).take_while(|&i| is_border(i)).count() as i32;
        [
            count(max_y, &|i| row(i)),
            count(max_y, &|i| row(h - 1 - i)),
            count(max_x, &|i| col(i)),
            count(max_x, &|i| col(w - 1 - i)),
        ]
    };
    let strict = sides(STRICT);
    let [top, bottom, left, right] =
        if strict.iter().filter(|&&n| n > 0).count() >= 2 { sides(LENIENT) } else { strict };
    Ok(Rect::new(left, top, (w - left - right).max(1), (h - top - bottom).max(1)))
}

/// Median grey level of the frame's outermost rows and columns.
fn edge_median(w: i32, h: i32, at: &dyn Fn(i32, i32) -> i32) -> i32 {
    let mut edge: Vec<i32> =
        (0..w).flat_map(|x| [at(x, 0), at(x, h - 1)]).chain((0..h).flat_map(|y| [at(0, y), at(w - 1, y)])).collect();
    edge.sort_unstable();
    edge[edge.len() / 2]
}

/// Blurred bands at the sides (or top and bottom) narrower than this share are left alone: a
/// soft edge of the picture itself.
const MIN_BAND: f64 = 0.05;
/// A column (row) belongs to a blurred band while its edge energy stays under this share of
/// the picture's middle third.
const BLUR_SHARE: f64 = 0.2;

/// Where the picture is: inside its uniform borders ([`crop_uniform_borders`]) and inside the
/// blurred copies of itself that re-posts put beside (or above and below) a picture of another
/// shape. Blurred bands are found by their lack of edges: the mean gradient of each column
/// (row) against that of the middle third.
pub fn content_rect(frame: &Mat) -> Result<Rect, opencv::Error> {
    let outer = crop_uniform_borders(frame)?;
    let inside = Mat::roi(frame, outer)?;
    let mut grey = Mat::default();
    imgproc::cvt_color_def(&inside, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let (w, h) = (grey.cols(), grey.rows());
    if w < 16 || h < 16 {
        return Ok(outer);
    }
    let mut gx = Mat::default();
    let mut gy = Mat::default();
    imgproc::sobel_def(&grey, &mut gx, opencv::core::CV_16S, 1, 0)?;
    imgproc::sobel_def(&grey, &mut gy, opencv::core::CV_16S, 0, 1)?;
    let mut energy = vec![0f64; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let e = gx.at_2d::<i16>(y, x)?.unsigned_abs() as f64 + gy.at_2d::<i16>(y, x)?.unsigned_abs() as f64;
            energy[(y * w + x) as usize] = e;
        }
    }
    let column = |x: i32| (0..h).map(|y| energy[(y * w + x) as usize]).sum::<f64>() / h as f64;
    let row = |y: i32| (0..w).map(|x| energy[(y * w + x) as usize]).sum::<f64>() / w as f64;
    let band = |len: i32, line: &dyn Fn(i32) -> f64| -> (i32, i32) {
        let middle: f64 = (len / 3..2 * len / 3).map(line).sum::<f64>() / (len / 3).max(1) as f64;
        let limit = (len as f64 * MAX_CROP) as i32;
        let blurred = |i: i32| line(i) < BLUR_SHARE * middle;
        let from_start = (0..limit).take_while(|&i| blurred(i)).count() as i32;
        let from_end = (0..limit).take_while(|&i| blurred(len - 1 - i)).count() as i32;
        let keep = |n: i32| if (n as f64) < MIN_BAND * len as f64 { 0 } else { n };
        (keep(from_start), keep(from_end))
    };
    let (left, right) = band(w, &column);
    let (top, bottom) = band(h, &row);
    Ok(Rect::new(outer.x + left, outer.y + top, (w - left - right).max(1), (h - top - bottom).max(1)))
}
