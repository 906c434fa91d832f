//! The run page's questions about faces: "Same person?" (two creators IPS is unsure about, best
//! faces side by side, Yes / No / Skip) and the faces on products it left out (each can be
//! counted as a person). Every answer is a correction, kept as rules about the faces, so it
//! holds when the dataset runs again.

use leptos::prelude::*;

use super::{EditOp, use_editor};
use crate::api::{CreatorEdit, LeftOutFace, SamePersonQuestion};

/// One "Same person?" question at a time, nearest pair first.
#[component]
pub fn SamePersonQueue(run_id: i64, version: i64, questions: Vec<SamePersonQuestion>) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    // Every answer (Skip too: "cannot tell, do not ask again") is a write; the page reloads with
    // the next question first.
    let total = questions.len();
    let current = move || questions.first().cloned();
    let answer = move |edit: CreatorEdit| editor.send(run_id, version, EditOp::Edit(edit));
    view! {
        <section class="card" id="same-person">
            <h2>"Same person?"</h2>
            <p class="muted">
                "IPS is not sure whether these creators are one person. Your answer is kept as a correction and holds when the dataset runs again."
            </p>
            {move || match current() {
                None => view! { <p class="muted" id="same-person-done">"No more questions."</p> }.into_any(),
                Some(q) => {
                    let (a, b) = (q.a.id, q.b.id);
                    let face = |c: &crate::api::CreatorChoice| {
                        let label = c.label.clone();
                        let href = format!("/runs/{run_id}/creators/{}", c.id);
                        view! {
                            <figure class="question-face">
                                {c.face_url.clone().map(|url| view! {
                                    <img class="face large" src=url alt=format!("Face of {label}") width="160" height="160" />
                                })}
                                <figcaption><a href=href>{c.label.clone()}</a></figcaption>
                            </figure>
                        }
                    };
                    view! {
                        <div class="question" data-a=a.to_string() data-b=b.to_string()>
                            <p class="muted" id="question-count">{format!("{total} to answer")}</p>
                            <div class="question-faces">{face(&q.a)}{face(&q.b)}</div>
                            <div class="edit-bar">
                                <button id="same-yes" disabled=move || busy.get()
                                    on:click=move |_| answer(CreatorEdit::Merge { creators: vec![a, b], keep: a })>
                                    "Yes, one person"
                                </button>
                                <button class="secondary" id="same-no" disabled=move || busy.get()
                                    on:click=move |_| answer(CreatorEdit::NotSame { a, b })>
                                    "No, two people"
                                </button>
                                <button class="secondary" id="same-skip" disabled=move || busy.get()
                                    on:click=move |_| answer(CreatorEdit::Unsure { a, b })>
                                    "Skip"
                                </button>
                            </div>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// Faces IPS took for prints on products; one click counts one as a person.
#[component]
pub fn FacesOnProducts(run_id: i64, version: Option<i64>, faces: Vec<LeftOutFace>) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    let count = faces.len();
    view! {
        <section class="card" id="faces-on-products">
            <h2>{format!("Faces on products ({count})")}</h2>
            <p class="muted">
                "Faces that never changed while filmed: photos on keychains and lamps, pictures in posts. They are not creators. "
                "If one is a person, count it as a person."
            </p>
            <div class="face-gallery">
                {faces.into_iter().map(|f| {
                    let key = f.key.clone();
                    view! {
                        <figure data-track=format!("{}:{}", f.key.sha256, f.key.track)>
                            {f.face_url.clone().map(|url| view! { <img class="face" src=url alt="Face on a product" width="96" height="96" loading="lazy" /> })}
                            <figcaption class="muted" title=f.why.clone()>
                                <a href=format!("/runs/{run_id}/videos/{}", f.video_id)>{format!("#{} at {:.0} s", f.video_id, f.time_s)}</a>
                            </figcaption>
                            {version.map(|version| view! {
                                <button class="secondary count-as-person" disabled=move || busy.get()
                                    on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::CountAsPerson { track: key.clone() }))>
                                    "This is a person"
                                </button>
                            })}
                        </figure>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
