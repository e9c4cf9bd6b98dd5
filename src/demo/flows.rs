//! The demo shop's recent orders go through the lifecycle flows as the
//! webhooks would have sent them: the last three weeks' orders get their
//! confirmation, check-in, survey and review request, pet-hair removers
//! their replenishment reminder and phone stands a lamp to go with them,
//! so the outbox shows the series for customers writing in English,
//! Italian and French. The daily scan adds the win-backs and VIP notes.
use super::seed::{DEMO_SHOP, PRODUCTS};
use crate::flows::settings::{Pairing, ReplenishRule};
use crate::flows::{FlowSettings, Flows};
use crate::shopify::ShopDomain;
use crate::shops::ShopSettings;
use crate::shops::Shops;
use chrono::{DateTime, Duration, Utc};
use entity::orders;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};

/// Schedules the flows of the demo's recent orders (keyed: a second run adds nothing).
pub async fn seed_flows(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(0);
    };
    let settings: FlowSettings = ShopSettings::load(db, shop.id).await?;
    if settings == FlowSettings::default() {
        // The merchant's own choices, had they set the demo shop up.
        let mut demo = settings;
        let product = |title: &str| PRODUCTS.iter().find(|p| p.title == title);
        if let Some(remover) = product("Pet hair remover") {
            demo.replenishment.rules.push(ReplenishRule {
                product_id: remover.id,
                after_days: 14,
            });
        }
        if let (Some(stand), Some(lamp)) = (product("Bamboo phone stand"), product("LED desk lamp"))
        {
            demo.complete_the_set.after_days = 10;
            demo.complete_the_set.pairs.push(Pairing {
                product_id: stand.id,
                suggest_product_id: lamp.id,
                suggest_title: lamp.title.to_owned(),
                suggest_path: format!("/products/{}", lamp.handle()),
            });
        }
        ShopSettings::save(db, shop.id, &demo, now).await?;
    }
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
