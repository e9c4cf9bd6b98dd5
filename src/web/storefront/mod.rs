//! `/proxy/*`: what shoppers reach through the app proxy. The middleware has
//! verified the signature and resolved the shop and the logged-in shopper.
pub mod delivery;
pub mod loyalty;
pub mod reviews;

use crate::web::proxy::StorefrontRequest;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/session", web::get().to(session))
        .configure(loyalty::routes)
        .configure(delivery::routes)
        .configure(reviews::routes)
        .default_service(web::to(crate::web::error::not_found));
}

/// A shopper-facing error: the code for scripts, the sentence in their language.
pub fn shopper_error(
    status: actix_web::http::StatusCode,
    code: &'static str,
    lang: &str,
    key: &str,
) -> crate::web::ApiError {
    crate::web::ApiError::new(status, code, crate::i18n::t(lang, key))
}

/// Who the storefront widgets are talking to: the shop, and the shopper if logged in.
async fn session(request: StorefrontRequest) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(json!({
            "shop": request.shop,
            "logged_in": request.customer_id.is_some(),
            "customer_id": request.customer_id,
        }))
}
