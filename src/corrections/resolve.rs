//! Active edits → what one grouping must obey, newest edit first.
//!
//! Rules are read from the newest edit back. A link that contradicts links already taken (from
//! newer edits) is dropped with a [`Note`]; for hide, name and face rules the newest rule among a
//! creator's tracks is the one that counts. So undoing an edit, or making a new one, never leaves
//! the grouping in a state nobody asked for.

use std::collections::{HashMap, HashSet};

use super::{Edit, Note, Rule, TrackRef};
use crate::union_find::UnionFind as Components;

/// Where a track of a rule is in the grouping at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The point with this index.
    Found(usize),
    /// Its file is not in this run: the rule is about other videos.
    NotInRun,
    /// The user left this track out: it is no creator's, but links still pass through it.
    LeftOut,
    /// Its file is in this run but the track is not (analysed with other settings): links pass
    /// through it, and the edit gets a note.
    Gone,
}

/// The edits as applied to one grouping's points (indices given by the lookup).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Pairs (low, high) that must be together, and that must be apart.
    pub must: HashSet<(usize, usize)>,
    pub cannot: HashSet<(usize, usize)>,
    /// The newest hide or show rule of each point: (edit id, the reason when hidden, None when
    /// shown). A creator is hidden when the newest such rule among its tracks hides.
    pub hidden: HashMap<usize, (i64, Option<String>)>,
    /// The newest name rule of each point: (edit id, name; None for the machine's name).
    pub names: HashMap<usize, (i64, Option<String>)>,
    /// The newest face rule of each point: its edit id.
    pub faces: HashMap<usize, i64>,
    pub notes: Vec<Note>,
}

/// Tracks the active edits leave out of the grouping, with (edit id, reason): the newest
/// ignore-or-restore rule about a track decides.
pub fn ignored_faces(edits: &[Edit]) -> HashMap<TrackRef, (i64, String)> {
    let mut decided: HashSet<&TrackRef> = HashSet::new();
    let mut ignored = HashMap::new();
    for edit in edits.iter().rev() {
        for rule in &edit.rules {
            match rule {
                Rule::IgnoreFace { track, reason } if decided.insert(track) => {
                    ignored.insert(track.clone(), (edit.id, reason.clone()));
                }
                Rule::RestoreFace { track } => {
                    decided.insert(track);
                }
                _ => {}
            }
        }
    }
    ignored
}

/// Tracks the user counts as people (a print promoted, or a face named in a "same person"
/// link): they are clustered whatever the machine thinks of them.
pub fn counted_as_people(edits: &[Edit]) -> HashSet<TrackRef> {
    let mut people = HashSet::new();
    for rule in edits.iter().flat_map(|e| &e.rules) {
        match rule {
            Rule::Person { track } => {
                people.insert(track.clone());
            }
            Rule::Same { a, b } => {
                people.insert(a.clone());
                people.insert(b.clone());
            }
            _ => {}
        }
    }
    people
}

/// The user's word on which files are one ad: pairs of content hashes (low, high), the newest
/// rule about a pair deciding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdLinks {
    pub same: HashSet<(String, String)>,
    pub different: HashSet<(String, String)>,
}

pub fn ad_links(edits: &[Edit]) -> AdLinks {
    let mut decided: HashSet<(String, String)> = HashSet::new();
    let mut links = AdLinks::default();
    for rule in edits.iter().rev().flat_map(|e| e.rules.iter().rev()) {
        let (pair, same) = match rule {
            Rule::SameAd { a, b } => ((a.clone(), b.clone()), true),
            Rule::DifferentAd { a, b } => ((a.clone(), b.clone()), false),
            _ => continue,
        };
        let pair = if pair.0 <= pair.1 { pair } else { (pair.1, pair.0) };
        if decided.insert(pair.clone()) {
            if same {
                links.same.insert(pair)
            } else {
                links.different.insert(pair)
            };
        }
    }
    links
}

/// Track pairs the user could not tell apart or together ("Skip" on a "Same person?" question).
pub fn unsure_pairs(edits: &[Edit]) -> Vec<(TrackRef, TrackRef)> {
    edits
        .iter()
        .flat_map(|e| &e.rules)
        .filter_map(|r| match r {
            Rule::Unsure { a, b } => Some((a.clone(), b.clone())),
            _ => None,
        })
        .collect()
}

/// Applies `edits` (in id order) to `n` points found through `lookup`.
pub fn resolve(edits: &[Edit], n: usize, lookup: &dyn Fn(&TrackRef) -> Lookup) -> Resolved {
    // Tracks the grouping lacks get nodes of their own after the points, so that a merge whose
    // first track was left out still joins the others through it.
    let mut absent: HashMap<&TrackRef, usize> = HashMap::new();
    for rule in edits.iter().flat_map(|e| &e.rules) {
        if let Rule::Same { a, b } | Rule::Different { a, b } = rule {
            for t in [a, b] {
                if matches!(lookup(t), Lookup::LeftOut | Lookup::Gone) && !absent.contains_key(t) {
                    absent.insert(t, n + absent.len());
                }
            }
        }
    }
    let mut out = Resolved::default();
    let mut together = Components::new(n + absent.len());
    let mut apart: Vec<(usize, usize)> = Vec::new();
    for edit in edits.iter().rev() {
        let mut gone = false;
        let mut contradicted = false;
        // A point of the grouping, for rules about one track.
        let point = |track: &TrackRef, gone: &mut bool| match lookup(track) {
            Lookup::Found(i) => Some(i),
            Lookup::Gone => {
                *gone = true;
                None
            }
            Lookup::NotInRun | Lookup::LeftOut => None,
        };
        // A node (point or absent track), for links.
        let node = |track: &TrackRef, gone: &mut bool| match lookup(track) {
            Lookup::Found(i) => Some(i),
            Lookup::Gone => {
                *gone = true;
                absent.get(track).copied()
            }
            Lookup::LeftOut => absent.get(track).copied(),
            Lookup::NotInRun => None,
        };
        for rule in &edit.rules {
            match rule {
                Rule::Same { a, b } => {
                    let (Some(a), Some(b)) = (node(a, &mut gone), node(b, &mut gone)) else { continue };
                    let (ra, rb) = (together.root(a), together.root(b));
                    if ra == rb {
                        continue;
                    }
                    let kept_apart = apart.iter().any(|&(x, y)| {
                        let (rx, ry) = (together.root(x), together.root(y));
                        (rx == ra && ry == rb) || (rx == rb && ry == ra)
                    });
                    if kept_apart { contradicted = true } else { together.join(a, b) }
                }
                Rule::Different { a, b } => {
                    let (Some(a), Some(b)) = (node(a, &mut gone), node(b, &mut gone)) else { continue };
                    if together.root(a) == together.root(b) {
                        contradicted = true;
                    } else {
                        apart.push((a, b));
                        if a < n && b < n {
                            out.cannot.insert((a.min(b), a.max(b)));
                        }
                    }
                }
                Rule::Hide { track, reason } => {
                    if let Some(p) = point(track, &mut gone) {
                        out.hidden.entry(p).or_insert((edit.id, Some(reason.clone())));
                    }
                }
                Rule::Show { track } => {
                    if let Some(p) = point(track, &mut gone) {
                        out.hidden.entry(p).or_insert((edit.id, None));
                    }
                }
                Rule::Name { track, name } => {
                    if let Some(p) = point(track, &mut gone) {
                        out.names.entry(p).or_insert((edit.id, name.clone()));
                    }
                }
                Rule::Face { track } => {
                    if let Some(p) = point(track, &mut gone) {
                        out.faces.entry(p).or_insert(edit.id);
                    }
                }
                Rule::IgnoreFace { .. }
                | Rule::RestoreFace { .. }
                | Rule::Person { .. }
                | Rule::Unsure { .. }
                | Rule::SameAd { .. }
                | Rule::DifferentAd { .. } => {}
            }
        }
        if contradicted {
            out.notes.push(Note {
                edit: edit.id,
                message: format!(
                    "“{}” no longer fully holds: a later edit says otherwise about some of its faces.",
                    edit.summary
                ),
            });
        }
        if gone {
            out.notes.push(Note {
                edit: edit.id,
                message: format!(
                    "“{}” names faces this run does not have (analysed with other settings, or a face was left out); those parts do not apply.",
                    edit.summary
                ),
            });
        }
    }
    // The points linked together (through absent tracks too), as pairs for the clustering.
    let mut first_of: HashMap<usize, usize> = HashMap::new();
    for p in 0..n {
        let root = together.root(p);
        match first_of.get(&root) {
            Some(&first) => {
                out.must.insert((first, p));
            }
            None => {
                first_of.insert(root, p);
            }
        }
    }
    out.notes.sort_by_key(|n| n.edit);
    out
}
