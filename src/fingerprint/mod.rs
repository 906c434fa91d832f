//! Fingerprints: a sampled frame becomes a 64-bit perceptual hash plus its mean colour, robust to
//! re-encoding, resizing and uniform borders, so two files of the same creative can be matched
//! frame by frame ([`align`](crate::align)).
//!
//! Uniform borders (letterboxing, a plain "post" frame) are cropped first
//! ([`crop_uniform_borders`]); the rest is described twice:
//! - a DCT **pHash**: grey, shrunk to 32 × 32, 2-D DCT; the 8 × 8 lowest frequencies but the DC
//!   term are compared with their median, one bit each. Fine detail and compression noise live
//!   in the high frequencies it ignores;
//! - an 8 × 8 grid of mean grey **blocks**: a caption or price card drawn over part of the frame
//!   changes a few blocks, where it can flip many hash bits.
//!
//! Two frames are as close as the closer of the two descriptions says.

mod borders;

pub use borders::crop_uniform_borders;

use opencv::core::{CV_32F, Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

/// The fingerprint of one sampled frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameHash {
    /// Time from the start of the video, in tenths of a second.
    pub time_ds: u32,
    /// DCT perceptual hash.
    pub phash: u64,
    /// Mean grey of an 8 × 8 grid over the content, row by row.
    pub blocks: Vec<u8>,
    /// Mean B, G, R of the content (after border cropping).
    pub colour: [u8; 3],
    /// The pHash of the content mirrored left–right (0 in fingerprints made before it existed):
    /// a mirrored re-post matches through it.
    #[serde(default)]
    pub phash_mirrored: u64,
}

impl FrameHash {
    /// Distance in 0..=1: the smaller of the share of differing hash bits and the share of
    /// differing blocks (more than 16 grey levels apart), raised when the mean colours differ a
    /// lot (two plain frames of different colour look alike to both descriptions).
    pub fn distance(&self, other: &FrameHash) -> f32 {
        self.distance_and_mirroring(other).0
    }

    /// [`Self::distance`], and whether it was reached by mirroring `self` left–right.
    pub fn distance_and_mirroring(&self, other: &FrameHash) -> (f32, bool) {
        let direct = self.shape_distance(other, false);
        let mirrored = if self.phash_mirrored != 0 { self.shape_distance(other, true) } else { 1.0 };
        let (shape, is_mirrored) = if mirrored < direct { (mirrored, true) } else { (direct, false) };
        let colour =
            self.colour.iter().zip(other.colour).map(|(a, b)| (*a as f32 - b as f32).abs()).fold(0.0f32, f32::max)
                / 255.0;
        ((shape + 0.5 * (colour - 0.15).max(0.0)).min(1.0), is_mirrored)
    }

    /// The smaller of the hash and grid distances, with `self` mirrored or not.
    fn shape_distance(&self, other: &FrameHash, mirrored: bool) -> f32 {
        let phash = if mirrored { self.phash_mirrored } else { self.phash };
        let bits = (phash ^ other.phash).count_ones() as f32 / 64.0;
        let blocks = if self.blocks.len() == 64 && other.blocks.len() == 64 {
            let at = |i: usize| if mirrored { self.blocks[i / 8 * 8 + 7 - i % 8] } else { self.blocks[i] };
            let differing = (0..64).filter(|&i| at(i).abs_diff(other.blocks[i]) > 16).count();
            differing as f32 / 64.0
        } else if self.blocks.len() == other.blocks.len() && !self.blocks.is_empty() && !mirrored {
            let differing = self.blocks.iter().zip(&other.blocks).filter(|(a, b)| a.abs_diff(**b) > 16).count();
            differing as f32 / self.blocks.len() as f32
        } else {
            1.0
        };
        bits.min(blocks)
    }

    pub fn time_s(&self) -> f64 {
        self.time_ds as f64 / 10.0
    }
}

/// The fingerprint of a BGR frame sampled at `time_s`.
pub fn fingerprint(frame: &Mat, time_s: f64) -> Result<FrameHash, opencv::Error> {
    fingerprint_of(frame, crop_uniform_borders(frame)?, time_s)
}

/// The fingerprint of the part `content` of a BGR frame (its picture, borders and cards
/// excluded: see [`crop_uniform_borders`]).
pub fn fingerprint_of(frame: &Mat, content: Rect, time_s: f64) -> Result<FrameHash, opencv::Error> {
    let content = Mat::roi(frame, content)?;
    let mean = opencv::core::mean(&content, &opencv::core::no_array())?;
    let mut grey = Mat::default();
    imgproc::cvt_color_def(&content, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let mut small = Mat::default();
    imgproc::resize(&grey, &mut small, Size::new(32, 32), 0.0, 0.0, imgproc::INTER_AREA)?;
    let mut grid = Mat::default();
    imgproc::resize(&small, &mut grid, Size::new(8, 8), 0.0, 0.0, imgproc::INTER_AREA)?;
    let blocks = grid.data_bytes()?.to_vec();
    let phash = dct_hash(&small)?;
    let mut flipped = Mat::default();
    opencv::core::flip(&small, &mut flipped, 1)?;
    Ok(FrameHash {
        time_ds: (time_s * 10.0).round().max(0.0) as u32,
        phash,
        blocks,
        colour: [mean[0] as u8, mean[1] as u8, mean[2] as u8],
        phash_mirrored: dct_hash(&flipped)?,
    })
}

/// The 63 lowest DCT frequencies (DC left out) of a 32 × 32 grey image against their median.
fn dct_hash(small: &Mat) -> Result<u64, opencv::Error> {
    let mut float = Mat::default();
    small.convert_to(&mut float, CV_32F, 1.0, 0.0)?;
    let mut dct = Mat::default();
    opencv::core::dct(&float, &mut dct, 0)?;
    let low = Mat::roi(&dct, Rect::new(0, 0, 8, 8))?;
    let mut coefficients = Vec::with_capacity(63);
    for y in 0..8 {
        for x in 0..8 {
            if x + y > 0 {
                coefficients.push(*low.at_2d::<f32>(y, x)?);
            }
        }
    }
    let mut sorted = coefficients.clone();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    Ok(coefficients.iter().enumerate().fold(0u64, |h, (i, c)| if *c > median { h | (1 << i) } else { h }))
}

#[cfg(test)]
mod tests;
