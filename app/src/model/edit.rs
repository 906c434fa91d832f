//! Corrections to the creators: the edits a page can ask for, and the run's edit history.
//!
//! Every write carries the run's edit version the page was rendered with (read before its data,
//! so the data is never older than the version); the server refuses it when the run changed
//! since (another tab), so no edit is applied to ids that now mean other creators.

use serde::{Deserialize, Serialize};

/// A face track: its file's content hash and its index there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaceKey {
    pub sha256: String,
    pub track: u32,
}

/// One correction, in the ids of the page the user is looking at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum CreatorEdit {
    Merge {
        creators: Vec<u32>,
        keep: u32,
    },
    Split {
        creator: u32,
        videos: Vec<u32>,
        tracks: Vec<FaceKey>,
    },
    Move {
        creator: u32,
        videos: Vec<u32>,
        tracks: Vec<FaceKey>,
        to: u32,
    },
    Hide {
        creators: Vec<u32>,
        reason: String,
    },
    Show {
        creators: Vec<u32>,
    },
    IgnoreFace {
        track: FaceKey,
        reason: String,
    },
    RestoreFace {
        track: FaceKey,
    },
    Rename {
        creator: u32,
        name: String,
    },
    SetFace {
        creator: u32,
        track: FaceKey,
    },
    /// A face the machine left out (a print, an unclear face) is a person.
    CountAsPerson {
        track: FaceKey,
    },
    /// "Same person?" — no.
    NotSame {
        a: u32,
        b: u32,
    },
    /// "Same person?" — cannot tell; do not ask again.
    Unsure {
        a: u32,
        b: u32,
    },
    /// These unique videos are one ad.
    SameAd {
        videos: Vec<u32>,
    },
    /// These files (content hashes) of `video` are another ad.
    NotSameAd {
        video: u32,
        files: Vec<String>,
    },
}

/// What a page asks for: an edit, or the undo or redo of one.
#[derive(Debug, Clone, PartialEq)]
pub enum EditOp {
    Edit(CreatorEdit),
    Undo,
    Redo,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditResult {
    pub summary: String,
    /// The run's edit version now.
    pub version: i64,
    /// The creator the page was about, by its id after the regrouping (ids follow the order of
    /// first videos, so an edit can renumber them); None when it has no creator any more.
    pub creator: Option<u32>,
}

/// One line of a run's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditLine {
    pub edit: i64,
    pub summary: String,
    /// `made`, `undone` or `redone`.
    pub action: String,
    pub at_ms: i64,
    pub actor: Option<String>,
    /// The run it was done from.
    pub run_id: i64,
    pub undone: bool,
}

/// A face track the user left out of the grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredFace {
    pub track: FaceKey,
    pub face_url: Option<String>,
    pub video_id: Option<u32>,
    pub reason: String,
}

/// A run's corrections: its edit version, what undo and redo would do, the log, and the edits
/// that do not fully hold in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditsView {
    pub version: i64,
    pub undo: Option<String>,
    pub redo: Option<String>,
    /// Newest first.
    pub lines: Vec<EditLine>,
    pub notes: Vec<String>,
    pub ignored_faces: Vec<IgnoredFace>,
}

// Fixed endpoints (no hash suffix): scripts can post edits with the access token.
