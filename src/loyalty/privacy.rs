//! What the privacy webhooks do to loyalty data: a customer's export includes
//! their points; a customer redaction erases their loyalty rows (and their
//! email from referrals they were invited by); a shop redaction erases all.
use super::ledger::PointsLedger;
use crate::db::delete_where;
use entity::{
    loyalty_events, loyalty_members, loyalty_programs, loyalty_redemptions, loyalty_referrals,
    loyalty_rewards, loyalty_tier_changes, points_ledger,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

/// The customer's loyalty record for a data request.
pub async fn export(db: &impl ConnectionTrait, customer_id: i64) -> Result<Value, DbErr> {
    let Some(member) = super::members::Members::find(db, customer_id).await? else {
        return Ok(Value::Null);
    };
    let balance = PointsLedger::balance(db, customer_id).await?;
    let entries = points_ledger::Entity::find()
        .filter(points_ledger::Column::CustomerId.eq(customer_id))
        .order_by_asc(points_ledger::Column::Id)
        .all(db)
        .await?;
    let redemptions = loyalty_redemptions::Entity::find()
        .filter(loyalty_redemptions::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?;
    Ok(json!({
        "tier": member.tier,
        "referral_code": member.referral_code,
        "enrolled_at": member.enrolled_at,
        "birthday": member.birthday_month.zip(member.birthday_day).map(|(m, d)| format!("{m:02}-{d:02}")),
        "points_balance": balance.points,
        "lifetime_points": balance.lifetime,
        "ledger": entries.iter().map(|e| json!({
            "points": e.delta, "reason": e.reason, "at": e.created_at, "note": e.note,
        })).collect::<Vec<_>>(),
        "redemptions": redemptions.iter().map(|r| json!({
            "reward": r.reward_name, "code": r.code, "status": r.status, "at": r.created_at,
        })).collect::<Vec<_>>(),
    }))
}

pub async fn redact_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: i64,
    email: Option<&str>,
) -> Result<(), DbErr> {
    delete_where::<loyalty_events::Entity>(db, loyalty_events::Column::CustomerId, customer_id)
        .await?;
    delete_where::<loyalty_tier_changes::Entity>(
        db,
        loyalty_tier_changes::Column::CustomerId,
        customer_id,
    )
    .await?;
    delete_where::<loyalty_redemptions::Entity>(
        db,
        loyalty_redemptions::Column::CustomerId,
        customer_id,
    )
    .await?;
    delete_where::<loyalty_referrals::Entity>(
        db,
        loyalty_referrals::Column::ReferrerCustomerId,
        customer_id,
    )
    .await?;
    let mut invited =
        Condition::any().add(loyalty_referrals::Column::RefereeCustomerId.eq(customer_id));
    if let Some(email) = email.and_then(super::fraud::normalize_email) {
        invited = invited.add(loyalty_referrals::Column::RefereeEmail.eq(email));
    }
    loyalty_referrals::Entity::update_many()
        .col_expr(
            loyalty_referrals::Column::RefereeEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            loyalty_referrals::Column::RefereeCustomerId,
            Expr::value(Option::<i64>::None),
        )
        .filter(loyalty_referrals::Column::ShopId.eq(shop_id))
        .filter(invited)
        .exec(db)
        .await?;
    delete_where::<points_ledger::Entity>(db, points_ledger::Column::CustomerId, customer_id)
        .await?;
    delete_where::<loyalty_members::Entity>(db, loyalty_members::Column::CustomerId, customer_id)
        .await?;
    Ok(())
}

/// Every loyalty row of the shop, children first.
pub async fn redact_shop(db: &impl ConnectionTrait, shop_id: i64) -> Result<(), DbErr> {
    delete_where::<loyalty_events::Entity>(db, loyalty_events::Column::ShopId, shop_id).await?;
    delete_where::<loyalty_tier_changes::Entity>(db, loyalty_tier_changes::Column::ShopId, shop_id)
        .await?;
    delete_where::<loyalty_redemptions::Entity>(db, loyalty_redemptions::Column::ShopId, shop_id)
        .await?;
    delete_where::<loyalty_rewards::Entity>(db, loyalty_rewards::Column::ShopId, shop_id).await?;
    delete_where::<loyalty_referrals::Entity>(db, loyalty_referrals::Column::ShopId, shop_id)
        .await?;
    delete_where::<points_ledger::Entity>(db, points_ledger::Column::ShopId, shop_id).await?;
    delete_where::<loyalty_members::Entity>(db, loyalty_members::Column::ShopId, shop_id).await?;
    delete_where::<loyalty_programs::Entity>(db, loyalty_programs::Column::ShopId, shop_id).await?;
    Ok(())
}
