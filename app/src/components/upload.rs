//! The upload form. A plain multipart form posting to `/upload`, so it works before the page has
//! hydrated (and without JavaScript); once hydrated it also takes a file dropped onto it.

use leptos::ev::DragEvent;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn UploadForm(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    let form_ref = NodeRef::<html::Form>::new();
    let input_ref = NodeRef::<html::Input>::new();
    let dragging = RwSignal::new(false);
    let chosen = RwSignal::new(None::<String>);

    let remember_choice = move || {
        let name =
            input_ref.get().and_then(|input| input.files()).and_then(|files| files.get(0)).map(|file| file.name());
        chosen.set(name);
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) else {
            return;
        };
        if files.length() == 0 {
            return;
        }
        if let (Some(input), Some(form)) = (input_ref.get(), form_ref.get()) {
            input.set_files(Some(&files));
            remember_choice();
            let _ = form.request_submit();
        }
    };

    view! {
        <form
            node_ref=form_ref
            class="upload"
            class:dragging=move || dragging.get()
            method="post"
            action="/upload"
            enctype="multipart/form-data"
            on:dragover=move |ev: DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <label class="dropzone" for="upload-file">
                <span class="dropzone-title">"Drop a CSV or Excel file here, or choose one"</span>
                <span class="muted">
                    {move || chosen.get().unwrap_or_else(|| {
                        "Columns needed: a video URL and a performance score.".to_string()
                    })}
                </span>
            </label>
            <input
                id="upload-file"
                node_ref=input_ref
                type="file"
                name="file"
                accept=".csv,.tsv,.txt,.xlsx,.xls,.ods,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel"
                required
                on:change=move |_| remember_choice()
            />
            <button type="submit" class="primary">"Upload"</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert" id="upload-error">{e}</p> })}
        </form>
    }
}
