//! Server-side glue for the server functions: the shared state they find in the Leptos context,
//! and conversions from the core library's types to the page types in [`crate::model`].

use std::sync::Arc;

use ips_core::pipeline::limits;
use ips_core::pipeline::runs::{self, RunServiceError};
use ips_core::store::{Run, RunId, Store, StoreError, now_ms};
use leptos::prelude::*;

pub mod edit;
pub mod report;
mod upload;

pub use upload::upload_preview;

use crate::model::{DatasetReport, DatasetSummary, EventView, ProblemView, RunSettingsView, RunView};

/// Starts and stops runs. Implemented by the server's job runner; the app only asks.
pub trait JobControl: Send + Sync {
    /// Queues a run (new or resumed) for execution.
    fn submit(&self, run: RunId);
    /// Asks a run to stop; a queued run is cancelled at once.
    fn cancel(&self, run: RunId);
}

/// What every server function can reach, provided as Leptos context by the server.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<Store>,
    pub jobs: Arc<dyn JobControl>,
    /// The server's data directory (uploads waiting for their mapping, faces, stills).
    pub data_dir: std::path::PathBuf,
    /// The settings new runs start with (the server's configuration).
    pub pipeline: ips_core::pipeline::PipelineSettings,
}

/// Who is asking, as the server's access guard found it (it puts one in every request's
/// extensions). The default — no access token configured — is anyone, trusted, unnamed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visitor {
    /// The server has an access token: changes need signing in.
    pub access_required: bool,
    pub signed_in: bool,
    /// The name given at sign-in ("token holder" for scripts); recorded in the edit log.
    pub name: Option<String>,
}

/// The visitor of the request being served.
pub fn visitor() -> Visitor {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Visitor>().cloned())
        .unwrap_or_default()
}

pub fn state() -> Result<ServerState, ServerFnError> {
    use_context::<ServerState>().ok_or_else(|| ServerFnError::new("server state is missing"))
}

/// Runs a store call on the blocking pool (SQLite calls block), mapping errors for the page.
pub async fn with_store<T, F>(f: F) -> Result<T, ServerFnError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = state()?.store;
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(StoreError::NotFound { what, id })) => {
            // A page rendered for something that does not exist answers 404 (the data routes
            // render before sending, so the status still applies).
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::NOT_FOUND);
            }
            Err(ServerFnError::new(format!("There is no {what} {id}.")))
        }
        Ok(Err(e)) => {
            tracing::error!("store error: {e}");
            Err(ServerFnError::new("The server could not read its data; see its log."))
        }
        Err(e) => {
            tracing::error!("store task failed: {e}");
            Err(ServerFnError::new("The server failed while reading its data; see its log."))
        }
    }
}

pub fn run_view(store: &Store, run: Run, with_events: bool) -> Result<RunView, StoreError> {
    let events = if with_events {
        store.events(run.id)?.into_iter().map(|e| EventView { at_ms: e.at_ms, message: e.message }).collect()
    } else {
        Vec::new()
    };
    let elapsed_ms = run.started_at_ms.map(|start| run.finished_at_ms.unwrap_or_else(now_ms) - start);
    // The current stage began when the last one finished (or the run started).
    let stage_start = store.stage_finish_times(run.id)?.into_iter().map(|(_, at)| at).max().or(run.started_at_ms);
    let eta_ms = match stage_start {
        Some(start) if run.status.is_active() && run.done > 0 && run.total > run.done => {
            let spent = (now_ms() - start).max(0) as f64;
            Some((spent / run.done as f64 * (run.total - run.done) as f64).round() as i64)
        }
        _ => None,
    };
    let settings = ips_core::pipeline::run_settings(store, run.id).ok().flatten().map(|s| describe_settings(&s));
    Ok(RunView {
        id: run.id,
        status: run_state(run.status),
        stage: run.stage,
        done: run.done,
        total: run.total,
        created_at_ms: run.created_at_ms,
        elapsed_ms,
        error: run.error,
        is_active: run.status.is_active(),
        is_resumable: run.status.is_resumable(),
        eta_ms,
        settings,
        events,
    })
}

fn detector_name(kind: ips_core::faces::DetectorKind) -> &'static str {
    match kind {
        ips_core::faces::DetectorKind::Ssd => "ssd",
        ips_core::faces::DetectorKind::Haar => "haar",
    }
}

fn describe_settings(s: &ips_core::pipeline::PipelineSettings) -> String {
    let detector = match s.faces.detector {
        ips_core::faces::DetectorKind::Ssd => "SSD faces",
        ips_core::faces::DetectorKind::Haar => "Haar faces",
    };
    format!("{detector} · {} frames/s · creator distance {}", s.frames.per_second, s.creators.max_distance)
}

fn run_state(status: ips_core::store::RunStatus) -> crate::model::RunState {
    use crate::model::RunState;
    use ips_core::store::RunStatus;
    match status {
        RunStatus::Queued => RunState::Queued,
        RunStatus::Running => RunState::Running,
        RunStatus::Cancelled => RunState::Cancelled,
        RunStatus::Succeeded => RunState::Succeeded,
        RunStatus::Failed => RunState::Failed,
        RunStatus::Interrupted => RunState::Interrupted,
    }
}

pub fn settings_view(s: &ips_core::pipeline::PipelineSettings) -> RunSettingsView {
    RunSettingsView {
        detector: detector_name(s.faces.detector).to_string(),
        frames_per_second: s.frames.per_second,
        // `0.4f32 as f64` is 0.4000000059604645, which the form's number field (step 0.01) calls
        // invalid, and the browser then refuses to submit.
        max_distance: limits::as_written(s.creators.max_distance),
    }
}

/// The server's settings with the form's changes; each field is checked (the ranges of
/// [`ips_core::pipeline::limits`], as for the config file) and named if wrong.
pub fn settings_from_form(
    base: &ips_core::pipeline::PipelineSettings,
    detector: &str,
    frames_per_second: &str,
    max_distance: &str,
) -> Result<ips_core::pipeline::PipelineSettings, String> {
    let mut settings = base.clone();
    settings.faces.detector = match detector {
        "ssd" => ips_core::faces::DetectorKind::Ssd,
        "haar" => ips_core::faces::DetectorKind::Haar,
        other => return Err(format!("Unknown face detector '{other}': choose ssd or haar.")),
    };
    let said = |e: limits::OutOfRange| format!("{e}.");
    settings.frames.per_second =
        limits::parse_in_range("Frames per second", frames_per_second, limits::FRAMES_PER_SECOND).map_err(said)?;
    settings.creators.max_distance =
        limits::parse_in_range("The creator distance", max_distance, limits::CREATOR_DISTANCE).map_err(said)? as f32;
    // A cut above the asking band leaves nothing to ask about (the band is empty, not reversed).
    settings.creators.ask_max_distance = settings.creators.ask_max_distance.max(settings.creators.max_distance);
    runs::check_settings(&settings).map_err(|e| e.to_string())?;
    Ok(settings)
}

pub async fn start_run(
    dataset_id: i64,
    detector: String,
    frames_per_second: String,
    max_distance: String,
) -> Result<i64, ServerFnError> {
    let state = state()?;
    let settings = settings_from_form(&state.pipeline, &detector, &frames_per_second, &max_distance)
        .map_err(ServerFnError::new)?;
    let store = state.store.clone();
    let run = tokio::task::spawn_blocking(move || runs::start_run(&store, dataset_id, &settings))
        .await
        .map_err(|e| ServerFnError::new(format!("The server failed while starting the run ({e}).")))?
        .map_err(|e| run_service_error(e, "start the run"))?;
    state.jobs.submit(run);
    Ok(run)
}

/// A run service error as the page should say it: the user's mistakes as they are, a missing
/// dataset or run by name, store failures as a short sentence (details in the log).
fn run_service_error(e: RunServiceError, doing: &str) -> ServerFnError {
    match e {
        RunServiceError::Store(StoreError::NotFound { what, id }) => {
            ServerFnError::new(format!("There is no {what} {id}."))
        }
        RunServiceError::Store(e) => {
            tracing::error!("could not {doing}: {e}");
            ServerFnError::new(format!("The server could not {doing}; see its log."))
        }
        other => ServerFnError::new(other.to_string()),
    }
}

/// Queues a stopped run again (it continues where it stopped) and hands it to the runner.
pub async fn resume_run(run_id: i64) -> Result<(), ServerFnError> {
    let state = state()?;
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || runs::resume(&store, run_id))
        .await
        .map_err(|e| ServerFnError::new(format!("The server failed while resuming the run ({e}).")))?
        .map_err(|e| run_service_error(e, "resume the run"))?;
    state.jobs.submit(run_id);
    Ok(())
}

pub fn dataset_summaries(store: &Store) -> Result<Vec<DatasetSummary>, StoreError> {
    store
        .list_datasets()?
        .into_iter()
        .map(|d| {
            let latest_run = store.runs_for_dataset(d.id)?.into_iter().next();
            Ok(DatasetSummary {
                id: d.id,
                name: d.name,
                uploaded_at_ms: d.uploaded_at_ms,
                is_demo: d.is_demo,
                accepted_rows: d.accepted_rows,
                rejected_rows: d.rejected_rows,
                latest_run: latest_run.map(|r| run_view(store, r, false)).transpose()?,
            })
        })
        .collect()
}

pub fn dataset_report(
    store: &Store,
    id: i64,
    defaults: &ips_core::pipeline::PipelineSettings,
) -> Result<DatasetReport, StoreError> {
    let dataset = store.dataset(id)?;
    let problems = store
        .rejected_rows(id)?
        .into_iter()
        .flat_map(|row| {
            let (video_url, performance) = (row.video_url, row.performance);
            row.problems.into_iter().map(move |p| ProblemView {
                row: p.row,
                field: p.field,
                message: p.message,
                video_url: video_url.clone(),
                performance: performance.clone(),
            })
        })
        .collect();
    let runs = store
        .runs_for_dataset(id)?
        .into_iter()
        .enumerate()
        // The event log is shown for the newest run only.
        .map(|(i, run)| run_view(store, run, i == 0))
        .collect::<Result<_, _>>()?;
    Ok(DatasetReport {
        id: dataset.id,
        name: dataset.name,
        uploaded_at_ms: dataset.uploaded_at_ms,
        is_demo: dataset.is_demo,
        url_column: dataset.url_column,
        perf_column: dataset.perf_column,
        notices: dataset.notices,
        accepted_rows: dataset.accepted_rows,
        rejected_rows: dataset.rejected_rows,
        problems,
        runs,
        default_settings: settings_view(defaults),
    })
}

#[cfg(test)]
mod tests {
    use ips_core::faces::DetectorKind;
    use ips_core::pipeline::PipelineSettings;

    use super::{settings_from_form, settings_view};

    #[test]
    fn a_rerun_changes_only_what_the_form_says_and_checks_it() {
        let base = PipelineSettings::default();
        let s = settings_from_form(&base, "haar", "2", "0.4").unwrap();
        assert_eq!((s.faces.detector, s.frames.per_second, s.creators.max_distance), (DetectorKind::Haar, 2.0, 0.4));
        assert_eq!(s.fetch, base.fetch, "the rest is the server's");
        assert_eq!(
            settings_from_form(&base, "yolo", "1", "0.45").unwrap_err(),
            "Unknown face detector 'yolo': choose ssd or haar."
        );
        assert!(settings_from_form(&base, "ssd", "0", "0.45").unwrap_err().starts_with("Frames per second"));
        assert!(settings_from_form(&base, "ssd", "1", "NaN").unwrap_err().starts_with("The creator distance"));
        assert_eq!(
            settings_from_form(&base, "ssd", "9", "0.4").unwrap_err(),
            "Frames per second must be a number from 0.1 to 5, not '9'."
        );
        // A cut above the asking band empties the band.
        let s = settings_from_form(&base, "ssd", "1", "0.7").unwrap();
        assert_eq!((s.creators.max_distance, s.creators.ask_max_distance), (0.7, 0.7));
    }

    #[test]
    fn the_form_shows_the_creator_distance_as_written() {
        // The number field (step 0.01) refuses to submit 0.4000000059604645.
        for written in ["0.4", "0.45", "0.37", "0.2", "0.8"] {
            let mut s = PipelineSettings::default();
            s.creators.max_distance = written.parse().unwrap();
            assert_eq!(settings_view(&s).max_distance.to_string(), written);
        }
    }
}
