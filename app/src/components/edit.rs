//! Editing the creators from a page: one action per page that sends an edit (or undo, redo) with
//! the run's edit version, a counter the page's data is keyed on (so it reloads after each
//! write), and the line that says what happened.
//!
//! Every control is also a plain form control (`crate::model::edit_form`): before hydration a
//! click posts the form and the server answers with the page again; once hydrated, the click is
//! taken over (`prevent_default`) and sent through the action instead.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::{CreatorEdit, EditOp, EditResult, EditsView, edit_creators, redo_edit, undo_edit};
use crate::format;
use crate::model::edit_form::{FormOp, field};

type EditAction = Action<(i64, i64, EditOp), Result<EditResult, ServerFnError>>;

/// A page's editor: provided as context by the page, used by its pieces.
#[derive(Clone, Copy)]
pub struct Editor {
    pub action: EditAction,
    /// Bumped after every finished write; the page's resource is keyed on it.
    pub changed: RwSignal<u64>,
    /// The server has an access token and this browser has not signed in: nothing can be
    /// changed, so the controls are disabled and say why.
    pub read_only: Signal<bool>,
    /// The page has hydrated. Before, controls that wait for a selection stay enabled: the
    /// browser posts the form, and the server says what is missing.
    pub hydrated: RwSignal<bool>,
}

impl Editor {
    pub fn send(&self, run: i64, version: i64, op: EditOp) {
        self.action.dispatch((run, version, op));
    }

    /// Whether the controls should wait: a write is under way, or this browser may not write.
    pub fn pending(&self) -> Signal<bool> {
        let (pending, read_only) = (self.action.pending(), self.read_only);
        Signal::derive(move || pending.get() || read_only.get())
    }

    /// Whether a control should be disabled: `missing` (nothing ticked…) counts only once the
    /// page has hydrated and tracks the ticks.
    pub fn disabled(&self, missing: impl Fn() -> bool + Send + Sync + 'static) -> Signal<bool> {
        let (busy, hydrated) = (self.pending(), self.hydrated);
        Signal::derive(move || busy.get() || (hydrated.get() && missing()))
    }
}

/// Makes the page's editor and provides it to the page's components. With `refresh`, every
/// finished write bumps `changed`; without, the page decides (it may rather go elsewhere).
pub fn provide_editor(refresh: bool) -> Editor {
    let action: EditAction = Action::new(|(run, version, op): &(i64, i64, EditOp)| {
        let (run, version, op) = (*run, *version, op.clone());
        async move {
            match op {
                EditOp::Edit(edit) => edit_creators(run, version, edit).await,
                EditOp::Undo => undo_edit(run, version).await,
                EditOp::Redo => redo_edit(run, version).await,
            }
        }
    });
    let changed = RwSignal::new(0u64);
    if refresh {
        Effect::new(move |_| {
            if action.value().read().is_some() {
                changed.update(|c| *c += 1);
            }
        });
    }
    let visitor = Resource::new(|| (), |_| crate::api::get_visitor());
    let read_only =
        Signal::derive(move || visitor.get().and_then(Result::ok).is_some_and(|v| v.access_required && !v.signed_in));
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| hydrated.set(true));
    let editor = Editor { action, changed, read_only, hydrated };
    provide_context(editor);
    editor
}

pub fn use_editor() -> Editor {
    expect_context::<Editor>()
}

/// What the last write did, or why it was refused.
#[component]
pub fn EditMessage() -> impl IntoView {
    let editor = use_editor();
    let query = leptos_router::hooks::use_query_map();
    move || {
        if editor.read_only.get() {
            return Some(
                view! {
                    <p class="notice" role="status" id="edit-message">
                        "Read-only: " <a href="/sign-in" rel="external">"sign in"</a> " to change creators."
                    </p>
                }
                .into_any(),
            );
        }
        let result = match editor.action.value().get() {
            Some(result) => result.map(|done| done.summary).map_err(|e| server_message(&e)),
            // A posted form's outcome, which the server sent back in the page's address.
            None => {
                let query = query.read();
                match (query.get(field::EDIT_DONE), query.get(field::EDIT_ERROR)) {
                    (Some(done), _) => Ok(done),
                    (None, Some(error)) => Err(error),
                    (None, None) => return None,
                }
            }
        };
        Some(match result {
            Ok(summary) => {
                view! { <p class="notice" role="status" id="edit-message">{format!("Done: {summary}.")}</p> }.into_any()
            }
            Err(message) => view! { <p class="error" role="alert" id="edit-message">{message}</p> }.into_any(),
        })
    }
}

/// The hidden fields of an edit form: the edit version the page was rendered with and the page
/// to come back to.
#[component]
pub fn EditFormFields(version: i64) -> impl IntoView {
    let location = use_location();
    let back = move || {
        let search = location.search.get();
        let search = search.trim_start_matches('?');
        let path = location.pathname.get();
        if search.is_empty() { path } else { format!("{path}?{search}") }
    };
    view! {
        <input type="hidden" name=field::VERSION value=version.to_string() />
        <input type="hidden" name=field::RETURN value=back />
    }
}

/// Where an edit control's form posts before hydration.
pub use crate::model::edit_form::edit_form_action;

/// A server function error as the user should read it (without the framework's prefix).
pub fn server_message(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// Undo, redo, the edits that do not fully hold, faces left out, and the audit log of a run.
#[component]
pub fn EditsPanel(run_id: i64, edits: EditsView) -> impl IntoView {
    let editor = use_editor();
    let version = edits.version;
    let busy = editor.pending();
    let undo_title = edits.undo.clone().map(|s| format!("Undo: {s}"));
    let redo_title = edits.redo.clone().map(|s| format!("Redo: {s}"));
    let (can_undo, can_redo) = (edits.undo.is_some(), edits.redo.is_some());
    view! {
        <section class="card" id="edits">
            <h2>"Corrections"</h2>
            <p class="muted">
                "Merge, hide or restore creators from the table; split, move, rename or choose a face on a creator's page. "
                "Edits are kept as rules about faces, so they hold when the dataset runs again."
            </p>
            <form class="edit-bar" method="post" action=edit_form_action(run_id)>
                <EditFormFields version />
                <button class="secondary" id="undo" title=undo_title disabled=move || !can_undo || busy.get()
                    type="submit" name=field::OP value=FormOp::Undo.word()
                    on:click=move |ev| { ev.prevent_default(); editor.send(run_id, version, EditOp::Undo) }>"↶ Undo"</button>
                <button class="secondary" id="redo" title=redo_title disabled=move || !can_redo || busy.get()
                    type="submit" name=field::OP value=FormOp::Redo.word()
                    on:click=move |ev| { ev.prevent_default(); editor.send(run_id, version, EditOp::Redo) }>"↷ Redo"</button>
                <EditMessage />
            </form>
            {(!edits.notes.is_empty()).then(|| view! {
                <ul class="notices" id="edit-conflicts">
                    {edits.notes.into_iter().map(|n| view! { <li class="warn">{n}</li> }).collect_view()}
                </ul>
            })}
            {(!edits.ignored_faces.is_empty()).then(|| view! {
                <h3>"Faces left out"</h3>
                <div class="face-gallery" id="ignored-faces">
                    {edits.ignored_faces.into_iter().map(|f| {
                        let track = f.track.clone();
                        view! {
                            <figure>
                                {f.face_url.map(|url| view! { <img class="face" src=url alt="Face left out" width="96" height="96" loading="lazy" /> })}
                                <figcaption class="muted">
                                    {f.video_id.map(|v| view! { <a href=format!("/runs/{run_id}/videos/{v}")>{format!("#{v}")}</a> })}
                                    {(!f.reason.is_empty()).then(|| format!(" {}", f.reason))}
                                </figcaption>
                                <button class="secondary" disabled=move || busy.get()
                                    on:click=move |_| editor.send(run_id, version, EditOp::Edit(CreatorEdit::RestoreFace { track: track.clone() }))>
                                    "Count again"
                                </button>
                            </figure>
                        }
                    }).collect_view()}
                </div>
            })}
            {(!edits.lines.is_empty()).then(|| view! {
                <details id="edit-log">
                    <summary>{format!("Edit log ({})", edits.lines.len())}</summary>
                    <ol class="edit-log">
                        {edits.lines.into_iter().map(|l| view! {
                            <li class:undone=l.undone>
                                <span class="muted">{format::timestamp(l.at_ms)}</span>" "
                                <strong>{l.action.clone()}</strong>" "{l.summary.clone()}
                                <span class="muted">
                                    {if l.run_id == run_id { String::new() } else { format!(" (from run {})", l.run_id) }}
                                    {l.actor.clone().map(|who| format!(" · by {who}"))}
                                </span>
                            </li>
                        }).collect_view()}
                    </ol>
                </details>
            })}
        </section>
    }
}
