//! Active edits → what one grouping must obey, newest edit first.
//!
//! Rules are read from the newest edit back. A link that contradicts links already taken (from
//! newer edits) is dropped with a [`Note`]; for hide, name and face rules the newest rule about a
//! track is the one that counts. So undoing an edit, or making a new one, never leaves the
//! grouping in a state nobody asked for.

use std::collections::{HashMap, HashSet};

use super::{Edit, Note, Rule, TrackRef};
use crate::creators::Components;

/// Where a track of a rule is in the grouping at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The point with this index.
    Found(usize),
    /// Its file is not in this run: the rule is about other videos.
    NotInRun,
    /// Its file is in this run but the track is not (analysed with other settings, or ignored).
    Gone,
}

/// The edits as applied to one grouping's points (indices given by the lookup).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Pairs (low, high) that must be together, and that must be apart.
    pub must: HashSet<(usize, usize)>,
    pub cannot: HashSet<(usize, usize)>,
    /// Points whose creator is hidden, with the user's reason.
    pub hidden: HashMap<usize, String>,
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

/// Applies `edits` (in id order) to `n` points found through `lookup`.
pub fn resolve(edits: &[Edit], n: usize, lookup: &dyn Fn(&TrackRef) -> Lookup) -> Resolved {
    let mut out = Resolved::default();
    let mut together = Components::new(n);
    let mut apart: Vec<(usize, usize)> = Vec::new();
    let mut decided_hidden: HashSet<usize> = HashSet::new();
    for edit in edits.iter().rev() {
        let mut gone = false;
        let mut contradicted = false;
        let mut find = |track: &TrackRef| match lookup(track) {
            Lookup::Found(i) => Some(i),
            Lookup::NotInRun => None,
            Lookup::Gone => {
                gone = true;
                None
            }
        };
        for rule in &edit.rules {
            match rule {
                Rule::Same { a, b } => {
                    let (Some(a), Some(b)) = (find(a), find(b)) else { continue };
                    let (ra, rb) = (together.root(a), together.root(b));
                    if ra == rb {
                        out.must.insert((a.min(b), a.max(b)));
                        continue;
                    }
                    let kept_apart = apart.iter().any(|&(x, y)| {
                        let (rx, ry) = (together.root(x), together.root(y));
                        (rx == ra && ry == rb) || (rx == rb && ry == ra)
                    });
                    if kept_apart {
                        contradicted = true;
                    } else {
                        together.join(a, b);
                        out.must.insert((a.min(b), a.max(b)));
                    }
                }
                Rule::Different { a, b } => {
                    let (Some(a), Some(b)) = (find(a), find(b)) else { continue };
                    if together.root(a) == together.root(b) {
                        contradicted = true;
                    } else {
                        apart.push((a, b));
                        out.cannot.insert((a.min(b), a.max(b)));
                    }
                }
                Rule::Hide { track, reason } => {
                    if let Some(p) = find(track)
                        && decided_hidden.insert(p)
                    {
                        out.hidden.insert(p, reason.clone());
                    }
                }
                Rule::Show { track } => {
                    if let Some(p) = find(track) {
                        decided_hidden.insert(p);
                    }
                }
                Rule::Name { track, name } => {
                    if let Some(p) = find(track) {
                        out.names.entry(p).or_insert((edit.id, name.clone()));
                    }
                }
                Rule::Face { track } => {
                    if let Some(p) = find(track) {
                        out.faces.entry(p).or_insert(edit.id);
                    }
                }
                Rule::IgnoreFace { .. } | Rule::RestoreFace { .. } => {}
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
    out.notes.sort_by_key(|n| n.edit);
    out
}
