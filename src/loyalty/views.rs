//! Read models for the admin API and the storefront: one member's balance,
//! tier, progress, perks, referral link and recent movements.
use super::ledger::PointsLedger;
use super::members::Members;
use super::program::Program;
use super::redemption::Rewards;
use super::rules::expiry_date;
use super::tiers::Progress;
use chrono::{DateTime, Utc};
use entity::loyalty_redemptions;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct LedgerLine {
    pub points: i64,
    pub reason: String,
    pub source: Option<String>,
    pub note: Option<String>,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Perks {
    pub points_multiplier_percent: u32,
    pub free_shipping: bool,
    pub free_shipping_after_orders: Option<u32>,
    pub early_access: bool,
}

#[derive(Debug, Serialize)]
pub struct RedemptionLine {
    pub id: i64,
    pub reward: String,
    pub code: String,
    pub status: String,
    pub points: i64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct CustomerLoyalty {
    pub customer_id: i64,
    pub member: bool,
    pub points_balance: i64,
    pub lifetime_points: i64,
    pub points_debt: i64,
    pub tier: String,
    pub tier_name: String,
    pub progress: Option<Progress>,
    pub perks: Option<Perks>,
    pub referral_code: String,
    pub referral_url: Option<String>,
    pub points_expire_at: Option<DateTime<Utc>>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub recent_entries: Vec<LedgerLine>,
    pub redemptions: Vec<RedemptionLine>,
}

#[derive(Debug, Serialize)]
pub struct RewardLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub value: i64,
    pub points_cost: i64,
    pub affordable: bool,
}

pub fn referral_url(shop_domain: &str, code: &str) -> String {
    format!("https://{shop_domain}/?ref={code}")
}

/// The loyalty picture of one customer (by the platform's id), or None if not in the shop.
pub async fn customer_loyalty(
    db: &impl ConnectionTrait,
    program: &Program,
    shop_domain: &str,
    shopify_customer_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<CustomerLoyalty>, DbErr> {
    let Some(customer) =
        crate::commerce::Commerce::find_customer(db, program.shop_id, shopify_customer_id).await?
    else {
        return Ok(None);
    };
    let member = Members::find(db, customer.id).await?;
    let balance = PointsLedger::balance(db, customer.id).await?;
    let tiers = &program.rules.tiers;
    let standing = Members::standing(db, customer.id, tiers.window_days, now).await?;
    let progress = tiers.progress(standing, program.minor_digits());
    let tier_key = member
        .as_ref()
        .map(|m| m.tier.clone())
        .or_else(|| progress.as_ref().map(|p| p.tier.clone()))
        .unwrap_or_default();
    let tier = tiers.find(&tier_key);
    let recent = PointsLedger::recent(db, customer.id, 20)
        .await?
        .into_iter()
        .map(|e| LedgerLine {
            points: e.delta,
            reason: e.reason,
            source: e.source_ref,
            note: e.note,
            actor: e.actor,
            at: e.created_at,
        })
        .collect();
    let redemptions = loyalty_redemptions::Entity::find()
        .filter(loyalty_redemptions::Column::CustomerId.eq(customer.id))
        .order_by_desc(loyalty_redemptions::Column::Id)
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RedemptionLine {
            id: r.id,
            reward: r.reward_name,
            code: r.code,
            status: r.status,
            points: r.points_cost,
            at: r.created_at,
        })
        .collect();
    Ok(Some(CustomerLoyalty {
        customer_id: shopify_customer_id,
        member: member.is_some(),
        points_balance: balance.points,
        lifetime_points: balance.lifetime,
        points_debt: balance.debt,
        tier: tier_key.clone(),
        tier_name: tier.map(|t| t.name.clone()).unwrap_or_default(),
        progress,
        perks: tier.map(|t| Perks {
            points_multiplier_percent: t.points_multiplier_percent,
            free_shipping: t.free_shipping_unlocked(standing),
            free_shipping_after_orders: t.free_shipping_after_orders,
            early_access: t.early_access,
        }),
        referral_code: member
            .as_ref()
            .map(|m| m.referral_code.clone())
            .unwrap_or_default(),
        referral_url: member
            .as_ref()
            .map(|m| referral_url(shop_domain, &m.referral_code)),
        points_expire_at: member.as_ref().and_then(|m| {
            (balance.points > 0)
                .then(|| expiry_date(m.last_activity_at, program.rules.expiry.inactivity_months))
                .flatten()
        }),
        enrolled_at: member.as_ref().map(|m| m.enrolled_at),
        recent_entries: recent,
        redemptions,
    }))
}

/// The shop's active rewards, marked affordable against a balance.
pub async fn reward_lines(
    db: &impl ConnectionTrait,
    shop_id: i64,
    balance: i64,
) -> Result<Vec<RewardLine>, DbErr> {
    Ok(Rewards::list(db, shop_id, true)
        .await?
        .into_iter()
        .map(|r| RewardLine {
            affordable: balance >= r.points_cost,
            id: r.id,
            name: r.name,
            kind: r.kind,
            value: r.value,
            points_cost: r.points_cost,
        })
        .collect())
}
