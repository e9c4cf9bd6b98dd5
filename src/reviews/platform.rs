//! Writes a product's review summary to its metafields with `metafieldsSet`:
//! the app-owned `$app:reviews.summary` (JSON: what the reviews block and the
//! star rating render, safe from other apps and translations) and the
//! platform's standard `reviews.rating` / `reviews.rating_count`, which
//! themes, search and other apps read. With no reviews left the rating is
//! deleted rather than left stale.
use super::summary::Summary;
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use serde::Deserialize;
use serde_json::{Value, json};

pub const NAMESPACE: &str = "$app:reviews";

const METAFIELDS_SET: &str = "mutation SetReviewSummary($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key namespace }
    userErrors { field message code }
  }
}";

const METAFIELDS_DELETE: &str =
    "mutation DeleteReviewRating($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { key namespace }
    userErrors { field message }
  }
}";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] AdminApiError),
    #[error("the platform refused: {0}")]
    Rejected(String),
}

#[derive(Debug, Deserialize)]
struct UserError {
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

pub fn product_gid(id: i64) -> String {
    format!("gid://shopify/Product/{id}")
}

/// The `metafieldsSet` inputs for a summary.
pub fn metafield_inputs(product_id: i64, summary: &Summary) -> Vec<Value> {
    let owner = product_gid(product_id);
    let mut inputs = vec![
        json!({
            "ownerId": owner,
            "namespace": NAMESPACE,
            "key": "summary",
            "type": "json",
            "value": serde_json::to_string(summary).unwrap_or_else(|_| "{}".into()),
        }),
        json!({
            "ownerId": owner,
            "namespace": "reviews",
            "key": "rating_count",
            "type": "number_integer",
            "value": summary.count.to_string(),
        }),
    ];
    if summary.count > 0 {
        inputs.push(json!({
            "ownerId": owner,
            "namespace": "reviews",
            "key": "rating",
            "type": "rating",
            "value": json!({
                "value": summary.average_text,
                "scale_min": "1.0",
                "scale_max": "5.0",
            }).to_string(),
        }));
    }
    inputs
}

fn check(data: &Value, field: &str) -> Result<(), SyncError> {
    let payload: Payload = serde_json::from_value(data.get(field).cloned().unwrap_or(Value::Null))
        .map_err(|e| SyncError::Rejected(format!("unexpected answer: {e}")))?;
    if payload.user_errors.is_empty() {
        Ok(())
    } else {
        Err(SyncError::Rejected(
            payload
                .user_errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ))
    }
}

pub async fn write_summary(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    product_id: i64,
    summary: &Summary,
) -> Result<(), SyncError> {
    let data: Value = api
        .graphql(
            shop,
            token,
            METAFIELDS_SET,
            json!({ "metafields": metafield_inputs(product_id, summary) }),
        )
        .await?;
    check(&data, "metafieldsSet")?;
    if summary.count == 0 {
        let data: Value = api
            .graphql(
                shop,
                token,
                METAFIELDS_DELETE,
                json!({"metafields": [{
                    "ownerId": product_gid(product_id), "namespace": "reviews", "key": "rating",
                }]}),
            )
            .await?;
        check(&data, "metafieldsDelete")?;
    }
    Ok(())
}
