//! `/proxy/delivery-estimate`: the arrival range the product and cart blocks
//! show. The theme passes what Liquid knows (product, variant, vendor, tags,
//! the shopper's country and language); the answer is computed from the
//! shop's rules at this instant.
use crate::app::AppState;
use crate::clock::shop_tz;
use crate::delivery::DeliveryPromises;
use crate::delivery::engine::time_left;
use crate::delivery::format::{arrival_text, cutoff_text};
use crate::delivery::rules::ProductRef;
use crate::i18n::t;
use crate::shopify::signature::{query_pairs, query_value};
use crate::web::ApiError;
use crate::web::proxy::StorefrontRequest;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/delivery-estimate", web::get().to(estimate));
}

fn ids(value: Option<&str>) -> Result<Vec<i64>, ()> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<i64>().map_err(|_| ()))
        .collect()
}

async fn estimate(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req.query_string());
    let shop = &request.record;
    let lang = request.lang(&req);
    let rules = DeliveryPromises::rules(&state.db, shop.id).await?;
    let country = query_value(&pairs, "country")
        .map(str::trim)
        .unwrap_or(&rules.default_country)
        .to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_country",
            t(lang, "delivery.error.unknown_country"),
        ));
    }
    let bad_id = |name: &str| {
        ApiError::bad_request(
            "invalid_product",
            format!(
                "{name} takes numeric product ids (several separated by commas for product_ids)"
            ),
        )
    };
    let mut products: Vec<ProductRef> = ids(query_value(&pairs, "product_ids"))
        .map_err(|_| bad_id("product_ids"))?
        .into_iter()
        .map(|id| ProductRef {
            product_id: Some(id),
            ..Default::default()
        })
        .collect();
    let product_id = query_value(&pairs, "product_id")
        .map(|v| v.trim().parse::<i64>().map_err(|_| bad_id("product_id")))
        .transpose()?;
    if let Some(id) = product_id {
        products.push(ProductRef {
            product_id: Some(id),
            vendor: query_value(&pairs, "vendor").map(str::to_owned),
            tags: query_value(&pairs, "tags")
                .unwrap_or_default()
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        });
    }
    let now = state.clock.now();
    let estimate = rules
        .estimate(now, shop_tz(&shop.timezone), &country, &products)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_estimate",
                t(lang, "delivery.error.no_estimate"),
            )
        })?;
    let cutoff = estimate
        .cutoff_at
        .and_then(|at| time_left(now, at))
        .map(|(h, m)| cutoff_text(lang, h, m))
        .filter(|text| !text.is_empty());
    Ok(HttpResponse::Ok()
        // The range moves at the cutoff: shared caches may keep it a minute.
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(json!({
            "country": country,
            "zone": estimate.zone,
            "earliest": estimate.earliest,
            "latest": estimate.latest,
            "dispatch_by": estimate.dispatch_by,
            "text": arrival_text(lang, estimate.earliest, estimate.latest),
            "cutoff_at": estimate.cutoff_at,
            "cutoff_text": cutoff,
            "locale": lang,
        })))
}
