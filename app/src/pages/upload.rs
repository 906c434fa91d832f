//! The mapping step of an upload: the file's first rows, which column holds what (detected, and
//! changeable), and what that makes of every row, before anything is stored or run.

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{FieldChoice, UploadPreview, get_upload_preview};
use crate::components::Loaded;

#[component]
pub fn UploadPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let sha256 = move || params.read().get("sha256").unwrap_or_default();
    let name = move || query.read().get("name").unwrap_or_else(|| "upload".to_string());
    let start_error = move || query.read().get("error");
    // Every query parameter but these is a field choice; the server ignores unknown keys.
    let choices = move || {
        query
            .read()
            .clone()
            .into_iter()
            .filter(|(k, _)| k != "name" && k != "error")
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    };
    let preview = Resource::new(move || (sha256(), choices()), |(sha, choices)| get_upload_preview(sha, choices));
    view! {
        <Loaded
            resource=preview
            title="Upload"
            render=move |p: UploadPreview| view! { <Mapping preview=p name=name() start_error=start_error() /> }
        />
    }
}

#[component]
fn Mapping(preview: UploadPreview, name: String, start_error: Option<String>) -> impl IntoView {
    let form_ref = NodeRef::<html::Form>::new();
    // Once hydrated, a changed choice re-checks the file at once; before that, "Check columns".
    let recheck = move |_| {
        if let Some(form) = form_ref.get() {
            let _ = form.request_submit();
        }
    };
    let mapped: Vec<(String, String)> =
        preview.fields.iter().filter_map(|f| Some((f.column.clone()?, f.label.clone()))).collect();
    let can_start = preview.error.is_none() && preview.accepted > 0;
    view! {
        <Title text=format!("Columns of {name}") />
        <section class="card">
            <p class="crumbs"><a href="/">"Upload"</a></p>
            <h1>{name.clone()}</h1>
            <p class="lead">
                {format!("{} rows. Check which column holds what, then start the run.", preview.total_rows)}
            </p>
            {(!preview.uploaded_before.is_empty()).then(|| view! {
                <p class="notice" id="uploaded-before">
                    "This file was uploaded before: "
                    {preview.uploaded_before.iter().map(|(id, n)| view! {
                        <a href=format!("/datasets/{id}")>{format!("{n} (dataset {id})")}</a>" "
                    }).collect_view()}
                </p>
            })}
            {start_error.map(|e| view! { <p class="error" role="alert" id="start-error">{e}</p> })}
            <form node_ref=form_ref id="mapping" method="get" action=format!("/uploads/{}", preview.sha256)>
                <input type="hidden" name="name" value=name.clone() />
                <div class="mapping-grid">
                    {preview.fields.iter().cloned().map(|field| view! {
                        <FieldSelect field headers=preview.headers.clone() on_change=recheck />
                    }).collect_view()}
                </div>
                <div class="actions">
                    <button type="submit" class="secondary">"Check columns"</button>
                    <button
                        type="submit"
                        class="primary"
                        id="start-run"
                        formmethod="post"
                        formaction=format!("/uploads/{}/start", preview.sha256)
                        disabled=!can_start
                    >
                        "Start run"
                    </button>
                </div>
            </form>
            {match &preview.error {
                Some(e) => view! { <p class="error" role="alert" id="mapping-error">{e.clone()}</p> }.into_any(),
                None => view! {
                    <p id="mapping-summary" class:warn=preview.rejected != 0>
                        {format!(
                            "{} rows will be used; {} {} problems and will be listed, not run.",
                            preview.accepted, preview.rejected, if preview.rejected == 1 { "row has" } else { "rows have" },
                        )}
                    </p>
                }.into_any(),
            }}
            {preview.notices.iter().map(|n| view! { <p class="muted">{n.clone()}</p> }).collect_view()}
            {(!preview.problems.is_empty()).then(|| view! {
                <table class="table" id="preview-problems">
                    <thead><tr><th class="num">"Row"</th><th>"Column"</th><th>"Problem"</th></tr></thead>
                    <tbody>
                        {preview.problems.iter().map(|p| view! {
                            <tr><td class="num">{p.row}</td><td>{p.field.clone()}</td><td>{p.message.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
        <section class="card">
            <h2>"First rows"</h2>
            <div class="scroll-x">
                <table class="table preview" id="preview">
                    <thead>
                        <tr>
                            <th class="num">"Row"</th>
                            {preview.headers.iter().map(|h| {
                                let role = mapped.iter().find(|(col, _)| col == h).map(|(_, label)| label.clone());
                                let is_mapped = role.is_some();
                                view! {
                                    <th class:mapped=is_mapped>
                                        {h.clone()}
                                        {role.map(|r| view! { <span class="tag">{r}</span> })}
                                    </th>
                                }
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {preview.sample.iter().map(|(row, cells)| view! {
                            <tr>
                                <td class="num">{*row}</td>
                                {cells.iter().map(|c| view! { <td class="cell">{c.clone()}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn FieldSelect(field: FieldChoice, headers: Vec<String>, on_change: impl Fn(()) + 'static) -> impl IntoView {
    let id = format!("map-{}", field.key);
    let none_label = if field.required { "— choose a column —" } else { "— not in this file —" };
    let chosen = field.column.clone();
    let label_for = id.clone();
    view! {
        <label class="mapping-field" for=label_for>
            <span>{field.label.clone()}{field.required.then_some(" *")}</span>
            <select id=id name=field.key.clone() on:change=move |_| on_change(())>
                <option value="-" selected=chosen.is_none()>{none_label}</option>
                {headers.into_iter().map(|h| {
                    let selected = chosen.as_deref() == Some(h.as_str());
                    let value = h.clone();
                    view! { <option value=value selected=selected>{h}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}
