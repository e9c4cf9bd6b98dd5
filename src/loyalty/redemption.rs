//! The rewards catalogue and redeeming points for a real single-use discount
//! code. The debit and a `pending` redemption are committed first; then the
//! platform creates the code. If it cannot, the points are given back in the
//! same breath; if we crash in between, the retry job finishes the job. Points
//! are never lost without a code.
use super::ledger::{PointsLedger, Posting, Reason};
use super::members::{Members, random_code};
use super::platform::{DiscountSpec, PlatformError, create_discount_code};
use super::program::{Program, Programs};
use super::rules::{NegativeBalance, RewardKind};
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::AdminApi;
use crate::shops::{Shops, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::{customers, loyalty_redemptions, loyalty_rewards, shops};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// After this many failed tries the retry job gives the points back.
const MAX_ATTEMPTS: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("this shopper is not a member of the program yet")]
    NotMember,
    #[error("no such reward in this shop")]
    NoSuchReward,
    #[error("not enough points: {balance} available, {cost} needed")]
    NotEnoughPoints { balance: i64, cost: i64 },
    #[error("the loyalty program is paused")]
    ProgramOff,
    #[error("the shop has uninstalled the app, so no code can be created")]
    NotInstalled,
    #[error("the code could not be created right now; the points were returned")]
    Platform(#[source] PlatformError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A reward as a merchant defines it.
#[derive(Debug, Clone, Deserialize)]
pub struct RewardInput {
    pub name: String,
    pub kind: RewardKind,
    #[serde(default)]
    pub value: i64,
    pub points_cost: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl RewardInput {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() || self.name.len() > 120 {
            return Err("a reward needs a name of at most 120 characters".into());
        }
        if !(1..=10_000_000).contains(&self.points_cost) {
            return Err("points_cost must be between 1 and 10000000".into());
        }
        self.kind.check_value(self.value)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedCode {
    pub redemption_id: i64,
    pub code: String,
    pub reward: String,
    pub kind: String,
    pub value: i64,
    pub points_spent: i64,
}

pub struct Rewards;

impl Rewards {
    pub async fn list(
        db: &impl ConnectionTrait,
        shop_id: i64,
        only_active: bool,
    ) -> Result<Vec<loyalty_rewards::Model>, DbErr> {
        let mut q =
            loyalty_rewards::Entity::find().filter(loyalty_rewards::Column::ShopId.eq(shop_id));
        if only_active {
            q = q.filter(loyalty_rewards::Column::Active.eq(true));
        }
        q.order_by_asc(loyalty_rewards::Column::PointsCost)
            .all(db)
            .await
    }

    pub async fn create(
        db: &impl ConnectionTrait,
        shop_id: i64,
        input: &RewardInput,
        now: DateTime<Utc>,
    ) -> Result<loyalty_rewards::Model, DbErr> {
        loyalty_rewards::ActiveModel {
            shop_id: Set(shop_id),
            name: Set(input.name.trim().to_owned()),
            kind: Set(input.kind.as_str().to_owned()),
            value: Set(input.value),
            points_cost: Set(input.points_cost),
            active: Set(input.active),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
    }

    /// Updates a reward of this shop; None when it is not the shop's.
    pub async fn update(
        db: &impl ConnectionTrait,
        shop_id: i64,
        id: i64,
        input: &RewardInput,
        now: DateTime<Utc>,
    ) -> Result<Option<loyalty_rewards::Model>, DbErr> {
        let Some(existing) = loyalty_rewards::Entity::find_by_id(id)
            .filter(loyalty_rewards::Column::ShopId.eq(shop_id))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let mut row: loyalty_rewards::ActiveModel = existing.into();
        row.name = Set(input.name.trim().to_owned());
        row.kind = Set(input.kind.as_str().to_owned());
        row.value = Set(input.value);
        row.points_cost = Set(input.points_cost);
        row.active = Set(input.active);
        row.updated_at = Set(now);
        Ok(Some(row.update(db).await?))
    }

    /// Seeds the catalogue a new program starts with, named in the shop's language.
    pub async fn seed_defaults(
        db: &impl ConnectionTrait,
        shop_id: i64,
        currency: &str,
        locale: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if !Self::list(db, shop_id, false).await?.is_empty() {
            return Ok(());
        }
        let unit = 10i64.pow(crate::money::minor_unit_digits(currency));
        let defaults = [
            (RewardKind::FixedAmount, 5 * unit, 500),
            (RewardKind::Percentage, 10, 800),
            (RewardKind::FreeShipping, 0, 400),
            (RewardKind::FixedAmount, 15 * unit, 1_400),
        ];
        for (kind, value, points_cost) in defaults {
            let input = RewardInput {
                name: reward_label(locale, kind, value, currency),
                kind,
                value,
                points_cost,
                active: true,
            };
            Self::create(db, shop_id, &input, now).await?;
        }
        Ok(())
    }
}

/// "5.00 EUR off", "10% off", "Free shipping" in the given language.
pub fn reward_label(locale: &str, kind: RewardKind, value: i64, currency: &str) -> String {
    use crate::i18n::{t, tf};
    match kind {
        RewardKind::FixedAmount => tf(
            locale,
            "loyalty.reward.fixed_amount",
            &[(
                "amount",
                &format!(
                    "{} {currency}",
                    crate::money::Money::new(value, currency).to_decimal_string()
                ),
            )],
        ),
        RewardKind::Percentage => tf(
            locale,
            "loyalty.reward.percentage",
            &[("percent", &value.to_string())],
        ),
        RewardKind::FreeShipping => t(locale, "loyalty.reward.free_shipping"),
    }
}

pub struct Redemptions;

impl Redemptions {
    /// Spends points on a reward for a customer (our id) and returns the code.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem(
        db: &DatabaseConnection,
        api: &AdminApi,
        shop: &ShopDomain,
        token: &str,
        program: &Program,
        customer_id: i64,
        reward_id: i64,
        now: DateTime<Utc>,
    ) -> Result<IssuedCode, RedeemError> {
        if !program.enabled {
            return Err(RedeemError::ProgramOff);
        }
        let txn = db.begin().await?;
        Members::lock_customer(&txn, customer_id, now).await?;
        let member = Members::find(&txn, customer_id)
            .await?
            .ok_or(RedeemError::NotMember)?;
        let reward = loyalty_rewards::Entity::find_by_id(reward_id)
            .filter(loyalty_rewards::Column::ShopId.eq(program.shop_id))
            .filter(loyalty_rewards::Column::Active.eq(true))
            .one(&txn)
            .await?
            .ok_or(RedeemError::NoSuchReward)?;
        let balance = PointsLedger::balance(&txn, customer_id).await?.points;
        if balance < reward.points_cost {
            return Err(RedeemError::NotEnoughPoints {
                balance,
                cost: reward.points_cost,
            });
        }
        let redemption = loyalty_redemptions::ActiveModel {
            shop_id: Set(program.shop_id),
            customer_id: Set(customer_id),
            reward_id: Set(Some(reward.id)),
            reward_name: Set(reward.name.clone()),
            kind: Set(reward.kind.clone()),
            value: Set(reward.value),
            points_cost: Set(reward.points_cost),
            code: Set(format!("FLY-{}", random_code(10))),
            status: Set("pending".into()),
            discount_gid: Set(None),
            last_error: Set(None),
            attempts: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        PointsLedger::debit(
            &txn,
            Posting::for_redemption(&redemption),
            reward.points_cost,
            NegativeBalance::AllowNegative,
            now,
        )
        .await?;
        Members::touch_activity(&txn, member.id, now).await?;
        txn.commit().await?;

        let shopify_customer_id = customers::Entity::find_by_id(customer_id)
            .one(db)
            .await?
            .map(|c| c.shopify_customer_id);
        match Self::issue(
            db,
            api,
            shop,
            token,
            program,
            &redemption,
            shopify_customer_id,
            now,
        )
        .await
        {
            Ok(()) => Ok(IssuedCode {
                redemption_id: redemption.id,
                code: redemption.code,
                reward: redemption.reward_name,
                kind: redemption.kind,
                value: redemption.value,
                points_spent: redemption.points_cost,
            }),
            Err(RedeemError::Platform(e)) => {
                tracing::warn!(redemption = redemption.id, error = %e, "code not created; returning the points");
                Self::give_back(db, &redemption, &e.to_string(), now).await?;
                Err(RedeemError::Platform(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Asks the platform for the code and marks the redemption issued.
    #[allow(clippy::too_many_arguments)]
    async fn issue(
        db: &DatabaseConnection,
        api: &AdminApi,
        shop: &ShopDomain,
        token: &str,
        program: &Program,
        redemption: &loyalty_redemptions::Model,
        shopify_customer_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), RedeemError> {
        let kind = RewardKind::parse(&redemption.kind).ok_or_else(|| {
            DbErr::Custom(format!(
                "redemption {} has an unknown kind `{}`",
                redemption.id, redemption.kind
            ))
        })?;
        let title = crate::i18n::tf(
            &program.locale,
            "loyalty.discount_title.reward",
            &[("name", &redemption.reward_name)],
        );
        let result = create_discount_code(
            api,
            shop,
            token,
            &DiscountSpec {
                title: &title,
                code: &redemption.code,
                kind,
                value: redemption.value,
                currency: &program.currency,
                customer_id: shopify_customer_id,
                starts_at: now,
                ends_at: Some(now + Duration::days(365)),
            },
        )
        .await;
        let gid = match result {
            Ok(gid) => Some(gid),
            // An earlier try did create it; the answer was lost on the way back.
            Err(PlatformError::CodeTaken) => None,
            Err(e) => {
                let mut row: loyalty_redemptions::ActiveModel = redemption.clone().into();
                row.attempts = Set(redemption.attempts + 1);
                row.last_error = Set(Some(e.to_string()));
                row.updated_at = Set(now);
                row.update(db).await?;
                return Err(RedeemError::Platform(e));
            }
        };
        let mut row: loyalty_redemptions::ActiveModel = redemption.clone().into();
        row.status = Set("issued".into());
        row.discount_gid = Set(gid);
        row.attempts = Set(redemption.attempts + 1);
        row.last_error = Set(None);
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(())
    }

    /// Returns the points of a redemption whose code never came, once.
    async fn give_back(
        db: &DatabaseConnection,
        redemption: &loyalty_redemptions::Model,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let txn = db.begin().await?;
        Members::lock_customer(&txn, redemption.customer_id, now).await?;
        PointsLedger::credit(
            &txn,
            Posting {
                reason: Reason::RedemptionRefund,
                key: format!("redemption_refund:{}", redemption.id),
                ..Posting::for_redemption(redemption)
            },
            redemption.points_cost,
            now,
        )
        .await?;
        loyalty_redemptions::Entity::update_many()
            .col_expr(
                loyalty_redemptions::Column::Status,
                sea_orm::sea_query::Expr::value("failed"),
            )
            .col_expr(
                loyalty_redemptions::Column::LastError,
                sea_orm::sea_query::Expr::value(error.to_owned()),
            )
            .col_expr(
                loyalty_redemptions::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(loyalty_redemptions::Column::Id.eq(redemption.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Finishes redemptions left `pending` (a crash between debit and code):
    /// issue the code, or after `MAX_ATTEMPTS` give the points back.
    pub async fn retry_pending(
        db: &DatabaseConnection,
        api: &AdminApi,
        cipher: &TokenCipher,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let stale = loyalty_redemptions::Entity::find()
            .filter(loyalty_redemptions::Column::Status.eq("pending"))
            .filter(loyalty_redemptions::Column::UpdatedAt.lt(now - Duration::minutes(2)))
            .limit(100)
            .all(db)
            .await?;
        let mut settled = 0;
        for redemption in stale {
            let Some(shop) = shops::Entity::find_by_id(redemption.shop_id)
                .one(db)
                .await?
            else {
                continue;
            };
            let token =
                Shops::access_token(cipher, &shop).filter(|_| shop.uninstalled_at.is_none());
            let give_up = redemption.attempts + 1 >= MAX_ATTEMPTS;
            let outcome = match &token {
                Some(token) => {
                    let program = Programs::load(db, &shop).await?;
                    let customer = customers::Entity::find_by_id(redemption.customer_id)
                        .one(db)
                        .await?
                        .map(|c| c.shopify_customer_id);
                    let domain = ShopDomain::from_stored(shop.domain.clone());
                    Self::issue(
                        db,
                        api,
                        &domain,
                        token,
                        &program,
                        &redemption,
                        customer,
                        now,
                    )
                    .await
                }
                None => Err(RedeemError::NotInstalled),
            };
            match outcome {
                Ok(()) => settled += 1,
                Err(RedeemError::Db(e)) => return Err(e),
                Err(e) if give_up || token.is_none() => {
                    Self::give_back(db, &redemption, &e.to_string(), now).await?;
                    settled += 1;
                }
                Err(e) => {
                    tracing::warn!(redemption = redemption.id, error = %e, "redemption still pending");
                }
            }
        }
        Ok(settled)
    }
}
