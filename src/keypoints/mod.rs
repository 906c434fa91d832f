//! Keypoints: local features of a frame (OpenCV's ORB), and the geometric check that says two
//! frames show the same picture however it was re-framed.
//!
//! A re-posted ad is often the same footage zoomed in, shrunk onto a card, squeezed between
//! blurred bars or letterboxed: every global fingerprint changes, but the corners and edges
//! inside the picture stay the same, only moved by one affine map (a scale per axis and a
//! shift). So each sampled frame keeps up to [`MAX_POINTS`] ORB keypoints found inside its
//! content (bars and cards cropped first, so a shared card or bar is not "the same picture"),
//! and two frames [`verify`] as the same picture when enough of their matches (Lowe's ratio
//! test, Hamming distance) agree on one affine map (RANSAC) that only scales and shifts, and
//! those agreeing points cover a good part of both pictures (a shared logo is not enough).
//!
//! Keypoints are kept strongest first, so a cheap first look can take only the first ones.

use opencv::core::{KeyPoint, Mat, Point2f, Rect, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

/// Keypoints kept per frame.
pub const MAX_POINTS: i32 = 500;

/// ORB's descriptor: 256 bits.
pub type Descriptor = [u8; 32];

/// A frame's keypoints, positions in the frame's pixels, with the content rectangle they were
/// found in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameFeatures {
    /// The frame's size.
    pub width: u16,
    pub height: u16,
    /// Where the picture is inside the frame (borders, bars and cards excluded): x, y, w, h.
    pub content: [u16; 4],
    pub points: Vec<[f32; 2]>,
    pub descriptors: Vec<Descriptor>,
}

impl FrameFeatures {
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }

    fn content_area(&self) -> f32 {
        f32::from(self.content[2]) * f32::from(self.content[3])
    }
}

/// ORB keypoints of `frame` inside `content`.
pub fn extract(frame: &Mat, content: Rect) -> Result<FrameFeatures, opencv::Error> {
    let mut grey = Mat::default();
    opencv::imgproc::cvt_color_def(frame, &mut grey, opencv::imgproc::COLOR_BGR2GRAY)?;
    let mut mask = Mat::zeros(grey.rows(), grey.cols(), opencv::core::CV_8U)?.to_mat()?;
    opencv::imgproc::rectangle(&mut mask, content, opencv::core::Scalar::all(255.0), -1, opencv::imgproc::LINE_8, 0)?;
    let mut orb = opencv::features2d::ORB::create(
        MAX_POINTS,
        1.2,
        8,
        15,
        0,
        2,
        opencv::features2d::ORB_ScoreType::HARRIS_SCORE,
        31,
        12,
    )?;
    let mut keypoints = Vector::<KeyPoint>::new();
    let mut descriptors = Mat::default();
    orb.detect_and_compute(&grey, &mask, &mut keypoints, &mut descriptors, false)?;
    let mut out = FrameFeatures {
        width: frame.cols() as u16,
        height: frame.rows() as u16,
        content: [content.x as u16, content.y as u16, content.width as u16, content.height as u16],
        ..FrameFeatures::default()
    };
    if descriptors.rows() == 0 {
        return Ok(out);
    }
    let bytes = descriptors.data_bytes()?;
    let mut found: Vec<(f32, [f32; 2], Descriptor)> = keypoints
        .iter()
        .zip(bytes.chunks_exact(32))
        .map(|(k, row)| {
            let mut d = [0u8; 32];
            d.copy_from_slice(row);
            (k.response(), [k.pt().x, k.pt().y], d)
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, point, d) in found {
        out.points.push(point);
        out.descriptors.push(d);
    }
    Ok(out)
}

fn hamming(a: &Descriptor, b: &Descriptor) -> u32 {
    a.chunks_exact(8)
        .zip(b.chunks_exact(8))
        .map(|(x, y)| {
            (u64::from_le_bytes(x.try_into().unwrap_or_default())
                ^ u64::from_le_bytes(y.try_into().unwrap_or_default()))
            .count_ones()
        })
        .sum()
}

/// Two descriptors further apart than this never match.
const MAX_HAMMING: u32 = 64;
/// Lowe's ratio test: the best match must be clearly better than the second best.
const RATIO: f32 = 0.8;

/// Matches of `a`'s keypoints in `b` that pass the ratio test: (index in a, index in b).
pub fn ratio_matches(a: &FrameFeatures, b: &FrameFeatures) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, da) in a.descriptors.iter().enumerate() {
        let (mut best, mut second, mut at) = (u32::MAX, u32::MAX, 0);
        for (j, db) in b.descriptors.iter().enumerate() {
            let d = hamming(da, db);
            if d < best {
                (second, best, at) = (best, d, j);
            } else if d < second {
                second = d;
            }
        }
        if best <= MAX_HAMMING && (best as f32) < RATIO * second as f32 {
            out.push((i, at));
        }
    }
    out
}

/// How one frame maps onto another: `b = scale · a + shift` per axis, `a` possibly mirrored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    pub scale_x: f32,
    pub scale_y: f32,
    pub shift_x: f32,
    pub shift_y: f32,
    /// Keypoint matches that agree with the map.
    pub inliers: u32,
}

impl Transform {
    /// How much the map resizes the picture along its more resized axis, as a factor ≥ 1
    /// (shrinking by half and doubling both give 2).
    pub fn rescale(&self) -> f32 {
        [self.scale_x, self.scale_y].iter().map(|s| s.max(1.0 / s)).fold(1.0, f32::max)
    }
}

/// What it takes for two frames to be the same picture.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifySettings {
    /// Matches agreeing on one map: for one pair of frames …
    pub min_inliers: u32,
    /// … and for the pooled matches of a video pair's frames lined up in time.
    pub min_pooled_inliers: u32,
    /// With the pooled map found, a frame pair is the same picture when this many of its own
    /// matches agree with it, spread over this share of its picture.
    pub min_pair_inliers: u32,
    pub min_pair_cover: f32,
    /// Share of the ratio-test matches that agree.
    pub min_inlier_share: f32,
    /// The agreeing points must spread over at least this share of each picture's content
    /// (bounding box area): a shared logo or caption is not the same picture.
    pub min_cover: f32,
    /// Scales allowed (per axis), and the most one axis may be squeezed against the other.
    pub min_scale: f32,
    pub max_scale: f32,
    pub max_squeeze: f32,
    /// With the pooled map found, each frame pair's keypoints are also looked for where the
    /// map sends them (see [`guided`]), within this many pixels; 0: off.
    pub guided_radius: f32,
    /// … and matched there within this Hamming distance (of 256 bits) …
    pub guided_max_hamming: u32,
    /// … when the map resizes one axis by at least this factor (either way). Resampling is what
    /// changes ORB's descriptors and defeats the plain matching; a map near the identity
    /// leaves them as they were, and looking again there would only match the same
    /// background in two different shots of one shoot.
    pub guided_min_rescale: f32,
}

impl Default for VerifySettings {
    fn default() -> Self {
        Self {
            min_inliers: 15,
            min_pooled_inliers: 40,
            min_pair_inliers: 4,
            min_pair_cover: 0.03,
            min_inlier_share: 0.3,
            min_cover: 0.15,
            min_scale: 0.3,
            max_scale: 3.0,
            max_squeeze: 2.2,
            guided_radius: 10.0,
            guided_max_hamming: 80,
            guided_min_rescale: 1.15,
        }
    }
}

/// The map from frame `a` to frame `b` when they show the same picture (see the module doc).
pub fn verify(a: &FrameFeatures, b: &FrameFeatures, settings: &VerifySettings) -> Option<Transform> {
    let matches = ratio_matches(a, b);
    let pairs: Vec<([f32; 2], [f32; 2])> = matches.iter().map(|&(i, j)| (a.points[i], b.points[j])).collect();
    let needs = (settings.min_inliers, settings.min_inlier_share);
    fit(&pairs, (a.content_area(), b.content_area()), settings, needs).map(|(t, _)| t)
}

/// The map from the frames of one video onto the frames of another, fitted to the matches of
/// several frame pairs at once (a re-post is re-framed the same way throughout, while any one
/// pair of frames, sampled a fraction of a second apart, may share too few points), and how
/// many matches of each pair agree with it (0 for a pair whose agreeing points cover too little
/// of the picture, as a corner logo's would).
pub fn verify_pooled(
    pairs: &[(&FrameFeatures, &FrameFeatures)],
    settings: &VerifySettings,
) -> Option<(Transform, Vec<u32>)> {
    let mut points = Vec::new();
    let mut owner = Vec::new();
    for (k, (a, b)) in pairs.iter().enumerate() {
        for (i, j) in ratio_matches(a, b) {
            points.push((a.points[i], b.points[j]));
            owner.push((k, i));
        }
    }
    let (a, b) = pairs.first()?;
    // Pooled over frames a fraction of a second apart, many matches are wrong: half the share.
    let needs = (settings.min_pooled_inliers, settings.min_inlier_share / 2.0);
    let (transform, inliers) = fit(&points, (a.content_area(), b.content_area()), settings, needs)?;
    let mut agreeing: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); pairs.len()];
    for k in inliers {
        agreeing[owner[k].0].insert(owner[k].1);
    }
    if settings.guided_radius > 0.0 && transform.rescale() >= settings.guided_min_rescale {
        let guide = guided::Guide { radius: settings.guided_radius, max_hamming: settings.guided_max_hamming };
        for (found, (a, b)) in agreeing.iter_mut().zip(pairs) {
            found.extend(guided::guided_matches(a, b, &transform, guide));
        }
    }
    let per_pair = agreeing
        .iter()
        .zip(pairs)
        .map(|(found, (a, _))| {
            let points: Vec<[f32; 2]> = found.iter().map(|&i| a.points[i]).collect();
            if cover(&points, a.content_area()) >= settings.min_pair_cover { points.len() as u32 } else { 0 }
        })
        .collect();
    Some((transform, per_pair))
}

/// The scale-and-shift map most of `pairs` (point in a, point in b) agree on (RANSAC), with the
/// indices of those that do, if it passes `settings` with at least `min_inliers` of them.
fn fit(
    pairs: &[([f32; 2], [f32; 2])],
    (area_a, area_b): (f32, f32),
    settings: &VerifySettings,
    (min_inliers, min_share): (u32, f32),
) -> Option<(Transform, Vec<usize>)> {
    if (pairs.len() as u32) < min_inliers {
        return None;
    }
    let from: Vector<Point2f> = pairs.iter().map(|(p, _)| Point2f::new(p[0], p[1])).collect();
    let to: Vector<Point2f> = pairs.iter().map(|(_, q)| Point2f::new(q[0], q[1])).collect();
    let mut inlier_mask = Mat::default();
    let affine =
        opencv::calib3d::estimate_affine_2d(&from, &to, &mut inlier_mask, opencv::calib3d::RANSAC, 4.0, 2000, 0.99, 10)
            .ok()?;
    if affine.empty() {
        return None;
    }
    let m = |r: i32, c: i32| affine.at_2d::<f64>(r, c).map(|v| *v as f32).unwrap_or(f32::NAN);
    let (sx, shear_x, tx, shear_y, sy, ty) = (m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
    // Only scale and shift: a re-post does not rotate or shear the picture.
    if shear_x.abs() > 0.08 * sx.abs() || shear_y.abs() > 0.08 * sy.abs() || sx <= 0.0 || sy <= 0.0 {
        return None;
    }
    let in_range = |s: f32| (settings.min_scale..=settings.max_scale).contains(&s);
    if !in_range(sx) || !in_range(sy) || sx.max(sy) / sx.min(sy) > settings.max_squeeze {
        return None;
    }
    let flags = inlier_mask.data_bytes().ok()?;
    let inliers: Vec<usize> = flags.iter().enumerate().filter(|(_, f)| **f != 0).map(|(k, _)| k).collect();
    let count = inliers.len() as u32;
    if count < min_inliers || (count as f32) < min_share * pairs.len() as f32 {
        return None;
    }
    let (in_a, in_b): (Vec<[f32; 2]>, Vec<[f32; 2]>) = inliers.iter().map(|&k| pairs[k]).unzip();
    if cover(&in_a, area_a).min(cover(&in_b, area_b)) < settings.min_cover {
        return None;
    }
    Some((Transform { scale_x: sx, scale_y: sy, shift_x: tx, shift_y: ty, inliers: count }, inliers))
}

/// The share of `area` the bounding box of `points` covers.
fn cover(points: &[[f32; 2]], area: f32) -> f32 {
    if points.is_empty() {
        return 0.0;
    }
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in points {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    (hi[0] - lo[0]) * (hi[1] - lo[1]) / area.max(1.0)
}

/// What a stored keypoint blob does not decode as.
#[derive(Debug, thiserror::Error)]
#[error("keypoints blob: {0}")]
pub struct DecodeError(&'static str);

/// Format version of [`encode`]'s bytes.
const BLOB_VERSION: u16 = 1;

/// Every frame's keypoints as one compact blob (little-endian): version, frame count, then per
/// frame its size, content rectangle, point count, points (f32 x, y) and descriptors.
pub fn encode(frames: &[FrameFeatures]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(BLOB_VERSION.to_le_bytes());
    out.extend((frames.len() as u32).to_le_bytes());
    for f in frames {
        for v in [f.width, f.height, f.content[0], f.content[1], f.content[2], f.content[3], f.points.len() as u16] {
            out.extend(v.to_le_bytes());
        }
        for p in &f.points {
            out.extend(p[0].to_le_bytes());
            out.extend(p[1].to_le_bytes());
        }
        for d in &f.descriptors {
            out.extend(d);
        }
    }
    out
}

/// The frames [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Vec<FrameFeatures>, DecodeError> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], DecodeError> {
        let slice = bytes.get(at..at + n).ok_or(DecodeError("ends early"))?;
        at += n;
        Ok(slice)
    };
    let u16_of = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
    if u16_of(take(2)?) != BLOB_VERSION {
        return Err(DecodeError("unknown version"));
    }
    let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| DecodeError("bad count"))?) as usize;
    let mut frames = Vec::with_capacity(count.min(10_000));
    for _ in 0..count {
        let head: Vec<u16> = take(14)?.chunks_exact(2).map(u16_of).collect();
        let n = head[6] as usize;
        let points = take(8 * n)?
            .chunks_exact(8)
            .map(|c| [f32::from_le_bytes([c[0], c[1], c[2], c[3]]), f32::from_le_bytes([c[4], c[5], c[6], c[7]])])
            .collect();
        let descriptors = take(32 * n)?
            .chunks_exact(32)
            .map(|c| {
                let mut d = [0u8; 32];
                d.copy_from_slice(c);
                d
            })
            .collect();
        frames.push(FrameFeatures {
            width: head[0],
            height: head[1],
            content: [head[2], head[3], head[4], head[5]],
            points,
            descriptors,
        });
    }
    Ok(frames)
}

mod edges;
mod guided;
pub use edges::away_from_edges;

#[cfg(test)]
mod tests;
