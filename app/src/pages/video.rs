//! One unique video: its stills, the URLs (files) that show it, its ads and performance, its
//! creator, and the other hooks in front of the same body.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

mod evidence;

use evidence::Evidence;

use crate::api::{VideoDetail, get_video};
use crate::components::{AdsTable, EditMessage, Loaded, provide_editor};
use crate::format;

#[component]
pub fn VideoPage() -> impl IntoView {
    let params = use_params_map();
    let run = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
    let video = move || params.read().get("video").and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let editor = provide_editor(true);
    let detail = Resource::new(move || (run(), video(), editor.changed.get()), |(run, video, _)| get_video(run, video));
    view! { <Loaded resource=detail title="Video" render=|d: VideoDetail| view! { <Video d /> } /> }
}

#[component]
fn Video(d: VideoDetail) -> impl IntoView {
    let v = d.video.clone();
    let run_id = d.run_id;
    let ci =
        v.ci95.map(|(l, h)| format!("{} – {}", format::perf(l), format::perf(h))).unwrap_or_else(|| "–".to_string());
    view! {
        <Title text=format!("Video #{} · run {run_id}", v.video_id) />
        <section class="card">
            <p class="crumbs">
                <a href=format!("/runs/{run_id}")>{format!("Run {run_id} · {}", d.dataset_name)}</a>
                " › "
                <a href=format!("/runs/{run_id}/videos")>"Videos"</a>
            </p>
            <h1 id="video-title">{format!("Video #{}", v.video_id)}</h1>
            {v.stills_url.clone().map(|url| view! {
                <img class="stills stills-large" src=url alt=format!("Stills of video #{}", v.video_id) />
            })}
            <div class="stats">
                <div class="stat"><span class="stat-value">{v.ads}</span><span class="stat-label">"ads"</span></div>
                <div class="stat" id="video-mean"><span class="stat-value">{format::perf(v.mean)}</span><span class="stat-label">"mean performance"</span></div>
                <div class="stat"><span class="stat-value">{ci}</span><span class="stat-label">"95 % interval"</span></div>
                <div class="stat"><span class="stat-value">{v.files}</span><span class="stat-label">"distinct files"</span></div>
            </div>
            <p>
                "Creator: "
                {match (v.creator_id, v.creator.clone()) {
                    (Some(id), Some(label)) => view! { <a id="video-creator" href=format!("/runs/{run_id}/creators/{id}")>{label}</a> }.into_any(),
                    _ => view! { <a id="video-creator" href=format!("/runs/{run_id}/creators/none")>"nobody on camera"</a> }.into_any(),
                }}
                {(!d.also_on_camera.is_empty()).then(|| view! {
                    <span class="muted">
                        " · also on camera: "
                        {d.also_on_camera.iter().map(|(id, label)| view! {
                            <a href=format!("/runs/{run_id}/creators/{id}")>{label.clone()}</a>" "
                        }).collect_view()}
                    </span>
                })}
            </p>
            <h2>"URLs"</h2>
            <ul class="url-list" id="video-urls">
                {v.urls.iter().map(|u| view! {
                    <li><a href=u.clone() target="_blank" rel="noopener noreferrer nofollow">{u.clone()}</a></li>
                }).collect_view()}
                {v.other_urls.iter().map(|u| view! { <li>{u.clone()}</li> }).collect_view()}
            </ul>
        </section>
        {if d.links.is_empty() {
            // After "Not the same ad" took its last link away, the outcome is still said here.
            d.editable.then(|| view! { <section class="card edit-outcome"><EditMessage /></section> }).into_any()
        } else {
            view! {
                <Evidence run_id video_id=v.video_id version=d.version editable=d.editable files=d.files.clone() links=d.links.clone() />
            }
            .into_any()
        }}
        {(!d.unclustered.is_empty()).then(|| view! {
            <section class="card" id="unclustered-faces">
                <h2>{format!("Faces not counted as people ({})", d.unclustered.len())}</h2>
                <p class="muted">"Faces on products, and faces too small, brief or unclear to tell who they are. None of them is a creator here."</p>
                <div class="face-gallery">
                    {d.unclustered.iter().map(|f| view! {
                        <figure data-kind=f.kind.clone()>
                            {f.face_url.clone().map(|url| view! { <img class="face" src=url alt="Face not counted" width="96" height="96" loading="lazy" /> })}
                            <figcaption class="muted">{format!("{} · {}", format::clock(f.time_s), f.why)}</figcaption>
                        </figure>
                    }).collect_view()}
                </div>
            </section>
        })}
        {(!d.family.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Other hooks on the same body"</h2>
                <div class="video-grid">
                    {d.family.into_iter().map(|f| view! {
                        <a class="video-card" href=format!("/runs/{run_id}/videos/{}", f.video_id)>
                            {f.stills_url.clone().map(|url| view! { <img class="stills" src=url alt=format!("Stills of video #{}", f.video_id) height="64" loading="lazy" /> })}
                            <span><strong>{format!("#{}", f.video_id)}</strong>{format!(" · {} ads · mean {}", f.ads, format::perf(f.mean))}</span>
                        </a>
                    }).collect_view()}
                </div>
            </section>
        })}
        <section class="card">
            <h2>{format!("Ads ({})", d.ads.len())}</h2>
            <AdsTable run_id ads=d.ads />
        </section>
    }
}
