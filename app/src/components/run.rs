//! A run: its status, its stage and progress, what it logged, and the buttons that control it.

use leptos::prelude::*;

use crate::api::{CancelRun, ResumeRun, RunState, RunView};
use crate::format;

#[component]
pub fn RunBadge(status: RunState) -> impl IntoView {
    let word = status.word();
    view! { <span class=format!("badge status-{word}")>{word}</span> }
}

#[component]
pub fn RunCard(run: RunView, cancel: ServerAction<CancelRun>, resume: ServerAction<ResumeRun>) -> impl IntoView {
    let percent = if run.total == 0 { 0.0 } else { run.done as f64 * 100.0 / run.total as f64 };
    let stage = run.stage.clone().unwrap_or_else(|| "waiting".to_string());
    view! {
        <article class="run" id=format!("run-{}", run.id) data-status=run.status.word()>
            <header class="run-head">
                <h3>{format!("Run {}", run.id)}</h3>
                <RunBadge status=run.status />
                <a href=format!("/runs/{}", run.id) class="report-link">"Open report"</a>
                <span class="muted">{format::elapsed(&run)}</span>
            </header>
            <div class="progress-line">
                <span class="stage">{stage}</span>
                <progress max="100" value=format!("{percent:.0}")></progress>
                <span class="count" data-done=run.done data-total=run.total>
                    {format!("{} / {}", run.done, run.total)}
                    {run.eta_ms.map(|ms| view! { <span class="eta">{format!(" · about {} left", format::duration(ms))}</span> })}
                </span>
            </div>
            {run.settings.clone().map(|s| view! { <p class="muted run-settings">{s}</p> })}
            {run.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            <div class="actions">
                {run.is_active.then(|| view! {
                    <ActionForm action=cancel>
                        <input type="hidden" name="run_id" value=run.id />
                        <button type="submit" class="danger">"Cancel"</button>
                    </ActionForm>
                })}
                {run.is_resumable.then(|| view! {
                    <ActionForm action=resume>
                        <input type="hidden" name="run_id" value=run.id />
                        <button type="submit">"Resume"</button>
                    </ActionForm>
                })}
            </div>
            {(!run.events.is_empty()).then(|| view! {
                <details class="events" open=run.is_active>
                    <summary>"Log"</summary>
                    <ol>
                        {run.events.iter().map(|e| view! {
                            <li><time>{format::timestamp(e.at_ms)}</time>" "{e.message.clone()}</li>
                        }).collect_view()}
                    </ol>
                </details>
            })}
        </article>
    }
}
