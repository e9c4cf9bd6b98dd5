//! The loyalty program's calls to the Admin GraphQL API: single-use discount
//! codes for rewards and referral welcomes, and customer tags mirroring tiers.
use super::rules::RewardKind;
use crate::money::Money;
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error(transparent)]
    Api(#[from] AdminApiError),
    /// The platform answered but refused (`userErrors`).
    #[error("the platform refused: {0}")]
    Rejected(String),
    /// The code already exists on the platform (a retry after a lost answer).
    #[error("the code already exists on the platform")]
    CodeTaken,
}

/// A single-use code to create.
#[derive(Debug, Clone)]
pub struct DiscountSpec<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub kind: RewardKind,
    /// Minor units for a fixed amount, whole percent for a percentage.
    pub value: i64,
    pub currency: &'a str,
    /// Only this customer may use it; None = anyone (a referee not yet known).
    pub customer_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

pub fn customer_gid(id: i64) -> String {
    format!("gid://shopify/Customer/{id}")
}

const BASIC_CREATE: &str =
    "mutation CreateRewardCode($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}";

const FREE_SHIPPING_CREATE: &str =
    "mutation CreateFreeShippingCode($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}";

const TAGS_ADD: &str = "mutation AddTags($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}";

const TAGS_REMOVE: &str = "mutation RemoveTags($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } }
}";

#[derive(Debug, Deserialize)]
struct UserError {
    #[serde(default)]
    code: Option<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePayload {
    code_discount_node: Option<Node>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagsPayload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

fn refused(errors: &[UserError]) -> PlatformError {
    if errors.iter().any(|e| e.code.as_deref() == Some("TAKEN")) {
        return PlatformError::CodeTaken;
    }
    PlatformError::Rejected(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Creates the code; returns the discount node's id.
pub async fn create_discount_code(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    spec: &DiscountSpec<'_>,
) -> Result<String, PlatformError> {
    let context = match spec.customer_id {
        Some(id) => json!({"customers": {"add": [customer_gid(id)]}}),
        None => json!({"all": "ALL"}),
    };
    let mut input = json!({
        "title": spec.title,
        "code": spec.code,
        "startsAt": spec.starts_at,
        "endsAt": spec.ends_at,
        "context": context,
        "usageLimit": 1,
        "appliesOncePerCustomer": true,
    });
    let (query, variables, field) = match spec.kind {
        RewardKind::FreeShipping => {
            input["destination"] = json!({"all": true});
            (
                FREE_SHIPPING_CREATE,
                json!({ "freeShippingCodeDiscount": input }),
                "discountCodeFreeShippingCreate",
            )
        }
        RewardKind::FixedAmount | RewardKind::Percentage => {
            let value = if spec.kind == RewardKind::FixedAmount {
                json!({"discountAmount": {
                    "amount": Money::new(spec.value, spec.currency).to_decimal_string(),
                    "appliesOnEachItem": false,
                }})
            } else {
                json!({ "percentage": spec.value as f64 / 100.0 })
            };
            input["customerGets"] = json!({ "value": value, "items": {"all": true} });
            (
                BASIC_CREATE,
                json!({ "basicCodeDiscount": input }),
                "discountCodeBasicCreate",
            )
        }
    };
    let data: Value = api.graphql(shop, token, query, variables).await?;
    let payload: CreatePayload =
        serde_json::from_value(data.get(field).cloned().unwrap_or(Value::Null))
            .map_err(|e| PlatformError::Rejected(format!("unexpected answer: {e}")))?;
    if !payload.user_errors.is_empty() {
        return Err(refused(&payload.user_errors));
    }
    payload
        .code_discount_node
        .map(|n| n.id)
        .ok_or_else(|| PlatformError::Rejected("no discount was returned".into()))
}

/// Adds and removes customer tags (either list may be empty).
pub async fn set_customer_tags(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    customer_id: i64,
    add: &[String],
    remove: &[String],
) -> Result<(), PlatformError> {
    for (query, field, tags) in [
        (TAGS_REMOVE, "tagsRemove", remove),
        (TAGS_ADD, "tagsAdd", add),
    ] {
        if tags.is_empty() {
            continue;
        }
        let data: Value = api
            .graphql(
                shop,
                token,
                query,
                json!({"id": customer_gid(customer_id), "tags": tags}),
            )
            .await?;
        let payload: TagsPayload =
            serde_json::from_value(data.get(field).cloned().unwrap_or(Value::Null))
                .map_err(|e| PlatformError::Rejected(format!("unexpected answer: {e}")))?;
        if !payload.user_errors.is_empty() {
            return Err(refused(&payload.user_errors));
        }
    }
    Ok(())
}
