//! Pieces shared by pages.

mod ads;
mod edit;
mod faces;
mod loaded;
mod poll;
mod run;
mod stages;
mod upload;
mod visitor;

pub use crate::model::EditOp;
pub use ads::AdsTable;
pub use edit::{EditFormFields, EditMessage, EditsPanel, edit_form_action, provide_editor, use_editor};
pub use faces::{FacesOnProducts, SamePersonQueue};
pub use loaded::Loaded;
pub use poll::use_poll;
pub use run::{RunBadge, RunCard};
pub use stages::StageList;
pub use upload::UploadForm;
pub use visitor::VisitorBadge;
