//! HTTP: thin handlers grouped by audience. Each parses and authenticates,
//! calls a domain service, and renders.
pub mod admin;
pub mod auth;
pub mod body;
pub mod demo;
pub mod error;
pub mod health;
pub mod html;
pub mod media;
pub mod preview;
pub mod proxy;
pub mod session;
pub mod storefront;
pub mod unsubscribe;
pub mod webhooks;

pub use error::ApiError;

use actix_web::middleware::from_fn;
use actix_web::web::{self, ServiceConfig};

/// The language a page or answer should use: the request's `locale`
/// parameter, else `fallback` (the shop's), else English.
pub fn locale_of(req: &actix_web::HttpRequest, fallback: Option<&str>) -> &'static str {
    use crate::shopify::signature::{query_pairs, query_value};
    let pairs = query_pairs(req.query_string());
    crate::i18n::negotiate(query_value(&pairs, "locale").or(fallback))
}

/// The `status` a list was asked for: None for all (missing, empty or
/// `all`), a 400 naming the choices when it is none of `allowed`.
pub fn status_filter<'a>(
    raw: Option<&'a str>,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match raw.filter(|s| !s.is_empty() && *s != "all") {
        Some(status) if !allowed.contains(&status) => Err(ApiError::bad_request(
            "invalid_status",
            format!("status must be one of {}", allowed.join(", ")),
        )),
        status => Ok(status),
    }
}

/// The request's `Idempotency-Key` (1 to 100 characters), else a fresh one:
/// a retried request with the same key counts once.
pub fn idempotency_key(req: &actix_web::HttpRequest) -> String {
    req.headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Bodies of admin and storefront requests; webhooks have their own limit.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

pub fn routes(cfg: &mut ServiceConfig, demo: bool) {
    cfg.app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .error_handler(error::json_error),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/auth", web::get().to(auth::begin))
        .route("/auth/callback", web::get().to(auth::callback))
        .route("/webhooks", web::post().to(webhooks::receive))
        .route("/media/{key:.*}", web::get().to(media::photo))
        .configure(unsubscribe::routes)
        .service(
            web::scope("/api")
                .wrap(from_fn(session::require_session_token))
                .configure(admin::api::routes),
        )
        .service(
            web::scope("/app")
                .wrap(from_fn(session::require_admin_launch))
                .configure(admin::pages::routes),
        )
        .service(
            web::scope("/proxy")
                .wrap(from_fn(proxy::require_proxy_signature))
                .configure(storefront::routes),
        );
    if demo {
        cfg.configure(demo::routes).configure(preview::routes);
    }
    cfg.default_service(web::to(error::not_found));
}
