//! Live refresh: a counter that ticks every second while `active` is true. Resources keyed on it
//! re-fetch; the page's state lives in the store, so a poll always shows the truth.

use std::time::Duration;

use leptos::prelude::*;

const POLL_EVERY: Duration = Duration::from_secs(1);

/// Returns the tick signal; it only advances in the browser (effects do not run on the server).
pub fn use_poll(active: RwSignal<bool>) -> RwSignal<u64> {
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if active.get_untracked() {
                    tick.update(|t| *t += 1);
                }
            },
            POLL_EVERY,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    tick
}
