//! Corrections as plain HTML forms, so they work before (and without) hydration: the field
//! names the pages render and the parsing of a posted form back into an edit. The server's
//! `POST /runs/<run>/edit` route parses with [`parse`]; a hydrated page sends the same edit
//! through the server functions instead and never posts the form.

use super::{CreatorEdit, EditOp, FaceKey};

/// Where the edit forms post to.
pub fn edit_form_action(run_id: i64) -> String {
    format!("/runs/{run_id}/edit")
}

/// The names of the form fields.
pub mod field {
    /// Which edit: the `value` of the submit button pressed ([`super::FormOp`]).
    pub const OP: &str = "op";
    /// The run's edit version the page was rendered with.
    pub const VERSION: &str = "version";
    /// The page to go back to (a path of the same run).
    pub const RETURN: &str = "return";
    /// Ticked creators (repeated).
    pub const CREATORS: &str = "creators";
    /// The creator whose name and face a merge keeps.
    pub const KEEP: &str = "keep";
    pub const REASON: &str = "reason";
    /// The creator a creator page edits.
    pub const CREATOR: &str = "creator";
    pub const NAME: &str = "name";
    /// Ticked unique videos (repeated).
    pub const VIDEOS: &str = "videos";
    /// Ticked face tracks as `<sha256>:<track>` (repeated).
    pub const TRACKS: &str = "tracks";
    /// The creator a move goes to.
    pub const TO: &str = "to";
    /// The query parameters the page is sent back with: what the edit did, or why it was not done.
    pub const EDIT_DONE: &str = "edit_done";
    pub const EDIT_ERROR: &str = "edit_error";
}

/// The edits a form can ask for: the submit buttons' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormOp {
    Merge,
    Hide,
    Show,
    Rename,
    Split,
    Move,
    Undo,
    Redo,
}

impl FormOp {
    pub const ALL: [FormOp; 8] = [
        FormOp::Merge,
        FormOp::Hide,
        FormOp::Show,
        FormOp::Rename,
        FormOp::Split,
        FormOp::Move,
        FormOp::Undo,
        FormOp::Redo,
    ];

    pub fn word(self) -> &'static str {
        match self {
            FormOp::Merge => "merge",
            FormOp::Hide => "hide",
            FormOp::Show => "show",
            FormOp::Rename => "rename",
            FormOp::Split => "split",
            FormOp::Move => "move",
            FormOp::Undo => "undo",
            FormOp::Redo => "redo",
        }
    }

    fn from_word(word: &str) -> Option<FormOp> {
        FormOp::ALL.into_iter().find(|op| op.word() == word)
    }
}

/// A face track as one form value.
pub fn track_value(key: &FaceKey) -> String {
    format!("{}:{}", key.sha256, key.track)
}

/// A posted edit form: what to do, against which edit version, and where to go back to.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedEdit {
    pub version: i64,
    pub op: EditOp,
    /// The page the form was on, when it is a page of this run; else the run's report.
    pub back_to: String,
}

/// Parses a posted form (its fields in order, repeated names allowed). The error is a sentence
/// for the user, naming the field.
pub fn parse(run_id: i64, fields: &[(String, String)]) -> Result<PostedEdit, String> {
    let one = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let all = |name: &str| -> Vec<&str> { fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).collect() };
    let number = |name: &str| -> Result<u32, String> {
        let text = one(name).ok_or_else(|| format!("The form has no `{name}`."))?;
        text.parse().map_err(|_| format!("`{name}` must be a creator number, not {text:?}."))
    };
    let numbers = |name: &str| -> Result<Vec<u32>, String> {
        all(name)
            .into_iter()
            .map(|v| v.parse().map_err(|_| format!("`{name}` must be whole numbers, not {v:?}.")))
            .collect()
    };
    let tracks = || -> Result<Vec<FaceKey>, String> {
        all(field::TRACKS)
            .into_iter()
            .map(|v| {
                let (sha256, track) =
                    v.rsplit_once(':').ok_or_else(|| format!("`tracks` value {v:?} is not <file>:<track>."))?;
                let track = track.parse().map_err(|_| format!("`tracks` value {v:?} has no track number."))?;
                Ok(FaceKey { sha256: sha256.to_string(), track })
            })
            .collect()
    };
    let text = |name: &str| one(name).unwrap_or_default().to_string();

    let version = one(field::VERSION)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "The form has no edit version; reload the page and try again.".to_string())?;
    let op_word = one(field::OP).unwrap_or_default();
    let op = FormOp::from_word(op_word).ok_or_else(|| format!("Unknown edit {op_word:?}."))?;
    let op = match op {
        FormOp::Merge => {
            let creators = numbers(field::CREATORS)?;
            if creators.len() < 2 {
                return Err("Tick at least two creators to merge.".into());
            }
            // Without scripts the "keep" list is empty: the first ticked creator keeps its name.
            let keep = one(field::KEEP).and_then(|k| k.parse().ok()).filter(|k| creators.contains(k));
            EditOp::Edit(CreatorEdit::Merge { keep: keep.unwrap_or(creators[0]), creators })
        }
        FormOp::Hide | FormOp::Show => {
            let mut creators = numbers(field::CREATORS)?;
            if creators.is_empty() {
                creators.push(number(field::CREATOR).map_err(|_| "Tick a creator first.".to_string())?);
            }
            if op == FormOp::Hide {
                EditOp::Edit(CreatorEdit::Hide { creators, reason: text(field::REASON) })
            } else {
                EditOp::Edit(CreatorEdit::Show { creators })
            }
        }
        FormOp::Rename => {
            EditOp::Edit(CreatorEdit::Rename { creator: number(field::CREATOR)?, name: text(field::NAME) })
        }
        FormOp::Split | FormOp::Move => {
            let (creator, videos, tracks) = (number(field::CREATOR)?, numbers(field::VIDEOS)?, tracks()?);
            if videos.is_empty() && tracks.is_empty() {
                return Err("Tick the videos or faces to take out first.".into());
            }
            if op == FormOp::Split {
                EditOp::Edit(CreatorEdit::Split { creator, videos, tracks })
            } else {
                let to = number(field::TO).map_err(|_| "Choose the creator to move them to.".to_string())?;
                EditOp::Edit(CreatorEdit::Move { creator, videos, tracks, to })
            }
        }
        FormOp::Undo => EditOp::Undo,
        FormOp::Redo => EditOp::Redo,
    };
    Ok(PostedEdit { version, op, back_to: parse_back_to(run_id, fields) })
}

/// The page to go back to, also when the rest of the form is wrong.
pub fn parse_back_to(run_id: i64, fields: &[(String, String)]) -> String {
    back_to(run_id, fields.iter().find(|(k, _)| k == field::RETURN).map(|(_, v)| v.trim()))
}

/// The page to go back to: a path of this run's pages (never another site: no scheme, no
/// `//`), without an earlier edit's message.
fn back_to(run_id: i64, given: Option<&str>) -> String {
    let run_page = format!("/runs/{run_id}");
    let Some(given) = given else { return run_page };
    let (path, query) = given.split_once('?').unwrap_or((given, ""));
    let ours = path == run_page || path.strip_prefix(&run_page).is_some_and(|rest| rest.starts_with('/'));
    let safe = path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_".contains(c)) && !path.contains("//");
    if !(ours && safe) {
        return run_page;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !p.starts_with(&format!("{}=", field::EDIT_DONE))
                && !p.starts_with(&format!("{}=", field::EDIT_ERROR))
        })
        .collect();
    if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) }
}

#[cfg(test)]
mod tests;
