//! Flywheel: a Shopify app that helps dropshipping stores keep their customers.
//!
//! `app` builds the HTTP server; `shopify` is the platform edge; the other
//! folders are capabilities, each with a service layer over `entity`.
pub mod app;
pub mod clock;
pub mod commerce;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod emails;
pub mod flows;
pub mod i18n;
pub mod loyalty;
pub mod media;
pub mod metrics;
pub mod money;
pub mod preview;
pub mod privacy;
pub mod returns;
pub mod reviews;
pub mod scheduler;
pub mod shopify;
pub mod shops;
pub mod support;
pub mod surveys;
pub mod telemetry;
pub mod text;
pub mod web;
pub mod webhooks;
