//! Photos that talk: the demo's faces come from still photos, and a still face is a print to
//! IPS (it never changes while filmed). So each demo clip moves its faces the way a person on
//! camera does — the mouth opens and closes, the eyes blink, the brows lift — by warping the
//! photo around its 68 landmarks (found by face-api's own nets): a piecewise-affine warp over a
//! triangulation of the landmarks and a ring of fixed points around each face, so the face
//! changes shape while the rest of the photo stays put. This is an honest stand-in for a
//! filmed person: what makes IPS call it a person (the aligned face changes from one sampled
//! frame to the next, non-rigidly) is really there in the pixels.

use opencv::core::{Mat, Point, Point2f, Rect, Scalar, Size, Vector};
use opencv::imgproc;
use opencv::prelude::*;

use crate::faceapi::align::Landmarks;

/// How a face is posed in one frame: 0..1 each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expression {
    /// Jaw drop: 1 opens the mouth by a third of the nose-to-chin height.
    pub mouth: f32,
    /// 1 closes the eyes.
    pub blink: f32,
    /// 1 lifts the brows by a fifth of the eye height above them.
    pub brows: f32,
    /// −1..1: the head turned left or right (the nose and the middle of the face move across,
    /// the jaw line stays): a 3-D turn, which no flat picture makes.
    pub turn: f32,
}

impl Expression {
    /// The expression of frame `k` of a clip at 10 fps: talking (the mouth at a syllable
    /// rhythm that does not repeat with the one-per-second sampling), a blink every 2.3 s, the
    /// brows lifting now and then.
    pub fn at(k: usize) -> Self {
        let t = k as f32;
        let mouth = 0.5 + 0.5 * (0.7 * t + 0.8 * (0.13 * t).sin()).sin();
        let blink = if k % 23 == 11 || k % 23 == 12 { 1.0 } else { 0.0 };
        let brows = (0.5 + 0.5 * (t * 0.29).sin()).powi(2);
        let turn = (0.45 * t).sin() * 0.8 + (0.11 * t).sin() * 0.2;
        Self { mouth, blink, brows, turn }
    }
}

/// `photo` with each face (its landmarks) posed as `expression`.
pub fn pose(photo: &Mat, faces: &[Landmarks], expression: Expression) -> Result<Mat, opencv::Error> {
    let mut out = photo.try_clone()?;
    for face in faces {
        let moved = posed_landmarks(face, expression);
        warp_face(photo, &mut out, face, &moved)?;
    }
    Ok(out)
}

/// Where the landmarks go for `expression`.
pub fn posed_landmarks(face: &Landmarks, e: Expression) -> Landmarks {
    let p = &face.0;
    let dist = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    // The face's "down": from the nose bridge (27) to the chin (8).
    let (down, height) = {
        let d = [p[8][0] - p[27][0], p[8][1] - p[27][1]];
        let n = dist(p[8], p[27]).max(1.0);
        ([d[0] / n, d[1] / n], n)
    };
    let shift = |q: [f32; 2], by: f32| [q[0] + down[0] * by, q[1] + down[1] * by];
    let mut out = p.clone();
    // The jaw and lower lip drop; points of the jaw line move less towards the ears.
    let drop = e.mouth * height / 3.0;
    for (i, w) in [(5, 0.3), (6, 0.6), (7, 0.9), (8, 1.0), (9, 0.9), (10, 0.6), (11, 0.3)] {
        out[i] = shift(p[i], drop * w);
    }
    for i in [55, 56, 57, 58, 59, 65, 66, 67] {
        out[i] = shift(p[i], drop);
    }
    for i in [48, 54, 60, 64] {
        out[i] = shift(p[i], drop * 0.4);
    }
    // Upper lids close onto the lower ones.
    for (upper, lower) in [(37, 41), (38, 40), (43, 47), (44, 46)] {
        out[upper] = [
            p[upper][0] + (p[lower][0] - p[upper][0]) * e.blink * 0.9,
            p[upper][1] + (p[lower][1] - p[upper][1]) * e.blink * 0.9,
        ];
    }
    let eye_height = (dist(p[37], p[41]) + dist(p[43], p[47])).max(2.0);
    for i in 17..27 {
        out[i] = shift(p[i], -e.brows * eye_height * 0.6);
    }
    // The turn: points move across the face by how far they stand out of it.
    let across = [-down[1], down[0]];
    let width = dist(p[0], p[16]).max(1.0);
    for (i, q) in out.iter_mut().enumerate() {
        let depth = match i {
            27..=35 => 1.0,
            48..=67 => 0.6,
            36..=47 => 0.5,
            17..=26 => 0.4,
            _ => 0.0,
        };
        let by = e.turn * depth * width * 0.25;
        *q = [q[0] + across[0] * by, q[1] + across[1] * by];
    }
    Landmarks(out)
}

/// Warps the region of `face` in `src` so its landmarks land on `moved`, into `dst`.
fn warp_face(src: &Mat, dst: &mut Mat, face: &Landmarks, moved: &Landmarks) -> Result<(), opencv::Error> {
    let (w, h) = (src.cols() as f32, src.rows() as f32);
    // A ring of fixed points around the face keeps the warp inside it.
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for q in &face.0 {
        lo = [lo[0].min(q[0]), lo[1].min(q[1])];
        hi = [hi[0].max(q[0]), hi[1].max(q[1])];
    }
    let (cx, cy) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
    let (rx, ry) = ((hi[0] - lo[0]) * 0.9, (hi[1] - lo[1]) * 0.9 + (hi[1] - lo[1]) * 0.3);
    let ring: Vec<[f32; 2]> = (0..16)
        .map(|k| {
            let a = std::f32::consts::TAU * k as f32 / 16.0;
            [(cx + rx * a.cos()).clamp(0.0, w - 1.0), (cy + ry * a.sin()).clamp(0.0, h - 1.0)]
        })
        .collect();
    let from: Vec<[f32; 2]> = face.0.iter().copied().chain(ring.iter().copied()).collect();
    let to: Vec<[f32; 2]> = moved.0.iter().copied().chain(ring.iter().copied()).collect();
    for [a, b, c] in triangulate(&from, w, h)? {
        warp_triangle(src, dst, [from[a], from[b], from[c]], [to[a], to[b], to[c]])?;
    }
    Ok(())
}

/// Delaunay triangles of `points` (OpenCV's Subdiv2D), as indices into them.
fn triangulate(points: &[[f32; 2]], w: f32, h: f32) -> Result<Vec<[usize; 3]>, opencv::Error> {
    let mut subdiv = imgproc::Subdiv2D::new(Rect::new(0, 0, w as i32 + 1, h as i32 + 1))?;
    for p in points {
        subdiv.insert(Point2f::new(p[0].clamp(0.0, w), p[1].clamp(0.0, h)))?;
    }
    let mut list = Vector::<opencv::core::Vec6f>::new();
    subdiv.get_triangle_list(&mut list)?;
    let nearest = |x: f32, y: f32| -> Option<usize> {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, (p[0].clamp(0.0, w) - x).powi(2) + (p[1].clamp(0.0, h) - y).powi(2)))
            .filter(|(_, d)| *d < 1.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    };
    Ok(list.iter().filter_map(|t| Some([nearest(t[0], t[1])?, nearest(t[2], t[3])?, nearest(t[4], t[5])?])).collect())
}

/// Maps triangle `from` of `src` onto triangle `to` of `dst`.
fn warp_triangle(src: &Mat, dst: &mut Mat, from: [[f32; 2]; 3], to: [[f32; 2]; 3]) -> Result<(), opencv::Error> {
    let bounds = |t: &[[f32; 2]; 3]| {
        let x0 = t.iter().map(|p| p[0]).fold(f32::MAX, f32::min).floor() as i32;
        let y0 = t.iter().map(|p| p[1]).fold(f32::MAX, f32::min).floor() as i32;
        let x1 = t.iter().map(|p| p[0]).fold(f32::MIN, f32::max).ceil() as i32;
        let y1 = t.iter().map(|p| p[1]).fold(f32::MIN, f32::max).ceil() as i32;
        Rect::new(x0, y0, (x1 - x0).max(1), (y1 - y0).max(1))
    };
    let image = Rect::new(0, 0, src.cols(), src.rows());
    let (r1, r2) = (bounds(&from) & image, bounds(&to) & image);
    if r1.area() <= 0 || r2.area() <= 0 {
        return Ok(());
    }
    let rel = |t: &[[f32; 2]; 3], r: Rect| -> Vector<Point2f> {
        t.iter().map(|p| Point2f::new(p[0] - r.x as f32, p[1] - r.y as f32)).collect()
    };
    let affine = imgproc::get_affine_transform(&rel(&from, r1), &rel(&to, r2))?;
    let mut patch = Mat::default();
    imgproc::warp_affine(
        &Mat::roi(src, r1)?,
        &mut patch,
        &affine,
        Size::new(r2.width, r2.height),
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_REFLECT_101,
        Scalar::default(),
    )?;
    let mut mask = Mat::zeros(r2.height, r2.width, opencv::core::CV_8U)?.to_mat()?;
    let corners: Vector<Point> = to
        .iter()
        .map(|p| Point::new((p[0] - r2.x as f32).round() as i32, (p[1] - r2.y as f32).round() as i32))
        .collect();
    imgproc::fill_convex_poly(&mut mask, &corners, Scalar::all(255.0), imgproc::LINE_8, 0)?;
    let mut target = Mat::roi_mut(dst, r2)?;
    patch.copy_to_masked(&mut target, &mask)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mouth_opens_and_the_eyes_close_while_the_rest_stays() {
        let face =
            Landmarks((0..68).map(|i| [100.0 + (i % 17) as f32 * 5.0, 100.0 + (i / 17) as f32 * 20.0]).collect());
        let mut face = face;
        face.0[27] = [140.0, 120.0];
        face.0[8] = [140.0, 200.0];
        (face.0[41], face.0[40]) = ([115.0, 150.0], [120.0, 150.0]);
        let open = posed_landmarks(&face, Expression { mouth: 1.0, blink: 1.0, brows: 0.0, turn: 0.0 });
        assert!(open.0[57][1] > face.0[57][1] + 20.0, "the lower lip drops a third of 80 px");
        assert!((open.0[37][1] - face.0[41][1]).abs() < (face.0[37][1] - face.0[41][1]).abs() * 0.2, "lids close");
        assert_eq!(open.0[30], face.0[30], "the nose stays");
        let rest = posed_landmarks(&face, Expression { mouth: 0.0, blink: 0.0, brows: 0.0, turn: 0.0 });
        assert_eq!(rest, face);
    }
}
