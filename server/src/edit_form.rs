//! `POST /runs/<run>/edit`: the corrections' plain forms, for a page that has not hydrated (slow
//! network, a script error, scripts off). The edit is the one the hydrated page would send
//! through its server function ([`ips_app::ssr::edit::apply_blocking`]); the browser goes back
//! to the page it came from (303) with the outcome in `edit_done` or `edit_error` for the page
//! to show. A creator page follows its creator to its new id, as the hydrated page does.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ips_app::model::edit_form;
use ips_app::ssr::Visitor;

use crate::state::AppState;

pub async fn submit(
    State(state): State<AppState>,
    Path(run_id): Path<i64>,
    visitor: Option<Extension<Visitor>>,
    body: Bytes,
) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let posted = match edit_form::parse(run_id, &fields) {
        Ok(posted) => posted,
        Err(message) => {
            let back = edit_form::parse_back_to(run_id, &fields);
            return Redirect::to(&with_outcome(&back, Err(&message))).into_response();
        }
    };
    let actor = visitor.and_then(|Extension(v)| v.name);
    let store = state.server.store.clone();
    let outcome = ips_app::ssr::edit::apply_blocking(store, run_id, posted.version, posted.op, actor).await;
    let back = match &outcome {
        Ok(done) => follow_creator(run_id, &posted.back_to, done.creator),
        Err(_) => posted.back_to.clone(),
    };
    Redirect::to(&with_outcome(&back, outcome.as_ref().map(|d| d.summary.as_str()).map_err(|r| r.message.as_str())))
        .into_response()
}

/// A creator page goes to its creator's id after the edit, or to the run when it has none.
fn follow_creator(run_id: i64, back_to: &str, creator: Option<u32>) -> String {
    let creators = format!("/runs/{run_id}/creators/");
    if !back_to.starts_with(&creators) {
        return back_to.to_string();
    }
    match creator {
        Some(id) => format!("{creators}{id}"),
        None => format!("/runs/{run_id}"),
    }
}

/// `back_to` with the outcome of the edit for the page to show.
fn with_outcome(back_to: &str, outcome: Result<&str, &str>) -> String {
    let (key, message) = match outcome {
        Ok(summary) => (edit_form::field::EDIT_DONE, summary),
        Err(error) => (edit_form::field::EDIT_ERROR, error),
    };
    let joiner = if back_to.contains('?') { '&' } else { '?' };
    // Spaces as %20, not `+`: the page's router reads the query as a URL, not as a form.
    let encoded = url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>().replace('+', "%20");
    format!("{back_to}{joiner}{key}={encoded}")
}

#[cfg(test)]
mod tests {
    use super::{follow_creator, with_outcome};

    #[test]
    fn the_outcome_is_added_to_the_page_s_query() {
        assert_eq!(with_outcome("/runs/2", Ok("Merged A & B.")), "/runs/2?edit_done=Merged%20A%20%26%20B.");
        assert_eq!(with_outcome("/runs/2?sort=ads", Err("No.")), "/runs/2?sort=ads&edit_error=No.");
    }

    #[test]
    fn a_creator_page_follows_its_creator() {
        assert_eq!(follow_creator(2, "/runs/2/creators/5", Some(3)), "/runs/2/creators/3");
        assert_eq!(follow_creator(2, "/runs/2/creators/5", None), "/runs/2");
        assert_eq!(follow_creator(2, "/runs/2?sort=ads", None), "/runs/2?sort=ads");
    }
}
