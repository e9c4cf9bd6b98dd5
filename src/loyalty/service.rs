//! What the platform and shoppers do, turned into points: paid orders credit,
//! refunds and cancellations take back, accounts and reviews and shares and
//! birthdays earn, tiers follow every change. Each step runs inside the
//! caller's transaction under the member's row lock, keyed so it happens once.
use super::events::LoyaltyEvents;
use super::ledger::{PointsLedger, Posting, Reason};
use super::members::{Members, PAID_STATES};
use super::program::Program;
use super::referrals::Referrals;
use super::rules::{self, clawback_target, expiry_date, order_points};
use chrono::{DateTime, Utc};
use entity::{customers, loyalty_members, loyalty_tier_changes, orders, refunds};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};
use serde_json::json;

/// Something a shopper did that earns points once.
#[derive(Debug, Clone)]
pub enum Activity {
    Review { review_id: i64 },
    PhotoReview { review_id: i64 },
    Share { network: String },
    Birthday { year: i32 },
}

impl Activity {
    fn reason(&self) -> Reason {
        match self {
            Activity::Review { .. } => Reason::Review,
            Activity::PhotoReview { .. } => Reason::PhotoReview,
            Activity::Share { .. } => Reason::Share,
            Activity::Birthday { .. } => Reason::Birthday,
        }
    }

    fn key(&self, customer_id: i64) -> String {
        match self {
            Activity::Review { review_id } => format!("review:{review_id}"),
            Activity::PhotoReview { review_id } => format!("photo_review:{review_id}"),
            Activity::Share { network } => format!("share:{customer_id}:{network}"),
            Activity::Birthday { year } => format!("birthday:{customer_id}:{year}"),
        }
    }

    fn points(&self, rules: &rules::ProgramRules) -> i64 {
        match self {
            Activity::Review { .. } => rules.review_points,
            Activity::PhotoReview { .. } => rules.photo_review_points,
            Activity::Share { .. } => rules.share_points,
            Activity::Birthday { .. } => rules.birthday_points,
        }
    }
}

pub struct Loyalty;

fn posting<'a>(program: &Program, customer_id: i64, reason: Reason, key: String) -> Posting<'a> {
    Posting {
        shop_id: program.shop_id,
        customer_id,
        reason,
        source_ref: None,
        key,
        note: None,
        actor: None,
        expires_at: None,
    }
}

impl Loyalty {
    fn expires(program: &Program, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        expiry_date(now, program.rules.expiry.inactivity_months)
    }

    /// Enrols (at the tier the customer's history earns), takes the member's
    /// lock, and grants the early-member bonus when the launch window is open.
    pub async fn member_for(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        via: &str,
        now: DateTime<Utc>,
    ) -> Result<loyalty_members::Model, DbErr> {
        let entry = program
            .rules
            .tiers
            .tiers
            .first()
            .map(|t| t.key.clone())
            .unwrap_or_else(|| "bronze".into());
        Members::lock_customer(db, customer_id, now).await?;
        let (member, new) =
            Members::enrol(db, program.shop_id, customer_id, &entry, via, now).await?;
        if new {
            Members::lock(db, member.id, now).await?;
        }
        if new {
            Self::recompute_tier(db, program, &member, "enrolled", now).await?;
            if program.is_early(now) {
                Self::grant_launch_bonus(db, program, customer_id, now).await?;
            }
        }
        Ok(member)
    }

    pub async fn grant_launch_bonus(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let bonus = program.rules.launch.bonus_points;
        if bonus <= 0 {
            return Ok(false);
        }
        let mut entry = posting(
            program,
            customer_id,
            Reason::LaunchBonus,
            format!("launch_bonus:{customer_id}"),
        );
        entry.expires_at = Self::expires(program, now);
        let granted = PointsLedger::credit(db, entry, bonus, now).await?;
        if granted {
            LoyaltyEvents::record(
                db,
                program.shop_id,
                Some(customer_id),
                "launch_bonus",
                json!({"points": bonus}),
                format!("launch_bonus:{customer_id}"),
                now,
            )
            .await?;
        }
        Ok(granted)
    }

    /// After any order delivery, from the order as we now hold it (the newest
    /// known state): credit once when paid, take back what refunds and a
    /// cancellation call for, move the tier, follow a referral.
    #[tracing::instrument(skip_all, fields(order = order.shopify_order_id))]
    pub async fn on_order(
        db: &impl ConnectionTrait,
        program: &Program,
        order: &orders::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(customer_id) = order.customer_id else {
            return Ok(());
        };
        let redacted = customers::Entity::find_by_id(customer_id)
            .one(db)
            .await?
            .is_none_or(|c| c.redacted_at.is_some());
        if redacted {
            return Ok(());
        }
        let source = format!("order:{}", order.id);
        let paid = PAID_STATES.contains(&order.financial_status.as_str());
        let cancelled = order.cancelled_at.is_some();
        let member = if paid && !cancelled && program.enabled {
            Some(Self::member_for(db, program, customer_id, "order", now).await?)
        } else {
            match Members::find(db, customer_id).await? {
                Some(m) => {
                    Members::lock(db, m.id, now).await?;
                    Some(m)
                }
                None => None,
            }
        };
        let Some(member) = member else {
            return Ok(());
        };
        if paid && !cancelled && program.enabled {
            Self::credit_order(db, program, &member, order, &source, now).await?;
        }
        let credited =
            PointsLedger::total_for_source(db, program.shop_id, &source, &[Reason::Order]).await?;
        let refunded: Vec<i64> = refunds::Entity::find()
            .select_only()
            .column(refunds::Column::AmountMinor)
            .filter(refunds::Column::OrderId.eq(order.id))
            .into_tuple()
            .all(db)
            .await?;
        let refunded: i64 = refunded.iter().sum();
        let target = clawback_target(credited, order.subtotal_minor, refunded, cancelled);
        let taken = -PointsLedger::total_for_source(
            db,
            program.shop_id,
            &source,
            &[Reason::Clawback, Reason::CancelReversal],
        )
        .await?;
        if target > taken {
            let reason = if cancelled {
                Reason::CancelReversal
            } else {
                Reason::Clawback
            };
            let mut entry = posting(
                program,
                customer_id,
                reason,
                format!("reverse:{}:{target}", order.id),
            );
            entry.source_ref = Some(source.clone());
            PointsLedger::debit(
                db,
                entry,
                target - taken,
                program.rules.negative_balance,
                now,
            )
            .await?;
        }
        if cancelled || refunded > 0 {
            Referrals::on_order_reversed(db, program.shop_id, order.id, cancelled, now).await?;
        }
        Self::recompute_tier(db, program, &member, "order", now).await?;
        Ok(())
    }

    async fn credit_order(
        db: &impl ConnectionTrait,
        program: &Program,
        member: &loyalty_members::Model,
        order: &orders::Model,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let key = format!("order:{}", order.id);
        if PointsLedger::has_key(db, program.shop_id, &key).await? {
            return Ok(());
        }
        // The tier the shopper held when paying, and the boost running on the day they ordered.
        let tier_percent = program
            .rules
            .tiers
            .find(&member.tier)
            .map_or(100, |t| t.points_multiplier_percent);
        let ordered_at = order
            .processed_at
            .or(order.platform_created_at)
            .unwrap_or(now);
        let boost = rules::boost_percent(
            &program.rules.boosts,
            rules::local_date(ordered_at, program.tz()),
        );
        let points = order_points(
            order.subtotal_minor,
            crate::money::minor_unit_digits(&order.currency),
            program.rules.points_per_currency_unit,
            tier_percent,
            boost,
        );
        let mut entry = posting(program, member.customer_id, Reason::Order, key);
        entry.source_ref = Some(source.to_owned());
        entry.expires_at = Self::expires(program, now);
        let note = (boost != 100).then(|| format!("boost ×{}%", boost));
        entry.note = note.as_deref();
        PointsLedger::credit(db, entry, points, now).await?;
        Members::touch_activity(db, member.id, now).await?;
        Referrals::on_paid_order(db, program, order, now).await?;
        Ok(())
    }

    /// A refund was recorded: settle the order's points if we know the order.
    pub async fn on_refund(
        db: &impl ConnectionTrait,
        program: &Program,
        shopify_order_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let order = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(program.shop_id))
            .filter(orders::Column::ShopifyOrderId.eq(shopify_order_id))
            .one(db)
            .await?;
        match order {
            Some(order) => Self::on_order(db, program, &order, now).await,
            // The order comes later; its delivery settles the refund then.
            None => Ok(()),
        }
    }

    /// A customer record arrived: every customer is a member once the program
    /// runs; an activated account earns the sign-up bonus once.
    pub async fn on_customer(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        account_state: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if !program.enabled {
            return Ok(());
        }
        let via = if account_state == Some("enabled") {
            "signup"
        } else {
            "customer"
        };
        let member = Self::member_for(db, program, customer_id, via, now).await?;
        if account_state == Some("enabled") && program.rules.signup_points > 0 {
            let mut entry = posting(
                program,
                customer_id,
                Reason::Signup,
                format!("signup:{customer_id}"),
            );
            entry.expires_at = Self::expires(program, now);
            if PointsLedger::credit(db, entry, program.rules.signup_points, now).await? {
                Members::touch_activity(db, member.id, now).await?;
            }
        }
        Ok(())
    }

    /// Credits a review, a photo review, a share or a birthday, once.
    pub async fn credit_activity(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        activity: &Activity,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let points = activity.points(&program.rules);
        if !program.enabled || points <= 0 {
            return Ok(false);
        }
        let member = Self::member_for(db, program, customer_id, "activity", now).await?;
        let mut entry = posting(
            program,
            customer_id,
            activity.reason(),
            activity.key(customer_id),
        );
        entry.expires_at = Self::expires(program, now);
        let credited = PointsLedger::credit(db, entry, points, now).await?;
        if credited {
            Members::touch_activity(db, member.id, now).await?;
        }
        Ok(credited)
    }

    /// A merchant's hand adjustment, with the reason and who made it.
    #[allow(clippy::too_many_arguments)]
    pub async fn adjust(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        points: i64,
        reason: &str,
        actor: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let member = Self::member_for(db, program, customer_id, "manual", now).await?;
        let mut entry = posting(
            program,
            customer_id,
            Reason::Manual,
            format!("manual:{key}"),
        );
        entry.note = Some(reason);
        entry.actor = Some(actor);
        let done = if points >= 0 {
            entry.expires_at = Self::expires(program, now);
            PointsLedger::credit(db, entry, points, now).await?
        } else {
            PointsLedger::debit(db, entry, -points, program.rules.negative_balance, now)
                .await?
                .is_some()
        };
        if done {
            Members::touch_activity(db, member.id, now).await?;
            Self::recompute_tier(db, program, &member, "manual", now).await?;
        }
        Ok(done)
    }

    /// Re-evaluates the member's tier; a change is recorded for the VIP flow
    /// and queued to be mirrored to the platform as a customer tag.
    pub async fn recompute_tier(
        db: &impl ConnectionTrait,
        program: &Program,
        member: &loyalty_members::Model,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, DbErr> {
        let tiers = &program.rules.tiers;
        let standing = Members::standing(db, member.customer_id, tiers.window_days, now).await?;
        let Some(tier) = tiers.evaluate(standing, program.minor_digits()) else {
            return Ok(None);
        };
        let current = loyalty_members::Entity::find_by_id(member.id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("member {}", member.id)))?;
        let first_evaluation = current.tier_changed_at.is_none();
        if current.tier == tier.key && !first_evaluation {
            return Ok(None);
        }
        let from = (!first_evaluation).then(|| current.tier.clone());
        let rank = |key: &str| tiers.tiers.iter().position(|t| t.key == key);
        let mut row: loyalty_members::ActiveModel = current.into();
        if first_evaluation && rank(&tier.key) == Some(0) {
            // Joining at the entry tier is not a change anyone needs to hear about.
            row.tier = Set(tier.key.clone());
            row.tier_changed_at = Set(Some(now));
            row.update(db).await?;
            return Ok(None);
        }
        row.tier = Set(tier.key.clone());
        row.tier_changed_at = Set(Some(now));
        row.update(db).await?;
        let change = loyalty_tier_changes::ActiveModel {
            shop_id: Set(program.shop_id),
            customer_id: Set(member.customer_id),
            from_tier: Set(from.clone()),
            to_tier: Set(tier.key.clone()),
            reason: Set(reason.to_owned()),
            created_at: Set(now),
            mirrored_at: Set(None),
            mirror_attempts: Set(0),
            mirror_error: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let upgraded = match &from {
            Some(from) => rank(&tier.key) > rank(from),
            None => rank(&tier.key) > Some(0),
        };
        if upgraded {
            LoyaltyEvents::record(
                db,
                program.shop_id,
                Some(member.customer_id),
                "tier_reached",
                json!({"from": from, "to": tier.key, "tier_name": tier.name}),
                format!("tier:{}", change.id),
                now,
            )
            .await?;
        }
        Ok(Some(tier.key.clone()))
    }
}
