//! `/proxy/*`: what shoppers reach through the app proxy. The middleware has
//! verified the signature and resolved the shop and the logged-in shopper.
pub mod delivery;
pub mod feedback;
pub mod loyalty;
pub mod returns;
pub mod reviews;

use crate::shopify::signature::{query_pairs, query_value};
use crate::web::html::escape;
use crate::web::proxy::StorefrontRequest;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/session", web::get().to(session))
        .configure(loyalty::routes)
        .configure(delivery::routes)
        .configure(reviews::routes)
        .configure(feedback::routes)
        .configure(returns::routes)
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

/// Text for a page the platform renders as Liquid: HTML-escaped, and with
/// braces as entities so nothing in it can open a Liquid tag or output.
pub(crate) fn text(value: &str) -> String {
    escape(value).replace('{', "&#123;").replace('}', "&#125;")
}

/// A page for the storefront: `application/liquid` so the platform renders it
/// inside the shop's theme; plain HTML in the local preview (`fw_preview=1`).
pub(crate) fn storefront_page(
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    body: &str,
    lang: &str,
) -> HttpResponse {
    let pairs = query_pairs(req.query_string());
    let content = format!(
        "<style>{WRITE_STYLE}</style><section class=\"fw-write\"><h1>{}</h1>{body}</section>",
        text(title)
    );
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if query_value(&pairs, "fw_preview") == Some("1") {
        response
            .content_type("text/html; charset=utf-8")
            .body(crate::web::html::page(lang, title, &content))
    } else {
        response
            .content_type("application/liquid; charset=utf-8")
            .body(content)
    }
}

/// The storefront pages' own styling: the theme supplies the rest.
const WRITE_STYLE: &str = ".fw-write{max-width:640px;margin:24px auto;padding:0 16px;line-height:1.5}\
.fw-write form{border:1px solid rgba(0,0,0,.12);border-radius:8px;padding:16px;margin:16px 0}\
.fw-write label{display:block;margin:10px 0 4px;font-weight:600}\
.fw-write input[type=text],.fw-write textarea{width:100%;box-sizing:border-box;padding:8px;font:inherit}\
.fw-write fieldset{border:0;padding:0;margin:0}.fw-write .fw-stars label{display:inline;font-weight:400;margin-right:10px}\
.fw-write button{margin-top:12px;padding:10px 18px;font:inherit;cursor:pointer}\
.fw-write .fw-choice{display:inline-block;min-width:2em;padding:6px 8px;margin:2px;border:1px solid currentColor;border-radius:4px;text-align:center;text-decoration:none}";
