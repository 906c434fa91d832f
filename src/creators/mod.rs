//! Creators: on-camera face tracks from every video, clustered into people.
//!
//! Each track carries the mean 128-d descriptor of dlib's face recognition net; two tracks are
//! the same person when their descriptors are close (dlib's same-person radius is 0.6 Euclidean;
//! on the package's photos one face stays within 0.37 of itself and different people are at
//! least 0.54 apart, so we cut halfway, at [`CreatorSettings::max_distance`] = 0.45).
//!
//! Two passes, over a distance that also carries the user's corrections (a must-link pair is at
//! distance 0, a cannot-link pair infinitely far):
//! 1. linfa's DBSCAN (`min_points = 2`, radius = the cut) splits the tracks into connected
//!    components: tracks in different components are never the same person.
//! 2. Within a component, average-linkage agglomerative clustering (kodama) cut at the same
//!    radius. DBSCAN alone links through chains: on the replay corpus a faces printed on products
//!    (blurred photos, engravings) sat within 0.3 of each other and of real creators' weaker
//!    tracks and pulled 25 videos into one "creator". Average linkage needs a whole group to be
//!    close, which a chain is not.
//!
//! Then [`enforce`] makes the result obey the links exactly (must-linked tracks together,
//! cannot-linked ones apart).

pub mod assess;
mod enforce;

pub use assess::{Assessment, PrintEvidence, TrackRole, assess};
pub use enforce::enforce;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use linfa::traits::Transformer;
use linfa_clustering::Dbscan;
use linfa_nn::CommonNearestNeighbour;
use linfa_nn::distance::Distance;
use ndarray::{Array2, ArrayView, Dimension};
use serde::{Deserialize, Serialize};

use crate::faceapi::recognition::distance;
use crate::union_find::UnionFind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreatorSettings {
    /// Groups of tracks whose descriptors are on average closer than this are one creator
    /// (average linkage).
    pub max_distance: f32,
    /// Two creators on average closer than this (but not closer than `max_distance`) may be one
    /// person: the run page asks ("Same person?").
    pub ask_max_distance: f32,
    /// A track left out of clustering (too few good detections) is attached to the creator it
    /// is closest to when that is within `max_distance` and the next creator is at least this
    /// much further.
    pub attach_margin: f32,
    /// A good detection (see [`assess`]): at least this frontal (0..1, from the landmarks) …
    pub min_frontalness: f32,
    /// … this confidently detected …
    pub min_score: f32,
    /// … this large (face height over the frame's short side) …
    pub min_face: f32,
    /// … with landmarks this plausible (eye aspect ratio; open eyes are about 0.3).
    pub max_eye_openness: f32,
    /// A track needs this many good detections to be clustered.
    pub min_good_frames: u32,
    /// A track whose landmarks jump more than this across its detections (the residual of the
    /// best homography, or the range of the eye openness — see [`crate::faces::motion`]) has
    /// landmarks the net could not place: a side-on, hidden or printed face, too unclear to
    /// cluster.
    pub max_landmark_jitter: f32,
    /// A track whose aligned face changes less than this between detections (median of
    /// 1 − correlation) is a print.
    pub still_max_change: f32,
    /// Analyses from before per-detection measures were kept: a creator whose every track
    /// changed less than this while tracked (mean per-frame descriptor distance to the track's
    /// mean) is a still face, listed after the people on camera.
    pub still_max_spread: f32,
}

impl Default for CreatorSettings {
    /// Chosen on the tuning half of the labelled corpus (README, "Faces and creators").
    fn default() -> Self {
        Self {
            max_distance: 0.4,
            ask_max_distance: 0.5,
            attach_margin: 0.1,
            min_frontalness: 0.5,
            min_score: 0.7,
            min_face: 0.15,
            max_eye_openness: 0.6,
            min_good_frames: 2,
            max_landmark_jitter: 0.3,
            still_max_change: 0.09,
            still_max_spread: 0.15,
        }
    }
}

/// One face track of one file: the unit user corrections point at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TrackRef {
    pub sha256: String,
    pub track: u32,
}

/// Links between tracks the clustering must honour (the user's corrections, resolved by
/// `crate::corrections`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Constraints {
    /// These tracks are the same person.
    pub must_link: Vec<(TrackRef, TrackRef)>,
    /// These tracks are different people.
    pub cannot_link: Vec<(TrackRef, TrackRef)>,
}

/// What clustering needs of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPoint {
    pub key: TrackRef,
    pub descriptor: Vec<f32>,
}

/// Euclidean distance between descriptors, overridden by the user's links. The point's index
/// rides in the last column so the metric can look its constraints up.
#[derive(Clone)]
struct ConstrainedL2 {
    must: Arc<HashSet<(usize, usize)>>,
    cannot: Arc<HashSet<(usize, usize)>>,
}

impl Distance<f64> for ConstrainedL2 {
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        let (a, b) = (a.as_slice().unwrap_or_default(), b.as_slice().unwrap_or_default());
        let n = a.len().min(b.len());
        if n == 0 {
            return f64::INFINITY;
        }
        let (i, j) = (a[n - 1] as usize, b[n - 1] as usize);
        let pair = (i.min(j), i.max(j));
        if i != j && self.cannot.contains(&pair) {
            return f64::INFINITY;
        }
        if i == j || self.must.contains(&pair) {
            return 0.0;
        }
        a[..n - 1].iter().zip(&b[..n - 1]).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
    }
}

/// Clusters of point indices (each sorted, clusters in order of their first point). Every point
/// is in exactly one cluster; a point near nobody is a cluster of its own.
pub fn cluster(points: &[TrackPoint], constraints: &Constraints, settings: &CreatorSettings) -> Vec<Vec<usize>> {
    if points.is_empty() {
        return Vec::new();
    }
    let index: HashMap<&TrackRef, usize> = points.iter().enumerate().map(|(i, p)| (&p.key, i)).collect();
    let pairs = |links: &[(TrackRef, TrackRef)]| -> HashSet<(usize, usize)> {
        links
            .iter()
            .filter_map(|(a, b)| Some((*index.get(a)?, *index.get(b)?)))
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect()
    };
    let (must, cannot) = (pairs(&constraints.must_link), pairs(&constraints.cannot_link));
    let dims = points.iter().map(|p| p.descriptor.len()).max().unwrap_or(0);
    let mut records = Array2::<f64>::zeros((points.len(), dims + 1));
    for (i, p) in points.iter().enumerate() {
        for (k, v) in p.descriptor.iter().enumerate() {
            records[[i, k]] = *v as f64;
        }
        records[[i, dims]] = i as f64;
    }
    let metric = ConstrainedL2 { must: Arc::new(must.clone()), cannot: Arc::new(cannot.clone()) };
    let labels = Dbscan::params_with(2, metric.clone(), CommonNearestNeighbour::LinearSearch)
        .tolerance(settings.max_distance as f64)
        .transform(&records)
        .expect("min_points 2 and a positive tolerance are valid DBSCAN parameters");
    let mut by_label: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        match label {
            Some(l) => by_label.entry(*l).or_default().push(i),
            None => clusters.push(vec![i]),
        }
    }
    for component in by_label.into_values() {
        clusters.extend(average_linkage(&component, &records, &metric, settings.max_distance as f64));
    }
    let descriptor_distance = |i: usize, j: usize| f64::from(distance(&points[i].descriptor, &points[j].descriptor));
    enforce(points.len(), clusters, &must, &cannot, &descriptor_distance)
}

/// Average-linkage clusters of `members` (indices into `records`) whose mean pairwise distance
/// stays within `cut`.
fn average_linkage(members: &[usize], records: &Array2<f64>, metric: &ConstrainedL2, cut: f64) -> Vec<Vec<usize>> {
    let n = members.len();
    if n < 3 {
        return vec![members.to_vec()];
    }
    // kodama needs finite numbers: "infinitely far" becomes far beyond any descriptor distance.
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let d = metric.distance(records.row(members[i]), records.row(members[j]));
            condensed.push(d.min(1e3));
        }
    }
    let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Average);
    // The merges below the cut (average linkage never merges below a merge it contains, so
    // they form whole subtrees), as groups.
    let mut joined = UnionFind::new(n);
    let mut representative: Vec<usize> = (0..n).collect();
    for step in dendrogram.steps() {
        let (a, b) = (representative[step.cluster1], representative[step.cluster2]);
        if step.dissimilarity <= cut {
            joined.join(a, b);
        }
        representative.push(a);
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = joined.root(i);
        groups.entry(r).or_default().push(members[i]);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests;
