//! What every route shares: the app's server state, the upload limit, the access check and the
//! Leptos options. Its own module, so the routes (upload, exports) and the router that mounts
//! them (`web`) both depend on it and not on each other.

use axum::extract::FromRef;
use ips_app::ssr::ServerState;
use leptos::prelude::LeptosOptions;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub server: ServerState,
    pub max_upload_mib: usize,
    /// Set when the config has an access token: writes need it.
    pub access: Option<crate::access::Access>,
}

impl FromRef<AppState> for Option<crate::access::Access> {
    fn from_ref(state: &AppState) -> Self {
        state.access.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
