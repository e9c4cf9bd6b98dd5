//! App-proxy middleware for `/proxy/*`: checks the `signature` exactly as the
//! platform computes it, refuses stale timestamps, and hands handlers the shop
//! and the logged-in shopper.
use super::ApiError;
use crate::app::AppState;
use crate::shopify::ShopDomain;
use crate::shopify::signature::{query_pairs, query_value, verify_app_proxy};
use crate::shops::Shops;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use std::future::{Ready, ready};

/// Who is asking through the app proxy.
#[derive(Debug, Clone)]
pub struct StorefrontRequest {
    pub shop_id: i64,
    pub shop: ShopDomain,
    /// The platform's customer id, when the shopper is logged in.
    pub customer_id: Option<i64>,
    /// The shop's record as the middleware found it, so handlers need not look again.
    pub record: std::sync::Arc<entity::shops::Model>,
}

pub async fn require_proxy_signature(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req
        .app_data::<Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("app state missing"))?;
    let pairs = query_pairs(req.query_string());
    verify_app_proxy(state.api_secret(), &pairs, state.clock.now())
        .map_err(|e| ApiError::unauthorized("invalid_signature", e.to_string()))?;
    let shop = ShopDomain::parse(query_value(&pairs, "shop").unwrap_or_default())
        .map_err(|e| ApiError::bad_request("invalid_shop", e.to_string()))?;
    let installed = Shops::find_installed(&state.db, &shop)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("Flywheel is not installed on this shop"))?;
    let customer_id = query_value(&pairs, "logged_in_customer_id")
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_request("invalid_customer", "logged_in_customer_id is not an id")
            })
        })
        .transpose()?;
    req.extensions_mut().insert(StorefrontRequest {
        shop_id: installed.id,
        shop,
        customer_id,
        record: std::sync::Arc::new(installed),
    });
    next.call(req).await
}

impl StorefrontRequest {
    /// The shopper's language: the theme's `locale` parameter, else the shop's.
    pub fn lang(&self, req: &HttpRequest) -> &'static str {
        super::locale_of(req, Some(&self.record.locale))
    }
}

impl FromRequest for StorefrontRequest {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<StorefrontRequest>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::unauthorized("invalid_signature", "not an app-proxy request")
                }),
        )
    }
}
