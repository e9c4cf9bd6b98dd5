//! What the platform and shoppers do, turned into points: paid orders credit,
//! refunds and cancellations take back, accounts and reviews and shares and
//! birthdays earn, tiers follow every change. Each step runs inside the
//! caller's transaction under the member's row lock, keyed so it happens once.
use super::events::LoyaltyEvents;
use super::ledger::{PointsLedger, Posting, Reason};
use super::members::{Members, PAID_STATES};
use super::program::Program;
use super::referrals::Referrals;
use super::rules::{self, clawback_target, order_points};
use crate::commerce::Commerce;
use chrono::{DateTime, Utc};
use entity::{customers, loyalty_members, loyalty_tier_changes, orders};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
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

    pub(crate) fn key(&self, customer_id: i64) -> String {
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
    Posting::new(program.shop_id, customer_id, reason, key)
}

impl Loyalty {
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
            .entry()
            .map_or("bronze", |t| t.key.as_str());
        Members::lock_customer(db, customer_id, now).await?;
        let (member, new) =
            Members::enrol(db, program.shop_id, customer_id, entry, via, now).await?;
        if new {
            Members::lock(db, member.id, now).await?;
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
        entry.expires_at = program.expires_at(now);
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
        let earns = paid && !cancelled && program.enabled;
        let member = if earns {
            Some(Self::member_for(db, program, customer_id, "order", now).await?)
        } else {
            Members::lock_customer(db, customer_id, now).await?;
            Members::find(db, customer_id).await?
        };
        let Some(member) = member else {
            return Ok(());
        };
        if earns {
            Self::credit_order(db, program, &member, order, &source, now).await?;
        }
        let totals = PointsLedger::totals_by_reason(db, program.shop_id, &source).await?;
        let total = |reasons: &[Reason]| -> i64 {
            totals
                .iter()
                .filter(|(r, _)| reasons.iter().any(|x| x.as_str() == r))
                .map(|(_, n)| n)
                .sum()
        };
        let credited = total(&[Reason::Order]);
        let taken = -total(&[Reason::Clawback, Reason::CancelReversal]);
        let refunded = Commerce::refunded_minor(db, &[order.id]).await?;
        let target = clawback_target(credited, order.subtotal_minor, refunded, cancelled);
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
        let note = (boost != 100).then(|| format!("boost ×{}%", boost));
        let entry = Posting {
            expires_at: program.expires_at(now),
            note: note.as_deref(),
            ..Posting::caused_by(
                program.shop_id,
                member.customer_id,
                Reason::Order,
                source.to_owned(),
            )
        };
        if !PointsLedger::credit(db, entry, points, now).await? {
            return Ok(());
        }
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
        match Commerce::find_order(db, program.shop_id, shopify_order_id).await? {
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
            entry.expires_at = program.expires_at(now);
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
        entry.expires_at = program.expires_at(now);
        let credited = PointsLedger::credit(db, entry, points, now).await?;
        if credited {
            Members::touch_activity(db, member.id, now).await?;
        }
        Ok(credited)
    }

    /// Records a member's birthday once; false when one is already set
    /// (changing it later would let birthday points be farmed).
    pub async fn set_birthday(
        db: &impl ConnectionTrait,
        program: &Program,
        customer_id: i64,
        month: u32,
        day: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let member = Self::member_for(db, program, customer_id, "birthday", now).await?;
        if member.birthday_month.is_some() {
            return Ok(false);
        }
        let mut row: loyalty_members::ActiveModel = member.into();
        row.birthday_month = Set(Some(month as i16));
        row.birthday_day = Set(Some(day as i16));
        row.update(db).await?;
        Ok(true)
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
            entry.expires_at = program.expires_at(now);
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
        row.tier = Set(tier.key.clone());
        row.tier_changed_at = Set(Some(now));
        row.update(db).await?;
        if first_evaluation && rank(&tier.key) == Some(0) {
            // Joining at the entry tier is not a change anyone needs to hear about.
            return Ok(None);
        }
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
