//! A shop's program row: on/off, rules, launch date. A shop without a row runs
//! the default rules, so loyalty works from the first order after install.
use super::rules::ProgramRules;
use chrono::{DateTime, Utc};
use entity::{loyalty_programs, shops};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TryInsertResult,
};

/// The program as the rest of the loyalty code reads it.
#[derive(Debug, Clone)]
pub struct Program {
    pub shop_id: i64,
    pub enabled: bool,
    pub rules: ProgramRules,
    pub launched_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub timezone: String,
    /// The shop's language, for what the merchant reads (discount titles in the admin).
    pub locale: String,
}

impl Program {
    pub fn minor_digits(&self) -> u32 {
        crate::money::minor_unit_digits(&self.currency)
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        super::rules::shop_tz(&self.timezone)
    }

    /// When points credited at `now` expire if nothing else happens.
    pub fn expires_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        super::rules::expiry_date(now, self.rules.expiry.inactivity_months)
    }

    /// Launched, and `at` is within the early-member window after the launch.
    pub fn is_early(&self, at: DateTime<Utc>) -> bool {
        self.launched_at.is_some_and(|launch| {
            at >= launch
                && at
                    < launch
                        + chrono::Duration::days(i64::from(self.rules.launch.early_member_days))
        })
    }
}

pub struct Programs;

impl Programs {
    pub async fn load(db: &impl ConnectionTrait, shop: &shops::Model) -> Result<Program, DbErr> {
        let row = loyalty_programs::Entity::find()
            .filter(loyalty_programs::Column::ShopId.eq(shop.id))
            .one(db)
            .await?;
        Ok(match row {
            Some(row) => Program {
                shop_id: shop.id,
                enabled: row.enabled,
                // Validated when saved; missing fields take their defaults (serde), anything
                // else unreadable is corruption, not a reason to run other rules silently.
                rules: serde_json::from_value(row.rules).map_err(|e| {
                    DbErr::Custom(format!(
                        "loyalty rules of shop {} are unreadable: {e}",
                        shop.id
                    ))
                })?,
                launched_at: row.launched_at,
                currency: shop.currency.clone(),
                timezone: shop.timezone.clone(),
                locale: shop.locale.clone(),
            },
            None => Program {
                shop_id: shop.id,
                enabled: true,
                rules: ProgramRules::default(),
                launched_at: None,
                currency: shop.currency.clone(),
                timezone: shop.timezone.clone(),
                locale: shop.locale.clone(),
            },
        })
    }

    pub async fn load_by_id(db: &impl ConnectionTrait, shop_id: i64) -> Result<Program, DbErr> {
        let shop = shops::Entity::find_by_id(shop_id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("shop {shop_id}")))?;
        Self::load(db, &shop).await
    }

    async fn ensure_row(
        db: &impl ConnectionTrait,
        shop_id: i64,
        now: DateTime<Utc>,
    ) -> Result<loyalty_programs::Model, DbErr> {
        let row = loyalty_programs::ActiveModel {
            shop_id: Set(shop_id),
            enabled: Set(true),
            rules: Set(serde_json::to_value(ProgramRules::default())
                .map_err(|e| DbErr::Custom(e.to_string()))?),
            launched_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let _: TryInsertResult<_> = loyalty_programs::Entity::insert(row)
            .on_conflict_do_nothing_on([loyalty_programs::Column::ShopId])
            .exec_without_returning(db)
            .await?;
        loyalty_programs::Entity::find()
            .filter(loyalty_programs::Column::ShopId.eq(shop_id))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("loyalty program of shop {shop_id}")))
    }

    /// Saves rules the caller has validated.
    pub async fn save(
        db: &impl ConnectionTrait,
        shop_id: i64,
        enabled: bool,
        rules: &ProgramRules,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let mut row: loyalty_programs::ActiveModel =
            Self::ensure_row(db, shop_id, now).await?.into();
        row.enabled = Set(enabled);
        row.rules = Set(serde_json::to_value(rules).map_err(|e| DbErr::Custom(e.to_string()))?);
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(())
    }

    /// Sets the launch date once; returns it.
    pub async fn mark_launched(
        db: &impl ConnectionTrait,
        shop_id: i64,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DbErr> {
        let row = Self::ensure_row(db, shop_id, now).await?;
        if let Some(at) = row.launched_at {
            return Ok(at);
        }
        let mut row: loyalty_programs::ActiveModel = row.into();
        row.launched_at = Set(Some(now));
        row.updated_at = Set(now);
        row.update(db).await?;
        Ok(now)
    }
}
