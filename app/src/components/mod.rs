//! Pieces shared by pages.

mod poll;
mod run;
mod stages;
mod upload;

pub use poll::use_poll;
pub use run::{RunBadge, RunCard};
pub use stages::StageList;
pub use upload::UploadForm;
