//! `/api/*` JSON for the embedded admin and operators. The session middleware
//! has already resolved the shop; every query below is scoped by it.
use crate::app::AppState;
use crate::commerce::queries;
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop", web::get().to(shop))
        .route("/overview", web::get().to(overview))
        .route("/customers/{id}", web::get().to(customer))
        .route("/orders/{id}", web::get().to(order))
        .route("/privacy/exports", web::get().to(privacy_exports))
        .configure(super::loyalty::routes)
        .configure(super::delivery::routes)
        .configure(super::reviews::routes)
        .configure(super::jobs::routes)
        .configure(super::emails::routes)
        .configure(super::flows::routes)
        .configure(super::support::routes)
        .configure(super::returns::routes)
        .configure(super::metrics::routes)
        .default_service(web::to(crate::web::error::not_found));
}

async fn shop(shop: CurrentShop) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "domain": shop.domain,
        "name": shop.name,
        "currency": shop.currency,
        "timezone": shop.timezone,
        "locale": shop.locale,
        "installed_at": shop.installed_at,
    }))
}

async fn overview(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let overview =
        queries::shop_overview(&state.db, shop.id, &shop.currency, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(overview))
}

async fn customer(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let view = queries::customer_view(&state.db, shop.id, path.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("no such customer in this shop"))?;
    Ok(HttpResponse::Ok().json(view))
}

async fn order(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let view = queries::order_view(&state.db, shop.id, path.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("no such order in this shop"))?;
    Ok(HttpResponse::Ok().json(view))
}

async fn privacy_exports(
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let exports = queries::privacy_exports(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "exports": exports })))
}
