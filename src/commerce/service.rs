//! Writes what the platform tells us about customers, orders, refunds and
//! fulfillments. Every write is an upsert keyed by the platform's id and guarded
//! by the platform's `updated_at`, so repeats and out-of-order deliveries settle
//! on the newest version.
use super::payload::{
    CustomerPayload, FulfillmentPayload, LineItemPayload, OrderPayload, ProductPayload,
    RefundPayload,
};
use crate::db::inserted;
use crate::money::{Money, MoneyError};
use chrono::{DateTime, Utc};
use entity::{customers, fulfillments, order_line_items, orders, products, refunds};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{0}")]
    Invalid(String),
}

impl From<MoneyError> for CommerceError {
    fn from(e: MoneyError) -> Self {
        CommerceError::Invalid(e.to_string())
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Inserted(i64),
    Updated(i64),
    /// The stored version is newer than the one delivered; nothing changed.
    Stale(i64),
}

impl Upsert {
    pub fn id(self) -> i64 {
        match self {
            Upsert::Inserted(id) | Upsert::Updated(id) | Upsert::Stale(id) => id,
        }
    }
}

/// True when `incoming` is older than what we stored.
fn is_stale(stored: Option<DateTime<Utc>>, incoming: Option<DateTime<Utc>>) -> bool {
    matches!((stored, incoming), (Some(s), Some(i)) if i < s)
}

/// Keeps the stored value when the delivery omits a field.
fn keep<T: Clone>(incoming: &Option<T>, stored: Option<T>) -> Option<T> {
    incoming.clone().or(stored)
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub struct Commerce;

impl Commerce {
    /// The row a customer as delivered would be inserted as.
    pub(crate) fn customer_row(
        shop_id: i64,
        c: &CustomerPayload,
        now: DateTime<Utc>,
    ) -> customers::ActiveModel {
        let consent = c
            .email_marketing_consent
            .as_ref()
            .and_then(|m| m.state.clone());
        customers::ActiveModel {
            shop_id: Set(shop_id),
            shopify_customer_id: Set(c.id),
            email: Set(non_empty(&c.email)),
            first_name: Set(non_empty(&c.first_name)),
            last_name: Set(non_empty(&c.last_name)),
            phone: Set(non_empty(&c.phone)),
            locale: Set(non_empty(&c.locale)),
            email_marketing_consent: Set(consent
                .clone()
                .unwrap_or_else(|| "not_subscribed".into())),
            tags: Set(c.tags.clone().unwrap_or_default()),
            platform_created_at: Set(c.created_at),
            platform_updated_at: Set(c.updated_at),
            redacted_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }

    #[tracing::instrument(skip(db, c), fields(customer = c.id))]
    pub async fn upsert_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        c: &CustomerPayload,
        now: DateTime<Utc>,
    ) -> Result<Upsert, DbErr> {
        let consent = c
            .email_marketing_consent
            .as_ref()
            .and_then(|m| m.state.clone());
        let row = Self::customer_row(shop_id, c, now);
        let result = customers::Entity::insert(row)
            .on_conflict_do_nothing_on([
                customers::Column::ShopId,
                customers::Column::ShopifyCustomerId,
            ])
            .exec_without_returning(db)
            .await?;
        let existing = customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop_id))
            .filter(customers::Column::ShopifyCustomerId.eq(c.id))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("customer {}", c.id)))?;
        let id = existing.id;
        if inserted(result) {
            return Ok(Upsert::Inserted(id));
        }
        // A redacted customer stays redacted, and an older version never overwrites a newer one.
        if existing.redacted_at.is_some() || is_stale(existing.platform_updated_at, c.updated_at) {
            return Ok(Upsert::Stale(id));
        }
        let mut row: customers::ActiveModel = existing.clone().into();
        row.email = Set(keep(&non_empty(&c.email), existing.email));
        row.first_name = Set(keep(&non_empty(&c.first_name), existing.first_name));
        row.last_name = Set(keep(&non_empty(&c.last_name), existing.last_name));
        row.phone = Set(keep(&non_empty(&c.phone), existing.phone));
        row.locale = Set(keep(&non_empty(&c.locale), existing.locale));
        if let Some(state) = consent {
            row.email_marketing_consent = Set(state);
        }
        if let Some(tags) = &c.tags {
            row.tags = Set(tags.clone());
        }
        row.platform_created_at = Set(keep(&c.created_at, existing.platform_created_at));
        row.platform_updated_at = Set(keep(&c.updated_at, existing.platform_updated_at));
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(Upsert::Updated(id))
    }

    /// The row an order as delivered would be inserted as (linked to our
    /// `customer_id`), with its line items and their prices in minor units.
    #[allow(clippy::type_complexity)]
    pub(crate) fn order_row(
        shop_id: i64,
        o: &OrderPayload,
        customer_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(orders::ActiveModel, Vec<(&LineItemPayload, i64)>), MoneyError> {
        let currency = o.currency.to_ascii_uppercase();
        let amount = |v: &Option<String>| -> Result<i64, MoneyError> {
            Money::parse(v.as_deref().unwrap_or("0"), &currency).map(|m| m.minor)
        };
        let subtotal = amount(&o.subtotal_price)?;
        let total = amount(&o.total_price)?;
        let discounts = amount(&o.total_discounts)?;
        let line_items = o
            .line_items
            .iter()
            .map(|li| Ok((li, Money::parse(&li.price, &currency)?.minor)))
            .collect::<Result<Vec<(&LineItemPayload, i64)>, MoneyError>>()?;
        let shipping = o.shipping_address.as_ref();
        let shipping_name = shipping.and_then(|a| {
            non_empty(&a.name).or_else(|| {
                let joined = format!(
                    "{} {}",
                    a.first_name.as_deref().unwrap_or(""),
                    a.last_name.as_deref().unwrap_or("")
                );
                non_empty(&Some(joined))
            })
        });

        let row = orders::ActiveModel {
            shop_id: Set(shop_id),
            shopify_order_id: Set(o.id),
            customer_id: Set(customer_id),
            shopify_customer_id: Set(o.customer.as_ref().map(|c| c.id)),
            name: Set(o.name.clone().unwrap_or_default()),
            email: Set(non_empty(&o.email).or_else(|| non_empty(&o.contact_email))),
            currency: Set(currency.clone()),
            subtotal_minor: Set(subtotal),
            total_minor: Set(total),
            total_discounts_minor: Set(discounts),
            financial_status: Set(o
                .financial_status
                .clone()
                .unwrap_or_else(|| "pending".into())),
            fulfillment_status: Set(o.fulfillment_status.clone()),
            cancelled_at: Set(o.cancelled_at),
            processed_at: Set(o.processed_at),
            platform_created_at: Set(o.created_at),
            platform_updated_at: Set(o.updated_at),
            shipping_name: Set(shipping_name),
            shipping_address1: Set(shipping.and_then(|a| non_empty(&a.address1))),
            shipping_city: Set(shipping.and_then(|a| non_empty(&a.city))),
            shipping_zip: Set(shipping.and_then(|a| non_empty(&a.zip))),
            shipping_country_code: Set(shipping.and_then(|a| non_empty(&a.country_code))),
            browser_ip: Set(non_empty(&o.browser_ip)),
            source_name: Set(non_empty(&o.source_name)),
            referring_site: Set(non_empty(&o.referring_site)),
            landing_site: Set(non_empty(&o.landing_site)),
            customer_locale: Set(non_empty(&o.customer_locale)),
            tags: Set(o.tags.clone().unwrap_or_default()),
            discount_codes: Set(o
                .discount_codes
                .iter()
                .map(|d| d.code.trim().replace(',', " "))
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(",")),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok((row, line_items))
    }

    #[tracing::instrument(skip(db, o), fields(order = o.id))]
    pub async fn upsert_order(
        db: &impl ConnectionTrait,
        shop_id: i64,
        o: &OrderPayload,
        now: DateTime<Utc>,
    ) -> Result<Upsert, CommerceError> {
        let customer_id = match &o.customer {
            Some(c) => Some(Self::upsert_customer(db, shop_id, c, now).await?.id()),
            None => None,
        };
        let (mut row, line_items) = Self::order_row(shop_id, o, customer_id, now)?;
        let result = orders::Entity::insert(row.clone())
            .on_conflict_do_nothing_on([orders::Column::ShopId, orders::Column::ShopifyOrderId])
            .exec_without_returning(db)
            .await?;
        let existing = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::ShopifyOrderId.eq(o.id))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("order {}", o.id)))?;
        let order_id = existing.id;
        let outcome = if inserted(result) {
            // Refunds or fulfillments that arrived before their order now find it.
            Self::link_early_arrivals(db, shop_id, o.id, order_id).await?;
            Upsert::Inserted(order_id)
        } else if is_stale(existing.platform_updated_at, o.updated_at) {
            return Ok(Upsert::Stale(order_id));
        } else {
            row.id = Set(order_id);
            row.created_at = Set(existing.created_at);
            if customer_id.is_none() {
                row.customer_id = Set(existing.customer_id);
                row.shopify_customer_id = Set(existing.shopify_customer_id);
            }
            row.reset_all().update(db).await?;
            Upsert::Updated(order_id)
        };
        Self::replace_line_items(db, shop_id, order_id, &line_items).await?;
        Ok(outcome)
    }

    pub(crate) fn line_item_row(
        shop_id: i64,
        order_id: i64,
        li: &LineItemPayload,
        price_minor: i64,
    ) -> order_line_items::ActiveModel {
        order_line_items::ActiveModel {
            shop_id: Set(shop_id),
            order_id: Set(order_id),
            shopify_line_item_id: Set(li.id),
            product_id: Set(li.product_id),
            variant_id: Set(li.variant_id),
            title: Set(li.title.clone().unwrap_or_default()),
            variant_title: Set(non_empty(&li.variant_title)),
            vendor: Set(non_empty(&li.vendor)),
            sku: Set(non_empty(&li.sku)),
            quantity: Set(li.quantity),
            price_minor: Set(price_minor),
            ..Default::default()
        }
    }

    async fn replace_line_items(
        db: &impl ConnectionTrait,
        shop_id: i64,
        order_id: i64,
        items: &[(&LineItemPayload, i64)],
    ) -> Result<(), DbErr> {
        order_line_items::Entity::delete_many()
            .filter(order_line_items::Column::OrderId.eq(order_id))
            .exec(db)
            .await?;
        if items.is_empty() {
            return Ok(());
        }
        let rows = items
            .iter()
            .map(|(li, price)| Self::line_item_row(shop_id, order_id, li, *price));
        order_line_items::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    async fn link_early_arrivals(
        db: &impl ConnectionTrait,
        shop_id: i64,
        shopify_order_id: i64,
        order_id: i64,
    ) -> Result<(), DbErr> {
        refunds::Entity::update_many()
            .col_expr(refunds::Column::OrderId, Expr::value(order_id))
            .filter(refunds::Column::ShopId.eq(shop_id))
            .filter(refunds::Column::ShopifyOrderId.eq(shopify_order_id))
            .filter(refunds::Column::OrderId.is_null())
            .exec(db)
            .await?;
        fulfillments::Entity::update_many()
            .col_expr(fulfillments::Column::OrderId, Expr::value(order_id))
            .filter(fulfillments::Column::ShopId.eq(shop_id))
            .filter(fulfillments::Column::ShopifyOrderId.eq(shopify_order_id))
            .filter(fulfillments::Column::OrderId.is_null())
            .exec(db)
            .await?;
        Ok(())
    }

    /// "First Last" as the customer gave it, when they gave any.
    pub fn full_name(c: &customers::Model) -> Option<String> {
        let name = format!(
            "{} {}",
            c.first_name.as_deref().unwrap_or_default(),
            c.last_name.as_deref().unwrap_or_default()
        );
        Some(name.trim().to_owned()).filter(|n| !n.is_empty())
    }

    /// A customer of the shop by the platform's id (redacted ones included).
    pub async fn find_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        shopify_customer_id: i64,
    ) -> Result<Option<customers::Model>, DbErr> {
        customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop_id))
            .filter(customers::Column::ShopifyCustomerId.eq(shopify_customer_id))
            .one(db)
            .await
    }

    pub async fn find_order(
        db: &impl ConnectionTrait,
        shop_id: i64,
        shopify_order_id: i64,
    ) -> Result<Option<orders::Model>, DbErr> {
        orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::ShopifyOrderId.eq(shopify_order_id))
            .one(db)
            .await
    }

    /// Money refunded so far on these orders (our ids), in their minor units.
    pub async fn refunded_minor(
        db: &impl ConnectionTrait,
        order_ids: &[i64],
    ) -> Result<i64, DbErr> {
        if order_ids.is_empty() {
            return Ok(0);
        }
        let sum: Option<i64> = refunds::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"))
            .filter(refunds::Column::OrderId.is_in(order_ids.to_vec()))
            .into_tuple()
            .one(db)
            .await?;
        Ok(sum.unwrap_or_default())
    }

    /// Records a refund once; the amount is what successful refund transactions returned.
    #[tracing::instrument(skip(db, r), fields(refund = r.id))]
    pub async fn record_refund(
        db: &impl ConnectionTrait,
        shop_id: i64,
        shop_currency: &str,
        r: &RefundPayload,
        now: DateTime<Utc>,
    ) -> Result<bool, CommerceError> {
        let order = Self::find_order(db, shop_id, r.order_id).await?;
        let order_currency = order.as_ref().map(|o| o.currency.clone());
        let mut currency = order_currency.unwrap_or_else(|| shop_currency.to_owned());
        let mut amount = 0i64;
        for tx in &r.transactions {
            let is_refund = tx.kind.as_deref().is_none_or(|k| k == "refund");
            let succeeded = tx.status.as_deref().is_none_or(|s| s == "success");
            if is_refund && succeeded {
                if let Some(c) = &tx.currency {
                    currency = c.to_ascii_uppercase();
                }
                amount += Money::parse(&tx.amount, &currency)?.minor;
            }
        }
        let row = refunds::ActiveModel {
            shop_id: Set(shop_id),
            order_id: Set(order.map(|o| o.id)),
            shopify_refund_id: Set(r.id),
            shopify_order_id: Set(r.order_id),
            amount_minor: Set(amount),
            currency: Set(currency),
            note: Set(non_empty(&r.note)),
            platform_created_at: Set(r.created_at),
            created_at: Set(now),
            ..Default::default()
        };
        let result = refunds::Entity::insert(row)
            .on_conflict_do_nothing_on([refunds::Column::ShopId, refunds::Column::ShopifyRefundId])
            .exec_without_returning(db)
            .await?;
        Ok(inserted(result))
    }

    /// A product as the platform now describes it (an older version than the
    /// one held changes nothing).
    pub async fn upsert_product(
        db: &impl ConnectionTrait,
        shop_id: i64,
        p: &ProductPayload,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let existing = products::Entity::find()
            .filter(products::Column::ShopId.eq(shop_id))
            .filter(products::Column::ShopifyProductId.eq(p.id))
            .one(db)
            .await?;
        let stale = existing.as_ref().is_some_and(|e| {
            matches!((e.platform_updated_at, p.updated_at), (Some(held), Some(new)) if new < held)
        });
        if stale {
            return Ok(());
        }
        let mut row = products::ActiveModel {
            shop_id: Set(shop_id),
            shopify_product_id: Set(p.id),
            title: Set(p.title.clone().unwrap_or_default()),
            tags: Set(p.tags.clone().unwrap_or_default()),
            vendor: Set(non_empty(&p.vendor)),
            platform_updated_at: Set(p.updated_at),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        match existing {
            Some(e) => {
                row.id = Set(e.id);
                row.created_at = Set(e.created_at);
                products::Entity::update(row).exec(db).await?;
            }
            None => {
                products::Entity::insert(row)
                    .on_conflict_do_nothing_on([
                        products::Column::ShopId,
                        products::Column::ShopifyProductId,
                    ])
                    .exec_without_returning(db)
                    .await?;
            }
        }
        Ok(())
    }

    /// The tags of the shop's products among `ids` (the platform's ids).
    pub async fn product_tags(
        db: &impl ConnectionTrait,
        shop_id: i64,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, DbErr> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        Ok(products::Entity::find()
            .filter(products::Column::ShopId.eq(shop_id))
            .filter(products::Column::ShopifyProductId.is_in(ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.shopify_product_id, p.tags))
            .collect())
    }

    #[tracing::instrument(skip(db, f), fields(fulfillment = f.id))]
    pub async fn upsert_fulfillment(
        db: &impl ConnectionTrait,
        shop_id: i64,
        f: &FulfillmentPayload,
        now: DateTime<Utc>,
    ) -> Result<Upsert, DbErr> {
        let order_id = Self::find_order(db, shop_id, f.order_id)
            .await?
            .map(|o| o.id);
        let delivered = f.shipment_status.as_deref() == Some("delivered");
        let delivered_at = delivered.then(|| f.updated_at.unwrap_or(now));
        let mut row = fulfillments::ActiveModel {
            shop_id: Set(shop_id),
            order_id: Set(order_id),
            shopify_fulfillment_id: Set(f.id),
            shopify_order_id: Set(f.order_id),
            status: Set(non_empty(&f.status)),
            shipment_status: Set(non_empty(&f.shipment_status)),
            tracking_company: Set(non_empty(&f.tracking_company)),
            tracking_number: Set(non_empty(&f.tracking_number)),
            platform_created_at: Set(f.created_at),
            platform_updated_at: Set(f.updated_at),
            delivered_at: Set(delivered_at),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let result = fulfillments::Entity::insert(row.clone())
            .on_conflict_do_nothing_on([
                fulfillments::Column::ShopId,
                fulfillments::Column::ShopifyFulfillmentId,
            ])
            .exec_without_returning(db)
            .await?;
        let existing = fulfillments::Entity::find()
            .filter(fulfillments::Column::ShopId.eq(shop_id))
            .filter(fulfillments::Column::ShopifyFulfillmentId.eq(f.id))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("fulfillment {}", f.id)))?;
        if inserted(result) {
            return Ok(Upsert::Inserted(existing.id));
        }
        if is_stale(existing.platform_updated_at, f.updated_at) {
            return Ok(Upsert::Stale(existing.id));
        }
        row.id = Set(existing.id);
        row.created_at = Set(existing.created_at);
        // The first delivery scan is the delivery date.
        row.delivered_at = Set(existing.delivered_at.or(delivered_at));
        row.reset_all().update(db).await?;
        Ok(Upsert::Updated(existing.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_versions_are_stale() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .ok()
        };
        assert!(is_stale(
            t("2026-01-02T00:00:00Z"),
            t("2026-01-01T00:00:00Z")
        ));
        assert!(!is_stale(
            t("2026-01-01T00:00:00Z"),
            t("2026-01-01T00:00:00Z")
        ));
        assert!(!is_stale(None, t("2026-01-01T00:00:00Z")));
        assert!(!is_stale(t("2026-01-01T00:00:00Z"), None));
    }
}
