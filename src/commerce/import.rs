//! Historical backfill from a Bulk Operations result (JSONL). Each line is one
//! node; nested connections (an order's line items) follow their parent as
//! lines carrying `__parentId`. Orders are written through the same upserts as
//! webhooks, so an import can be repeated and mixed with live deliveries.
use super::payload::{
    AddressPayload, CustomerPayload, LineItemPayload, MarketingConsent, OrderPayload,
};
use super::{Commerce, CommerceError};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use serde_json::Value;
use std::io::BufRead;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub customers: u64,
    pub orders: u64,
    pub line_items: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

/// `gid://shopify/Order/123` → ("Order", 123)
fn gid(value: &str) -> Option<(&str, i64)> {
    let rest = value.strip_prefix("gid://shopify/")?;
    let (kind, id) = rest.split_once('/')?;
    let id = id.split('?').next()?.parse().ok()?;
    Some((kind, id))
}

#[derive(Deserialize)]
struct ShopMoney {
    amount: String,
}

#[derive(Deserialize)]
struct MoneyBag {
    #[serde(rename = "shopMoney")]
    shop_money: ShopMoney,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkCustomer {
    id: String,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    email_marketing_consent: Option<BulkConsent>,
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkConsent {
    marketing_state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkAddress {
    name: Option<String>,
    address1: Option<String>,
    city: Option<String>,
    zip: Option<String>,
    country_code_v2: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkOrder {
    name: Option<String>,
    email: Option<String>,
    currency_code: String,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    processed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    display_financial_status: Option<String>,
    display_fulfillment_status: Option<String>,
    subtotal_price_set: Option<MoneyBag>,
    total_price_set: Option<MoneyBag>,
    total_discounts_set: Option<MoneyBag>,
    customer: Option<BulkCustomer>,
    shipping_address: Option<BulkAddress>,
    source_name: Option<String>,
    customer_locale: Option<String>,
}

#[derive(Deserialize)]
struct IdRef {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkLineItem {
    id: String,
    title: Option<String>,
    variant_title: Option<String>,
    vendor: Option<String>,
    sku: Option<String>,
    quantity: i32,
    product: Option<IdRef>,
    variant: Option<IdRef>,
    original_unit_price_set: Option<MoneyBag>,
}

fn customer_payload(c: BulkCustomer) -> Result<CustomerPayload, String> {
    let id = gid(&c.id)
        .map(|(_, id)| id)
        .ok_or("customer id is not a gid")?;
    Ok(CustomerPayload {
        id,
        email: c.email,
        first_name: c.first_name,
        last_name: c.last_name,
        phone: c.phone,
        locale: c.locale,
        tags: None,
        created_at: c.created_at,
        updated_at: c.updated_at,
        email_marketing_consent: c.email_marketing_consent.map(|m| MarketingConsent {
            state: m.marketing_state.map(|s| s.to_lowercase()),
        }),
        state: c.state.map(|s| s.to_lowercase()),
    })
}

fn order_payload(id: i64, o: BulkOrder) -> Result<OrderPayload, String> {
    let amount = |bag: Option<MoneyBag>| bag.map(|b| b.shop_money.amount);
    Ok(OrderPayload {
        id,
        name: o.name,
        email: o.email,
        contact_email: None,
        currency: o.currency_code,
        subtotal_price: amount(o.subtotal_price_set),
        total_price: amount(o.total_price_set),
        total_discounts: amount(o.total_discounts_set),
        financial_status: o.display_financial_status.map(|s| s.to_lowercase()),
        fulfillment_status: o.display_fulfillment_status.map(|s| s.to_lowercase()),
        cancelled_at: o.cancelled_at,
        processed_at: o.processed_at,
        created_at: o.created_at,
        updated_at: o.updated_at,
        customer: o.customer.map(customer_payload).transpose()?,
        shipping_address: o.shipping_address.map(|a| AddressPayload {
            name: a.name,
            first_name: None,
            last_name: None,
            address1: a.address1,
            city: a.city,
            zip: a.zip,
            country_code: a.country_code_v2,
        }),
        browser_ip: None,
        source_name: o.source_name,
        referring_site: None,
        landing_site: None,
        customer_locale: o.customer_locale,
        tags: None,
        line_items: Vec::new(),
        discount_codes: Vec::new(),
    })
}

fn line_item_payload(li: BulkLineItem) -> Result<LineItemPayload, String> {
    let id = gid(&li.id)
        .map(|(_, id)| id)
        .ok_or("line item id is not a gid")?;
    let ref_id = |r: Option<IdRef>| r.and_then(|r| gid(&r.id).map(|(_, id)| id));
    Ok(LineItemPayload {
        id,
        product_id: ref_id(li.product),
        variant_id: ref_id(li.variant),
        title: li.title,
        variant_title: li.variant_title,
        vendor: li.vendor,
        sku: li.sku,
        quantity: li.quantity,
        price: li
            .original_unit_price_set
            .map(|b| b.shop_money.amount)
            .unwrap_or_else(|| "0".into()),
    })
}

/// Imports a Bulk Operations JSONL result for one shop.
pub async fn import_jsonl(
    db: &impl ConnectionTrait,
    shop_id: i64,
    reader: impl BufRead,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut pending: Option<OrderPayload> = None;
    for (index, line) in reader.lines().enumerate() {
        let line_no = index + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| ImportError::Line {
            line: line_no,
            reason,
        };
        let node: Value = serde_json::from_str(&line).map_err(|e| bad(format!("not JSON: {e}")))?;
        let id = node
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no id".into()))?;
        let (kind, numeric) = gid(id).ok_or_else(|| bad(format!("`{id}` is not a gid")))?;
        match kind {
            "LineItem" => {
                let parent = node.get("__parentId").and_then(Value::as_str).and_then(gid);
                let order = pending
                    .as_mut()
                    .filter(|o| parent == Some(("Order", o.id)))
                    .ok_or_else(|| bad("line item does not follow its order".into()))?;
                let item: BulkLineItem =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                order.line_items.push(line_item_payload(item).map_err(bad)?);
                report.line_items += 1;
            }
            "Order" => {
                if let Some(order) = pending.take() {
                    Commerce::upsert_order(db, shop_id, &order, now).await?;
                    report.orders += 1;
                }
                let order: BulkOrder =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                pending = Some(order_payload(numeric, order).map_err(bad)?);
            }
            "Customer" => {
                let customer: BulkCustomer =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                let payload = customer_payload(customer).map_err(bad)?;
                Commerce::upsert_customer(db, shop_id, &payload, now)
                    .await
                    .map_err(CommerceError::from)?;
                report.customers += 1;
            }
            other => {
                tracing::debug!(
                    line = line_no,
                    kind = other,
                    "skipping a node we do not import"
                );
            }
        }
    }
    if let Some(order) = pending.take() {
        Commerce::upsert_order(db, shop_id, &order, now).await?;
        report.orders += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::gid;

    #[test]
    fn reads_global_ids() {
        assert_eq!(
            gid("gid://shopify/Order/9007199254740993"),
            Some(("Order", 9_007_199_254_740_993))
        );
        assert_eq!(gid("gid://shopify/LineItem/5?x=1"), Some(("LineItem", 5)));
        assert_eq!(gid("Order/5"), None);
        assert_eq!(gid("gid://shopify/Order/abc"), None);
    }
}
