//! Referrals: a friend claims the welcome code from a member's link; their
//! first paid order qualifies the referral unless it looks like the member
//! themself; the member is rewarded once the return window has passed with
//! no refund. Every refusal keeps its reason.
use super::events::LoyaltyEvents;
use super::fraud::{Identity, normalize_email, referral_fraud};
use super::ledger::{PointsLedger, Posting};
use super::members::{Members, PAID_STATES};
use super::platform::{DiscountSpec, PlatformError, create_discount_code};
use super::program::{Program, Programs};
use crate::commerce::Commerce;
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::AdminApi;
use chrono::{DateTime, Duration, Utc};
use entity::{customers, loyalty_referrals, orders};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("this referral link is not valid")]
    UnknownCode,
    #[error("that is not an email address")]
    BadEmail,
    #[error("referral refused: {0}")]
    Refused(&'static str),
    #[error("the welcome code could not be created: {0}")]
    Platform(#[from] PlatformError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What the referred friend receives.
#[derive(Debug, Clone, Serialize)]
pub struct WelcomeOffer {
    pub code: String,
    pub kind: &'static str,
    pub value: i64,
}

pub struct Referrals;

fn refuse(
    row: loyalty_referrals::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> loyalty_referrals::ActiveModel {
    let mut row: loyalty_referrals::ActiveModel = row.into();
    row.status = Set("refused".into());
    row.refusal_reason = Set(Some(reason.to_owned()));
    row.updated_at = Set(now);
    row
}

/// `ref=CODE` in a landing-site path or URL.
pub fn code_in_landing_site(landing_site: &str) -> Option<String> {
    let query = landing_site.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "ref")
        .map(|(_, v)| v.trim().to_uppercase())
        .filter(|v| !v.is_empty())
}

impl Referrals {
    /// Everything we know about the referrer: their account, email, and the
    /// addresses and IPs of their own orders.
    async fn identity_of(db: &impl ConnectionTrait, customer_id: i64) -> Result<Identity, DbErr> {
        let mut identity = Identity {
            customer_id: Some(customer_id),
            ..Default::default()
        };
        if let Some(c) = customers::Entity::find_by_id(customer_id).one(db).await? {
            identity.add_email(c.email.as_deref());
        }
        for o in orders::Entity::find()
            .filter(orders::Column::CustomerId.eq(customer_id))
            .all(db)
            .await?
        {
            identity.add_email(o.email.as_deref());
            identity.add_address(
                o.shipping_address1.as_deref(),
                o.shipping_zip.as_deref(),
                o.shipping_country_code.as_deref(),
            );
            identity.add_ip(o.browser_ip.as_deref());
        }
        Ok(identity)
    }

    /// A friend opened a member's link and asks for the welcome code.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim(
        db: &DatabaseConnection,
        api: &AdminApi,
        shop: &ShopDomain,
        token: &str,
        program: &Program,
        code: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<WelcomeOffer, ReferralError> {
        let email = normalize_email(email).ok_or(ReferralError::BadEmail)?;
        let referrer = Members::find_by_code(db, program.shop_id, code)
            .await?
            .ok_or(ReferralError::UnknownCode)?;
        let offer = |welcome: String| WelcomeOffer {
            code: welcome,
            kind: program.rules.referral.welcome_kind.as_str(),
            value: program.rules.referral.welcome_value,
        };
        let existing = loyalty_referrals::Entity::find()
            .filter(loyalty_referrals::Column::ShopId.eq(program.shop_id))
            .filter(loyalty_referrals::Column::RefereeEmail.eq(email.as_str()))
            .one(db)
            .await?;
        let row = match existing {
            Some(row) if row.status == "refused" => {
                return Err(ReferralError::Refused(known_refusal(
                    row.refusal_reason.as_deref(),
                )));
            }
            Some(row) => {
                if let Some(welcome) = &row.welcome_code {
                    return Ok(offer(welcome.clone()));
                }
                row
            }
            None => {
                let referrer_identity = Self::identity_of(db, referrer.customer_id).await?;
                let mut friend = Identity::default();
                friend.add_email(Some(&email));
                let fraud = referral_fraud(&referrer_identity, &friend).map(|s| s.as_str());
                let returning = Self::has_paid_orders_by_email(db, program.shop_id, &email).await?;
                let refusal = fraud.or(returning.then_some("existing_customer"));
                let row = loyalty_referrals::ActiveModel {
                    shop_id: Set(program.shop_id),
                    referrer_customer_id: Set(referrer.customer_id),
                    referee_email: Set(Some(email.clone())),
                    code: Set(referrer.referral_code.clone()),
                    status: Set(if refusal.is_some() {
                        "refused"
                    } else {
                        "claimed"
                    }
                    .into()),
                    refusal_reason: Set(refusal.map(str::to_owned)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                // Two claims for one email at once: the second finds the first's row.
                loyalty_referrals::Entity::insert(row)
                    .on_conflict_do_nothing_on([
                        loyalty_referrals::Column::ShopId,
                        loyalty_referrals::Column::RefereeEmail,
                    ])
                    .exec_without_returning(db)
                    .await?;
                let row = loyalty_referrals::Entity::find()
                    .filter(loyalty_referrals::Column::ShopId.eq(program.shop_id))
                    .filter(loyalty_referrals::Column::RefereeEmail.eq(email.as_str()))
                    .one(db)
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound(format!("referral for {email}")))?;
                if let Some(reason) = refusal {
                    tracing::info!(referral = row.id, reason, "referral refused at claim");
                    return Err(ReferralError::Refused(reason));
                }
                row
            }
        };
        let welcome = format!("WELCOME-{}", super::members::random_code(8));
        let title = crate::i18n::tf(
            &program.locale,
            "loyalty.discount_title.referral",
            &[("code", &referrer.referral_code)],
        );
        let gid = create_discount_code(
            api,
            shop,
            token,
            &DiscountSpec {
                title: &title,
                code: &welcome,
                kind: program.rules.referral.welcome_kind,
                value: program.rules.referral.welcome_value,
                currency: &program.currency,
                customer_id: None,
                starts_at: now,
                ends_at: Some(now + Duration::days(90)),
            },
        )
        .await?;
        let mut row: loyalty_referrals::ActiveModel = row.into();
        row.welcome_code = Set(Some(welcome.clone()));
        row.welcome_discount_gid = Set(Some(gid));
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(offer(welcome))
    }

    async fn has_paid_orders_by_email(
        db: &impl ConnectionTrait,
        shop_id: i64,
        email: &str,
    ) -> Result<bool, DbErr> {
        let n: Vec<i64> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::FinancialStatus.is_in(PAID_STATES))
            .filter(orders::Column::Email.eq(email))
            .limit(1)
            .into_tuple()
            .all(db)
            .await?;
        Ok(!n.is_empty())
    }

    /// A paid order: if it came through a referral (the welcome code, or
    /// `?ref=` on the landing page) and is the friend's first, qualify it or
    /// refuse it with the fraud signal found.
    pub async fn on_paid_order(
        db: &impl ConnectionTrait,
        program: &Program,
        order: &orders::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(referee_id) = order.customer_id else {
            return Ok(());
        };
        let codes: Vec<String> = order
            .discount_codes
            .split(',')
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        let by_welcome = if codes.is_empty() {
            None
        } else {
            loyalty_referrals::Entity::find()
                .filter(loyalty_referrals::Column::ShopId.eq(program.shop_id))
                .filter(loyalty_referrals::Column::WelcomeCode.is_in(codes))
                .filter(loyalty_referrals::Column::Status.eq("claimed"))
                .one(db)
                .await?
        };
        let row = match by_welcome {
            Some(row) => row,
            None => {
                let Some(code) = order.landing_site.as_deref().and_then(code_in_landing_site)
                else {
                    return Ok(());
                };
                let Some(referrer) = Members::find_by_code(db, program.shop_id, &code).await?
                else {
                    return Ok(());
                };
                let already = loyalty_referrals::Entity::find()
                    .filter(loyalty_referrals::Column::ShopId.eq(program.shop_id))
                    .filter(
                        Condition::any()
                            .add(loyalty_referrals::Column::OrderId.eq(order.id))
                            .add(loyalty_referrals::Column::RefereeCustomerId.eq(referee_id)),
                    )
                    .one(db)
                    .await?;
                if already.is_some() {
                    return Ok(());
                }
                loyalty_referrals::ActiveModel {
                    shop_id: Set(program.shop_id),
                    referrer_customer_id: Set(referrer.customer_id),
                    code: Set(referrer.referral_code),
                    status: Set("claimed".into()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?
            }
        };
        let referrer = Self::identity_of(db, row.referrer_customer_id).await?;
        let mut referee = Identity {
            customer_id: Some(referee_id),
            ..Default::default()
        };
        referee.add_email(order.email.as_deref());
        if let Some(c) = customers::Entity::find_by_id(referee_id).one(db).await? {
            referee.add_email(c.email.as_deref());
        }
        referee.add_address(
            order.shipping_address1.as_deref(),
            order.shipping_zip.as_deref(),
            order.shipping_country_code.as_deref(),
        );
        referee.add_ip(order.browser_ip.as_deref());
        let earlier_orders: Vec<i64> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(orders::Column::CustomerId.eq(referee_id))
            .filter(orders::Column::Id.ne(order.id))
            .filter(orders::Column::FinancialStatus.is_in(PAID_STATES))
            .limit(1)
            .into_tuple()
            .all(db)
            .await?;
        let refusal = referral_fraud(&referrer, &referee)
            .map(|s| s.as_str())
            .or((!earlier_orders.is_empty()).then_some("existing_customer"));
        let window = i64::from(program.rules.referral.return_window_days);
        let mut active: loyalty_referrals::ActiveModel = match refusal {
            Some(reason) => {
                tracing::info!(referral = row.id, reason, "referral refused");
                refuse(row.clone(), reason, now)
            }
            None => {
                let mut active: loyalty_referrals::ActiveModel = row.clone().into();
                active.status = Set("qualified".into());
                active.qualified_at = Set(Some(now));
                active.reward_due_at = Set(Some(now + Duration::days(window)));
                active.updated_at = Set(now);
                active
            }
        };
        active.referee_customer_id = Set(Some(referee_id));
        active.order_id = Set(Some(order.id));
        let saved = active.update(db).await?;
        if saved.status == "qualified" && window == 0 {
            Self::release(db, program, saved, now).await?;
        }
        Ok(())
    }

    /// The referee's order was refunded or cancelled before the reward: refuse it.
    pub async fn on_order_reversed(
        db: &impl ConnectionTrait,
        shop_id: i64,
        order_id: i64,
        cancelled: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let pending = loyalty_referrals::Entity::find()
            .filter(loyalty_referrals::Column::ShopId.eq(shop_id))
            .filter(loyalty_referrals::Column::OrderId.eq(order_id))
            .filter(loyalty_referrals::Column::Status.eq("qualified"))
            .one(db)
            .await?;
        if let Some(row) = pending {
            let reason = if cancelled { "cancelled" } else { "refunded" };
            refuse(row, reason, now).update(db).await?;
        }
        Ok(())
    }

    /// Rewards the referrer for one qualified referral whose window has passed.
    async fn release(
        db: &impl ConnectionTrait,
        program: &Program,
        row: loyalty_referrals::Model,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let order = match row.order_id {
            Some(id) => orders::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let reversed = match &order {
            None => Some("order_missing"),
            Some(o) if o.cancelled_at.is_some() => Some("cancelled"),
            Some(o) if Commerce::refunded_minor(db, &[o.id]).await? > 0 => Some("refunded"),
            Some(_) => None,
        };
        if let Some(reason) = reversed {
            refuse(row, reason, now).update(db).await?;
            return Ok(false);
        }
        let referrer = row.referrer_customer_id;
        let member = super::Loyalty::member_for(db, program, referrer, "referral", now).await?;
        let points = program.rules.referral.referrer_points;
        let key = format!("referral:{}", row.id);
        let credited = PointsLedger::credit(
            db,
            Posting {
                expires_at: program.expires_at(now),
                ..Posting::for_referral(program.shop_id, referrer, row.id)
            },
            points,
            now,
        )
        .await?;
        if credited {
            Members::touch_activity(db, member.id, now).await?;
            LoyaltyEvents::record(
                db,
                program.shop_id,
                Some(referrer),
                "referral_rewarded",
                json!({"points": points, "referral_id": row.id}),
                key,
                now,
            )
            .await?;
        }
        let mut active: loyalty_referrals::ActiveModel = row.into();
        active.status = Set("rewarded".into());
        active.rewarded_at = Set(Some(now));
        active.updated_at = Set(now);
        active.update(db).await?;
        Ok(credited)
    }

    /// The shop's referral count and its latest `limit` referrals, newest first.
    pub async fn recent(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<(u64, Vec<loyalty_referrals::Model>), DbErr> {
        use sea_orm::{PaginatorTrait, QueryOrder};
        let rows = loyalty_referrals::Entity::find()
            .filter(loyalty_referrals::Column::ShopId.eq(shop_id))
            .order_by_desc(loyalty_referrals::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        let total = loyalty_referrals::Entity::find()
            .filter(loyalty_referrals::Column::ShopId.eq(shop_id))
            .count(db)
            .await?;
        Ok((total, rows))
    }

    /// Releases every referral whose return window has passed. Returns how many were rewarded.
    pub async fn release_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
        use sea_orm::TransactionTrait;
        let due = loyalty_referrals::Entity::find()
            .filter(loyalty_referrals::Column::Status.eq("qualified"))
            .filter(loyalty_referrals::Column::RewardDueAt.lte(now))
            .limit(500)
            .all(db)
            .await?;
        let mut rewarded = 0;
        for row in due {
            let txn = db.begin().await?;
            // Re-read under the transaction: another worker may have settled it.
            let Some(row) = loyalty_referrals::Entity::find_by_id(row.id)
                .filter(loyalty_referrals::Column::Status.eq("qualified"))
                .one(&txn)
                .await?
            else {
                continue;
            };
            let program = Programs::load_by_id(&txn, row.shop_id).await?;
            if Self::release(&txn, &program, row, now).await? {
                rewarded += 1;
            }
            txn.commit().await?;
        }
        Ok(rewarded)
    }
}

/// A stored refusal reason as one the storefront has words for (`referral_<reason>`).
fn known_refusal(reason: Option<&str>) -> &'static str {
    match reason.unwrap_or_default() {
        "same_customer" => "same_customer",
        "same_email" => "same_email",
        "same_address" => "same_address",
        "same_ip" => "same_ip",
        "existing_customer" => "existing_customer",
        "cancelled" => "cancelled",
        "refunded" => "refunded",
        _ => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_site_carries_the_code() {
        assert_eq!(
            code_in_landing_site("/products/mug?ref=abcd2345&utm_source=x").as_deref(),
            Some("ABCD2345")
        );
        assert_eq!(code_in_landing_site("/?utm_source=x"), None);
        assert_eq!(code_in_landing_site("/"), None);
    }
}
