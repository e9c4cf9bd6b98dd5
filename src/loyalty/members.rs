//! Members: enrolment (with a stable referral code), the row lock that
//! serialises every balance change of one member, and the standing over the
//! tier window computed from the orders we hold.
use super::tiers::Standing;
use crate::commerce::Commerce;
use chrono::{DateTime, Duration, Utc};
use entity::{loyalty_members, orders};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

/// No 0/O or 1/I: codes are read aloud and typed from phones.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub fn random_code(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Financial states of an order that was paid at some point.
pub const PAID_STATES: [&str; 3] = ["paid", "partially_refunded", "refunded"];

pub struct Members;

impl Members {
    pub async fn find(
        db: &impl ConnectionTrait,
        customer_id: i64,
    ) -> Result<Option<loyalty_members::Model>, DbErr> {
        loyalty_members::Entity::find()
            .filter(loyalty_members::Column::CustomerId.eq(customer_id))
            .one(db)
            .await
    }

    /// How many members each tier holds.
    pub async fn count_by_tier(
        db: &impl ConnectionTrait,
        shop_id: i64,
    ) -> Result<Vec<(String, i64)>, DbErr> {
        loyalty_members::Entity::find()
            .select_only()
            .column(loyalty_members::Column::Tier)
            .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
            .filter(loyalty_members::Column::ShopId.eq(shop_id))
            .group_by(loyalty_members::Column::Tier)
            .into_tuple()
            .all(db)
            .await
    }

    pub async fn find_by_code(
        db: &impl ConnectionTrait,
        shop_id: i64,
        code: &str,
    ) -> Result<Option<loyalty_members::Model>, DbErr> {
        loyalty_members::Entity::find()
            .filter(loyalty_members::Column::ShopId.eq(shop_id))
            .filter(loyalty_members::Column::ReferralCode.eq(code.trim().to_uppercase()))
            .one(db)
            .await
    }

    /// Enrols the customer if not yet a member. Returns the member and whether it is new.
    pub async fn enrol(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: i64,
        entry_tier: &str,
        via: &str,
        now: DateTime<Utc>,
    ) -> Result<(loyalty_members::Model, bool), DbErr> {
        if let Some(member) = Self::find(db, customer_id).await? {
            return Ok((member, false));
        }
        // A clash on the referral code is retried with a fresh one; a clash on
        // the customer means someone else enrolled them a moment ago.
        for _ in 0..5 {
            let row = loyalty_members::ActiveModel {
                shop_id: Set(shop_id),
                customer_id: Set(customer_id),
                referral_code: Set(random_code(8)),
                tier: Set(entry_tier.to_owned()),
                tier_changed_at: Set(None),
                enrolled_at: Set(now),
                enrolled_via: Set(via.to_owned()),
                birthday_month: Set(None),
                birthday_day: Set(None),
                last_activity_at: Set(now),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            let result = loyalty_members::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
            let inserted = crate::db::inserted(result);
            if let Some(member) = Self::find(db, customer_id).await? {
                return Ok((member, inserted));
            }
        }
        Err(DbErr::Custom(
            "could not allot a unique referral code".into(),
        ))
    }

    /// Takes the member's row lock for the rest of the transaction: on
    /// PostgreSQL a row lock, on SQLite the database write lock. Every change
    /// to a member's points happens under it, so two deliveries never read
    /// the same balance.
    pub async fn lock(
        db: &impl ConnectionTrait,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        loyalty_members::Entity::update_many()
            .col_expr(loyalty_members::Column::UpdatedAt, Expr::value(now))
            .filter(loyalty_members::Column::Id.eq(member_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The same lock, taken by customer before the member row is even read:
    /// on SQLite a transaction that reads first and writes later can lose
    /// its snapshot to another writer, so the write comes first.
    pub async fn lock_customer(
        db: &impl ConnectionTrait,
        customer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        loyalty_members::Entity::update_many()
            .col_expr(loyalty_members::Column::UpdatedAt, Expr::value(now))
            .filter(loyalty_members::Column::CustomerId.eq(customer_id))
            .exec(db)
            .await?;
        Ok(())
    }

    pub async fn touch_activity(
        db: &impl ConnectionTrait,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        loyalty_members::Entity::update_many()
            .col_expr(loyalty_members::Column::LastActivityAt, Expr::value(now))
            .filter(loyalty_members::Column::Id.eq(member_id))
            .filter(loyalty_members::Column::LastActivityAt.lt(now))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Net spend and paid orders over the last `window_days`.
    pub async fn standing(
        db: &impl ConnectionTrait,
        customer_id: i64,
        window_days: u32,
        now: DateTime<Utc>,
    ) -> Result<Standing, DbErr> {
        let since = now - Duration::days(i64::from(window_days));
        let rows: Vec<(i64, i64)> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .column(orders::Column::SubtotalMinor)
            .filter(orders::Column::CustomerId.eq(customer_id))
            .filter(orders::Column::FinancialStatus.is_in(PAID_STATES))
            .filter(orders::Column::CancelledAt.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(orders::Column::ProcessedAt.gte(since))
                    .add(
                        sea_orm::Condition::all()
                            .add(orders::Column::ProcessedAt.is_null())
                            .add(orders::Column::CreatedAt.gte(since)),
                    ),
            )
            .into_tuple()
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(Standing::default());
        }
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        let refunded = Commerce::refunded_minor(db, &ids).await?;
        let spend: i64 = rows.iter().map(|(_, s)| *s).sum::<i64>() - refunded;
        Ok(Standing {
            spend_minor: spend,
            orders: rows.len() as i64,
        })
    }
}
