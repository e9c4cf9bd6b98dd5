//! `POST /webhooks`: every topic. The HMAC is checked over the raw bytes
//! before anything is parsed; then the inbox records and applies the delivery.
use super::ApiError;
use super::body::read_limited;
use crate::app::AppState;
use crate::loyalty::jobs::LoyaltyJobs;
use crate::reviews::jobs::ReviewJobs;
use crate::shopify::ShopDomain;
use crate::shopify::signature::verify_webhook;
use crate::shops::Shops;
use crate::webhooks::{Delivery, Receipt, WebhookError, WebhookInbox};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Larger deliveries are refused with 413.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn required<'a>(req: &'a HttpRequest, name: &'static str) -> Result<&'a str, ApiError> {
    header(req, name).ok_or_else(|| {
        ApiError::bad_request("missing_header", format!("the {name} header is required"))
    })
}

pub async fn receive(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, MAX_WEBHOOK_BYTES).await?;
    verify_webhook(
        state.api_secret(),
        &body,
        header(&req, "X-Shopify-Hmac-Sha256"),
    )
    .map_err(|e| ApiError::unauthorized("invalid_hmac", e.to_string()))?;

    let topic = required(&req, "X-Shopify-Topic")?;
    let shop = ShopDomain::parse(required(&req, "X-Shopify-Shop-Domain")?)
        .map_err(|e| ApiError::bad_request("invalid_shop", e.to_string()))?;
    let webhook_id = required(&req, "X-Shopify-Webhook-Id")?;
    let body = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    let delivery = Delivery {
        webhook_id: webhook_id.to_owned(),
        topic: topic.to_owned(),
        shop,
        event_id: header(&req, "X-Shopify-Event-Id").map(str::to_owned),
        triggered_at: header(&req, "X-Shopify-Triggered-At")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        body,
    };
    let receipt = WebhookInbox::receive(&state.db, &delivery, state.clock.now())
        .await
        .map_err(|e| match e {
            WebhookError::Invalid { .. } => {
                ApiError::unprocessable("invalid_payload", e.to_string())
            }
            WebhookError::Db(db) => ApiError::from(db),
        })?;
    if receipt == Receipt::Processed && state.background_jobs {
        // Tier changes reach the platform's customer tags now rather than at the next job round.
        let state = state.clone();
        let shop = delivery.shop.clone();
        let redaction = matches!(
            crate::webhooks::topic::Topic::parse(&delivery.topic),
            crate::webhooks::topic::Topic::CustomersRedact
                | crate::webhooks::topic::Topic::ShopRedact
        );
        tokio::spawn(async move {
            let mut shop_id = None;
            if let Ok(Some(shop)) = Shops::find(&state.db, &shop).await {
                shop_id = Some(shop.id);
                let now = state.clock.now();
                if let Err(e) =
                    LoyaltyJobs::mirror_tiers(&state.db, &state.admin, &state.cipher, &shop, now)
                        .await
                {
                    tracing::warn!(error = %e, "tier tags not mirrored; the job will retry");
                }
            }
            // A privacy request changed review summaries and let photo files go.
            if redaction {
                let now = state.clock.now();
                let mut report = Default::default();
                let synced = match shop_id {
                    Some(id) => {
                        ReviewJobs::sync_metafields(
                            &state.db,
                            &state.admin,
                            &crate::reviews::media_base(&state.app_url),
                            &state.cipher,
                            Some(id),
                            now,
                            &mut report,
                        )
                        .await
                    }
                    None => Ok(()),
                };
                let emptied =
                    ReviewJobs::empty_trash(&state.db, &state.media, now, &mut report).await;
                if let Err(e) = synced.and(emptied) {
                    tracing::warn!(error = %e, "review follow-up failed; the job will retry");
                }
            }
        });
    }
    let status = match receipt {
        Receipt::Processed => "processed",
        Receipt::Duplicate => "duplicate",
        Receipt::Ignored(_) => "ignored",
    };
    Ok(HttpResponse::Ok().json(json!({ "status": status })))
}
