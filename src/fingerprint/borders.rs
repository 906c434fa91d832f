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
const LENIENT: (i32, f64) = (24, 0.6);
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
    // Rows are judged between the columns `inside` leaves (and columns between its rows), so
    // the bars beside a picture do not make every row of it look like border.
    let sides = |(near, share): (i32, f64), [top, bottom, left, right]: [i32; 4]| {
        let close = |x: i32, y: i32| (at(x, y) - border).abs() <= near;
        let (x0, x1, y0, y1) = (left, w - right, top, h - bottom);
        let row = |y: i32| (x0..x1).filter(|&x| close(x, y)).count() as f64 >= share * (x1 - x0) as f64;
        let col = |x: i32| (y0..y1).filter(|&y| close(x, y)).count() as f64 >= share * (y1 - y0) as f64;
        let count =
            |limit: i32, is_border: &dyn Fn(i32) -> bool| (0..limit).take_while(|&i| is_border(i)).count() as i32;
        [
            count(max_y, &|i| row(i)),
            count(max_y, &|i| row(h - 1 - i)),
            count(max_x, &|i| col(i)),
            count(max_x, &|i| col(w - 1 - i)),
        ]
    };
    let strict = sides(STRICT, [0; 4]);
    let [top, bottom, left, right] =
        if strict.iter().filter(|&&n| n > 0).count() >= 2 { sides(LENIENT, strict) } else { strict };
    Ok(Rect::new(left, top, (w - left - right).max(1), (h - top - bottom).max(1)))
}

/// Median grey level of the frame's outermost rows and columns.
fn edge_median(w: i32, h: i32, at: &dyn Fn(i32, i32) -> i32) -> i32 {
    let mut edge: Vec<i32> =
        (0..w).flat_map(|x| [at(x, 0), at(x, h - 1)]).chain((0..h).flat_map(|y| [at(0, y), at(w - 1, y)])).collect();
    edge.sort_unstable();
    edge[edge.len() / 2]
}
