//! The platform edge: everything that speaks the platform's protocols —
//! signatures, OAuth, session tokens, the Admin GraphQL API — and nothing
//! about our own domain.
pub mod admin_api;
pub mod app_data;
pub mod oauth;
pub mod session_token;
pub mod shop_domain;
pub mod signature;

pub use shop_domain::ShopDomain;

use url::Url;

/// Where platform calls for `shop` go: the shop itself, or the configured
/// override (a local fake in tests).
pub fn platform_base(base_override: Option<&Url>, shop: &ShopDomain) -> String {
    match base_override {
        Some(base) => base.as_str().trim_end_matches('/').to_owned(),
        None => format!("https://{}", shop.as_str()),
    }
}
