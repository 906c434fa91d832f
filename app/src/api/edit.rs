//! Server functions of the corrections: an edit, its undo and redo, each against the run's edit
//! version the page was rendered with.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::model::*;

#[server(input = Json, endpoint = "edit_creators")]
pub async fn edit_creators(run_id: i64, version: i64, edit: CreatorEdit) -> Result<EditResult, ServerFnError> {
    crate::ssr::edit::send(run_id, version, EditOp::Edit(edit)).await
}

#[server(input = Json, endpoint = "undo_edit")]
pub async fn undo_edit(run_id: i64, version: i64) -> Result<EditResult, ServerFnError> {
    crate::ssr::edit::send(run_id, version, EditOp::Undo).await
}

#[server(input = Json, endpoint = "redo_edit")]
pub async fn redo_edit(run_id: i64, version: i64) -> Result<EditResult, ServerFnError> {
    crate::ssr::edit::send(run_id, version, EditOp::Redo).await
}
