//! `/unsubscribe/{token}`: the link in every marketing email. GET shows one
//! button (so link scanners unsubscribe nobody); POST — the button, or a mail
//! client's RFC 8058 one-click request — withdraws the consent. Pages in the
//! customer's language.
use super::ApiError;
use super::html::{escape, page};
use crate::app::AppState;
use crate::emails::unsubscribe::{self, UnsubscribeClaims};
use crate::i18n::t;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use entity::{customers, shops};
use sea_orm::EntityTrait;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/unsubscribe/{token}", web::get().to(confirm))
        .route("/unsubscribe/{token}", web::post().to(apply));
}

async fn language(state: &AppState, claims: &UnsubscribeClaims) -> Result<&'static str, ApiError> {
    let customer = customers::Entity::find_by_id(claims.customer)
        .one(&state.db)
        .await?;
    let shop = shops::Entity::find_by_id(claims.shop)
        .one(&state.db)
        .await?;
    Ok(crate::i18n::negotiate(
        customer
            .and_then(|c| c.locale)
            .or(shop.map(|s| s.locale))
            .as_deref(),
    ))
}

fn respond(lang: &str, title_key: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(page(lang, &t(lang, title_key), &body))
}

fn invalid() -> ApiError {
    ApiError::not_found("this unsubscribe link is not valid")
}

async fn confirm(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let claims = unsubscribe::verify(state.api_secret(), &token).ok_or_else(invalid)?;
    let lang = language(&state, &claims).await?;
    Ok(respond(
        lang,
        "unsubscribe.title",
        format!(
            "<h1>{title}</h1><p>{text}</p><form method=\"post\"><button type=\"submit\">{button}</button></form>",
            title = escape(&t(lang, "unsubscribe.title")),
            text = escape(&t(lang, "unsubscribe.confirm")),
            button = escape(&t(lang, "unsubscribe.button")),
        ),
    ))
}

async fn apply(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let claims = unsubscribe::verify(state.api_secret(), &token).ok_or_else(invalid)?;
    let lang = language(&state, &claims).await?;
    unsubscribe::unsubscribe(&state.db, &claims, state.clock.now())
        .await?
        .ok_or_else(invalid)?;
    Ok(respond(
        lang,
        "unsubscribe.done_title",
        format!(
            "<h1>{title}</h1><p>{text}</p>",
            title = escape(&t(lang, "unsubscribe.done_title")),
            text = escape(&t(lang, "unsubscribe.done")),
        ),
    ))
}
