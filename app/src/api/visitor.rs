//! Server function saying who the page is shown to.

use leptos::prelude::*;

use crate::model::*;

#[server(endpoint = "get_visitor")]
pub async fn get_visitor() -> Result<VisitorView, ServerFnError> {
    let visitor = crate::ssr::visitor();
    Ok(VisitorView { access_required: visitor.access_required, signed_in: visitor.signed_in, name: visitor.name })
}
