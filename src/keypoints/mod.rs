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

use opencv::core::{KeyPoint, Mat, Rect, Vector};
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

/// Cells per side of the grid [`spread`] shares the points out over.
const SPREAD_CELLS: usize = 4;

/// At most `n` of a frame's keypoints, strongest first within each cell of a grid over its
/// picture, the cells taking turns: the strongest alone crowd into the most textured part (a
/// film strip's sprocket holes, a caption's letters), which one map can explain by chance and
/// the true map covers too little of.
pub fn spread(frame: &FrameFeatures, n: usize) -> FrameFeatures {
    if frame.points.len() <= n {
        return frame.clone();
    }
    let [x0, y0, w, h] = frame.content.map(f32::from);
    let cell = |p: &[f32; 2]| {
        let at = |v: f32, start: f32, size: f32| (((v - start) / size.max(1.0)) * SPREAD_CELLS as f32) as usize;
        at(p[1], y0, h).min(SPREAD_CELLS - 1) * SPREAD_CELLS + at(p[0], x0, w).min(SPREAD_CELLS - 1)
    };
    // Points are stored strongest first: each cell's list keeps that order.
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); SPREAD_CELLS * SPREAD_CELLS];
    for (k, p) in frame.points.iter().enumerate() {
        cells[cell(p)].push(k);
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    for rank in 0.. {
        let before = chosen.len();
        chosen.extend(cells.iter().filter_map(|c| c.get(rank)).take(n - chosen.len()));
        if chosen.len() == n || chosen.len() == before {
            break;
        }
    }
    chosen.sort_unstable();
    FrameFeatures {
        points: chosen.iter().map(|&k| frame.points[k]).collect(),
        descriptors: chosen.iter().map(|&k| frame.descriptors[k]).collect(),
        ..frame.clone()
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
mod matching;
mod verify;
pub use edges::away_from_edges;
pub use matching::ratio_matches;
use matching::{RATIO, hamming};
pub use verify::{Screened, Transform, VerifySettings, screen_pooled, verify, verify_pooled, verify_pooled_maps};

#[cfg(test)]
mod tests;
