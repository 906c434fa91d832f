//! A dataset: what was read from the upload (accepted rows, problems per row) and its runs, live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{CancelRun, DatasetReport, ResumeRun, StartRun, get_dataset_report};
use crate::components::{Loaded, RunCard, use_poll};
use crate::format;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);

    let start = ServerAction::<StartRun>::new();
    let cancel = ServerAction::<CancelRun>::new();
    let resume = ServerAction::<ResumeRun>::new();
    let active = RwSignal::new(false);
    let tick = use_poll(active);
    let report = Resource::new(
        move || (id(), tick.get(), start.version().get(), cancel.version().get(), resume.version().get()),
        |(id, ..)| get_dataset_report(id),
    );

    view! {
        <Loaded
            resource=report
            title="Dataset"
            render=move |report: DatasetReport| {
                active.set(report.has_active_run());
                view! { <Report report start cancel resume /> }
            }
        />
    }
}

#[component]
fn Report(
    report: DatasetReport,
    start: ServerAction<StartRun>,
    cancel: ServerAction<CancelRun>,
    resume: ServerAction<ResumeRun>,
) -> impl IntoView {
    let action_error = move || {
        [start.value().get().and_then(Result::err), resume.value().get().and_then(Result::err)]
            .into_iter()
            .flatten()
            .next()
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    let has_active = report.has_active_run();
    view! {
        <Title text=report.name.clone() />
        <section class="card">
            <h1>
                {report.name.clone()}
                {report.is_demo.then(|| view! { <span class="tag">"demo data"</span> })}
            </h1>
            <p class="muted">
                {format!(
                    "Uploaded {} · video URLs from column “{}” · performance from “{}”",
                    format::timestamp(report.uploaded_at_ms), report.url_column, report.perf_column,
                )}
            </p>
            <div class="stats">
                <div class="stat" id="accepted-count">
                    <span class="stat-value">{report.accepted_rows}</span>
                    <span class="stat-label">"rows accepted"</span>
                </div>
                <div class="stat" class:warn=report.rejected_rows != 0 id="rejected-count">
                    <span class="stat-value">{report.rejected_rows}</span>
                    <span class="stat-label">"rows with problems"</span>
                </div>
            </div>
            {(!report.notices.is_empty()).then(|| view! {
                <ul class="notices">
                    {report.notices.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                </ul>
            })}
        </section>
        {(!report.problems.is_empty()).then(|| view! { <Problems dataset_id=report.id problems=report.problems.clone() /> })}
        <section class="card">
            <div class="section-head">
                <h2>"Runs"</h2>
                <ActionForm action=start attr:class="new-run">
                    <input type="hidden" name="dataset_id" value=report.id />
                    <details class="run-settings-form">
                        <summary>"Settings"</summary>
                        <label>
                            "Face detector "
                            <select name="detector" id="run-detector">
                                <option value="ssd" selected=report.default_settings.detector == "ssd">"SSD + face recognition"</option>
                                <option value="haar" selected=report.default_settings.detector == "haar">"Haar (prototype's; no recognition)"</option>
                            </select>
                        </label>
                        <label>
                            "Frames per second "
                            <input type="number" name="frames_per_second" id="run-fps" min="0.1" max="5" step="0.1"
                                value=report.default_settings.frames_per_second.to_string() class="narrow" />
                        </label>
                        <label title="Face-descriptor distance under which two face tracks are one creator: lower splits more, higher merges more">
                            "Creator distance "
                            <input type="number" name="max_distance" id="run-max-distance" min="0.2" max="0.8" step="0.01"
                                value=report.default_settings.max_distance.to_string() class="narrow" />
                        </label>
                    </details>
                    <button type="submit" class="primary" disabled=has_active>"Start a new run"</button>
                </ActionForm>
            </div>
            {action_error}
            {if report.runs.is_empty() {
                view! { <p class="muted">"No runs yet."</p> }.into_any()
            } else {
                report.runs.into_iter().map(|run| view! { <RunCard run cancel resume /> }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
fn Problems(dataset_id: i64, problems: Vec<crate::api::ProblemView>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Rows with problems"</h2>
            <p class="muted">
                "These rows were not used. Fix them in your file and upload it again. "
                <a href=format!("/datasets/{dataset_id}/rejected.csv") id="download-rejected" download="">"Download them as CSV"</a>
            </p>
            <table class="table" id="problems">
                <thead>
                    <tr>
                        <th class="num">"Row"</th>
                        <th>"Column"</th>
                        <th>"Problem"</th>
                        <th>"Video URL as given"</th>
                        <th>"Performance as given"</th>
                    </tr>
                </thead>
                <tbody>
                    {problems.into_iter().map(|p| view! {
                        <tr data-row=p.row>
                            <td class="num">{p.row}</td>
                            <td>{p.field}</td>
                            <td>{p.message}</td>
                            <td class="cell-clip">{p.video_url}</td>
                            <td>{p.performance}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
