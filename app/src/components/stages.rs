//! The stages of a run as a row of steps: done, active (with its progress) or pending.

use leptos::prelude::*;

use crate::api::{RunView, StageView};

#[component]
pub fn StageList(stages: Vec<StageView>, run: RunView) -> impl IntoView {
    view! {
        <ol class="stages">
            {stages.into_iter().map(|s| {
                let progress = (s.state == "active").then(|| format!(" {} / {}", run.done, run.total));
                view! {
                    <li class=format!("stage-step {}", s.state) data-stage=s.name.clone()>
                        <span class="stage-name">{s.name.clone()}</span>
                        {progress.map(|p| view! { <span class="stage-progress">{p}</span> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
