//! The user's corrections to the creators: kept as rules about face tracks, not as a snapshot of
//! the output, so they hold whenever the grouping runs again (another threshold, a re-run, a
//! larger upload of the same videos).
//!
//! A face track is named by the content hash of its file and its index there ([`TrackRef`]), so a
//! rule means the same thing in every run that contains the file. An [`Edit`] is what the user did
//! (merge, split, move, hide, rename, …) as a list of [`Rule`]s ([`plan`] makes them from the
//! current grouping); [`resolve`] turns every active edit, in order, into links and labels for
//! one grouping. The newest edit wins: an older rule that contradicts a newer one is dropped
//! and reported as a [`Note`], never silently.

mod plan;
mod resolve;

pub use plan::{EditRequest, PlanError, Planned, plan};
pub use resolve::{AdLinks, Lookup, Resolved, ad_links, counted_as_people, ignored_faces, resolve, unsure_pairs};

use serde::{Deserialize, Serialize};

pub use crate::creators::TrackRef;

/// One rule about face tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// The two tracks show the same person.
    Same { a: TrackRef, b: TrackRef },
    /// The two tracks show different people.
    Different { a: TrackRef, b: TrackRef },
    /// The creator of this track is hidden from the table and charts (kept, restorable).
    Hide { track: TrackRef, reason: String },
    /// The creator of this track is shown again.
    Show { track: TrackRef },
    /// The creator of this track is called `name` (None: the machine's "Creator N").
    Name { track: TrackRef, name: Option<String> },
    /// This track's crop is the face of its creator.
    Face { track: TrackRef },
    /// This track is nobody (a face on a product, stock footage): left out of the grouping.
    IgnoreFace { track: TrackRef, reason: String },
    /// An ignored track counts again.
    RestoreFace { track: TrackRef },
    /// This track is a person, whatever the machine took it for (a print, an unclear face): it
    /// is clustered.
    Person { track: TrackRef },
    /// The user could not tell whether these tracks' creators are one person: do not ask again.
    Unsure { a: TrackRef, b: TrackRef },
    /// These two files (content hashes) are the same ad: one unique video.
    SameAd { a: String, b: String },
    /// These two files are different ads.
    DifferentAd { a: String, b: String },
}

impl Rule {
    /// Whether the rule is about which files are one video (not about faces).
    pub fn is_about_videos(&self) -> bool {
        matches!(self, Rule::SameAd { .. } | Rule::DifferentAd { .. })
    }
}

/// An active edit: its id (edits apply in id order) and its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub id: i64,
    pub summary: String,
    pub rules: Vec<Rule>,
}

/// Something the user should know about an edit that does not fully hold in a grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub edit: i64,
    pub message: String,
}

#[cfg(test)]
mod tests;
