//! The start page: upload a spreadsheet, see the datasets already uploaded.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::list_datasets;
use crate::components::{RunBadge, UploadForm};
use crate::format;

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let upload_error = move || query.read().get("upload_error");
    let datasets = Resource::new(|| (), |_| list_datasets());

    view! {
        <Title text="" />
        <section class="card">
            <h1>"Upload ads"</h1>
            <p class="lead">
                "A CSV with one row per ad: a video URL and a performance score (ROAS or similar). "
                "IPS groups the videos, finds the creators on camera and ranks them."
            </p>
            <UploadForm error=Signal::derive(upload_error) />
        </section>
        <section class="card">
            <h2>"Datasets"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match datasets.await {
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted" id="no-datasets">"Nothing uploaded yet."</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <table class="table" id="datasets">
                                <thead>
                                    <tr>
                                        <th>"File"</th>
                                        <th>"Uploaded"</th>
                                        <th class="num">"Rows accepted"</th>
                                        <th class="num">"Rows with problems"</th>
                                        <th>"Latest run"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|d| view! {
                                        <tr>
                                            <td>
                                                <a href=format!("/datasets/{}", d.id)>{d.name}</a>
                                                {d.is_demo.then(|| view! { <span class="tag">"demo"</span> })}
                                            </td>
                                            <td>{format::timestamp(d.uploaded_at_ms)}</td>
                                            <td class="num">{d.accepted_rows}</td>
                                            <td class="num">{d.rejected_rows}</td>
                                            <td>{d.latest_run.map(|r| view! { <RunBadge status=r.status /> })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
