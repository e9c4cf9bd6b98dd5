//! The merchant's side: JSON under `/api`, embedded pages under `/app`.
pub mod api;
pub mod dashboard_page;
pub mod delivery;
pub mod emails;
pub mod flows;
pub mod flows_page;
pub mod jobs;
pub mod loyalty;
pub mod loyalty_page;
pub mod metrics;
pub mod pages;
pub mod returns;
pub mod returns_page;
pub mod reviews;
pub mod reviews_page;
pub mod support;
pub mod support_page;
