//! Loyalty's timed work: expire points after inactivity (with a reminder
//! before), birthday points, referral rewards whose window has passed, tier
//! tags mirrored to the platform, redemptions left pending. Every step is
//! keyed or status-guarded, so running it twice, or on two instances, is safe.
use super::events::LoyaltyEvents;
use super::ledger::{PointsLedger, Posting, Reason};
use super::members::Members;
use super::platform::set_customer_tags;
use super::program::{Program, Programs};
use super::redemption::Redemptions;
use super::referrals::Referrals;
use super::rules::{NegativeBalance, expiry_date, is_birthday, local_date};
use super::service::{Activity, Loyalty};
use super::tiers::{FREE_SHIPPING_TAG, tier_tag};
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::AdminApi;
use crate::shops::{Shops, TokenCipher};
use chrono::{DateTime, Datelike, Months, Utc};
use entity::{customers, loyalty_members, loyalty_tier_changes, shops};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct JobReport {
    pub expired_members: usize,
    pub expiry_reminders: usize,
    pub birthdays: usize,
    pub referrals_rewarded: usize,
    pub tiers_mirrored: usize,
    pub tiers_refreshed: usize,
    pub redemptions_settled: usize,
}

pub struct LoyaltyJobs;

impl LoyaltyJobs {
    /// Everything due at `now`, for every installed shop.
    pub async fn run_due(
        db: &DatabaseConnection,
        api: &AdminApi,
        cipher: &TokenCipher,
        now: DateTime<Utc>,
    ) -> Result<JobReport, DbErr> {
        let mut report = JobReport {
            referrals_rewarded: Referrals::release_due(db, now).await?,
            redemptions_settled: Redemptions::retry_pending(db, api, cipher, now).await?,
            ..Default::default()
        };
        let installed = shops::Entity::find()
            .filter(shops::Column::UninstalledAt.is_null())
            .all(db)
            .await?;
        for shop in installed {
            // One shop's failure must not hold back the others: log it, try again next round.
            if let Err(e) = Self::run_for_shop(db, api, cipher, &shop, now, &mut report).await {
                tracing::warn!(shop = %shop.domain, error = %e, "loyalty jobs failed for this shop");
            }
        }
        Ok(report)
    }

    async fn run_for_shop(
        db: &DatabaseConnection,
        api: &AdminApi,
        cipher: &TokenCipher,
        shop: &shops::Model,
        now: DateTime<Utc>,
        report: &mut JobReport,
    ) -> Result<(), DbErr> {
        let program = Programs::load(db, shop).await?;
        // First: the other steps take member locks, which count as a fresh look.
        report.tiers_refreshed += Self::refresh_tiers(db, &program, now).await?;
        let (expired, reminded) = Self::expire_points(db, &program, now).await?;
        report.expired_members += expired;
        report.expiry_reminders += reminded;
        report.birthdays += Self::birthdays(db, &program, now).await?;
        report.tiers_mirrored += Self::mirror_tiers(db, api, cipher, shop, now).await?;
        Ok(())
    }

    /// Expires the balance of members inactive for the whole period, and
    /// records a reminder event for those whose points expire soon.
    pub async fn expire_points(
        db: &DatabaseConnection,
        program: &Program,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), DbErr> {
        let months = program.rules.expiry.inactivity_months;
        let Some(cutoff) = now
            .checked_sub_months(Months::new(months))
            .filter(|_| months > 0)
        else {
            return Ok((0, 0));
        };
        let remind_until =
            cutoff + chrono::Duration::days(i64::from(program.rules.expiry.reminder_days));
        let candidates = loyalty_members::Entity::find()
            .filter(loyalty_members::Column::ShopId.eq(program.shop_id))
            .filter(loyalty_members::Column::LastActivityAt.lte(remind_until))
            .order_by_asc(loyalty_members::Column::Id)
            .all(db)
            .await?;
        let (mut expired, mut reminded) = (0, 0);
        for member in candidates {
            let txn = db.begin().await?;
            Members::lock(&txn, member.id, now).await?;
            let balance = PointsLedger::balance(&txn, member.customer_id)
                .await?
                .points;
            if balance <= 0 {
                txn.rollback().await?;
                continue;
            }
            let expires_at = expiry_date(member.last_activity_at, months).unwrap_or(now);
            if member.last_activity_at <= cutoff {
                let entry = Posting::new(
                    program.shop_id,
                    member.customer_id,
                    Reason::Expiry,
                    format!(
                        "expiry:{}:{}",
                        member.id,
                        member.last_activity_at.timestamp()
                    ),
                );
                if PointsLedger::debit(&txn, entry, balance, NegativeBalance::FloorWithDebt, now)
                    .await?
                    .is_some_and(|m| m.delta < 0)
                {
                    expired += 1;
                }
            } else {
                LoyaltyEvents::record(
                    &txn,
                    program.shop_id,
                    Some(member.customer_id),
                    "points_expiring",
                    json!({"points": balance, "expires_at": expires_at}),
                    format!("expiring:{}:{}", member.id, expires_at.timestamp()),
                    now,
                )
                .await?;
                reminded += 1;
            }
            txn.commit().await?;
        }
        Ok((expired, reminded))
    }

    /// Birthday points for members whose birthday is today in the shop's time zone.
    pub async fn birthdays(
        db: &DatabaseConnection,
        program: &Program,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let today = local_date(now, program.tz());
        let month = today.month() as i16;
        // 29 February birthdays are celebrated on the 28th in common years.
        let months = loyalty_members::Entity::find()
            .filter(loyalty_members::Column::ShopId.eq(program.shop_id))
            .filter(loyalty_members::Column::BirthdayMonth.eq(month))
            .all(db)
            .await?;
        let mut credited = 0;
        for member in months {
            let (Some(m), Some(d)) = (member.birthday_month, member.birthday_day) else {
                continue;
            };
            if !is_birthday(m as u32, d as u32, today) {
                continue;
            }
            let txn = db.begin().await?;
            let activity = Activity::Birthday { year: today.year() };
            if Loyalty::credit_activity(&txn, program, member.customer_id, &activity, now).await? {
                LoyaltyEvents::record(
                    &txn,
                    program.shop_id,
                    Some(member.customer_id),
                    "birthday",
                    json!({"points": program.rules.birthday_points}),
                    activity.key(member.customer_id),
                    now,
                )
                .await?;
                credited += 1;
            }
            txn.commit().await?;
        }
        Ok(credited)
    }

    /// Re-evaluates, once a day each, members above the entry tier: orders
    /// leaving the rolling window can move them down with no event at all.
    pub async fn refresh_tiers(
        db: &DatabaseConnection,
        program: &Program,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let Some(entry) = program.rules.tiers.entry().map(|t| t.key.clone()) else {
            return Ok(0);
        };
        let stale = loyalty_members::Entity::find()
            .filter(loyalty_members::Column::ShopId.eq(program.shop_id))
            .filter(loyalty_members::Column::Tier.ne(entry))
            .filter(loyalty_members::Column::UpdatedAt.lt(now - chrono::Duration::days(1)))
            .order_by_asc(loyalty_members::Column::UpdatedAt)
            .limit(500)
            .all(db)
            .await?;
        let mut changed = 0;
        for member in stale {
            let txn = db.begin().await?;
            Members::lock(&txn, member.id, now).await?;
            if Loyalty::recompute_tier(&txn, program, &member, "window", now)
                .await?
                .is_some()
            {
                changed += 1;
            }
            txn.commit().await?;
        }
        Ok(changed)
    }

    /// Pushes pending tier changes to the platform as customer tags: the
    /// current tier's tag on, the other tiers' off, and the free-shipping tag
    /// while the tier's perk applies.
    pub async fn mirror_tiers(
        db: &DatabaseConnection,
        api: &AdminApi,
        cipher: &TokenCipher,
        shop: &shops::Model,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let Some(token) = Shops::access_token(cipher, shop) else {
            return Ok(0);
        };
        let pending: Vec<i64> = loyalty_tier_changes::Entity::find()
            .select_only()
            .column(loyalty_tier_changes::Column::CustomerId)
            .distinct()
            .filter(loyalty_tier_changes::Column::ShopId.eq(shop.id))
            .filter(loyalty_tier_changes::Column::MirroredAt.is_null())
            .filter(loyalty_tier_changes::Column::MirrorAttempts.lt(10))
            .limit(200)
            .into_tuple()
            .all(db)
            .await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let program = Programs::load(db, shop).await?;
        let domain = ShopDomain::from_stored(shop.domain.clone());
        let mut mirrored = 0;
        for customer_id in pending {
            let (Some(member), Some(customer)) = (
                Members::find(db, customer_id).await?,
                customers::Entity::find_by_id(customer_id).one(db).await?,
            ) else {
                continue;
            };
            let tiers = &program.rules.tiers;
            let standing = Members::standing(db, customer_id, tiers.window_days, now).await?;
            let free_shipping = tiers
                .find(&member.tier)
                .is_some_and(|t| t.free_shipping_unlocked(standing));
            let mut add = vec![tier_tag(&member.tier)];
            let mut remove: Vec<String> = tiers
                .tiers
                .iter()
                .filter(|t| t.key != member.tier)
                .map(|t| tier_tag(&t.key))
                .collect();
            if free_shipping {
                add.push(FREE_SHIPPING_TAG.to_owned());
            } else {
                remove.push(FREE_SHIPPING_TAG.to_owned());
            }
            let result = set_customer_tags(
                api,
                &domain,
                &token,
                customer.shopify_customer_id,
                &add,
                &remove,
            )
            .await;
            let pending_rows = loyalty_tier_changes::Entity::update_many()
                .filter(loyalty_tier_changes::Column::CustomerId.eq(customer_id))
                .filter(loyalty_tier_changes::Column::MirroredAt.is_null());
            match result {
                Ok(()) => {
                    pending_rows
                        .col_expr(loyalty_tier_changes::Column::MirroredAt, Expr::value(now))
                        .col_expr(
                            loyalty_tier_changes::Column::MirrorError,
                            Expr::value(Option::<String>::None),
                        )
                        .exec(db)
                        .await?;
                    mirrored += 1;
                }
                Err(e) => {
                    tracing::warn!(customer = customer_id, error = %e, "tier tag not mirrored; will retry");
                    pending_rows
                        .col_expr(
                            loyalty_tier_changes::Column::MirrorAttempts,
                            Expr::col(loyalty_tier_changes::Column::MirrorAttempts).add(1),
                        )
                        .col_expr(
                            loyalty_tier_changes::Column::MirrorError,
                            Expr::value(e.to_string()),
                        )
                        .exec(db)
                        .await?;
                }
            }
        }
        Ok(mirrored)
    }
}
