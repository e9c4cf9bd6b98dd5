//! Read models for the admin: one customer, one order, the shop at a glance.
//! Every query is scoped by shop.
use chrono::{DateTime, Datelike, Duration, Utc};
use entity::{
    customers, fulfillments, order_line_items, orders, privacy_exports, refunds, webhook_events,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Serialize)]
pub struct OrderSummary {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub total_minor: i64,
    pub financial_status: String,
    pub cancelled: bool,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<&orders::Model> for OrderSummary {
    fn from(o: &orders::Model) -> Self {
        OrderSummary {
            id: o.shopify_order_id,
            name: o.name.clone(),
            currency: o.currency.clone(),
            total_minor: o.total_minor,
            financial_status: o.financial_status.clone(),
            cancelled: o.cancelled_at.is_some(),
            created_at: o.platform_created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CustomerView {
    pub id: i64,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub email_marketing_consent: String,
    pub redacted: bool,
    pub orders_count: usize,
    pub orders: Vec<OrderSummary>,
}

#[derive(Debug, Serialize)]
pub struct LineItemView {
    pub id: i64,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub title: String,
    pub quantity: i32,
    pub price_minor: i64,
}

#[derive(Debug, Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub customer_id: Option<i64>,
    pub subtotal_minor: i64,
    pub total_discounts_minor: i64,
    pub fulfillment_status: Option<String>,
    pub line_items: Vec<LineItemView>,
    pub refunded_minor: i64,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct MonthCount {
    pub month: String,
    pub orders: i64,
}

#[derive(Debug, Serialize)]
pub struct ShopOverview {
    pub customers: u64,
    pub orders: usize,
    pub buyers: usize,
    pub repeat_customers: usize,
    pub repeat_purchase_rate: f64,
    pub currency: String,
    pub revenue_12m_minor: i64,
    pub refunded_12m_minor: i64,
    pub orders_by_month: Vec<MonthCount>,
}

#[derive(Debug, Serialize)]
pub struct WebhookEventView {
    pub topic: String,
    pub status: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct PrivacyExportView {
    pub id: i64,
    pub customer_id: i64,
    pub data_request_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

pub async fn customer_view(
    db: &impl ConnectionTrait,
    shop_id: i64,
    shopify_customer_id: i64,
) -> Result<Option<CustomerView>, DbErr> {
    let Some(c) = super::Commerce::find_customer(db, shop_id, shopify_customer_id).await? else {
        return Ok(None);
    };
    let orders = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop_id))
        .filter(orders::Column::CustomerId.eq(c.id))
        .order_by_asc(orders::Column::PlatformCreatedAt)
        .all(db)
        .await?;
    Ok(Some(CustomerView {
        id: c.shopify_customer_id,
        email: c.email,
        first_name: c.first_name,
        last_name: c.last_name,
        locale: c.locale,
        email_marketing_consent: c.email_marketing_consent,
        redacted: c.redacted_at.is_some(),
        orders_count: orders.iter().filter(|o| o.cancelled_at.is_none()).count(),
        orders: orders.iter().map(OrderSummary::from).collect(),
    }))
}

pub async fn order_view(
    db: &impl ConnectionTrait,
    shop_id: i64,
    shopify_order_id: i64,
) -> Result<Option<OrderView>, DbErr> {
    let Some(o) = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop_id))
        .filter(orders::Column::ShopifyOrderId.eq(shopify_order_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let items = order_line_items::Entity::find()
        .filter(order_line_items::Column::OrderId.eq(o.id))
        .order_by_asc(order_line_items::Column::Id)
        .all(db)
        .await?;
    let refunded: i64 = refunds::Entity::find()
        .filter(refunds::Column::OrderId.eq(o.id))
        .all(db)
        .await?
        .iter()
        .map(|r| r.amount_minor)
        .sum();
    let delivered_at = fulfillments::Entity::find()
        .filter(fulfillments::Column::OrderId.eq(o.id))
        .all(db)
        .await?
        .iter()
        .filter_map(|f| f.delivered_at)
        .max();
    Ok(Some(OrderView {
        summary: OrderSummary::from(&o),
        customer_id: o.shopify_customer_id,
        subtotal_minor: o.subtotal_minor,
        total_discounts_minor: o.total_discounts_minor,
        fulfillment_status: o.fulfillment_status,
        line_items: items
            .into_iter()
            .map(|li| LineItemView {
                id: li.shopify_line_item_id,
                product_id: li.product_id,
                variant_id: li.variant_id,
                title: li.title,
                quantity: li.quantity,
                price_minor: li.price_minor,
            })
            .collect(),
        refunded_minor: refunded,
        delivered_at,
    }))
}

pub async fn shop_overview(
    db: &impl ConnectionTrait,
    shop_id: i64,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<ShopOverview, DbErr> {
    let customers = customers::Entity::find()
        .filter(customers::Column::ShopId.eq(shop_id))
        .count(db)
        .await?;
    let rows: Vec<(Option<i64>, Option<DateTime<Utc>>, i64)> = orders::Entity::find()
        .select_only()
        .column(orders::Column::CustomerId)
        .column(orders::Column::PlatformCreatedAt)
        .column(orders::Column::TotalMinor)
        .filter(orders::Column::ShopId.eq(shop_id))
        .filter(orders::Column::CancelledAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let year_ago = now - Duration::days(365);
    let mut per_customer: HashMap<i64, usize> = HashMap::new();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    for months_back in 0..12 {
        let d = now - Duration::days(30 * months_back);
        by_month
            .entry(format!("{:04}-{:02}", d.year(), d.month()))
            .or_insert(0);
    }
    let mut revenue = 0i64;
    for (customer, created, total) in &rows {
        if let Some(c) = customer {
            *per_customer.entry(*c).or_default() += 1;
        }
        if let Some(created) = created.filter(|c| *c >= year_ago) {
            revenue += total;
            let key = format!("{:04}-{:02}", created.year(), created.month());
            if let Some(count) = by_month.get_mut(&key) {
                *count += 1;
            }
        }
    }
    let refunded: i64 = refunds::Entity::find()
        .select_only()
        .column(refunds::Column::AmountMinor)
        .filter(refunds::Column::ShopId.eq(shop_id))
        .filter(refunds::Column::PlatformCreatedAt.gte(year_ago))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .sum();
    let buyers = per_customer.len();
    let repeat = per_customer.values().filter(|n| **n >= 2).count();
    Ok(ShopOverview {
        customers,
        orders: rows.len(),
        buyers,
        repeat_customers: repeat,
        repeat_purchase_rate: if buyers == 0 {
            0.0
        } else {
            repeat as f64 / buyers as f64
        },
        currency: currency.to_owned(),
        revenue_12m_minor: revenue,
        refunded_12m_minor: refunded,
        orders_by_month: by_month
            .into_iter()
            .map(|(month, orders)| MonthCount { month, orders })
            .collect(),
    })
}

pub async fn recent_webhooks(
    db: &impl ConnectionTrait,
    shop_domain: &str,
    limit: u64,
) -> Result<Vec<WebhookEventView>, DbErr> {
    Ok(webhook_events::Entity::find()
        .filter(webhook_events::Column::ShopDomain.eq(shop_domain))
        .order_by_desc(webhook_events::Column::ReceivedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|e| WebhookEventView {
            topic: e.topic,
            status: e.status,
            received_at: e.received_at,
        })
        .collect())
}

pub async fn privacy_exports(
    db: &impl ConnectionTrait,
    shop_id: i64,
) -> Result<Vec<PrivacyExportView>, DbErr> {
    Ok(privacy_exports::Entity::find()
        .filter(privacy_exports::Column::ShopId.eq(shop_id))
        .order_by_desc(privacy_exports::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|e| PrivacyExportView {
            id: e.id,
            customer_id: e.shopify_customer_id,
            data_request_id: e.data_request_id,
            created_at: e.created_at,
            payload: e.payload,
        })
        .collect())
}
