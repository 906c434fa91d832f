//! The mapping step's server side: read the kept upload with the user's column choices.

use ips_core::ingest::{self, ColumnChoices, Field};
use leptos::prelude::*;

use crate::model::{FieldChoice, PREVIEW_PROBLEMS, ProblemView, UploadPreview};

/// Rows shown in the preview table.
const SAMPLE_ROWS: usize = 8;

pub async fn upload_preview(sha256: String, choices: Vec<(String, String)>) -> Result<UploadPreview, ServerFnError> {
    if !ips_core::hash::is_sha256_hex(&sha256) {
        return Err(ServerFnError::new("This upload link is not valid; upload the file again."));
    }
    let state = super::state()?;
    let path = ips_core::pipeline::uploads_dir(&state.data_dir).join(&sha256);
    let choices: ColumnChoices = choices
        .into_iter()
        .filter_map(|(key, value)| Some((Field::from_key(&key)?, (value != "-").then_some(value))))
        .collect();
    let store = state.store.clone();
    let task = tokio::task::spawn_blocking(move || -> Result<UploadPreview, String> {
        let bytes =
            std::fs::read(&path).map_err(|_| "This upload is no longer on the server; upload the file again.")?;
        let preview = ingest::preview(&bytes, &choices, SAMPLE_ROWS).map_err(|e| e.to_string())?;
        let uploaded_before = store.datasets_with_sha256(&sha256).map_err(|e| e.to_string())?;
        Ok(view_of(sha256, preview, &choices, uploaded_before))
    });
    match task.await {
        Ok(Ok(preview)) => Ok(preview),
        Ok(Err(message)) => Err(ServerFnError::new(message)),
        Err(e) => Err(ServerFnError::new(format!("The server failed while reading the file ({e})."))),
    }
}

fn view_of(
    sha256: String,
    preview: ingest::Preview,
    choices: &ColumnChoices,
    uploaded_before: Vec<(i64, String)>,
) -> UploadPreview {
    let mapping = preview.parsed.as_ref().ok().map(|p| &p.mapping);
    let fields = Field::ALL
        .into_iter()
        .map(|field| {
            // The user's choice when given, else what detection found (when the file could be
            // mapped; otherwise the choice stays open).
            let column = match choices.iter().find(|(f, _)| *f == field) {
                Some((_, choice)) => choice.clone(),
                None => mapping.and_then(|m| m.column(field)).map(|(_, header)| header.clone()),
            };
            FieldChoice {
                key: field.key().to_string(),
                label: field.label().to_string(),
                required: field.is_required(),
                column,
            }
        })
        .collect();
    let (error, accepted, rejected, problems, notices) = match preview.parsed {
        Err(e) => (Some(e.to_string()), 0, 0, Vec::new(), Vec::new()),
        Ok(sheet) => {
            let problems = sheet
                .rejected
                .iter()
                .flat_map(|r| {
                    r.problems.iter().map(|p| ProblemView {
                        row: p.row,
                        field: p.field.clone(),
                        message: p.message.clone(),
                        video_url: r.video_url.clone(),
                        performance: r.performance.clone(),
                    })
                })
                .take(PREVIEW_PROBLEMS)
                .collect();
            (None, sheet.accepted.len() as u32, sheet.rejected.len() as u32, problems, sheet.notices)
        }
    };
    UploadPreview {
        sha256,
        headers: preview.headers,
        sample: preview.sample,
        total_rows: preview.total_rows as u32,
        fields,
        error,
        accepted,
        rejected,
        problems,
        notices,
        uploaded_before,
    }
}
