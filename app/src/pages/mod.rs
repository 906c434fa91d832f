//! One module per page.

mod creator;
mod dataset;
mod home;
mod run;
mod upload;
mod video;
mod videos;

pub use creator::CreatorPage;
pub use dataset::DatasetPage;
pub use home::HomePage;
pub use run::RunPage;
pub use upload::UploadPage;
pub use video::VideoPage;
pub use videos::VideosPage;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="card">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}
