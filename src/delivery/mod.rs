//! Delivery promises (DESIGN.md, capability 2): honest arrival ranges from
//! supplier SLAs, per shop. `engine` is pure; the rest reads the shop's rules
//! and records what was promised per order against what happened.
pub mod engine;
pub mod format;
pub mod rules;
pub mod service;

pub use service::DeliveryPromises;
