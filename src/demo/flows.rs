//! The demo shop's recent orders go through the lifecycle flows as the
//! webhooks would have sent them: the last three weeks' orders get their
//! confirmation, and those delivered their review request, so the outbox
//! shows the series for customers writing in English, Italian and French.
use super::seed::DEMO_SHOP;
use crate::flows::Flows;
use crate::shopify::ShopDomain;
use crate::shops::Shops;
use chrono::{DateTime, Duration, Utc};
use entity::orders;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};

/// Schedules the flows of the demo's recent orders (keyed: a second run adds nothing).
pub async fn seed_flows(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(0);
    };
    let recent = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop.id))
        .filter(orders::Column::PlatformCreatedAt.gt(now - Duration::days(21)))
        .all(db)
        .await?;
    let txn = db.begin().await?;
    for order in &recent {
        Flows::on_order(&txn, &shop, order, now).await?;
        let delivered = crate::delivery::DeliveryPromises::for_order(&txn, order.id)
            .await?
            .and_then(|p| p.delivered_at);
        if let Some(delivered) = delivered {
            Flows::on_delivered(&txn, &shop, order, delivered, now).await?;
        }
    }
    txn.commit().await?;
    Ok(recent.len())
}
