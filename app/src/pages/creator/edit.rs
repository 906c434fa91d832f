//! The creator page's corrections: rename, hide or restore, choose the face, leave a face out,
//! and split or move the videos and faces ticked on the page.

use leptos::prelude::*;

use crate::api::{CreatorChoice, CreatorEdit, FaceKey, TrackFace};
use crate::components::{EditFormFields, EditMessage, EditOp, edit_form_action, use_editor};
use crate::model::edit_form::{FormOp, field, track_value};

/// The form the page's tick boxes belong to: split, or move to another creator.
const PICK_FORM: &str = "pick-form";

/// The videos and faces ticked on the page.
#[derive(Clone, Copy)]
pub struct Selection {
    pub videos: RwSignal<Vec<u32>>,
    pub tracks: RwSignal<Vec<FaceKey>>,
}

impl Selection {
    pub fn new() -> Self {
        Self { videos: RwSignal::new(Vec::new()), tracks: RwSignal::new(Vec::new()) }
    }

    fn is_empty(&self) -> bool {
        self.videos.read().is_empty() && self.tracks.read().is_empty()
    }
}

fn toggle<T: PartialEq>(list: &mut Vec<T>, item: T) {
    match list.iter().position(|x| *x == item) {
        Some(i) => {
            list.remove(i);
        }
        None => list.push(item),
    }
}

/// What the page knows of the creator being edited.
#[derive(Clone)]
pub struct Editing {
    pub run_id: i64,
    pub version: i64,
    pub creator: u32,
    pub label: String,
    pub hidden: bool,
}

#[component]
pub fn CreatorEditor(editing: Editing, others: Vec<CreatorChoice>, selection: Selection) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    let Editing { run_id, version, creator, label, hidden } = editing;
    let send = move |edit: CreatorEdit| editor.send(run_id, version, EditOp::Edit(edit));
    let name = RwSignal::new(label);
    let reason = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let target = RwSignal::new(None::<u32>);
    let nothing_picked = move || selection.is_empty();
    let picked = move || (selection.videos.get_untracked(), selection.tracks.get_untracked());
    let matching = move || {
        let needle = search.get().trim().to_lowercase();
        others
            .iter()
            .filter(|c| needle.is_empty() || c.label.to_lowercase().contains(&needle))
            .take(24)
            .cloned()
            .collect::<Vec<_>>()
    };
    let creator_field = move || view! { <input type="hidden" name=field::CREATOR value=creator.to_string() /> };
    view! {
        <div class="edit-panel" id="creator-edit">
            <form class="edit-bar" method="post" action=edit_form_action(run_id)>
                <EditFormFields version />
                {creator_field()}
                <label>"Name " <input type="text" id="rename" name=field::NAME maxlength="120" bind:value=name /></label>
                <button class="secondary" type="submit" id="rename-save" name=field::OP value=FormOp::Rename.word()
                    disabled=move || busy.get() on:click=move |ev| {
                        ev.prevent_default();
                        send(CreatorEdit::Rename { creator, name: name.get_untracked() });
                    }>"Rename"</button>
            </form>
            <form class="edit-bar" method="post" action=edit_form_action(run_id)>
                <EditFormFields version />
                {creator_field()}
                <input type="text" id="edit-reason" name=field::REASON placeholder="reason (optional)" maxlength="500" bind:value=reason />
                {if hidden {
                    view! { <button class="secondary" id="restore-creator" type="submit" name=field::OP value=FormOp::Show.word()
                        disabled=move || busy.get() on:click=move |ev| {
                            ev.prevent_default();
                            send(CreatorEdit::Show { creators: vec![creator] });
                        }>"Restore"</button> }.into_any()
                } else {
                    view! { <button class="secondary" id="hide-creator" type="submit" name=field::OP value=FormOp::Hide.word()
                        disabled=move || busy.get() on:click=move |ev| {
                            ev.prevent_default();
                            send(CreatorEdit::Hide { creators: vec![creator], reason: reason.get_untracked() });
                        }>"Hide"</button> }.into_any()
                }}
            </form>
            // The tick boxes of the page's videos and faces belong to this form (by its id).
            <form id=PICK_FORM method="post" action=edit_form_action(run_id)>
                <EditFormFields version />
                {creator_field()}
                <div class="edit-bar" role="toolbar" aria-label="Split or move the ticked videos and faces">
                    <span class="muted" id="picked-count">
                        {move || format!("{} videos, {} faces ticked", selection.videos.read().len(), selection.tracks.read().len())}
                    </span>
                    <button class="secondary" id="split" type="submit" name=field::OP value=FormOp::Split.word()
                        disabled=editor.disabled(nothing_picked) on:click=move |ev| {
                            ev.prevent_default();
                            let (videos, tracks) = picked();
                            send(CreatorEdit::Split { creator, videos, tracks });
                        }>"Split into a new creator"</button>
                </div>
                <fieldset class="move-to">
                    <legend>"Move the ticked videos and faces to"</legend>
                    // Filters the list in the browser; Enter must not post the form.
                    <input type="search" id="move-search" placeholder="search creators by name" bind:value=search
                        on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default() } />
                    <div class="creator-picker" id="move-targets">
                        {move || matching().into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <label class="creator-choice" class:chosen=move || target.get() == Some(id)>
                                    <input type="radio" name=field::TO value=id.to_string()
                                        prop:checked=move || target.get() == Some(id) on:change=move |_| target.set(Some(id)) />
                                    {c.face_url.map(|url| view! { <img class="face" src=url alt="" width="40" height="40" loading="lazy" /> })}
                                    <span>{c.label}</span>
                                    {c.hidden.then(|| view! { <span class="badge">"hidden"</span> })}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <button class="secondary" id="move" type="submit" name=field::OP value=FormOp::Move.word()
                        disabled=editor.disabled(move || nothing_picked() || target.get().is_none())
                        on:click=move |ev| {
                            ev.prevent_default();
                            let (videos, tracks) = picked();
                            if let Some(to) = target.get_untracked() {
                                send(CreatorEdit::Move { creator, videos, tracks, to });
                            }
                        }>"Move"</button>
                </fieldset>
            </form>
            <EditMessage />
        </div>
    }
    // Type erasure: the page's view type is otherwise too deep for the compiler.
    .into_any()
}

/// A face track's tick box and its own edits (use as the face, leave out).
#[component]
pub fn FaceControls(editing: Editing, face: TrackFace, selection: Selection) -> impl IntoView {
    let editor = use_editor();
    let busy = editor.pending();
    let Editing { run_id, version, creator, .. } = editing;
    let key = face.key.clone();
    let (for_tick, for_check, for_face, for_leave) = (key.clone(), key.clone(), key.clone(), key);
    view! {
        <div class="face-tools">
            <label><input type="checkbox" class="pick-face" aria-label="Tick this face"
                form=PICK_FORM name=field::TRACKS value=track_value(&face.key)
                prop:checked=move || selection.tracks.read().contains(&for_check)
                on:change=move |_| selection.tracks.update(|t| toggle(t, for_tick.clone())) />" tick"</label>
            {if face.is_face {
                view! { <span class="badge">"the face"</span> }.into_any()
            } else {
                view! { <button class="link use-face" disabled=move || busy.get()
                    on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::SetFace { creator, track: for_face.clone() }))>"use as face"</button> }.into_any()
            }}
            <button class="link leave-out" title="Not a creator (a print, stock footage): leave this face out" disabled=move || busy.get()
                on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::IgnoreFace { track: for_leave.clone(), reason: String::new() }))>
                "leave out"
            </button>
        </div>
    }
}

/// A video's tick box.
#[component]
pub fn VideoPick(video_id: u32, selection: Selection) -> impl IntoView {
    view! {
        <label class="pick-video">
            <input type="checkbox" aria-label=format!("Tick video #{video_id}")
                form=PICK_FORM name=field::VIDEOS value=video_id.to_string()
                prop:checked=move || selection.videos.read().contains(&video_id)
                on:change=move |_| selection.videos.update(|v| toggle(v, video_id)) />
            " tick"
        </label>
    }
}
