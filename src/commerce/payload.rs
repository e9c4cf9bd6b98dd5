//! The platform's webhook payload shapes (REST resources), only the fields we keep.
//! Ids are 64-bit integers beyond 2^53: they are read as `i64`, never through `f64`.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// Accepts an id written as a JSON integer or as a string of digits.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(v) => Ok(v),
        Raw::Text(s) => s
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an integer id"))),
    }
}

pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "id")] i64);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}

fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "id")] i64);
    Ok(Option::<Vec<Wrap>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|w| w.0)
        .collect())
}

#[derive(Debug, Clone, Deserialize)]
pub struct MarketingConsent {
    pub state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<String>,
    pub tags: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub email_marketing_consent: Option<MarketingConsent>,
    /// Account state: `enabled` once the shopper has activated an account.
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddressPayload {
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address1: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    pub country_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineItemPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    #[serde(default, deserialize_with = "opt_id")]
    pub product_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id")]
    pub variant_id: Option<i64>,
    pub title: Option<String>,
    pub variant_title: Option<String>,
    pub vendor: Option<String>,
    pub sku: Option<String>,
    pub quantity: i32,
    pub price: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiscountCodePayload {
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub contact_email: Option<String>,
    pub currency: String,
    pub subtotal_price: Option<String>,
    pub total_price: Option<String>,
    pub total_discounts: Option<String>,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub customer: Option<CustomerPayload>,
    pub shipping_address: Option<AddressPayload>,
    pub browser_ip: Option<String>,
    pub source_name: Option<String>,
    pub referring_site: Option<String>,
    pub landing_site: Option<String>,
    pub customer_locale: Option<String>,
    pub tags: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItemPayload>,
    #[serde(default)]
    pub discount_codes: Vec<DiscountCodePayload>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransactionPayload {
    pub amount: String,
    pub currency: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RefundPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    #[serde(deserialize_with = "id")]
    pub order_id: i64,
    pub note: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub transactions: Vec<TransactionPayload>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FulfillmentPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    #[serde(deserialize_with = "id")]
    pub order_id: i64,
    pub status: Option<String>,
    pub shipment_status: Option<String>,
    pub tracking_company: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductPayload {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    #[serde(default)]
    pub title: Option<String>,
    /// Comma-separated.
    #[serde(default)]
    pub tags: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PrivacyCustomer {
    #[serde(deserialize_with = "id")]
    pub id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataRequestId {
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataRequestPayload {
    pub shop_domain: Option<String>,
    pub customer: PrivacyCustomer,
    #[serde(default, deserialize_with = "ids")]
    pub orders_requested: Vec<i64>,
    pub data_request: Option<DataRequestId>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRedactPayload {
    pub shop_domain: Option<String>,
    pub customer: PrivacyCustomer,
    #[serde(default, deserialize_with = "ids")]
    pub orders_to_redact: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShopRedactPayload {
    pub shop_domain: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_ids_survive_exactly() {
        let order: OrderPayload = serde_json::from_str(
            r#"{"id": 9007199254740993, "currency": "EUR",
                "line_items": [{"id": "9007199254740995", "quantity": 1, "price": "1.00", "product_id": 9007199254740997}]}"#,
        )
        .expect("order parses");
        assert_eq!(order.id, 9_007_199_254_740_993);
        assert_eq!(order.line_items[0].id, 9_007_199_254_740_995);
        assert_eq!(order.line_items[0].product_id, Some(9_007_199_254_740_997));
    }

    #[test]
    fn dates_with_offsets_become_utc() {
        let c: CustomerPayload =
            serde_json::from_str(r#"{"id": 1, "updated_at": "2026-03-01T10:00:00-05:00"}"#)
                .expect("customer parses");
        assert_eq!(
            c.updated_at.map(|d| d.to_rfc3339()),
            Some("2026-03-01T15:00:00+00:00".into())
        );
    }
}
