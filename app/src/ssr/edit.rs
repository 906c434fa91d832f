//! Corrections: the page's edit requests turned into the core's, applied on the blocking pool,
//! and a run's edit history for the report page.

use std::collections::HashMap;
use std::sync::Arc;

use ips_core::corrections::{EditRequest, TrackRef};
use ips_core::grouping::Grouping;
use ips_core::pipeline::{self, EditError};
use ips_core::store::{RunId, Store, StoreError};
use leptos::prelude::*;

use super::state;
use crate::model::{CreatorEdit, EditLine, EditOp, EditResult, EditsView, FaceKey, IgnoredFace};

fn track(key: FaceKey) -> TrackRef {
    TrackRef { sha256: key.sha256, track: key.track }
}

fn tracks(keys: Vec<FaceKey>) -> Vec<TrackRef> {
    keys.into_iter().map(track).collect()
}

fn request(edit: CreatorEdit) -> EditRequest {
    match edit {
        CreatorEdit::Merge { creators, keep } => EditRequest::Merge { creators, keep },
        CreatorEdit::Split { creator, videos, tracks: t } => EditRequest::Split { creator, videos, tracks: tracks(t) },
        CreatorEdit::Move { creator, videos, tracks: t, to } => {
            EditRequest::Move { creator, videos, tracks: tracks(t), to }
        }
        CreatorEdit::Hide { creators, reason } => EditRequest::Hide { creators, reason },
        CreatorEdit::Show { creators } => EditRequest::Show { creators },
        CreatorEdit::IgnoreFace { track: t, reason } => EditRequest::IgnoreFace { track: track(t), reason },
        CreatorEdit::RestoreFace { track: t } => EditRequest::RestoreFace { track: track(t) },
        CreatorEdit::Rename { creator, name } => EditRequest::Rename { creator, name },
        CreatorEdit::SetFace { creator, track: t } => EditRequest::SetFace { creator, track: track(t) },
        CreatorEdit::CountAsPerson { track: t } => EditRequest::CountAsPerson { track: track(t) },
        CreatorEdit::NotSame { a, b } => EditRequest::NotSame { a, b },
        CreatorEdit::Unsure { a, b } => EditRequest::Unsure { a, b },
        CreatorEdit::SameAd { videos } => EditRequest::SameAd { videos },
        CreatorEdit::NotSameAd { video, files } => EditRequest::NotSameAd { video, files },
    }
}

/// A track that stays with the creator the page is about, to find that creator after the
/// regrouping renumbers creators: for a split or move, one the user did not take out.
fn followed_track(grouping: &Grouping, edit: &CreatorEdit) -> Option<TrackRef> {
    let (creator, videos, taken): (u32, &[u32], &[FaceKey]) = match edit {
        CreatorEdit::Merge { keep, .. } => (*keep, &[], &[]),
        CreatorEdit::Split { creator, videos, tracks } | CreatorEdit::Move { creator, videos, tracks, .. } => {
            (*creator, videos, tracks)
        }
        CreatorEdit::Rename { creator, .. } | CreatorEdit::SetFace { creator, .. } => (*creator, &[], &[]),
        CreatorEdit::Hide { creators, .. } | CreatorEdit::Show { creators } => (*creators.first()?, &[], &[]),
        CreatorEdit::IgnoreFace { track, .. } => {
            let owner = grouping
                .creators
                .iter()
                .find(|c| c.members.iter().any(|m| m.sha256 == track.sha256 && m.track == track.track))?;
            (owner.id, &[], std::slice::from_ref(track))
        }
        CreatorEdit::NotSame { a, .. } | CreatorEdit::Unsure { a, .. } => (*a, &[], &[]),
        CreatorEdit::RestoreFace { .. }
        | CreatorEdit::CountAsPerson { .. }
        | CreatorEdit::SameAd { .. }
        | CreatorEdit::NotSameAd { .. } => return None,
    };
    let files: Vec<&str> = grouping
        .videos
        .iter()
        .filter(|v| videos.contains(&v.id))
        .flat_map(|v| v.sha256s.iter().map(String::as_str))
        .collect();
    let c = grouping.creators.iter().find(|c| c.id == creator)?;
    c.members
        .iter()
        .find(|m| {
            !files.contains(&m.sha256.as_str()) && !taken.iter().any(|t| t.sha256 == m.sha256 && t.track == m.track)
        })
        .cloned()
}

fn creator_holding(store: &Store, run: RunId, track: Option<TrackRef>) -> Result<Option<u32>, StoreError> {
    let Some(track) = track else { return Ok(None) };
    Ok(store.grouping(run)?.creators.iter().find(|c| c.members.contains(&track)).map(|c| c.id))
}

/// Applies an edit, or undoes or redoes one, as `actor`. Blocks (SQLite); shared by the server
/// functions and the plain form route.
pub fn apply(
    store: &Store,
    run_id: RunId,
    version: i64,
    op: EditOp,
    actor: Option<&str>,
) -> Result<EditResult, EditError> {
    match op {
        EditOp::Edit(edit) => {
            let follow = followed_track(&store.grouping(run_id)?, &edit);
            let done = pipeline::edit_creators(store, run_id, version, &request(edit), actor)?;
            Ok(EditResult {
                summary: done.summary,
                version: done.version,
                creator: creator_holding(store, run_id, follow)?,
            })
        }
        EditOp::Undo | EditOp::Redo => {
            let done = if op == EditOp::Undo {
                pipeline::undo(store, run_id, version, actor)?
            } else {
                pipeline::redo(store, run_id, version, actor)?
            };
            Ok(EditResult { summary: done.summary, version: done.version, creator: None })
        }
    }
}

/// Why an edit was not applied: the sentence for the user and the HTTP status that says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: axum::http::StatusCode,
    pub message: String,
}

impl Refusal {
    /// The user's mistakes come back as they are (a stale page as a conflict), store failures
    /// as a short sentence (details in the log).
    fn of(e: EditError) -> Self {
        use axum::http::StatusCode;
        let (status, message) = match e {
            EditError::Pipeline(pipeline::PipelineError::Store(StoreError::NotFound { what, id })) => {
                (StatusCode::NOT_FOUND, format!("There is no {what} {id}."))
            }
            EditError::Pipeline(e) => {
                tracing::error!("edit failed: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, "The server could not apply the edit; see its log.".into())
            }
            e @ EditError::Stale { .. } => (StatusCode::CONFLICT, e.to_string()),
            e => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        };
        Refusal { status, message }
    }
}

/// [`apply`] on the blocking pool.
pub async fn apply_blocking(
    store: Arc<Store>,
    run_id: RunId,
    version: i64,
    op: EditOp,
    actor: Option<String>,
) -> Result<EditResult, Refusal> {
    match tokio::task::spawn_blocking(move || apply(&store, run_id, version, op, actor.as_deref())).await {
        Ok(done) => done.map_err(Refusal::of),
        Err(e) => {
            tracing::error!("edit task failed: {e}");
            Err(Refusal {
                status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                message: "The server failed while applying the edit; see its log.".into(),
            })
        }
    }
}

/// The server functions' way in: the page's edit as the visitor of this request; a refusal
/// answers with its status (409 for a page older than the run's edits).
pub async fn send(run_id: i64, version: i64, op: EditOp) -> Result<EditResult, ServerFnError> {
    apply_blocking(state()?.store, run_id, version, op, super::visitor().name).await.map_err(|refusal| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(refusal.status);
        }
        ServerFnError::new(refusal.message)
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use ips_core::pipeline::{EditError, PipelineError};
    use ips_core::store::StoreError;

    use super::Refusal;

    #[test]
    fn a_refusal_says_why_with_its_status() {
        let stale = Refusal::of(EditError::Stale { current: 3 });
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.message.starts_with("The creators of this run changed since you loaded the page"));
        let nothing = Refusal::of(EditError::NothingToUndo);
        assert_eq!(
            (nothing.status, nothing.message.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "There is nothing to undo in this run.")
        );
        let missing =
            Refusal::of(EditError::Pipeline(PipelineError::Store(StoreError::NotFound { what: "run", id: 9 })));
        assert_eq!((missing.status, missing.message.as_str()), (StatusCode::NOT_FOUND, "There is no run 9."));
        let broken = Refusal::of(EditError::Pipeline(PipelineError::Io("disk".into())));
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.message, "The server could not apply the edit; see its log.", "no internals shown");
    }
}

/// The run's corrections for the report page; `version` is the one read before the page's data.
pub fn edits_view(store: &Store, run: RunId, version: i64, grouping: &Grouping) -> Result<EditsView, StoreError> {
    let history = pipeline::history(store, run).map_err(|e| match e {
        EditError::Pipeline(pipeline::PipelineError::Store(e)) => e,
        other => StoreError::Corrupt(other.to_string()),
    })?;
    let video_of_file: HashMap<&str, u32> =
        grouping.videos.iter().flat_map(|v| v.sha256s.iter().map(move |s| (s.as_str(), v.id))).collect();
    let tracks = pipeline::run_tracks(store, run).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let ignored_faces = history
        .ignored_faces
        .into_iter()
        .map(|(t, reason)| {
            let face = tracks.get(&t.sha256).and_then(|ts| ts.iter().find(|x| x.index == t.track)?.face_file.clone());
            IgnoredFace {
                video_id: video_of_file.get(t.sha256.as_str()).copied(),
                face_url: face.map(|f| format!("/faces/{f}")),
                track: FaceKey { sha256: t.sha256, track: t.track },
                reason,
            }
        })
        .collect();
    Ok(EditsView {
        version,
        undo: history.undo,
        redo: history.redo,
        lines: history
            .lines
            .into_iter()
            .map(|l| EditLine {
                edit: l.edit,
                summary: l.summary,
                action: l.action,
                at_ms: l.at_ms,
                actor: l.actor,
                run_id: l.run_id,
                undone: l.undone,
            })
            .collect(),
        notes: history.notes.into_iter().map(|n| n.message).collect(),
        ignored_faces,
    })
}
