//! `POST /upload`: a multipart form with one `file` field. The file is parsed and stored, a run
//! is queued, and the browser is sent to the dataset's page (303), so the form works without
//! JavaScript. A file that cannot be read sends the browser back with one clear message.

use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use ips_core::ingest::{self, IngestError};
use ips_core::store::NewDataset;

use crate::web::AppState;

/// Longest dataset name kept from the uploaded file's name.
const MAX_NAME_CHARS: usize = 200;

pub async fn upload(State(state): State<AppState>, multipart: Multipart) -> Response {
    match receive(&state, multipart).await {
        Ok(dataset) => Redirect::to(&format!("/datasets/{dataset}")).into_response(),
        Err(message) => {
            let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
            Redirect::to(&format!("/?upload_error={encoded}")).into_response()
        }
    }
}

/// Returns the new dataset's id, or the message to show the user.
async fn receive(state: &AppState, mut multipart: Multipart) -> Result<i64, String> {
    let too_large = format!("The file is larger than the upload limit of {} MiB.", state.max_upload_mib);
    let mut upload = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large);
            }
            Err(e) => {
                return Err(format!("The upload did not arrive whole ({e}). Please try again."));
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload.csv").chars().take(MAX_NAME_CHARS).collect::<String>();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large);
            }
            Err(e) => {
                return Err(format!("The upload did not arrive whole ({e}). Please try again."));
            }
        };
        upload = Some((name, bytes));
    }
    let Some((name, bytes)) = upload else {
        return Err("Choose a CSV file to upload.".to_string());
    };

    let store = state.server.store.clone();
    let stored = tokio::task::spawn_blocking(move || -> Result<(i64, Option<i64>), String> {
        let sheet = ingest::parse_sheet(&bytes).map_err(|e: IngestError| e.to_string())?;
        let sha256 = ips_core::hash::sha256_hex(&bytes);
        let new = NewDataset { name: &name, sha256: &sha256, size_bytes: bytes.len() as u64, is_demo: false };
        let internal = |e: ips_core::store::StoreError| {
            tracing::error!("storing upload: {e}");
            "The server could not store the file; see its log.".to_string()
        };
        let dataset = store.insert_dataset(&new, &sheet).map_err(internal)?;
        let run = if sheet.accepted.is_empty() { None } else { Some(store.create_run(dataset).map_err(internal)?) };
        tracing::info!(dataset, accepted = sheet.accepted.len(), rejected = sheet.rejected.len(), "upload stored");
        Ok((dataset, run))
    })
    .await
    .map_err(|e| format!("The server failed while reading the file ({e})."))??;

    let (dataset, run) = stored;
    if let Some(run) = run {
        state.server.jobs.submit(run);
    }
    Ok(dataset)
}
