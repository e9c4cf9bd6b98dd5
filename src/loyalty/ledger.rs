//! The points ledger: append-only entries, each with an idempotency key that
//! is unique per shop, so one cause moves points once however often it is
//! reported. Balance, lifetime points and debt are sums over the entries,
//! never a stored number that could drift.
use super::rules::{NegativeBalance, debit, debt_repayment};
use chrono::{DateTime, Utc};
use entity::{loyalty_redemptions, points_ledger};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// Why points moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Order,
    Signup,
    Review,
    PhotoReview,
    Share,
    Birthday,
    Referral,
    LaunchBonus,
    Manual,
    /// Points taken back after a refund.
    Clawback,
    /// Points taken back after a cancellation.
    CancelReversal,
    Redemption,
    /// Points given back because the platform never created the code.
    RedemptionRefund,
    Expiry,
    DebtSettlement,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Order => "order",
            Reason::Signup => "signup",
            Reason::Review => "review",
            Reason::PhotoReview => "photo_review",
            Reason::Share => "share",
            Reason::Birthday => "birthday",
            Reason::Referral => "referral",
            Reason::LaunchBonus => "launch_bonus",
            Reason::Manual => "manual",
            Reason::Clawback => "clawback",
            Reason::CancelReversal => "cancel_reversal",
            Reason::Redemption => "redemption",
            Reason::RedemptionRefund => "redemption_refund",
            Reason::Expiry => "expiry",
            Reason::DebtSettlement => "debt_settlement",
        }
    }
}

/// Reasons whose net sum is what a member has earned over their life.
const LIFETIME_REASONS: &str = "'order','signup','review','photo_review','share','birthday',\
'referral','launch_bonus','manual','clawback','cancel_reversal'";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Balance {
    pub points: i64,
    pub lifetime: i64,
    /// Points owed from clawbacks the balance could not cover.
    pub debt: i64,
}

/// One movement to record.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub shop_id: i64,
    pub customer_id: i64,
    pub reason: Reason,
    pub source_ref: Option<String>,
    pub key: String,
    pub note: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl<'a> Posting<'a> {
    /// A movement keyed by `key`, with no source, note, actor or expiry yet.
    pub fn new(shop_id: i64, customer_id: i64, reason: Reason, key: String) -> Self {
        Posting {
            shop_id,
            customer_id,
            reason,
            source_ref: None,
            key,
            note: None,
            actor: None,
            expires_at: None,
        }
    }

    /// A movement whose cause is also its key (`redemption:7`, `referral:3`).
    pub fn caused_by(shop_id: i64, customer_id: i64, reason: Reason, cause: String) -> Self {
        Posting {
            source_ref: Some(cause.clone()),
            ..Self::new(shop_id, customer_id, reason, cause)
        }
    }

    /// The debit of a redemption, noted with the reward's name.
    pub fn for_redemption(redemption: &'a loyalty_redemptions::Model) -> Self {
        Posting {
            note: Some(&redemption.reward_name),
            ..Self::caused_by(
                redemption.shop_id,
                redemption.customer_id,
                Reason::Redemption,
                format!("redemption:{}", redemption.id),
            )
        }
    }

    /// The referrer's reward for one referral.
    pub fn for_referral(shop_id: i64, referrer: i64, referral_id: i64) -> Self {
        Self::caused_by(
            shop_id,
            referrer,
            Reason::Referral,
            format!("referral:{referral_id}"),
        )
    }
}

pub struct PointsLedger;

impl PointsLedger {
    pub async fn balance(db: &impl ConnectionTrait, customer_id: i64) -> Result<Balance, DbErr> {
        let sums: Option<(i64, i64, i64)> = points_ledger::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(delta), 0) AS BIGINT)"))
            .expr(Expr::cust(format!(
                "CAST(COALESCE(SUM(CASE WHEN reason IN ({LIFETIME_REASONS}) THEN delta - debt_delta ELSE 0 END), 0) AS BIGINT)"
            )))
            .expr(Expr::cust("CAST(COALESCE(SUM(debt_delta), 0) AS BIGINT)"))
            .filter(points_ledger::Column::CustomerId.eq(customer_id))
            .into_tuple()
            .one(db)
            .await?;
        let (points, lifetime, debt) = sums.unwrap_or_default();
        Ok(Balance {
            points,
            lifetime,
            debt,
        })
    }

    /// Points held by all of a shop's members together: the program's liability.
    pub async fn shop_outstanding(db: &impl ConnectionTrait, shop_id: i64) -> Result<i64, DbErr> {
        let sum: Option<i64> = points_ledger::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(delta), 0) AS BIGINT)"))
            .filter(points_ledger::Column::ShopId.eq(shop_id))
            .into_tuple()
            .one(db)
            .await?;
        Ok(sum.unwrap_or_default())
    }

    pub async fn recent(
        db: &impl ConnectionTrait,
        customer_id: i64,
        limit: u64,
    ) -> Result<Vec<points_ledger::Model>, DbErr> {
        points_ledger::Entity::find()
            .filter(points_ledger::Column::CustomerId.eq(customer_id))
            .order_by_desc(points_ledger::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }

    pub async fn has_key(
        db: &impl ConnectionTrait,
        shop_id: i64,
        key: &str,
    ) -> Result<bool, DbErr> {
        Ok(points_ledger::Entity::find()
            .filter(points_ledger::Column::ShopId.eq(shop_id))
            .filter(points_ledger::Column::IdempotencyKey.eq(key))
            .one(db)
            .await?
            .is_some())
    }

    /// Points moved per reason by entries caused by `source_ref` (a clawback
    /// counts in full, including the part recorded as debt).
    pub async fn totals_by_reason(
        db: &impl ConnectionTrait,
        shop_id: i64,
        source_ref: &str,
    ) -> Result<Vec<(String, i64)>, DbErr> {
        let rows: Vec<(String, i64, i64)> = points_ledger::Entity::find()
            .select_only()
            .column(points_ledger::Column::Reason)
            .column(points_ledger::Column::Delta)
            .column(points_ledger::Column::DebtDelta)
            .filter(points_ledger::Column::ShopId.eq(shop_id))
            .filter(points_ledger::Column::SourceRef.eq(source_ref))
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(reason, delta, debt)| (reason, delta - debt))
            .collect())
    }

    async fn insert(
        db: &impl ConnectionTrait,
        posting: &Posting<'_>,
        delta: i64,
        debt_delta: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let row = points_ledger::ActiveModel {
            shop_id: Set(posting.shop_id),
            customer_id: Set(posting.customer_id),
            delta: Set(delta),
            debt_delta: Set(debt_delta),
            reason: Set(posting.reason.as_str().to_owned()),
            source_ref: Set(posting.source_ref.clone()),
            idempotency_key: Set(posting.key.clone()),
            note: Set(posting.note.map(str::to_owned)),
            actor: Set(posting.actor.map(str::to_owned)),
            created_at: Set(now),
            expires_at: Set(posting.expires_at),
            ..Default::default()
        };
        let result = points_ledger::Entity::insert(row)
            .on_conflict_do_nothing_on([
                points_ledger::Column::ShopId,
                points_ledger::Column::IdempotencyKey,
            ])
            .exec_without_returning(db)
            .await?;
        Ok(crate::db::inserted(result))
    }

    /// Credits `points` once per key; an outstanding debt is paid off first.
    /// Returns false when the key was already used (nothing happened).
    pub async fn credit(
        db: &impl ConnectionTrait,
        posting: Posting<'_>,
        points: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        if !Self::insert(db, &posting, points.max(0), 0, now).await? {
            return Ok(false);
        }
        let debt = Self::balance(db, posting.customer_id).await?.debt;
        let repay = debt_repayment(debt, points);
        if repay > 0 {
            let settlement = Posting {
                reason: Reason::DebtSettlement,
                key: format!("settle:{}", posting.key),
                note: None,
                actor: None,
                expires_at: None,
                ..posting
            };
            Self::insert(db, &settlement, -repay, -repay, now).await?;
        }
        Ok(true)
    }

    /// Takes `amount` away once per key, under the shop's negative-balance policy.
    /// Returns the movement, or None when the key was already used.
    pub async fn debit(
        db: &impl ConnectionTrait,
        posting: Posting<'_>,
        amount: i64,
        policy: NegativeBalance,
        now: DateTime<Utc>,
    ) -> Result<Option<super::rules::Movement>, DbErr> {
        if Self::has_key(db, posting.shop_id, &posting.key).await? {
            return Ok(None);
        }
        let balance = Self::balance(db, posting.customer_id).await?.points;
        let movement = debit(balance, amount, policy);
        let inserted = Self::insert(db, &posting, movement.delta, movement.debt_delta, now).await?;
        Ok(inserted.then_some(movement))
    }
}
