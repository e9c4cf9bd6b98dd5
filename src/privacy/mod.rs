//! The three mandatory privacy topics: export a customer's data, erase a
//! customer's personal data everywhere, erase a shop entirely.
pub mod service;

pub use service::Privacy;
