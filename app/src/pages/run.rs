//! A run's report: the influencer table, live while the run is going.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{CreatorRow, RunReport, get_run_report};
use crate::components::{RunBadge, StageList, use_poll};
use crate::format;

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
    let active = RwSignal::new(false);
    let tick = use_poll(active);
    let report = Resource::new(move || (id(), tick.get()), |(id, _)| get_run_report(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => view! {
                        <Title text="Report" />
                        <section class="card"><p class="error">{e.to_string()}</p></section>
                    }.into_any(),
                    Ok(report) => {
                        active.set(report.run.is_active);
                        view! { <Report report /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(report: RunReport) -> impl IntoView {
    let run = report.run.clone();
    let creators_on_camera = report.creators.iter().filter(|c| c.creator_id.is_some()).count();
    view! {
        <Title text=format!("Run {} · {}", run.id, report.dataset_name) />
        <section class="card">
            <p class="crumbs"><a href=format!("/datasets/{}", report.dataset_id)>{report.dataset_name.clone()}</a></p>
            <div class="run-head">
                <h1>{format!("Run {}", run.id)}</h1>
                <RunBadge status=run.status.clone() />
                {report.is_demo.then(|| view! { <span class="tag">"demo data"</span> })}
                <span class="muted">{format::elapsed(&run)}</span>
            </div>
            <StageList stages=report.stages.clone() run=run.clone() />
            {run.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            <div class="stats">
                <div class="stat" id="creator-count">
                    <span class="stat-value">{creators_on_camera}</span>
                    <span class="stat-label">"creators on camera"</span>
                </div>
                <a class="stat" id="video-count" href=format!("/runs/{}/videos", run.id)>
                    <span class="stat-value">{report.unique_videos}</span>
                    <span class="stat-label">"unique videos →"</span>
                </a>
                <div class="stat" class:warn=report.rows_failed != 0 id="failed-count">
                    <span class="stat-value">{report.rows_failed}</span>
                    <span class="stat-label">"ads whose video could not be fetched"</span>
                </div>
                <div class="stat" class:warn=report.rows_rejected != 0>
                    <span class="stat-value">{report.rows_rejected}</span>
                    <span class="stat-label">"rows rejected at upload"</span>
                </div>
            </div>
        </section>
        <section class="card">
            <h2>"Creators by mean performance"</h2>
            {if report.creators.is_empty() {
                view! { <p class="muted">{if run.is_active { "The table fills in when the run ends." } else { "No creators." }}</p> }.into_any()
            } else {
                view! { <CreatorTable creators=report.creators /> }.into_any()
            }}
        </section>
    }
}

#[component]
fn CreatorTable(creators: Vec<CreatorRow>) -> impl IntoView {
    view! {
        <table class="table creators" id="creators">
            <thead>
                <tr>
                    <th>"Creator"</th>
                    <th class="num">"Unique videos"</th>
                    <th class="num">"Ads"</th>
                    <th class="num">"Mean"</th>
                    <th class="num">"Median"</th>
                    <th class="num">"Std dev"</th>
                    <th class="num" title="95 % confidence interval of the mean (Student's t)">"95 % CI"</th>
                    <th>"Videos"</th>
                </tr>
            </thead>
            <tbody>
                {creators.into_iter().map(|c| view! {
                    <tr data-creator=c.creator_id.map(|id| id.to_string()).unwrap_or_default() class:still=c.still>
                        <td><div class="creator-cell">
                            {match c.face_url.clone() {
                                Some(url) => view! {
                                    <img class="face" src=url alt=format!("Face of {}", c.label) width="64" height="64" loading="lazy" />
                                }.into_any(),
                                None => view! { <span class="face face-none" aria-hidden="true">"–"</span> }.into_any(),
                            }}
                            <span class="creator-label">{c.label.clone()}</span>
                            {c.still.then(|| view! {
                                <span class="badge still" title="This face never changed while filmed: most likely a photo printed on the product. Listed after the people on camera.">
                                    "still face"
                                </span>
                            })}
                        </div></td>
                        <td class="num">{c.unique_videos}</td>
                        <td class="num">{c.ads}</td>
                        <td class="num mean">{format::perf(c.mean)}</td>
                        <td class="num">{format::perf(c.median)}</td>
                        <td class="num">{c.std_dev.map(format::perf).unwrap_or_else(|| "–".to_string())}</td>
                        <td class="num ci">{c.ci95.map(|(low, high)| format!("{} – {}", format::perf(low), format::perf(high))).unwrap_or_else(|| "–".to_string())}</td>
                        <td><div class="video-links">
                            {c.videos.into_iter().map(|v| view! {
                                <a href=v.url.clone() target="_blank" rel="noopener noreferrer nofollow"
                                   title=format!("{} (+{} more URLs)", v.url, v.other_urls)>
                                    {format!("#{}", v.video_id)}
                                </a>
                            }).collect_view()}
                        </div></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
