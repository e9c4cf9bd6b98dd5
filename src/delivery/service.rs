//! A shop's delivery rules in the database, and the promise recorded per
//! order: the range the storefront showed when it was placed, then the days
//! it really shipped and arrived (for the check-in email and the dashboard).
use super::rules::{DeliveryRules, ProductRef};
use crate::clock::shop_tz;
use chrono::{DateTime, Utc};
use entity::{delivery_promises, delivery_settings, fulfillments, order_line_items, orders, shops};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

pub struct DeliveryPromises;

impl DeliveryPromises {
    /// The shop's rules, or the defaults until the merchant sets their own.
    pub async fn rules(db: &impl ConnectionTrait, shop_id: i64) -> Result<DeliveryRules, DbErr> {
        let Some(row) = delivery_settings::Entity::find()
            .filter(delivery_settings::Column::ShopId.eq(shop_id))
            .one(db)
            .await?
        else {
            return Ok(DeliveryRules::default());
        };
        // Validated when saved: a row that no longer reads is corruption, not a default.
        serde_json::from_value(row.rules).map_err(|e| {
            DbErr::Custom(format!(
                "delivery rules of shop {shop_id} are unreadable: {e}"
            ))
        })
    }

    /// Saves rules the caller has validated.
    pub async fn save_rules(
        db: &impl ConnectionTrait,
        shop_id: i64,
        rules: &DeliveryRules,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let json = serde_json::to_value(rules).map_err(|e| DbErr::Custom(e.to_string()))?;
        delivery_settings::Entity::insert(delivery_settings::ActiveModel {
            shop_id: Set(shop_id),
            rules: Set(json),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(delivery_settings::Column::ShopId)
                .update_columns([
                    delivery_settings::Column::Rules,
                    delivery_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }

    /// The latest promises with their orders, newest first.
    pub async fn recent(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<Vec<(delivery_promises::Model, Option<orders::Model>)>, DbErr> {
        use sea_orm::{QueryOrder, QuerySelect};
        delivery_promises::Entity::find()
            .filter(delivery_promises::Column::ShopId.eq(shop_id))
            .order_by_desc(delivery_promises::Column::Id)
            .limit(limit)
            .find_also_related(orders::Entity)
            .all(db)
            .await
    }

    pub async fn for_order(
        db: &impl ConnectionTrait,
        order_id: i64,
    ) -> Result<Option<delivery_promises::Model>, DbErr> {
        delivery_promises::Entity::find()
            .filter(delivery_promises::Column::OrderId.eq(order_id))
            .one(db)
            .await
    }

    /// Records the range promised when the order was placed, once.
    pub async fn on_order(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        order: &orders::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if order.cancelled_at.is_some() || Self::for_order(db, order.id).await?.is_some() {
            return Ok(());
        }
        let rules = Self::rules(db, shop.id).await?;
        let items = order_line_items::Entity::find()
            .filter(order_line_items::Column::OrderId.eq(order.id))
            .all(db)
            .await?;
        let products: Vec<ProductRef> = items
            .iter()
            .map(|li| ProductRef {
                product_id: li.product_id,
                vendor: li.vendor.clone(),
                tags: Vec::new(),
            })
            .collect();
        let country = order
            .shipping_country_code
            .clone()
            .unwrap_or_else(|| rules.default_country.clone());
        let placed = order
            .processed_at
            .or(order.platform_created_at)
            .unwrap_or(now);
        let Some(estimate) = rules.estimate(placed, shop_tz(&shop.timezone), &country, &products)
        else {
            return Ok(());
        };
        let mut suppliers: Vec<String> = products
            .iter()
            .filter_map(|p| rules.supplier_for(p).map(|s| s.key.clone()))
            .collect();
        suppliers.sort();
        suppliers.dedup();
        delivery_promises::Entity::insert(delivery_promises::ActiveModel {
            shop_id: Set(shop.id),
            order_id: Set(order.id),
            country_code: Set(Some(country.to_ascii_uppercase())),
            zone: Set(estimate.zone.clone()),
            suppliers: Set(suppliers.join(",")),
            promised_earliest: Set(estimate.earliest),
            promised_latest: Set(estimate.latest),
            dispatch_by: Set(estimate.dispatch_by),
            shipped_at: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([delivery_promises::Column::OrderId])
        .exec_without_returning(db)
        .await?;
        // Fulfillments that arrived before the order fill in the actual dates now.
        Self::record_actuals(db, order.id, now).await?;
        Ok(())
    }

    /// After a fulfillment delivery: the first shipment and, once every
    /// shipment is delivered, the last delivery. Returns the order and when
    /// it arrived, for the flows that follow a delivery.
    pub async fn on_fulfillment(
        db: &impl ConnectionTrait,
        shop_id: i64,
        shopify_order_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<(orders::Model, Option<DateTime<Utc>>)>, DbErr> {
        let order = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::ShopifyOrderId.eq(shopify_order_id))
            .one(db)
            .await?;
        match order {
            Some(order) => {
                let delivered = Self::record_actuals(db, order.id, now).await?;
                Ok(Some((order, delivered)))
            }
            None => Ok(None),
        }
    }

    /// Records when the order shipped and arrived; returns when it arrived.
    async fn record_actuals(
        db: &impl ConnectionTrait,
        order_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DbErr> {
        let Some(promise) = Self::for_order(db, order_id).await? else {
            return Ok(None);
        };
        let shipments = fulfillments::Entity::find()
            .filter(fulfillments::Column::OrderId.eq(order_id))
            .filter(fulfillments::Column::Status.ne("cancelled"))
            .all(db)
            .await?;
        if shipments.is_empty() {
            return Ok(None);
        }
        let shipped = shipments
            .iter()
            .map(|f| f.platform_created_at.unwrap_or(f.created_at))
            .min();
        let delivered = if shipments.iter().all(|f| f.delivered_at.is_some()) {
            shipments.iter().filter_map(|f| f.delivered_at).max()
        } else {
            None
        };
        if promise.shipped_at == shipped && promise.delivered_at == delivered {
            return Ok(delivered);
        }
        let mut row: delivery_promises::ActiveModel = promise.into();
        row.shipped_at = Set(shipped);
        row.delivered_at = Set(delivered);
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(delivered)
    }
}
