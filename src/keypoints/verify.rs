//! Whether two frames (or two videos' frames) show the same picture: the scale-and-shift map
//! their keypoint matches agree on (RANSAC), pooled over frame pairs, and several maps for a
//! copy framed differently in different parts.

use opencv::core::{Mat, Point2f, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::{FrameFeatures, guided, ratio_matches};

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
    /// most this share of its scale (a little for fitting noise and slight perspective) …
    pub max_shear: f32,
    /// … except a skewed copy (an editing app's slant), up to this share, when that one map
    /// explains the whole pair: a second map beside a skewed one is what two shots of one flat
    /// scene (a product on a wall) give, and then every map must be unskewed.
    pub max_skew: f32,
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
            max_skew: 0.16,
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
    match fit(&pairs, (a.content_area(), b.content_area()), settings, needs, settings.max_shear) {
        Fit::Found(t, ..) => Some(t),
        Fit::Refused | Fit::Nothing => None,
    }
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
    match screen_pooled(pairs, settings) {
        Screened::Map(t, per_pair) => Some((t, per_pair)),
        Screened::Refused | Screened::Nothing => None,
    }
}

/// What [`screen_pooled`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Screened {
    /// The map and how many matches of each frame pair agree with it (as [`verify_pooled`]).
    Map(Transform, Vec<u32>),
    /// No map, but enough matches agreed on one no re-post makes (a caption's sliver, a shear):
    /// other points of the same frames may still find the true one.
    Refused,
    /// Too few matches agree on anything.
    Nothing,
}

/// [`verify_pooled`], saying apart why no map was found.
pub fn screen_pooled(pairs: &[(&FrameFeatures, &FrameFeatures)], settings: &VerifySettings) -> Screened {
    let (maps, refused) = pooled_maps(pairs, settings, 1, settings.max_skew.max(settings.max_shear));
    match maps.into_iter().next() {
        Some((t, per_pair, _)) => Screened::Map(t, per_pair),
        None if refused => Screened::Refused,
        None => Screened::Nothing,
    }
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
    let (maps, _) = pooled_maps(pairs, settings, max_maps, settings.max_skew.max(settings.max_shear));
    match maps.as_slice() {
        // A skewed map and another one: no skew, then (see `max_skew`).
        [(_, _, true), _, ..] | [_, (_, _, true), ..] => pooled_maps(pairs, settings, max_maps, settings.max_shear).0,
        _ => maps,
    }
    .into_iter()
    .map(|(t, per_pair, _)| (t, per_pair))
    .collect()
}

/// Up to `max_maps` maps (see [`verify_pooled_maps`]), the first allowed `max_shear` of skew,
/// each with whether it is skewed; and whether a fit was refused on the way.
fn pooled_maps(
    pairs: &[(&FrameFeatures, &FrameFeatures)],
    settings: &VerifySettings,
    max_maps: usize,
    max_shear: f32,
) -> (Vec<(Transform, Vec<u32>, bool)>, bool) {
    let Some((a, b)) = pairs.first() else { return (Vec::new(), false) };
    let mut refused = false;
    let areas = (a.content_area(), b.content_area());
    let matches: Vec<Vec<(usize, usize)>> = pairs.iter().map(|(a, b)| ratio_matches(a, b)).collect();
    // Pooled over frames a fraction of a second apart, many matches are wrong: half the share.
    let needs = (settings.min_pooled_inliers, settings.min_inlier_share / 2.0);
    let mut maps: Vec<(Transform, Vec<u32>, bool)> = Vec::new();
    while maps.len() < max_maps {
        let best = |k: usize| maps.iter().map(|(_, per_pair, _)| per_pair[k]).max().unwrap_or(0);
        let weak = |k: usize| (best(k) as f32) < needs.1 * matches[k].len() as f32;
        let unexplained: Vec<usize> = (0..pairs.len()).filter(|&k| best(k) < settings.min_pair_inliers).collect();
        let weakly: Vec<usize> =
            (0..pairs.len()).filter(|&k| best(k) >= settings.min_pair_inliers && weak(k)).collect();
        // A map beside a skewed one is looked for with any skew (then all is fitted again
        // without); beside unskewed ones, without.
        let shear = if maps.iter().any(|m| !m.2) { settings.max_shear } else { max_shear };
        let Some((transform, inliers, skewed)) = [unexplained, weakly].into_iter().find_map(|left| {
            let owned: Vec<(usize, usize)> =
                left.iter().flat_map(|&k| matches[k].iter().map(move |&(i, _)| (k, i))).collect();
            let pool: Vec<([f32; 2], [f32; 2])> = left
                .iter()
                .flat_map(|&k| matches[k].iter().map(move |&(i, j)| (pairs[k].0.points[i], pairs[k].1.points[j])))
                .collect();
            match fit(&pool, areas, settings, needs, shear) {
                Fit::Found(t, inliers, skewed) => {
                    Some((t, inliers.into_iter().map(|n| owned[n]).collect::<Vec<_>>(), skewed))
                }
                Fit::Refused => {
                    refused = true;
                    None
                }
                Fit::Nothing => None,
            }
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
        maps.push((transform, per_pair, skewed));
    }
    (maps, refused)
}

/// How many times [`fit`] looks again, without the matches of a map it refused.
const RETRIES: usize = 2;

/// The scale-and-shift map most of `pairs` (point in a, point in b) agree on (RANSAC), with the
/// indices of those that do, if it passes `settings` with at least `min_inliers` of them.
///
/// The RANSAC vote can go to a map no re-post makes and hide the one it does: a shared caption
/// or logo is corner-dense, and its matches can outnumber the picture's with a map covering a
/// sliver of the frame; a skewed part of a copy can outvote a zoomed part when skew is not
/// allowed. The refused map's matches are set aside and the rest fitted again.
fn fit(
    pairs: &[([f32; 2], [f32; 2])],
    areas: (f32, f32),
    settings: &VerifySettings,
    needs: (u32, f32),
    max_shear: f32,
) -> Fit {
    let mut left: Vec<usize> = (0..pairs.len()).collect();
    let mut refused = false;
    for _ in 0..=RETRIES {
        let pool: Vec<([f32; 2], [f32; 2])> = left.iter().map(|&k| pairs[k]).collect();
        // The share of agreeing matches is of all the pairs, not of those left.
        let share = needs.1 * pairs.len() as f32 / pool.len().max(1) as f32;
        match fit_once(&pool, areas, settings, (needs.0, share), max_shear) {
            None => break,
            Some(Fitted::Map(t, inliers, skewed)) => {
                return Fit::Found(t, inliers.into_iter().map(|n| left[n]).collect(), skewed);
            }
            Some(Fitted::Refused(inliers)) => {
                refused = true;
                let refused_here: std::collections::HashSet<usize> = inliers.into_iter().collect();
                left = left.iter().enumerate().filter(|(n, _)| !refused_here.contains(n)).map(|(_, &k)| k).collect();
            }
        }
    }
    if refused { Fit::Refused } else { Fit::Nothing }
}

/// What [`fit`] found.
enum Fit {
    /// The map, the matches agreeing with it (indices into the pairs), and whether it is skewed.
    Found(Transform, Vec<usize>, bool),
    /// No map, but enough matches agreed on one that no re-post makes (see [`Fitted::Refused`]).
    Refused,
    /// Too few matches agree on anything.
    Nothing,
}

/// One RANSAC fit that enough matches agree with.
enum Fitted {
    /// The map, the matches agreeing with it, and whether it is skewed beyond `max_shear`.
    Map(Transform, Vec<usize>, bool),
    /// A map no re-post makes (sheared, rotated, out of scale, or covering a sliver): the
    /// matches agreeing with it.
    Refused(Vec<usize>),
}

fn fit_once(
    pairs: &[([f32; 2], [f32; 2])],
    (area_a, area_b): (f32, f32),
    settings: &VerifySettings,
    (min_inliers, min_share): (u32, f32),
    max_shear: f32,
) -> Option<Fitted> {
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
    let flags = inlier_mask.data_bytes().ok()?;
    let inliers: Vec<usize> = flags.iter().enumerate().filter(|(_, f)| **f != 0).map(|(k, _)| k).collect();
    let count = inliers.len() as u32;
    if count < min_inliers || (count as f32) < min_share * pairs.len() as f32 {
        return None;
    }
    // Scale and shift, with at most `max_shear` of skew: a re-post does not rotate the picture.
    let shear = (shear_x / sx).abs().max((shear_y / sy).abs());
    let in_range = |s: f32| (settings.min_scale..=settings.max_scale).contains(&s);
    let (in_a, in_b): (Vec<[f32; 2]>, Vec<[f32; 2]>) = inliers.iter().map(|&k| pairs[k]).unzip();
    if !(0.0..=max_shear).contains(&shear)
        || !in_range(sx)
        || !in_range(sy)
        || sx.max(sy) / sx.min(sy) > settings.max_squeeze
        || cover(&in_a, area_a).min(cover(&in_b, area_b)) < settings.min_cover
    {
        return Some(Fitted::Refused(inliers));
    }
    let transform = Transform { scale_x: sx, scale_y: sy, shift_x: tx, shift_y: ty, inliers: count };
    Some(Fitted::Map(transform, inliers, shear > settings.max_shear))
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
