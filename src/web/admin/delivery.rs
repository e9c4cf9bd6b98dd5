//! `/api/delivery/…`: the shop's delivery rules, and the promises made to
//! recent orders beside what happened.
use crate::app::AppState;
use crate::delivery::DeliveryPromises;
use crate::delivery::rules::DeliveryRules;
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/delivery/settings", web::get().to(settings))
        .route("/delivery/settings", web::put().to(save_settings))
        .route("/delivery/promises", web::get().to(promises));
}

async fn settings(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rules = DeliveryPromises::rules(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "rules": rules, "timezone": shop.timezone })))
}

async fn save_settings(
    shop: CurrentShop,
    body: web::Json<DeliveryRules>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    body.validate()
        .map_err(|e| ApiError::unprocessable("invalid_rules", e))?;
    DeliveryPromises::save_rules(&state.db, shop.id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(json!({ "rules": body.into_inner(), "timezone": shop.timezone })))
}

/// The latest orders' promises: on time when delivered by the promised latest day.
async fn promises(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = DeliveryPromises::recent(&state.db, shop.id, 100).await?;
    let tz = crate::clock::shop_tz(&shop.timezone);
    Ok(HttpResponse::Ok().json(json!({ "promises": rows.iter().map(|(p, o)| {
        let delivered_on = p.delivered_at.map(|d| crate::clock::local_date(d, tz));
        json!({
            "order_id": o.as_ref().map(|o| o.shopify_order_id),
            "order_name": o.as_ref().map(|o| o.name.clone()),
            "country": p.country_code, "zone": p.zone, "suppliers": p.suppliers,
            "promised_earliest": p.promised_earliest, "promised_latest": p.promised_latest,
            "dispatch_by": p.dispatch_by, "shipped_at": p.shipped_at, "delivered_at": p.delivered_at,
            "on_time": delivered_on.map(|d| d <= p.promised_latest),
        })
    }).collect::<Vec<_>>() })))
}
