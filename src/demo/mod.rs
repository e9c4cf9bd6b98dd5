//! The demo shop: a year of believable customers and orders — repeat buyers,
//! lapsed buyers, refunds, cancellations, deliveries — fed through the same
//! services the webhooks use.
pub mod flows;
pub mod history;
pub mod loyalty;
pub mod metrics;
pub mod returns;
pub mod reviews;
pub mod seed;
pub mod support;

pub use seed::{DEMO_SHOP, PRODUCTS, Product, seed};
