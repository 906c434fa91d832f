//! Makes clusters obey the user's links exactly, whatever the clustering proposed.
//!
//! The distance override (a must-link pair at 0, a cannot-link pair infinitely far) only nudges
//! the clustering: average linkage can still leave a must-linked pair apart when the rest of their
//! groups are far from each other, and tracks without descriptors are not clustered at all. So
//! after clustering: clusters sharing a must-link component are joined, then a cluster holding a
//! cannot-link pair is split around it, each must-link component moving as one piece.
//!
//! The links must be consistent (no cannot-link inside a must-link component);
//! `crate::corrections` guarantees it by dropping the older of two contradicting edits. A
//! cannot-link inside a component is ignored here rather than looped on.

use std::collections::{HashMap, HashSet};

use crate::union_find::UnionFind as Components;

/// `clusters` (a partition of `0..n`) after the links (pairs given as (low, high)): joined over must-links, split over
/// cannot-links. `distance(i, j)` decides which side of a split a free point joins (infinite when
/// unknown). Clusters come back sorted inside and by their first point.
pub fn enforce(
    n: usize,
    clusters: Vec<Vec<usize>>,
    must: &HashSet<(usize, usize)>,
    cannot: &HashSet<(usize, usize)>,
    distance: &dyn Fn(usize, usize) -> f64,
) -> Vec<Vec<usize>> {
    let mut links = Components::new(n);
    for &(a, b) in must {
        links.join(a, b);
    }
    // Join the clusters that share a must-link component.
    let mut joined = Components::new(clusters.len());
    let mut cluster_of_component: HashMap<usize, usize> = HashMap::new();
    for (k, members) in clusters.iter().enumerate() {
        for &m in members {
            let root = links.root(m);
            match cluster_of_component.get(&root) {
                Some(&other) => joined.join(other, k),
                None => {
                    cluster_of_component.insert(root, k);
                }
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, members) in clusters.into_iter().enumerate() {
        by_root.entry(joined.root(k)).or_default().extend(members);
    }
    let mut pending: Vec<Vec<usize>> = by_root.into_values().collect();
    let mut done = Vec::new();
    while let Some(c) = pending.pop() {
        match split(&c, &mut links, cannot, distance) {
            Some((a, b)) => pending.extend([a, b]),
            None => done.push(c),
        }
    }
    for c in &mut done {
        c.sort_unstable();
    }
    done.sort_by_key(|c| c[0]);
    done
}

/// Splits a cluster holding a cannot-link pair (of different components): the pair's components
/// seed two sides; every other component joins the side it is nearer to on average.
fn split(
    members: &[usize],
    links: &mut Components,
    cannot: &HashSet<(usize, usize)>,
    distance: &dyn Fn(usize, usize) -> f64,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let in_cluster: HashSet<usize> = members.iter().copied().collect();
    let &(a, b) = cannot
        .iter()
        .filter(|(a, b)| in_cluster.contains(a) && in_cluster.contains(b))
        .filter(|&&(a, b)| links.root(a) != links.root(b))
        .min()?;
    let mut pieces: HashMap<usize, Vec<usize>> = HashMap::new();
    for &m in members {
        pieces.entry(links.root(m)).or_default().push(m);
    }
    let (root_a, root_b) = (links.root(a), links.root(b));
    let (mut left, mut right) =
        (pieces.remove(&root_a).unwrap_or_default(), pieces.remove(&root_b).unwrap_or_default());
    let mean_distance = |piece: &[usize], side: &[usize]| {
        let total: f64 = piece.iter().flat_map(|&p| side.iter().map(move |&s| distance(p, s))).sum();
        total / (piece.len() * side.len()).max(1) as f64
    };
    let mut rest: Vec<Vec<usize>> = pieces.into_values().collect();
    rest.sort_by_key(|p| p.iter().copied().min());
    let (seed_left, seed_right) = (left.clone(), right.clone());
    let apart = |piece: &[usize], side: &[usize]| {
        piece.iter().any(|&p| side.iter().any(|&s| cannot.contains(&(p.min(s), p.max(s)))))
    };
    for piece in rest {
        let to_left = if apart(&piece, &seed_left) {
            false
        } else if apart(&piece, &seed_right) {
            true
        } else {
            mean_distance(&piece, &seed_left) <= mean_distance(&piece, &seed_right)
        };
        if to_left { left.extend(piece) } else { right.extend(piece) }
    }
    Some((left, right))
}
