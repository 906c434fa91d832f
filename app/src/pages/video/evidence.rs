//! Why a video's files are one video (and why it shares a body with others): each link's kind
//! in words and its matched frames side by side, so a join can be checked in seconds; and, for
//! a wrong join, the button that splits a file out ("not the same ad").

use leptos::prelude::*;

use crate::api::{CreatorEdit, LinkView, VideoFile};
use crate::components::{EditMessage, EditOp, use_editor};
use crate::format;

/// Frame `index` of a file, cut out of its frame sheet.
#[component]
fn Frame(file: Option<VideoFile>, index: u32, time_s: f64) -> impl IntoView {
    let Some(f) = file.filter(|f| f.frames_url.is_some() && f.frame_width > 0) else {
        return view! { <span class="frame frame-missing">{format::clock(time_s)}</span> }.into_any();
    };
    let style = format!(
        "width:{}px;height:{}px;background-image:url('{}');background-position:-{}px 0",
        f.frame_width,
        f.frame_height,
        f.frames_url.unwrap_or_default(),
        index * f.frame_width
    );
    view! { <span class="frame" style=style role="img" aria-label=format!("Frame at {}", format::clock(time_s))></span> }
        .into_any()
}

/// The links of a video with their evidence.
#[component]
pub fn Evidence(
    run_id: i64,
    video_id: u32,
    version: i64,
    editable: bool,
    files: Vec<VideoFile>,
    links: Vec<LinkView>,
) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    let file = move |sha: &str| files.iter().find(|f| f.sha256 == sha).cloned();
    let name = {
        let file = file.clone();
        move |sha: &str| {
            let f = file(sha);
            let url =
                f.as_ref().and_then(|f| f.url.clone()).unwrap_or_else(|| format!("file {}", &sha[..8.min(sha.len())]));
            match f.map(|f| f.video_id) {
                Some(v) if v != video_id => {
                    view! { <a href=format!("/runs/{run_id}/videos/{v}")>{format!("#{v}")}</a>" "{url}  }.into_any()
                }
                _ => view! { <span>{url}</span> }.into_any(),
            }
        }
    };
    view! {
        <section class="card" id="evidence">
            <h2>"Why these files are one video"</h2>
            <p class="muted">"Each pair of files IPS joined, with frames it matched side by side. A wrong join can be split off: it is kept as a correction."</p>
            {editable.then(|| view! { <EditMessage /> })}
            {links.into_iter().map(|l| {
                let splittable = editable && l.kind != "same_body" && file(&l.b).is_some_and(|f| f.video_id == video_id);
                let b = l.b.clone();
                view! {
                    <div class="link" data-kind=l.kind.clone()>
                        <h3>{l.what.clone()}</h3>
                        <p class="muted link-files">{name(&l.a)}" ↔ "{name(&l.b)}</p>
                        <div class="frame-pairs">
                            {l.frames.iter().map(|p| view! {
                                <figure class="frame-pair" title=p.how.clone()>
                                    <Frame file=file(&l.a) index=p.a time_s=p.a_s />
                                    <Frame file=file(&l.b) index=p.b time_s=p.b_s />
                                    <figcaption class="muted">{format!("{} ↔ {}", format::clock(p.a_s), format::clock(p.b_s))}</figcaption>
                                </figure>
                            }).collect_view()}
                        </div>
                        {splittable.then(|| view! {
                            <button class="secondary split-file" disabled=move || busy.get()
                                on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::NotSameAd { video: video_id, files: vec![b.clone()] }))>
                                "Not the same ad: split this file out"
                            </button>
                        })}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
