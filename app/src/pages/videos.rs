//! A run's unique videos: stills, ads and performance, the URLs that show each, and hook
//! families side by side (the same body behind different hooks, each hook's results).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{CreatorEdit, VideoRow, VideosReport, get_run_videos};
use crate::components::{EditMessage, EditOp, Loaded, provide_editor, use_editor};
use crate::format;

#[component]
pub fn VideosPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
    let editor = provide_editor(true);
    let report = Resource::new(move || (id(), editor.changed.get()), |(id, _)| get_run_videos(id));
    view! {
        <Loaded
            resource=report
            title="Videos"
            render=|report: VideosReport| view! {
                        <Title text=format!("Videos · run {}", report.run_id) />
                        <section class="card">
                            <p class="crumbs">
                                <a href=format!("/runs/{}", report.run_id)>{format!("Run {} · {}", report.run_id, report.dataset_name)}</a>
                            </p>
                            <h1>"Unique videos"</h1>
                            <p class="muted">
                                "Files showing the same creative (re-encoded, re-framed, re-captioned, trimmed) count as one video."
                            </p>
                            {(!report.clip_on).then(|| view! {
                                <p class="notice" id="clip-off">
                                    "CLIP is off: similar creatives need the CLIP ViT-B/32 weights in "
                                    <code>"models/clip-vit-base-patch32/"</code>
                                    " (see models/README.md). Everything else works without them."
                                </p>
                            })}
                        </section>
                        {(!report.hook_families.is_empty()).then(|| view! {
                            <section class="card" id="hook-families">
                                <h2>"Hook variants"</h2>
                                <p class="muted">"The same body behind different openings: how each hook did."</p>
                                {report.hook_families.into_iter().map(|family| view! {
                                    <div class="family">
                                        {family.into_iter().map(|v| view! { <VideoCard video=v /> }).collect_view()}
                                    </div>
                                }).collect_view()}
                            </section>
                        })}
                        <section class="card">
                            {report.editable.then(|| view! { <MergeVideos run_id=report.run_id version=report.version /> })}
                            <table class="table videos" id="videos">
                                <thead>
                                    <tr>
                                        {report.editable.then(|| view! { <th><span class="visually-hidden">"Select"</span></th> })}
                                        <th class="num">"Video"</th>
                                        <th>"Stills"</th>
                                        <th class="num">"Files"</th>
                                        <th class="num">"Ads"</th>
                                        <th class="num">"Mean"</th>
                                        <th class="num">"Median"</th>
                                        <th>"Creator"</th>
                                        <th>"URLs"</th>
                                        <th title="The most alike other videos by CLIP (cosine similarity)">"Alike"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {report.videos.into_iter().map(|v| view! { <VideoTableRow run_id=report.run_id video=v pick=report.editable /> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }
        />
    }
}

#[component]
fn Stills(url: Option<String>, label: String) -> impl IntoView {
    match url {
        Some(url) => {
            view! { <img class="stills" src=url alt=format!("Stills of {label}") height="64" loading="lazy" /> }
                .into_any()
        }
        None => view! { <span class="muted">"no stills"</span> }.into_any(),
    }
}

#[component]
fn VideoCard(video: VideoRow) -> impl IntoView {
    let label = format!("video #{}", video.video_id);
    view! {
        <article class="video-card" data-video=video.video_id>
            <Stills url=video.stills_url.clone() label=label.clone() />
            <p>
                <strong>{format!("#{}", video.video_id)}</strong>
                {format!(" · {} ads · mean {}", video.ads, format::perf(video.mean))}
            </p>
        </article>
    }
}

/// The videos ticked in the table, to say they are one ad.
#[derive(Clone, Copy)]
struct Ticked(RwSignal<Vec<u32>>);

/// "Same ad": the ticked videos are one unique video (kept as a correction).
#[component]
fn MergeVideos(run_id: i64, version: i64) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    let ticked = RwSignal::new(Vec::<u32>::new());
    provide_context(Ticked(ticked));
    let count = move || ticked.read().len();
    view! {
        <div class="edit-bar" id="video-actions">
            <span class="muted" id="videos-ticked">{move || format!("{} ticked", count())}</span>
            <button class="secondary" id="same-ad" disabled=move || count() < 2 || busy.get()
                on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::SameAd { videos: ticked.get_untracked() }))>
                "Same ad: make one video"
            </button>
            <EditMessage />
        </div>
    }
}

#[component]
fn VideoTableRow(run_id: i64, video: VideoRow, pick: bool) -> impl IntoView {
    let label = format!("video #{}", video.video_id);
    let more = video.urls.len().saturating_sub(3);
    let id = video.video_id;
    let tick = pick.then(|| {
        let ticked = use_context::<Ticked>().map(|t| t.0);
        let toggle = move |_| {
            if let Some(t) = ticked {
                t.update(|s| match s.iter().position(|x| *x == id) {
                    Some(i) => {
                        s.remove(i);
                    }
                    None => s.push(id),
                })
            }
        };
        view! { <td><input type="checkbox" class="select-video" aria-label=format!("Select video #{id}") on:change=toggle /></td> }
    });
    view! {
        <tr data-video=video.video_id id=format!("video-{}", video.video_id)>
            {tick}
            <td class="num"><a href=format!("/runs/{}/videos/{}", run_id, video.video_id)>{format!("#{}", video.video_id)}</a></td>
            <td><Stills url=video.stills_url.clone() label /></td>
            <td class="num">{video.files}</td>
            <td class="num">{video.ads}</td>
            <td class="num mean">{format::perf(video.mean)}</td>
            <td class="num">{format::perf(video.median)}</td>
            <td>{video.creator.clone().unwrap_or_else(|| "–".to_string())}</td>
            <td><div class="video-links">
                {video.urls.iter().take(3).enumerate().map(|(i, url)| view! {
                    <a href=url.clone() target="_blank" rel="noopener noreferrer nofollow" title=url.clone()>
                        {format!("URL {}", i + 1)}
                    </a>
                }).collect_view()}
                {(more > 0).then(|| view! { <span class="muted">{format!("+{more} more")}</span> })}
            </div></td>
            <td class="similar">
                {match video.similar.clone() {
                    Some(near) if !near.is_empty() => near.into_iter().map(|(id, cosine)| view! {
                        <a href=format!("#video-{id}") title=format!("cosine similarity {cosine:.3}")>
                            {format!("#{id} ({cosine:.2})")}
                        </a>
                    }).collect_view().into_any(),
                    _ => view! { <span class="muted">"–"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}
