//! The unique videos of a grouping: the clustering made to obey the user's "same ad" / "not the
//! same ad" rules, each join's evidence as saved, and each video's most alike others by CLIP.

use std::collections::HashMap;

use super::{FileLink, Grouping, LinkKind, VideoFacts, VideoId};
use crate::corrections;
use crate::creators;
use crate::similarity;

/// Evidence frames kept per link.
const EVIDENCE_FRAMES: usize = 6;

/// The video clustering made to obey the user's word on which files are one ad: files they
/// joined are one video; files they separated are split apart (by the weakest links, see
/// [`creators::enforce`]).
pub(super) fn with_ad_links(
    mut clusters: similarity::Clusters,
    files: &[&str],
    links: &corrections::AdLinks,
) -> similarity::Clusters {
    if links.same.is_empty() && links.different.is_empty() {
        return clusters;
    }
    let index: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let pairs = |set: &std::collections::HashSet<(String, String)>| -> std::collections::HashSet<(usize, usize)> {
        set.iter()
            .filter_map(|(a, b)| Some((*index.get(a.as_str())?, *index.get(b.as_str())?)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect()
    };
    let (must, cannot) = (pairs(&links.same), pairs(&links.different));
    // Same-video links but those the user cut, plus the user's joins, as components.
    let mut strength: HashMap<(usize, usize), f64> = HashMap::new();
    for l in &clusters.links {
        if matches!(l.relation, similarity::Relation::SameVideo(_)) {
            strength.insert((l.a.min(l.b), l.a.max(l.b)), l.frames.len() as f64);
        }
    }
    let mut together = crate::union_find::UnionFind::new(files.len());
    for (&pair, _) in strength.iter().filter(|(p, _)| !cannot.contains(p)) {
        together.join(pair.0, pair.1);
    }
    for &(a, b) in &must {
        together.join(a, b);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..files.len() {
        let root = together.root(i);
        let g = *group_of.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let distance = |a: usize, b: usize| strength.get(&(a.min(b), a.max(b))).map_or(1.0, |n| 1.0 / (1.0 + n));
    let mut same_video = creators::enforce(files.len(), groups, &must, &cannot, &distance);
    for g in &mut same_video {
        g.sort_unstable();
    }
    same_video.sort_by_key(|g| g[0]);
    // Hook families: the old ones, joined where the user joined videos.
    let mut families = crate::union_find::UnionFind::new(files.len());
    for family in &clusters.same_body {
        for w in family.windows(2) {
            families.join(w[0], w[1]);
        }
    }
    for g in &same_video {
        for w in g.windows(2) {
            families.join(w[0], w[1]);
        }
    }
    let mut body: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..files.len() {
        body.entry(families.root(i)).or_default().push(i);
    }
    let mut same_body: Vec<Vec<usize>> = body.into_values().collect();
    same_body.sort_by_key(|g| g[0]);
    clusters.links.retain(|l| !cannot.contains(&(l.a.min(l.b), l.a.max(l.b))));
    for &(a, b) in &must {
        clusters.links.push(similarity::Link {
            a,
            b,
            relation: similarity::Relation::SameVideo(similarity::SameKind::Copy),
            frames: Vec::new(),
        });
        clusters.joined_by_user.push((a, b));
    }
    clusters.same_video = same_video;
    clusters.same_body = same_body;
    clusters
}

/// A similarity link as saved: files by hash, a few evidence frames spread over the stretch.
pub(super) fn file_link(link: &similarity::Link, files: &[&str], clusters: &similarity::Clusters) -> FileLink {
    let kind = match link.relation {
        _ if clusters.joined_by_user.contains(&(link.a, link.b)) => LinkKind::User,
        _ if clusters.joined_by_clip.contains(&(link.a, link.b)) => LinkKind::Clip,
        similarity::Relation::SameVideo(similarity::SameKind::Copy) => LinkKind::Copy,
        similarity::Relation::SameVideo(similarity::SameKind::OtherOverlay) => LinkKind::OtherOverlay,
        _ => LinkKind::SameBody,
    };
    let n = link.frames.len();
    let frames = if n <= EVIDENCE_FRAMES {
        link.frames.clone()
    } else {
        (0..EVIDENCE_FRAMES).map(|k| link.frames[k * (n - 1) / (EVIDENCE_FRAMES - 1)]).collect()
    };
    FileLink { a: files[link.a].to_string(), b: files[link.b].to_string(), kind, frames }
}

/// How many alike videos the Videos page lists per video.
const SIMILAR_PER_VIDEO: usize = 3;

/// Each unique video's nearest others by CLIP: its embedding is the normalised mean of its
/// files'; videos without one (CLIP off) keep `similar: None`.
pub(super) fn similar_creatives<'a>(
    grouping: &mut Grouping,
    files: &[&'a str],
    video_of_file: &HashMap<&'a str, VideoId>,
    fact: &dyn Fn(&str) -> &'a VideoFacts,
) {
    let embeddings: Vec<(VideoId, Vec<f32>)> = grouping
        .videos
        .iter()
        .filter_map(|v| {
            let members: Vec<Vec<f32>> =
                files.iter().filter(|f| video_of_file[*f] == v.id).filter_map(|f| fact(f).clip.clone()).collect();
            crate::clip::mean_embedding(&members).map(|e| (v.id, e))
        })
        .collect();
    let items: Vec<(VideoId, &[f32])> = embeddings.iter().map(|(id, e)| (*id, e.as_slice())).collect();
    for (id, near) in crate::clip::nearest(&items, SIMILAR_PER_VIDEO) {
        grouping.videos[id as usize - 1].similar = Some(near);
    }
}
