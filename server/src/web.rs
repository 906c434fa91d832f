//! The HTTP side: the Leptos app (pages and server functions), the upload route and the static
//! site files, over one shared [`AppState`].

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use ips_app::ssr::ServerState;
use ips_app::{App, shell};
use ips_core::store::Store;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

use crate::config::Config;
use crate::jobs::JobRunner;
use crate::state::AppState;

/// Leptos options from our config; under `cargo leptos watch` its environment wins for the site
/// files (it builds them elsewhere) and the reload port.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = |key: &str| std::env::var(key).ok();
    let reload_port = env("LEPTOS_RELOAD_PORT").and_then(|p| p.parse().ok()).unwrap_or(3001);
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "ips".to_string()))
        .site_root(env("LEPTOS_SITE_ROOT").unwrap_or_else(|| config.site_root.display().to_string()))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".to_string()))
        .site_addr(config.addr)
        .reload_port(reload_port)
        .build()
}

/// Everything the server runs: store, job runner, routes.
pub struct Server {
    pub router: Router,
    pub store: Arc<Store>,
    pub jobs: Arc<JobRunner>,
}

/// Opens the store, starts the job runner (resuming interrupted runs if configured) and builds
/// the router. Must be called inside a tokio runtime.
pub fn build(config: &Config) -> anyhow::Result<Server> {
    let store = Arc::new(config.open_store()?);
    let shared = config.shared()?;
    let media = shared.as_ref().and_then(|shared| shared.media.clone());
    let jobs = JobRunner::start(
        Arc::clone(&store),
        config.data_dir.clone(),
        config.models_dir.clone(),
        config.served_pipeline_settings(),
        shared.clone(),
    );
    let resumed = jobs.recover(config.resume_on_start)?;
    if !resumed.is_empty() {
        tracing::info!(?resumed, "resuming runs");
    }
    let leptos_options = leptos_options(config);
    let state = AppState {
        leptos_options: leptos_options.clone(),
        server: ServerState {
            store: Arc::clone(&store),
            jobs: jobs.clone(),
            data_dir: config.data_dir.clone(),
            pipeline: config.served_pipeline_settings(),
        },
        max_upload_mib: config.max_upload_mib,
        access: config.access_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(crate::access::Access::new),
    };
    let access = state.access.clone();
    let context_state = state.server.clone();
    let routes = generate_route_list(App);
    let router = Router::new()
        .route("/sign-in", get(crate::access::sign_in_page).post(crate::access::sign_in))
        .route("/sign-out", post(crate::access::sign_out))
        .route("/upload", post(crate::upload::upload))
        .route("/uploads/{sha256}/start", post(crate::upload::start))
        .route("/runs/{run}/edit", post(crate::edit_form::submit))
        .route("/runs/{run}/export/{file}", get(crate::exports::export_file))
        .route("/api/runs/{run}", get(crate::exports::run_json))
        .route("/datasets/{dataset}/rejected.csv", get(crate::exports::rejected_rows))
        .nest_service("/demo", ServeDir::new(config.data_dir.join(crate::demo::DEMO_DIR)))
        .merge(media_routes(config, media))
        .layer(DefaultBodyLimit::max(config.max_upload_mib * 1024 * 1024))
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(access, crate::access::require_token_for_writes))
        .layer(axum::middleware::from_fn(crate::same_origin::refuse_cross_site))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    Ok(Server { router, store, jobs })
}

/// `/faces/…` and `/stills/…`: from the data directory, or, with a media store, from there
/// through the data directory (see [`crate::media_files`]).
fn media_routes(config: &Config, media: Option<Arc<dyn ips_core::media::SharedFiles>>) -> Router<AppState> {
    let (faces, stills) =
        (ips_core::pipeline::faces_dir(&config.data_dir), ips_core::pipeline::stills_dir(&config.data_dir));
    let Some(media) = media else {
        return Router::new()
            .nest_service("/faces", immutable(ServeDir::new(faces)))
            .nest_service("/stills", immutable(ServeDir::new(stills)));
    };
    let route = |kind: &'static str| {
        let files =
            crate::media_files::MediaFiles { media: Arc::clone(&media), data_dir: config.data_dir.clone(), kind };
        get(move |axum::extract::Path(name): axum::extract::Path<String>| files.clone().serve(name))
    };
    Router::new().route("/faces/{name}", route("faces")).route("/stills/{name}", route("stills"))
}

/// Face crops and stills never change (see [`crate::media_files::IMMUTABLE`]).
fn immutable(service: ServeDir) -> SetResponseHeader<ServeDir, HeaderValue> {
    SetResponseHeader::overriding(
        service,
        header::CACHE_CONTROL,
        HeaderValue::from_static(crate::media_files::IMMUTABLE),
    )
}
