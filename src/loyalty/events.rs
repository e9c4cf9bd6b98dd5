//! The outbox of loyalty moments the emails follow up: a tier reached, points
//! about to expire, the launch, a referral rewarded, a birthday. Recorded
//! once per key, in the same transaction as the change that caused them.
use chrono::{DateTime, Utc};
use entity::loyalty_events;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

pub struct LoyaltyEvents;

impl LoyaltyEvents {
    pub async fn record(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: Option<i64>,
        kind: &str,
        payload: Value,
        key: String,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let row = loyalty_events::ActiveModel {
            shop_id: Set(shop_id),
            customer_id: Set(customer_id),
            kind: Set(kind.to_owned()),
            payload: Set(payload),
            idempotency_key: Set(key),
            created_at: Set(now),
            handled_at: Set(None),
            ..Default::default()
        };
        loyalty_events::Entity::insert(row)
            .on_conflict_do_nothing_on([
                loyalty_events::Column::ShopId,
                loyalty_events::Column::IdempotencyKey,
            ])
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// Events not yet handled, oldest first: what the emails will pick up.
    pub async fn pending(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<Vec<loyalty_events::Model>, DbErr> {
        loyalty_events::Entity::find()
            .filter(loyalty_events::Column::ShopId.eq(shop_id))
            .filter(loyalty_events::Column::HandledAt.is_null())
            .order_by_asc(loyalty_events::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }
}
