//! Server function of the upload's mapping step.

use leptos::prelude::*;

use crate::model::*;

/// Reads the kept upload `sha256` with the columns in `choices` (field key → header, `-` for
/// "not in this file"; missing keys are detected).
#[server(endpoint = "get_upload_preview")]
pub async fn get_upload_preview(
    sha256: String,
    choices: Vec<(String, String)>,
) -> Result<UploadPreview, ServerFnError> {
    crate::ssr::upload_preview(sha256, choices).await
}
