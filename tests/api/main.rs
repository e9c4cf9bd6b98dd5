//! Integration tests: the real server over HTTP, a real database (each test
//! on SQLite and on PostgreSQL), the platform faked locally.
mod helpers;

mod admin_api;
mod browser;
mod cdp;
mod commands;
mod delivery;
mod emails;
mod flows;
mod import;
mod install;
mod loyalty;
mod loyalty_page;
mod metrics;
mod privacy;
mod proxy;
mod returns;
mod reviews;
mod reviews_page;
mod reviews_s3;
mod scheduler;
mod session;
mod smtp;
mod storefront_budget;
mod support;
mod webhooks;
