//! What the user asked for, on the grouping they saw → the rules that make it so.
//!
//! Every edit that changes who is with whom also writes the names of the tracks it touches, so a
//! name never travels with a face to a creator it was not meant for, and the creator the user
//! kept keeps the name they saw.

use std::collections::HashSet;

use super::{Rule, TrackRef};
use crate::grouping::{Creator, CreatorId, Grouping, VideoId};

/// One correction, in the terms of the grouping the user is looking at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum EditRequest {
    /// These creators are one person; the result keeps the name and face of `keep`.
    Merge { creators: Vec<CreatorId>, keep: CreatorId },
    /// These videos and face tracks of `creator` are someone else: a new creator.
    Split { creator: CreatorId, videos: Vec<VideoId>, tracks: Vec<TrackRef> },
    /// These videos and face tracks of `creator` belong to `to`.
    Move { creator: CreatorId, videos: Vec<VideoId>, tracks: Vec<TrackRef>, to: CreatorId },
    /// Hide these creators from the table and charts, with a reason.
    Hide { creators: Vec<CreatorId>, reason: String },
    /// Show hidden creators again.
    Show { creators: Vec<CreatorId> },
    /// This face track is nobody (a print, stock footage): leave it out.
    IgnoreFace { track: TrackRef, reason: String },
    /// Count a left-out face track again.
    RestoreFace { track: TrackRef },
    /// Call the creator `name` (empty: back to the machine's name).
    Rename { creator: CreatorId, name: String },
    /// Show this track's crop as the creator's face.
    SetFace { creator: CreatorId, track: TrackRef },
    /// This face (taken for a print or too unclear to cluster) is a person: cluster it.
    CountAsPerson { track: TrackRef },
    /// Answer to "Same person?": these two creators are different people.
    NotSame { a: CreatorId, b: CreatorId },
    /// Answer to "Same person?": cannot tell; do not ask again.
    Unsure { a: CreatorId, b: CreatorId },
    /// These unique videos are one ad.
    SameAd { videos: Vec<VideoId> },
    /// These files of `video` are another ad (or ads) than its other files.
    NotSameAd { video: VideoId, files: Vec<String> },
}

/// The rules of an edit and a sentence saying what it does, for the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub summary: String,
    pub rules: Vec<Rule>,
}

/// Why an edit cannot be made: the user gets the message as it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("There is no creator {0} in this run (it may have changed: reload the page).")]
    NoCreator(CreatorId),
    #[error("{0}")]
    Invalid(String),
}

/// Longest name accepted, in characters.
pub const MAX_NAME: usize = 120;

pub fn plan(grouping: &Grouping, request: &EditRequest) -> Result<Planned, PlanError> {
    let creator = |id: CreatorId| grouping.creators.iter().find(|c| c.id == id).ok_or(PlanError::NoCreator(id));
    match request {
        EditRequest::Merge { creators, keep } => {
            let mut ids: Vec<CreatorId> = Vec::new();
            for id in creators {
                if !ids.contains(id) {
                    ids.push(*id);
                }
            }
            if ids.len() < 2 {
                return Err(PlanError::Invalid("Select two or more creators to merge.".into()));
            }
            if !ids.contains(keep) {
                return Err(PlanError::Invalid("The name to keep must be one of the merged creators.".into()));
            }
            let kept = creator(*keep)?;
            let merged: Vec<&Creator> = ids.iter().map(|&id| creator(id)).collect::<Result<_, _>>()?;
            let tracks: Vec<&TrackRef> = std::iter::once(kept)
                .chain(merged.iter().copied().filter(|c| c.id != kept.id))
                .flat_map(|c| &c.members)
                .collect();
            let anchor =
                tracks.first().ok_or_else(|| PlanError::Invalid("These creators have no faces to merge.".into()))?;
            let mut rules: Vec<Rule> =
                tracks.iter().skip(1).map(|t| Rule::Same { a: (*anchor).clone(), b: (*t).clone() }).collect();
            rules.extend(name_rules(&tracks, kept));
            rules.extend(kept.face_track.iter().map(|t| Rule::Face { track: t.clone() }));
            rules.extend(visibility_rules(&tracks, kept));
            let others: Vec<&str> = merged.iter().filter(|c| c.id != kept.id).map(|c| c.label.as_str()).collect();
            Ok(Planned { summary: format!("Merged {} into {}", others.join(", "), kept.label), rules })
        }
        EditRequest::Split { creator: id, videos, tracks } => {
            let from = creator(*id)?;
            let (picked, rest) = pick(grouping, from, videos, tracks)?;
            let mut rules = Vec::new();
            if let Some(anchor) = picked.first() {
                rules.extend(picked.iter().skip(1).map(|t| Rule::Same { a: (*anchor).clone(), b: (*t).clone() }));
            }
            rules.extend(apart(&picked, &rest));
            rules.extend(picked.iter().map(|t| Rule::Name { track: (*t).clone(), name: None }));
            rules.extend(name_rules(&rest, from));
            Ok(Planned {
                summary: format!("Split {} of {} into a new creator", what(videos, tracks), from.label),
                rules,
            })
        }
        EditRequest::Move { creator: id, videos, tracks, to } => {
            let from = creator(*id)?;
            let target = creator(*to)?;
            if from.id == target.id {
                return Err(PlanError::Invalid("Choose another creator to move to.".into()));
            }
            let (picked, rest) = pick(grouping, from, videos, tracks)?;
            let (anchor, others) = target
                .members
                .split_first()
                .ok_or_else(|| PlanError::Invalid(format!("{} has no faces.", target.label)))?;
            // The target is linked as the user saw it, not only to its first face: were that face
            // left out later, the moved faces would otherwise hang on it alone and drift away
            // from the rest of the target, which only the machine held together.
            let mut rules: Vec<Rule> = others
                .iter()
                .chain(picked.iter().copied())
                .map(|t| Rule::Same { a: anchor.clone(), b: t.clone() })
                .collect();
            rules.extend(apart(&picked, &rest));
            rules.extend(name_rules(&picked, target));
            rules.extend(name_rules(&rest, from));
            rules.extend(visibility_rules(&picked, target));
            Ok(Planned {
                summary: format!("Moved {} from {} to {}", what(videos, tracks), from.label, target.label),
                rules,
            })
        }
        EditRequest::Hide { creators, reason } => {
            check_reason(reason)?;
            let reason = reason.trim();
            let chosen: Vec<&Creator> = creators.iter().map(|&id| creator(id)).collect::<Result<_, _>>()?;
            if chosen.is_empty() {
                return Err(PlanError::Invalid("Select the creators to hide.".into()));
            }
            let rules = chosen
                .iter()
                .flat_map(|c| &c.members)
                .map(|t| Rule::Hide { track: t.clone(), reason: reason.to_string() })
                .collect();
            let labels: Vec<&str> = chosen.iter().map(|c| c.label.as_str()).collect();
            Ok(Planned { summary: format!("Hid {}{}", labels.join(", "), reason_suffix(reason)), rules })
        }
        EditRequest::Show { creators } => {
            let chosen: Vec<&Creator> = creators.iter().map(|&id| creator(id)).collect::<Result<_, _>>()?;
            if chosen.is_empty() {
                return Err(PlanError::Invalid("Select the creators to show.".into()));
            }
            let rules = chosen.iter().flat_map(|c| &c.members).map(|t| Rule::Show { track: t.clone() }).collect();
            let labels: Vec<&str> = chosen.iter().map(|c| c.label.as_str()).collect();
            Ok(Planned { summary: format!("Restored {}", labels.join(", ")), rules })
        }
        EditRequest::IgnoreFace { track, reason } => {
            check_reason(reason)?;
            let owner = grouping.creators.iter().find(|c| c.members.contains(track)).ok_or_else(|| {
                PlanError::Invalid("That face is not in this run's grouping (reload the page).".into())
            })?;
            Ok(Planned {
                summary: format!("Left out a face of {}{}", owner.label, reason_suffix(reason)),
                rules: vec![Rule::IgnoreFace { track: track.clone(), reason: reason.trim().to_string() }],
            })
        }
        EditRequest::RestoreFace { track } => {
            if !grouping.corrections.ignored_faces.iter().any(|(t, _)| t == track) {
                return Err(PlanError::Invalid("That face is not left out in this run (reload the page).".into()));
            }
            Ok(Planned {
                summary: "Counted a left-out face again".to_string(),
                rules: vec![Rule::RestoreFace { track: track.clone() }],
            })
        }
        EditRequest::Rename { creator: id, name } => {
            let c = creator(*id)?;
            let name = name.trim();
            if name.chars().count() > MAX_NAME {
                return Err(PlanError::Invalid(format!("The name is too long ({MAX_NAME} characters at most).")));
            }
            if name.chars().any(char::is_control) {
                return Err(PlanError::Invalid("The name cannot hold control characters.".into()));
            }
            let new = (!name.is_empty()).then(|| name.to_string());
            let rules = c.members.iter().map(|t| Rule::Name { track: t.clone(), name: new.clone() }).collect();
            let summary = match &new {
                Some(n) => format!("Renamed {} to {n}", c.label),
                None => format!("Gave {} back its default name", c.label),
            };
            Ok(Planned { summary, rules })
        }
        EditRequest::CountAsPerson { track } => {
            if !grouping.faces.iter().any(|f| &f.track == track) {
                return Err(PlanError::Invalid("That face is not one the machine left out (reload the page).".into()));
            }
            Ok(Planned {
                summary: "Counted a face as a person".to_string(),
                rules: vec![Rule::Person { track: track.clone() }],
            })
        }
        EditRequest::NotSame { a, b } | EditRequest::Unsure { a, b } => {
            let (ca, cb) = (creator(*a)?, creator(*b)?);
            if ca.id == cb.id {
                return Err(PlanError::Invalid("Pick two different creators.".into()));
            }
            let unsure = matches!(request, EditRequest::Unsure { .. });
            let rules = if unsure {
                let (Some(x), Some(y)) = (ca.members.first(), cb.members.first()) else {
                    return Err(PlanError::Invalid("These creators have no faces.".into()));
                };
                vec![Rule::Unsure { a: x.clone(), b: y.clone() }]
            } else {
                ca.members
                    .iter()
                    .flat_map(|x| cb.members.iter().map(move |y| Rule::Different { a: x.clone(), b: y.clone() }))
                    .collect()
            };
            let verb = if unsure { "Could not tell whether" } else { "Said" };
            let end = if unsure { "are one person" } else { "are different people" };
            Ok(Planned { summary: format!("{verb} {} and {} {end}", ca.label, cb.label), rules })
        }
        EditRequest::SameAd { videos } => {
            let firsts: Vec<&String> = videos
                .iter()
                .map(|id| grouping.videos.iter().find(|v| v.id == *id).and_then(|v| v.sha256s.first()))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    PlanError::Invalid("One of those videos is not in this run (reload the page).".into())
                })?;
            if firsts.len() < 2 {
                return Err(PlanError::Invalid("Select two or more videos that are the same ad.".into()));
            }
            let rules = firsts[1..].iter().map(|b| Rule::SameAd { a: firsts[0].clone(), b: (*b).clone() }).collect();
            let ids: Vec<String> = videos.iter().map(|v| format!("#{v}")).collect();
            Ok(Planned { summary: format!("Said videos {} are the same ad", ids.join(", ")), rules })
        }
        EditRequest::NotSameAd { video, files } => {
            let v = grouping.videos.iter().find(|v| v.id == *video).ok_or_else(|| {
                PlanError::Invalid(format!("There is no video #{video} in this run (reload the page)."))
            })?;
            let (out, kept): (Vec<&String>, Vec<&String>) = v.sha256s.iter().partition(|s| files.contains(s));
            if out.is_empty() || kept.is_empty() {
                return Err(PlanError::Invalid("Pick some, but not all, of the video's files.".into()));
            }
            let rules = out
                .iter()
                .flat_map(|a| kept.iter().map(move |b| Rule::DifferentAd { a: (*a).clone(), b: (*b).clone() }))
                .collect();
            Ok(Planned { summary: format!("Split {} file(s) out of video #{video}: another ad", out.len()), rules })
        }
        EditRequest::SetFace { creator: id, track } => {
            let c = creator(*id)?;
            if !c.members.contains(track) {
                return Err(PlanError::Invalid(format!("That face is not one of {}'s.", c.label)));
            }
            Ok(Planned {
                summary: format!("Chose the face of {}", c.label),
                rules: vec![Rule::Face { track: track.clone() }],
            })
        }
    }
}

/// The tracks of `from` the user picked (its tracks in the picked videos, and picked tracks) and
/// the rest; both must be non-empty.
fn pick<'a>(
    grouping: &Grouping,
    from: &'a Creator,
    videos: &[VideoId],
    tracks: &[TrackRef],
) -> Result<(Vec<&'a TrackRef>, Vec<&'a TrackRef>), PlanError> {
    let files: HashSet<&str> = grouping
        .videos
        .iter()
        .filter(|v| videos.contains(&v.id))
        .flat_map(|v| v.sha256s.iter().map(String::as_str))
        .collect();
    if let Some(v) = videos.iter().find(|v| !from.videos.contains(v) && !from.appears_in.contains(v)) {
        return Err(PlanError::Invalid(format!("Video #{v} is not {}'s.", from.label)));
    }
    if let Some(t) = tracks.iter().find(|t| !from.members.contains(t)) {
        return Err(PlanError::Invalid(format!(
            "A chosen face ({} #{}) is not {}'s.",
            short(&t.sha256),
            t.track,
            from.label
        )));
    }
    let (picked, rest): (Vec<&TrackRef>, Vec<&TrackRef>) =
        from.members.iter().partition(|t| files.contains(t.sha256.as_str()) || tracks.contains(t));
    if picked.is_empty() {
        return Err(PlanError::Invalid("Select the videos or faces to take out.".into()));
    }
    if rest.is_empty() {
        return Err(PlanError::Invalid(format!(
            "That is every face of {}: select only some (or merge the whole creator instead).",
            from.label
        )));
    }
    Ok((picked, rest))
}

/// `tracks` take `owner`'s hidden or shown state (faces joining a creator do not bring their old
/// creator's).
fn visibility_rules<'a>(tracks: &'a [&TrackRef], owner: &'a Creator) -> impl Iterator<Item = Rule> + 'a {
    tracks.iter().map(move |t| match &owner.hidden_reason {
        Some(reason) if owner.hidden => Rule::Hide { track: (*t).clone(), reason: reason.clone() },
        _ if owner.hidden => Rule::Hide { track: (*t).clone(), reason: String::new() },
        _ => Rule::Show { track: (*t).clone() },
    })
}

fn apart<'a>(picked: &'a [&TrackRef], rest: &'a [&TrackRef]) -> impl Iterator<Item = Rule> + 'a {
    picked.iter().flat_map(move |p| rest.iter().map(move |r| Rule::Different { a: (*p).clone(), b: (*r).clone() }))
}

/// `tracks` take the name `owner` has now, the machine's included: the user saw that name on the
/// creator they kept, and numbering could otherwise hand it to someone else.
fn name_rules<'a>(tracks: &'a [&TrackRef], owner: &'a Creator) -> impl Iterator<Item = Rule> + 'a {
    tracks.iter().map(move |t| Rule::Name { track: (*t).clone(), name: Some(owner.label.clone()) })
}

fn what(videos: &[VideoId], tracks: &[TrackRef]) -> String {
    let mut parts = Vec::new();
    if !videos.is_empty() {
        let list: Vec<String> = videos.iter().map(|v| format!("#{v}")).collect();
        parts.push(format!("video{} {}", if videos.len() == 1 { "" } else { "s" }, list.join(", ")));
    }
    if !tracks.is_empty() {
        parts.push(format!("{} face{}", tracks.len(), if tracks.len() == 1 { "" } else { "s" }));
    }
    parts.join(" and ")
}

/// Longest reason accepted, in characters.
pub const MAX_REASON: usize = 500;

fn check_reason(reason: &str) -> Result<(), PlanError> {
    if reason.trim().chars().count() > MAX_REASON {
        return Err(PlanError::Invalid(format!("The reason is too long ({MAX_REASON} characters at most).")));
    }
    Ok(())
}

fn reason_suffix(reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() { String::new() } else { format!(" ({reason})") }
}

fn short(sha: &str) -> &str {
    sha.get(..8).unwrap_or(sha)
}
