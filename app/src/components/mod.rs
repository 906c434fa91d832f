//! Pieces shared by pages.

mod run;
mod upload;

pub use run::{RunBadge, RunCard};
pub use upload::UploadForm;
