//! The demo shop's returns: one in every state of the state machine, on
//! recent deliveries, asked for in the shoppers' languages — so the queue,
//! the status pages and the slips have something real to show. The shop's
//! return address is set. Seeded once: a shop with returns gets no more.
use super::seed::DEMO_SHOP;
use crate::returns::rules::{Outcome, ReturnAddress};
use crate::returns::settle::settle;
use crate::returns::{NewReturn, ReturnPolicy, Returns};
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, RetryPolicy};
use crate::shops::PlatformDeps;
use crate::shops::{ShopSettings, Shops, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::{delivery_promises, orders};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// How far each demo return got: the moves after the request, then settled or not.
const JOURNEYS: [(&str, &[&str], Outcome, &str); 9] = [
    ("requested", &[], Outcome::Refund, "doesnt_fit"),
    (
        "approved",
        &["approve"],
        Outcome::StoreCredit,
        "changed_mind",
    ),
    ("rejected", &["reject"], Outcome::Refund, "changed_mind"),
    (
        "label",
        &["approve", "issue_label"],
        Outcome::Refund,
        "damaged",
    ),
    (
        "transit",
        &["approve", "ship"],
        Outcome::Exchange,
        "doesnt_fit",
    ),
    (
        "received",
        &["approve", "ship", "receive"],
        Outcome::Refund,
        "not_as_described",
    ),
    (
        "refunded",
        &["approve", "ship", "receive"],
        Outcome::Refund,
        "damaged",
    ),
    (
        "credited",
        &["approve", "receive"],
        Outcome::StoreCredit,
        "doesnt_fit",
    ),
    (
        "exchanged",
        &["approve", "ship", "receive"],
        Outcome::Exchange,
        "doesnt_fit",
    ),
];

pub async fn seed_returns(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    secret: &[u8],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(0);
    };
    if !Returns::counts(db, shop.id).await?.is_empty() {
        return Ok(0);
    }
    let mut policy: ReturnPolicy = ShopSettings::load(db, shop.id).await?;
    if policy.return_address == ReturnAddress::default() {
        policy.return_address = ReturnAddress {
            name: "Bottega Flywheel — Resi".into(),
            line1: "Via Pietro Micca 20".into(),
            line2: String::new(),
            city: "Torino".into(),
            zip: "10122".into(),
            country: "Italia".into(),
        };
        ShopSettings::save(db, shop.id, &policy, now).await?;
    }
    let delivered: Vec<(delivery_promises::Model, Option<orders::Model>)> =
        delivery_promises::Entity::find()
            .filter(delivery_promises::Column::ShopId.eq(shop.id))
            .filter(delivery_promises::Column::DeliveredAt.gt(now - Duration::days(25)))
            .find_also_related(orders::Entity)
            .order_by_desc(delivery_promises::Column::DeliveredAt)
            .all(db)
            .await?;
    // No platform behind the demo shop: the settlements are answered locally.
    let admin = AdminApi::new(
        reqwest::Client::new(),
        None,
        "2026-10".into(),
        RetryPolicy::default(),
    );
    let deps = PlatformDeps {
        db,
        api: &admin,
        cipher,
        secret,
    };
    let tz = crate::clock::shop_tz(&shop.timezone);
    let mut created = 0;
    let orders = delivered
        .into_iter()
        .filter_map(|(_, o)| o)
        .filter(|o| o.cancelled_at.is_none() && o.customer_id.is_some());
    for ((name, moves, outcome, reason), order) in JOURNEYS.iter().zip(orders) {
        let key = format!("demo:{name}:{}", order.id);
        let view =
            Returns::returnable(db, &policy, &order, tz, crate::clock::local_date(now, tz)).await?;
        let Some(line) = view.lines.iter().find(|l| l.available.is_ok()) else {
            continue;
        };
        let exchange = line
            .product_id
            .and_then(|p| view.exchange_variants.get(&p))
            .and_then(|v| v.first())
            .map(|(id, _)| *id);
        let opened = now - Duration::days(moves.len() as i64 + 1);
        let request = match Returns::request(
            db,
            &policy,
            &order,
            &view,
            NewReturn {
                lines: vec![(line.line_item_id, 1)],
                reason: (*reason).to_owned(),
                comment: None,
                outcome: *outcome,
                exchange_variant_id: exchange.filter(|_| *outcome == Outcome::Exchange),
                locale: crate::i18n::negotiate(order.customer_locale.as_deref()).to_owned(),
                key,
            },
            opened,
        )
        .await
        {
            Ok(request) => request,
            Err(e) => return Err(DbErr::Custom(e.to_string())),
        };
        created += 1;
        let mut current = request;
        for (step, action) in moves.iter().enumerate() {
            let at = opened + Duration::hours(6 * (step as i64 + 1));
            let changes = if *action == "reject" {
                vec![(
                    entity::return_requests::Column::RejectionReason,
                    sea_orm::Value::from(Some(
                        "Worn and washed: we can only take back unused items.".to_owned(),
                    )),
                )]
            } else {
                Vec::new()
            };
            current = Returns::transition(db, &current, action, "demo@flywheel", None, changes, at)
                .await
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        if matches!(*name, "refunded" | "credited" | "exchanged") {
            settle(
                &deps,
                &shop,
                &current,
                None,
                "demo@flywheel",
                now - Duration::hours(2),
            )
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
    }
    Ok(created)
}
