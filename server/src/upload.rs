//! Uploads in two steps, both plain forms so they work before the page has hydrated:
//!
//! 1. `POST /upload` (multipart, one `file` field): the file is checked to be a readable CSV or
//!    workbook and kept, by content hash, in `<data>/uploads/`; the browser goes to the mapping
//!    page `/uploads/<sha256>` (303). An unreadable file sends it back with one clear message.
//! 2. `POST /uploads/<sha256>/start` (the mapping form: one field per [`Field`] key naming a
//!    header, `-` for "not in this file"): the file is read with those columns, stored as a
//!    dataset with every row, a run is queued, and the browser goes to the dataset's page.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ips_core::ingest::{self, ColumnChoices, Field};
use ips_core::pipeline::runs;

use crate::state::AppState;

/// Longest dataset name kept from the uploaded file's name.
const MAX_NAME_CHARS: usize = 200;

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub async fn upload(State(state): State<AppState>, multipart: Multipart) -> Response {
    match receive(&state, multipart).await {
        Ok((sha256, name)) => Redirect::to(&format!("/uploads/{sha256}?name={}", encode(&name))).into_response(),
        Err(message) => Redirect::to(&format!("/?upload_error={}", encode(&message))).into_response(),
    }
}

/// Returns the kept file's hash and name, or the message to show the user.
async fn receive(state: &AppState, mut multipart: Multipart) -> Result<(String, String), String> {
    let too_large = format!("The file is larger than the upload limit of {} MiB.", state.max_upload_mib);
    let mut upload = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
            Err(e) => return Err(format!("The upload did not arrive whole ({e}). Please try again.")),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload.csv").chars().take(MAX_NAME_CHARS).collect::<String>();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
            Err(e) => return Err(format!("The upload did not arrive whole ({e}). Please try again.")),
        };
        upload = Some((name, bytes));
    }
    let Some((name, bytes)) = upload else {
        return Err("Choose a CSV or Excel file to upload.".to_string());
    };
    let dir = ips_core::pipeline::uploads_dir(&state.server.data_dir);
    tokio::task::spawn_blocking(move || -> Result<(String, String), String> {
        // Only the file's readability is checked here; columns are the mapping step's business.
        ingest::preview(&bytes, &ColumnChoices::new(), 0).map_err(|e| e.to_string())?;
        let sha256 = ips_core::hash::sha256_hex(&bytes);
        keep(&dir, &sha256, &bytes).map_err(|e| {
            tracing::error!("keeping upload: {e}");
            "The server could not store the file; see its log.".to_string()
        })?;
        Ok((sha256, name))
    })
    .await
    .map_err(|e| format!("The server failed while reading the file ({e})."))?
}

/// Writes the upload under its hash (atomically: a half-written file is never read).
fn keep(dir: &std::path::Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(sha256);
    if path.exists() {
        return Ok(());
    }
    let partial = dir.join(format!("{sha256}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(partial, path)
}

/// The mapping form's fields: `name` and one per [`Field`] key.
pub fn choices_from_form(fields: &[(String, String)]) -> ColumnChoices {
    fields
        .iter()
        .filter_map(|(key, value)| {
            let field = Field::from_key(key)?;
            Some((field, (value != "-").then(|| value.clone())))
        })
        .collect()
}

pub async fn start(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let name = fields.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    let back = |message: &str| {
        let mut query = format!("name={}&error={}", encode(&name), encode(message));
        for (key, value) in fields.iter().filter(|(k, _)| Field::from_key(k).is_some()) {
            query.push_str(&format!("&{key}={}", encode(value)));
        }
        Redirect::to(&format!("/uploads/{sha256}?{query}")).into_response()
    };
    if !ips_core::hash::is_sha256_hex(&sha256) {
        return back("This upload link is not valid; upload the file again.");
    }
    let choices = choices_from_form(&fields);
    let store = state.server.store.clone();
    let path = ips_core::pipeline::uploads_dir(&state.server.data_dir).join(&sha256);
    let name_for_store = if name.is_empty() { "upload".to_string() } else { name.clone() };
    let stored = tokio::task::spawn_blocking(move || -> Result<(i64, Option<i64>), String> {
        let bytes =
            std::fs::read(&path).map_err(|_| "This upload is no longer on the server; upload the file again.")?;
        let file = runs::Import { name: &name_for_store, bytes: &bytes, columns: &choices, is_demo: false };
        let imported = runs::import(&store, &file).map_err(|e| match e {
            runs::RunServiceError::Store(e) => {
                tracing::error!("storing upload: {e}");
                "The server could not store the file; see its log.".to_string()
            }
            other => other.to_string(),
        })?;
        let (accepted, rejected) = (imported.sheet.accepted.len(), imported.sheet.rejected.len());
        tracing::info!(dataset = imported.dataset, accepted, rejected, "upload stored");
        Ok((imported.dataset, imported.run))
    })
    .await;
    match stored {
        Ok(Ok((dataset, run))) => {
            if let Some(run) = run {
                state.server.jobs.submit(run);
            }
            Redirect::to(&format!("/datasets/{dataset}")).into_response()
        }
        Ok(Err(message)) => back(&message),
        Err(e) => back(&format!("The server failed while reading the file ({e}).")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_column_choices() {
        let form = [
            ("name".to_string(), "ads.xlsx".to_string()),
            ("performance".to_string(), "ROAS".to_string()),
            ("spend".to_string(), "-".to_string()),
            ("bogus".to_string(), "x".to_string()),
        ];
        assert_eq!(
            choices_from_form(&form),
            vec![(Field::Performance, Some("ROAS".to_string())), (Field::Spend, None)]
        );
    }
}
