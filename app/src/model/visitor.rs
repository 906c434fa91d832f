//! Who the page is shown to: whether changes need signing in, and whether this browser has.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorView {
    /// The server has an access token; without signing in, pages are read-only.
    pub access_required: bool,
    pub signed_in: bool,
    pub name: Option<String>,
}
