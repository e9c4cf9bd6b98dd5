//! Customers, orders, refunds and fulfillments as the platform reports them:
//! the facts every other capability reads.
pub mod csv_import;
pub mod history;
pub mod import;
pub mod payload;
pub mod platform;
pub mod queries;
pub mod service;

pub use service::{Commerce, CommerceError, Upsert};
