//! The merchant's side: JSON under `/api`, embedded pages under `/app`.
pub mod api;
pub mod loyalty;
pub mod loyalty_page;
pub mod pages;
