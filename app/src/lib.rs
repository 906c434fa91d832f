//! # ips-app
//!
//! The Leptos dashboard: pages, components and the server functions they call. Rendered on the
//! server (SSR) and hydrated in the browser. Data access happens only inside server functions,
//! and only under the `ssr` feature, through the core library's store.

#![recursion_limit = "256"]

pub mod api;
mod components;
mod format;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this attribute says the page has hydrated: browser
    // tests wait for it before clicking.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/ips.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "IPS".to_string() } else { format!("{page} · IPS") }
        } />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark">"IPS"</span>
                    <span class="brand-name">"Influencer Performance System"</span>
                </A>
                <components::VisitorBadge />
            </header>
            <main class="page">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("") view=pages::HomePage />
                    <Route path=path!("/uploads/:sha256") view=pages::UploadPage />
                    // Data pages render their data into the HTML before it is sent (async SSR): they
                    // read without scripts, and a missing record answers 404.
                    <Route path=path!("/datasets/:id") view=pages::DatasetPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id") view=pages::RunPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id/videos") view=pages::VideosPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id/videos/:video") view=pages::VideoPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id/creators/:creator") view=pages::CreatorPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
