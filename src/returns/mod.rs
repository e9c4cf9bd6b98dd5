//! Returns as a loyalty moment: a self-service portal on the storefront (the
//! order found by its number and email, what may go back and until when, a
//! reason, photos, and refund, store credit with a bonus, or an exchange), a
//! state machine every move of which is recorded with who made it, a
//! printable slip with a scannable RMA code, and the merchant's queue that
//! takes a return from request to refund through the Admin API.
pub mod privacy;
pub mod rules;
pub mod service;
pub mod settle;
pub mod slip;

pub use rules::{Outcome, ReturnPolicy};
pub use service::{NewReturn, ReturnError, Returnable, Returns};
