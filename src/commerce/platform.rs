//! Order operations on the Admin GraphQL API, for remedies and returns: a
//! refund of an amount against the order's sale (`refundCreate` with the
//! parent transaction), a refund of lines and quantities (the platform's
//! `suggestedRefund` for the amount and transactions, then `refundCreate`),
//! and items sent at no charge as a free draft order completed into a real
//! one (`draftOrderCreate` + `draftOrderComplete`).
use crate::money::Money;
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum RemedyError {
    #[error(transparent)]
    Api(#[from] AdminApiError),
    #[error("the platform refused: {0}")]
    Rejected(String),
    #[error("the order has no successful payment to refund")]
    NothingToRefund,
}

#[derive(Debug, Deserialize)]
struct UserError {
    message: String,
}

fn refused(errors: &[UserError]) -> RemedyError {
    RemedyError::Rejected(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Decodes `data[field]` into `T`, or says what was unexpected.
fn field<T: serde::de::DeserializeOwned>(data: &Value, name: &str) -> Result<T, RemedyError> {
    serde_json::from_value(data.get(name).cloned().unwrap_or(Value::Null))
        .map_err(|e| RemedyError::Rejected(format!("unexpected answer to {name}: {e}")))
}

pub fn order_gid(id: i64) -> String {
    format!("gid://shopify/Order/{id}")
}

const ORDER_TRANSACTIONS: &str = "query OrderTransactions($id: ID!) {
  order(id: $id) {
    id
    transactions { id kind status gateway amountSet { shopMoney { amount currencyCode } } }
  }
}";

const REFUND_CREATE: &str = "mutation RefundCreate($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}";

#[derive(Debug, Deserialize)]
struct Transaction {
    id: String,
    kind: String,
    status: String,
    gateway: String,
}

#[derive(Debug, Deserialize)]
struct OrderTransactions {
    #[serde(default)]
    transactions: Vec<Transaction>,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundPayload {
    refund: Option<Created>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

/// Refunds `amount_minor` of the order's payment; returns the refund's id.
pub async fn refund_amount(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    shopify_order_id: i64,
    amount: Money,
    note: &str,
) -> Result<String, RemedyError> {
    let order = order_gid(shopify_order_id);
    let data: Value = api
        .graphql(shop, token, ORDER_TRANSACTIONS, json!({ "id": order }))
        .await?;
    let found: Option<OrderTransactions> = field(&data, "order")?;
    let parent = found
        .into_iter()
        .flat_map(|o| o.transactions)
        .find(|t| matches!(t.kind.as_str(), "SALE" | "CAPTURE") && t.status == "SUCCESS")
        .ok_or(RemedyError::NothingToRefund)?;
    let input = json!({
        "orderId": order,
        "note": note,
        "notify": true,
        "transactions": [{
            "orderId": order,
            "gateway": parent.gateway,
            "kind": "REFUND",
            "amount": amount.to_decimal_string(),
            "parentId": parent.id,
        }],
    });
    let data: Value = api
        .graphql(shop, token, REFUND_CREATE, json!({ "input": input }))
        .await?;
    let payload: RefundPayload = field(&data, "refundCreate")?;
    if !payload.user_errors.is_empty() {
        return Err(refused(&payload.user_errors));
    }
    payload
        .refund
        .map(|r| r.id)
        .ok_or_else(|| RemedyError::Rejected("no refund was returned".into()))
}

const SUGGESTED_REFUND: &str = "query SuggestedRefund($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    id
    suggestedRefund(refundLineItems: $lines) {
      amountSet { shopMoney { amount currencyCode } }
      suggestedTransactions {
        amountSet { shopMoney { amount } }
        gateway
        kind
        parentTransaction { id }
      }
    }
  }
}";

#[derive(Debug, Deserialize)]
struct ShopMoney {
    amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoneyBag {
    shop_money: ShopMoney,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuggestedTransaction {
    amount_set: MoneyBag,
    gateway: String,
    kind: String,
    parent_transaction: Option<Created>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuggestedRefund {
    amount_set: MoneyBag,
    #[serde(default)]
    suggested_transactions: Vec<SuggestedTransaction>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderSuggestion {
    suggested_refund: Option<SuggestedRefund>,
}

/// A refund of lines: (the platform's line id, quantity) each.
pub async fn refund_lines(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    shopify_order_id: i64,
    lines: &[(i64, i32)],
    note: &str,
) -> Result<(String, String), RemedyError> {
    let order = order_gid(shopify_order_id);
    let refund_lines: Vec<Value> = lines
        .iter()
        .map(|(id, quantity)| {
            json!({"lineItemId": format!("gid://shopify/LineItem/{id}"), "quantity": quantity,
                "restockType": "NO_RESTOCK"})
        })
        .collect();
    let data: Value = api
        .graphql(
            shop,
            token,
            SUGGESTED_REFUND,
            json!({ "id": order, "lines": refund_lines }),
        )
        .await?;
    let suggestion: Option<OrderSuggestion> = field(&data, "order")?;
    let suggested = suggestion
        .and_then(|o| o.suggested_refund)
        .ok_or(RemedyError::NothingToRefund)?;
    let transactions: Vec<Value> = suggested
        .suggested_transactions
        .iter()
        .map(|t| {
            json!({"orderId": order, "gateway": t.gateway, "kind": t.kind,
                "amount": t.amount_set.shop_money.amount,
                "parentId": t.parent_transaction.as_ref().map(|p| p.id.clone())})
        })
        .collect();
    let input = json!({
        "orderId": order,
        "note": note,
        "notify": true,
        "refundLineItems": refund_lines,
        "transactions": transactions,
    });
    let data: Value = api
        .graphql(shop, token, REFUND_CREATE, json!({ "input": input }))
        .await?;
    let payload: RefundPayload = field(&data, "refundCreate")?;
    if !payload.user_errors.is_empty() {
        return Err(refused(&payload.user_errors));
    }
    let id = payload
        .refund
        .map(|r| r.id)
        .ok_or_else(|| RemedyError::Rejected("no refund was returned".into()))?;
    Ok((id, suggested.amount_set.shop_money.amount))
}

const DRAFT_CREATE: &str = "mutation DraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id name }
    userErrors { field message }
  }
}";

const DRAFT_COMPLETE: &str = "mutation DraftOrderComplete($id: ID!) {
  draftOrderComplete(id: $id) {
    draftOrder { id name order { id name } }
    userErrors { field message }
  }
}";

#[derive(Debug, Deserialize)]
struct DraftOrder {
    id: String,
    #[serde(default)]
    order: Option<OrderRef>,
}

#[derive(Debug, Deserialize)]
struct OrderRef {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DraftPayload {
    draft_order: Option<DraftOrder>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

/// One line of the replacement: a variant and how many.
#[derive(Debug, Clone)]
pub struct ReplacementLine {
    pub variant_id: i64,
    pub quantity: i32,
}

/// The replacement order, as the platform named it.
#[derive(Debug, Clone)]
pub struct Replacement {
    pub draft_order_id: String,
    pub order_id: String,
    pub order_name: String,
}

/// What to send again, and for whom.
#[derive(Debug, Clone)]
pub struct ReplacementOrder<'a> {
    pub shopify_customer_id: Option<i64>,
    pub email: Option<&'a str>,
    pub lines: &'a [ReplacementLine],
    pub note: &'a str,
    pub discount_title: &'a str,
}

/// Sends the items again at no charge: a draft order at 100% off for the
/// customer, completed into an order the supplier will fulfil.
pub async fn replacement(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    order: &ReplacementOrder<'_>,
) -> Result<Replacement, RemedyError> {
    let ReplacementOrder {
        shopify_customer_id,
        email,
        lines,
        note,
        discount_title,
    } = *order;
    let mut input = json!({
        "note": note,
        "tags": ["flywheel-replacement"],
        "appliedDiscount": {"value": 100.0, "valueType": "PERCENTAGE", "title": discount_title},
        "lineItems": lines.iter().map(|l| json!({
            "variantId": format!("gid://shopify/ProductVariant/{}", l.variant_id),
            "quantity": l.quantity,
        })).collect::<Vec<_>>(),
    });
    if let Some(id) = shopify_customer_id {
        input["purchasingEntity"] =
            json!({"customerId": crate::loyalty::platform::customer_gid(id)});
    }
    if let Some(email) = email {
        input["email"] = json!(email);
    }
    let data: Value = api
        .graphql(shop, token, DRAFT_CREATE, json!({ "input": input }))
        .await?;
    let created: DraftPayload = field(&data, "draftOrderCreate")?;
    if !created.user_errors.is_empty() {
        return Err(refused(&created.user_errors));
    }
    let draft = created
        .draft_order
        .ok_or_else(|| RemedyError::Rejected("no draft order was returned".into()))?;
    let data: Value = api
        .graphql(shop, token, DRAFT_COMPLETE, json!({ "id": draft.id }))
        .await?;
    let completed: DraftPayload = field(&data, "draftOrderComplete")?;
    if !completed.user_errors.is_empty() {
        return Err(refused(&completed.user_errors));
    }
    let order = completed
        .draft_order
        .and_then(|d| d.order)
        .ok_or_else(|| RemedyError::Rejected("the draft order was not completed".into()))?;
    Ok(Replacement {
        draft_order_id: draft.id,
        order_id: order.id,
        order_name: order.name,
    })
}
