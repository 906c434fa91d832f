//! The one way pages show a server function's result: "Loading…" until it arrives, the error in
//! a card if it failed, else the page. Keeps every page's load/error handling the same.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, ServerFnError>>,
    /// Page title while the data is missing.
    title: &'static str,
    /// The page, given the data.
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(e) => view! {
                            <Title text=title />
                            <section class="card"><p class="error" role="alert">{e.to_string()}</p></section>
                        }.into_any(),
                        Ok(data) => render(data).into_any(),
                    }
                })
            }}
        </Transition>
    }
}
