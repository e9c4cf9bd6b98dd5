//! The demo shop's loyalty program: launched eleven months ago, points earned
//! order by order as the seeded history happened (with a Black Friday boost
//! and refund clawbacks), members in every tier, a catalogue with codes
//! already redeemed, referrals rewarded and refused, old balances expired.
use crate::loyalty::jobs::LoyaltyJobs;
use crate::loyalty::launch::launch;
use crate::loyalty::ledger::{PointsLedger, Posting};
use crate::loyalty::members::Members;
use crate::loyalty::redemption::Rewards;
use crate::loyalty::rules::{Boost, NegativeBalance, ProgramRules};
use crate::loyalty::{Loyalty, Program, Programs};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{
    loyalty_members, loyalty_redemptions, loyalty_referrals, loyalty_tier_changes, orders, shops,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

/// Follows the seeded orders as the webhooks would have, at the time they happened.
pub struct DemoLoyalty {
    program: Program,
}

impl DemoLoyalty {
    pub async fn start(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        now: DateTime<Utc>,
    ) -> Result<DemoLoyalty, DbErr> {
        let mut rules = ProgramRules::default();
        // Last year's Black Friday weekend earned double points.
        let year = (now - Duration::days(300)).year();
        if let (Some(starts_on), Some(ends_on)) = (
            NaiveDate::from_ymd_opt(year, 11, 27),
            NaiveDate::from_ymd_opt(year, 11, 30),
        ) {
            rules.boosts.push(Boost {
                name: "Black Friday double points".into(),
                multiplier_percent: 200,
                starts_on,
                ends_on,
            });
        }
        Programs::save(db, shop.id, true, &rules, now - Duration::days(330)).await?;
        Programs::mark_launched(db, shop.id, now - Duration::days(330)).await?;
        Rewards::seed_defaults(db, shop.id, &shop.currency, &shop.locale, now).await?;
        Ok(DemoLoyalty {
            program: Programs::load(db, shop).await?,
        })
    }

    pub async fn order(
        &self,
        db: &impl ConnectionTrait,
        order: &orders::Model,
        at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        Loyalty::on_order(db, &self.program, order, at).await
    }

    pub async fn refund(
        &self,
        db: &impl ConnectionTrait,
        shopify_order_id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        Loyalty::on_refund(db, &self.program, shopify_order_id, at).await
    }
}

/// After the orders: the launch, redemptions, referrals, expiry, and tags
/// marked as mirrored (the demo has no platform to push them to).
pub async fn finish(
    db: &DatabaseConnection,
    shop: &shops::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    launch(db, shop, now - Duration::days(330)).await?;
    let program = Programs::load(db, shop).await?;
    let members = loyalty_members::Entity::find()
        .filter(loyalty_members::Column::ShopId.eq(shop.id))
        .order_by_asc(loyalty_members::Column::Id)
        .all(db)
        .await?;
    let rewards = Rewards::list(db, shop.id, true).await?;
    for (i, member) in members.iter().enumerate() {
        if i % 3 != 0 {
            continue;
        }
        let balance = PointsLedger::balance(db, member.customer_id).await?.points;
        let Some(reward) = rewards
            .iter()
            .filter(|r| r.points_cost <= balance)
            .max_by_key(|r| r.points_cost)
        else {
            continue;
        };
        let at = now - Duration::days(3 + i as i64 % 40);
        let redemption = loyalty_redemptions::ActiveModel {
            shop_id: Set(shop.id),
            customer_id: Set(member.customer_id),
            reward_id: Set(Some(reward.id)),
            reward_name: Set(reward.name.clone()),
            kind: Set(reward.kind.clone()),
            value: Set(reward.value),
            points_cost: Set(reward.points_cost),
            code: Set(format!("FLY-DEMO{:05}", member.id)),
            status: Set("issued".into()),
            discount_gid: Set(Some(format!(
                "gid://shopify/DiscountCodeNode/{}",
                90_000 + member.id
            ))),
            last_error: Set(None),
            attempts: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let posting = Posting::for_redemption(&redemption);
        PointsLedger::debit(
            db,
            posting,
            reward.points_cost,
            NegativeBalance::AllowNegative,
            at,
        )
        .await?;
        Members::touch_activity(db, member.id, at).await?;
    }
    seed_referrals(db, &program, &members, now).await?;
    LoyaltyJobs::expire_points(db, &program, now).await?;
    loyalty_tier_changes::Entity::update_many()
        .col_expr(loyalty_tier_changes::Column::MirroredAt, Expr::value(now))
        .filter(loyalty_tier_changes::Column::ShopId.eq(shop.id))
        .exec(db)
        .await?;
    Ok(())
}

/// A handful of referrals in each state, the rewarded ones credited.
async fn seed_referrals(
    db: &DatabaseConnection,
    program: &Program,
    members: &[loyalty_members::Model],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let states = [
        ("rewarded", None),
        ("rewarded", None),
        ("rewarded", None),
        ("qualified", None),
        ("refused", Some("same_address")),
        ("refused", Some("same_ip")),
        ("claimed", None),
    ];
    for (i, (status, reason)) in states.iter().enumerate() {
        let (Some(referrer), Some(referee)) = (members.get(i * 11), members.get(i * 11 + 5)) else {
            break;
        };
        let created = now - Duration::days(60 - i as i64 * 6);
        let first_order = orders::Entity::find()
            .filter(orders::Column::CustomerId.eq(referee.customer_id))
            .order_by_asc(orders::Column::ProcessedAt)
            .one(db)
            .await?
            .map(|o| o.id);
        // The qualified one is still inside its return window.
        let due = match *status {
            "qualified" => Some(now + Duration::days(10)),
            "rewarded" => {
                Some(created + Duration::days(i64::from(program.rules.referral.return_window_days)))
            }
            _ => None,
        };
        let row = loyalty_referrals::ActiveModel {
            shop_id: Set(program.shop_id),
            referrer_customer_id: Set(referrer.customer_id),
            referee_customer_id: Set((*status != "claimed").then_some(referee.customer_id)),
            referee_email: Set(Some(format!("friend{i}@example.com"))),
            code: Set(referrer.referral_code.clone()),
            welcome_code: Set(Some(format!("WELCOME-DEMO{i}"))),
            welcome_discount_gid: Set(None),
            order_id: Set(first_order.filter(|_| *status != "claimed")),
            status: Set((*status).into()),
            refusal_reason: Set(reason.map(str::to_owned)),
            qualified_at: Set(matches!(*status, "rewarded" | "qualified").then_some(created)),
            reward_due_at: Set(due),
            rewarded_at: Set((*status == "rewarded").then(|| created + Duration::days(30))),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if *status == "rewarded" {
            let at = created + Duration::days(30);
            let posting = Posting::for_referral(program.shop_id, referrer.customer_id, row.id);
            PointsLedger::credit(db, posting, program.rules.referral.referrer_points, at).await?;
            Members::touch_activity(db, referrer.id, at).await?;
        }
    }
    Ok(())
}
