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

/// How much a frame is squeezed vertically for its second set of keypoints ([`extract_squeezed`]).
/// ORB's descriptors survive a uniform change of scale (its pyramid) but not a picture stretched
/// along one axis: the corpus's re-posts that no plain matching could see were all one axis
/// stretched by about 16:9 against the other (c02/c58, c05/c51, c12/c24, c63/c71, and c04/c41
/// that guided matching only rescued once a map was found). Matching one video's squeezed
/// keypoints against the other's plain ones undoes such a stretch either way round (a vertical
/// stretch of b is a vertical squeeze of a); ORB tolerates roughly ±25 % around each.
pub const SQUEEZE: f32 = 16.0 / 9.0;

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

/// ORB keypoints of `frame` inside `content` found after squeezing the frame vertically by
/// [`SQUEEZE`], with their positions given back in `frame`'s own pixels (so a map fitted to
/// them is the map between the real frames).
pub fn extract_squeezed(frame: &Mat, content: Rect) -> Result<FrameFeatures, opencv::Error> {
    let height = ((frame.rows() as f32 / SQUEEZE).round() as i32).max(1);
    let back = frame.rows() as f32 / height as f32;
    let mut small = Mat::default();
    let size = opencv::core::Size::new(frame.cols(), height);
    opencv::imgproc::resize(frame, &mut small, size, 0.0, 0.0, opencv::imgproc::INTER_AREA)?;
    let top = (content.y as f32 / back).round() as i32;
    let bottom = (((content.y + content.height) as f32 / back).round() as i32).min(height);
    let squeezed_content = Rect::new(content.x, top, content.width, (bottom - top).max(1));
    let mut out = extract(&small, squeezed_content)?;
    for p in &mut out.points {
        p[1] *= back;
    }
    out.width = frame.cols() as u16;
    out.height = frame.rows() as u16;
    out.content = [content.x as u16, content.y as u16, content.width as u16, content.height as u16];
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

/// How far (pixels) a match may land from where a map sends it and still agree with it (as in
/// the RANSAC fit).
const AGREE_PX: f32 = 4.0;

impl Transform {
    /// Whether the match `p` (in a) → `q` (in b) agrees with the map.
    pub fn agrees(&self, p: [f32; 2], q: [f32; 2]) -> bool {
        let (x, y) = (self.scale_x * p[0] + self.shift_x, self.scale_y * p[1] + self.shift_y);
        (x - q[0]).hypot(y - q[1]) <= AGREE_PX
    }

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
    /// A re-post does not rotate or shear the picture: the map's off-diagonal terms may be at
    /// most this share of its scale (a little for fitting noise and slight perspective).
    pub max_shear: f32,
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
            max_shear: 0.08,
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
    verify_pooled_maps(pairs, settings, 1).into_iter().next()
}

/// Like [`verify_pooled`], for a copy re-framed one way in one part and another way in the next
/// (zoomed in from its 8th second, a slow zoom): up to `max_maps` maps, each passing the same
/// checks on its own; for each map, how many matches of each frame pair agree with it.
///
/// Each further map is fitted to the frame pairs the maps before it left unexplained (fewer
/// than `min_pair_inliers` agreeing matches), or else to those they explain only weakly (fewer
/// than half of `min_inlier_share` of the pair's own matches): two maps agree where they cross,
/// so a few matches of a differently framed part agree with the first map by chance. The two
/// are tried apart, because pooling them drowns a slow zoom's next map in the weak pairs' noise.
pub fn verify_pooled_maps(
    pairs: &[(&FrameFeatures, &FrameFeatures)],
    settings: &VerifySettings,
    max_maps: usize,
) -> Vec<(Transform, Vec<u32>)> {
    let Some((a, b)) = pairs.first() else { return Vec::new() };
    let areas = (a.content_area(), b.content_area());
    let matches: Vec<Vec<(usize, usize)>> = pairs.iter().map(|(a, b)| ratio_matches(a, b)).collect();
    // Pooled over frames a fraction of a second apart, many matches are wrong: half the share.
    let needs = (settings.min_pooled_inliers, settings.min_inlier_share / 2.0);
    let mut maps: Vec<(Transform, Vec<u32>)> = Vec::new();
    while maps.len() < max_maps {
        let best = |k: usize| maps.iter().map(|(_, per_pair)| per_pair[k]).max().unwrap_or(0);
        let weak = |k: usize| (best(k) as f32) < needs.1 * matches[k].len() as f32;
        let unexplained: Vec<usize> = (0..pairs.len()).filter(|&k| best(k) < settings.min_pair_inliers).collect();
        let weakly: Vec<usize> =
            (0..pairs.len()).filter(|&k| best(k) >= settings.min_pair_inliers && weak(k)).collect();
        let Some((transform, inliers)) = [unexplained, weakly].into_iter().find_map(|left| {
            let owned: Vec<(usize, usize)> =
                left.iter().flat_map(|&k| matches[k].iter().map(move |&(i, _)| (k, i))).collect();
            let pool: Vec<([f32; 2], [f32; 2])> = left
                .iter()
                .flat_map(|&k| matches[k].iter().map(move |&(i, j)| (pairs[k].0.points[i], pairs[k].1.points[j])))
                .collect();
            fit(&pool, areas, settings, needs)
                .map(|(t, inliers)| (t, inliers.into_iter().map(|n| owned[n]).collect::<Vec<_>>()))
        }) else {
            break;
        };
        let mut agreeing: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); pairs.len()];
        for (k, i) in inliers {
            agreeing[k].insert(i);
        }
        // Pairs outside the pool the map was fitted to: their matches that agree with it.
        for (k, found) in agreeing.iter_mut().enumerate().filter(|(_, found)| found.is_empty()) {
            let (a, b) = pairs[k];
            found.extend(matches[k].iter().filter(|&&(i, j)| transform.agrees(a.points[i], b.points[j])).map(|m| m.0));
        }
        if settings.guided_radius > 0.0 && transform.rescale() >= settings.guided_min_rescale {
            let guide = guided::Guide { radius: settings.guided_radius, max_hamming: settings.guided_max_hamming };
            for (found, (a, b)) in agreeing.iter_mut().zip(pairs) {
                found.extend(guided::guided_matches(a, b, &transform, guide));
            }
        }
        let per_pair: Vec<u32> = agreeing
            .iter()
            .zip(pairs)
            .map(|(found, (a, _))| {
                let points: Vec<[f32; 2]> = found.iter().map(|&i| a.points[i]).collect();
                if cover(&points, a.content_area()) >= settings.min_pair_cover { points.len() as u32 } else { 0 }
            })
            .collect();
        maps.push((transform, per_pair));
    }
    maps
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
    let affine = opencv::calib3d::estimate_affine_2d(
        &from,
        &to,
        &mut inlier_mask,
        opencv::calib3d::RANSAC,
        AGREE_PX.into(),
        2000,
        0.99,
        10,
    )
    .ok()?;
    if affine.empty() {
        return None;
    }
    let m = |r: i32, c: i32| affine.at_2d::<f64>(r, c).map(|v| *v as f32).unwrap_or(f32::NAN);
    let (sx, shear_x, tx, shear_y, sy, ty) = (m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
    // Only scale and shift: a re-post does not rotate or shear the picture.
    if shear_x.abs() > settings.max_shear * sx.abs()
        || shear_y.abs() > settings.max_shear * sy.abs()
        || sx <= 0.0
        || sy <= 0.0
    {
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

/// Format version of [`encode`]'s bytes: 1 held the plain keypoints only, 2 adds the squeezed
/// ones.
const BLOB_VERSION: u16 = 2;

/// A video's keypoints, one entry per sampled frame in each list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoKeypoints {
    /// Found in the frame as it is.
    pub plain: Vec<FrameFeatures>,
    /// Found in the frame squeezed vertically by [`SQUEEZE`] ([`extract_squeezed`]); empty for
    /// analyses made before they were kept.
    pub squeezed: Vec<FrameFeatures>,
}

impl VideoKeypoints {
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.squeezed.is_empty()
    }
}

/// Every frame's keypoints as one compact blob (little-endian): version, then each list (plain,
/// squeezed) as its frame count and per frame its size, content rectangle, point count, points
/// (f32 x, y) and descriptors.
pub fn encode(keypoints: &VideoKeypoints) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(BLOB_VERSION.to_le_bytes());
    encode_list(&keypoints.plain, &mut out);
    encode_list(&keypoints.squeezed, &mut out);
    out
}

fn encode_list(frames: &[FrameFeatures], out: &mut Vec<u8>) {
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
}

/// The keypoints [`encode`] wrote (a version 1 blob has no squeezed ones).
pub fn decode(bytes: &[u8]) -> Result<VideoKeypoints, DecodeError> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], DecodeError> {
        let slice = bytes.get(at..at + n).ok_or(DecodeError("ends early"))?;
        at += n;
        Ok(slice)
    };
    let version = u16::from_le_bytes(take(2)?.try_into().map_err(|_| DecodeError("bad version"))?);
    match version {
        1 => Ok(VideoKeypoints { plain: decode_list(&mut take)?, squeezed: Vec::new() }),
        2 => Ok(VideoKeypoints { plain: decode_list(&mut take)?, squeezed: decode_list(&mut take)? }),
        _ => Err(DecodeError("unknown version")),
    }
}

fn decode_list<'b>(
    take: &mut impl FnMut(usize) -> Result<&'b [u8], DecodeError>,
) -> Result<Vec<FrameFeatures>, DecodeError> {
    let u16_of = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
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
