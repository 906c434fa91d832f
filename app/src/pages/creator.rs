//! One creator: every face track found (the gallery the grouping was made from), the creator's
//! statistics and performance strip, its unique videos with stills, and every ad.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{CreatorDetail, get_creator};
use crate::components::{AdsTable, Loaded, provide_editor};
use crate::format;

mod edit;

use edit::{CreatorEditor, Editing, FaceControls, Selection, VideoPick};

#[component]
pub fn CreatorPage() -> impl IntoView {
    let params = use_params_map();
    let run = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
    let creator = move || params.read().get("creator").unwrap_or_default();
    let editor = provide_editor(false);
    // An edit can renumber creators: follow this one to its new id (or to the run when it is gone).
    let navigate = use_navigate();
    Effect::new(move |_| {
        let result = editor.action.value().get();
        if let Some(Err(_)) = result {
            editor.changed.update(|c| *c += 1);
        }
        if let Some(Ok(done)) = result {
            // Only a new result moves the page (not coming back to another creator later).
            let (run, here) =
                params.with_untracked(|p| (p.get("id").unwrap_or_default(), p.get("creator").unwrap_or_default()));
            let target = match done.creator {
                // Still this creator: reload its data. Else go where it went (no reload of an id
                // that may mean nobody now).
                Some(id) if id.to_string() == here => return editor.changed.update(|c| *c += 1),
                Some(id) => format!("/runs/{run}/creators/{id}"),
                None => format!("/runs/{run}"),
            };
            navigate(&target, Default::default());
        }
    });
    let detail =
        Resource::new(move || (run(), creator(), editor.changed.get()), |(run, creator, _)| get_creator(run, creator));
    view! { <Loaded resource=detail title="Creator" render=|d: CreatorDetail| view! { <Creator d /> } /> }
}

#[component]
fn Creator(d: CreatorDetail) -> impl IntoView {
    let c = d.creator.clone();
    let run_id = d.run_id;
    let selection = Selection::new();
    let editing = (d.editable && c.creator_id.is_some()).then(|| Editing {
        run_id,
        version: d.version,
        creator: c.creator_id.unwrap_or_default(),
        label: c.label.clone(),
        hidden: c.hidden,
    });
    let ci =
        c.ci95.map(|(l, h)| format!("{} – {}", format::perf(l), format::perf(h))).unwrap_or_else(|| "–".to_string());
    let stat = |value: String, label: &'static str, id: &'static str| {
        view! {
            <div class="stat" id=id>
                <span class="stat-value">{value}</span>
                <span class="stat-label">{label}</span>
            </div>
        }
    };
    view! {
        <Title text=format!("{} · run {}", c.label, run_id) />
        <section class="card">
            <p class="crumbs"><a href=format!("/runs/{run_id}")>{format!("Run {run_id} · {}", d.dataset_name)}</a></p>
            <div class="creator-head">
                {c.face_url.clone().map(|url| view! {
                    <img class="face face-large" src=url alt=format!("Face of {}", c.label) width="128" height="128" />
                })}
                <div>
                    <h1 id="creator-name">{c.label.clone()}</h1>
                    {c.still.then(|| view! { <span class="badge still">"still face: probably a printed photo"</span> })}
                    {c.hidden.then(|| view! { <span class="badge">"hidden"</span> })}
                </div>
            </div>
            <div class="stats">
                {stat(c.ads.to_string(), "ads", "creator-ads")}
                {stat(c.unique_videos.to_string(), "unique videos", "creator-videos")}
                {stat(format::perf(c.mean), "mean performance", "creator-mean")}
                {stat(ci, "95 % interval of the mean", "creator-ci")}
                {stat(format::perf(c.median), "median", "creator-median")}
                {c.spend_weighted_mean.map(|m| stat(format::perf(m), "spend-weighted mean", "creator-spend-mean"))}
                {c.spend.map(|s| stat(format::amount(s), "spend", "creator-spend"))}
            </div>
            {d.distribution.map(|svg| view! { <div class="chart-box" inner_html=svg></div> })}
            {editing.clone().map(|editing| view! { <CreatorEditor editing others=d.others.clone() selection /> })}
        </section>
        {(!d.faces.is_empty()).then(|| view! {
            <section class="card">
                <h2>{format!("Faces ({} tracks)", d.faces.len())}</h2>
                <p class="muted">
                    "Each face is the best frame of one appearance; the grouping was made from these. "
                    "The least typical face comes first: if one is not this person, it is most likely there."
                </p>
                <div class="face-gallery" id="faces">
                    {d.faces.into_iter().map(|f| {
                        let tools = editing.clone().map(|editing| view! { <FaceControls editing face=f.clone() selection /> });
                        view! {
                            <figure class:the-face=f.is_face data-distance=format!("{:.3}", f.distance)>
                                <img class="face" src=f.face_url.clone() alt="Face track" width="96" height="96" loading="lazy" />
                                <figcaption class="muted" title="Distance of this face to the creator's other faces (0: typical)">
                                    {f.video_id.map(|v| view! { <a href=format!("/runs/{run_id}/videos/{v}")>{format!("#{v}")}</a> })}
                                    {format!(" {}–{} · {:.2}", format::clock(f.first_s), format::clock(f.last_s), f.distance)}
                                    {f.attached.then(|| view! { <span class="badge" title="Unclear, joined because it is clearly closest to this creator">"attached"</span> })}
                                </figcaption>
                                {tools}
                            </figure>
                        }
                    }).collect_view()}
                </div>
            </section>
        })}
        <section class="card">
            <h2>"Unique videos"</h2>
            <div class="video-grid" id="creator-videos">
                {d.videos.into_iter().map(|v| {
                    let pick = editing.is_some().then(|| view! { <VideoPick video_id=v.video_id selection /> });
                    view! {
                        <div class="video-pick" data-video=v.video_id>
                            <a class="video-card" href=format!("/runs/{run_id}/videos/{}", v.video_id)>
                                {v.stills_url.clone().map(|url| view! {
                                    <img class="stills" src=url alt=format!("Stills of video #{}", v.video_id) height="64" loading="lazy" />
                                })}
                                <span>
                                    <strong>{format!("#{}", v.video_id)}</strong>
                                    {format!(" · {} ads · mean {}", v.ads, format::perf(v.mean))}
                                </span>
                            </a>
                            {pick}
                        </div>
                    }
                }).collect_view()}
            </div>
            {(!d.appears_in.is_empty()).then(|| view! {
                <p class="muted">
                    "Also on camera, beside someone more present, in "
                    {d.appears_in.iter().map(|v| view! { <a href=format!("/runs/{run_id}/videos/{v}")>{format!("#{v}")}</a>" " }).collect_view()}
                </p>
            })}
        </section>
        <section class="card">
            <h2>{format!("Ads ({})", d.ads.len())}</h2>
            <AdsTable run_id ads=d.ads />
        </section>
    }
}
