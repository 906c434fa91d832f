//! The top bar's sign-in state: shown only when the server has an access token.

use leptos::prelude::*;

use crate::api::get_visitor;

/// "Read-only · Sign in", or "Signed in as …" with a sign-out button. Nothing when the server
/// has no access token (everyone who reaches it may change things).
#[component]
pub fn VisitorBadge() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| get_visitor());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                visitor
                    .get()
                    .and_then(Result::ok)
                    .filter(|v| v.access_required)
                    .map(|v| {
                        if v.signed_in {
                            let who = v.name.unwrap_or_else(|| "signed in".to_string());
                            view! {
                                <form class="visitor" method="post" action="/sign-out">
                                    <span class="muted" data-testid="visitor">"Signed in as " {who}</span>
                                    " "
                                    <button type="submit" class="link">"Sign out"</button>
                                </form>
                            }
                                .into_any()
                        } else {
                            view! {
                                <span class="visitor" data-testid="visitor">
                                    <span class="muted">"Read-only · "</span>
                                    <a href="/sign-in" rel="external">"Sign in to make changes"</a>
                                </span>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
