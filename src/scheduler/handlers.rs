//! The job kinds this build handles, and the handler for each. A worker only
//! claims what it is given here; a job of a kind no handler knows ends as a
//! dead letter rather than vanishing. The lifecycle flows (issue 6) add their
//! kinds here as they land.
use super::Registry;
use crate::app::AppState;
use actix_web::web::Data;

pub fn registry(_state: &Data<AppState>) -> Registry {
    Registry::default()
}
