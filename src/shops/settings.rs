//! A shop's settings by section (`flows`, `support`…): each section is a
//! typed struct with defaults for every field, stored as JSON in
//! `shop_settings`. A shop that never saved a section reads its defaults;
//! a stored section that no longer parses is an error, not silent defaults.
use chrono::{DateTime, Utc};
use entity::shop_settings;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One section of settings, stored under `SECTION`.
pub trait Section: Serialize + DeserializeOwned + Default {
    const SECTION: &'static str;
}

pub struct ShopSettings;

impl ShopSettings {
    pub async fn load<S: Section>(db: &impl ConnectionTrait, shop_id: i64) -> Result<S, DbErr> {
        let row = shop_settings::Entity::find()
            .filter(shop_settings::Column::ShopId.eq(shop_id))
            .filter(shop_settings::Column::Section.eq(S::SECTION))
            .one(db)
            .await?;
        match row {
            None => Ok(S::default()),
            Some(row) => serde_json::from_value(row.value).map_err(|e| {
                DbErr::Custom(format!(
                    "the {} settings of shop {shop_id} are unreadable: {e}",
                    S::SECTION
                ))
            }),
        }
    }

    /// Saves a section the caller has validated.
    pub async fn save<S: Section>(
        db: &impl ConnectionTrait,
        shop_id: i64,
        value: &S,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let json = serde_json::to_value(value).map_err(|e| DbErr::Custom(e.to_string()))?;
        shop_settings::Entity::insert(shop_settings::ActiveModel {
            shop_id: Set(shop_id),
            section: Set(S::SECTION.to_owned()),
            value: Set(json),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                shop_settings::Column::ShopId,
                shop_settings::Column::Section,
            ])
            .update_columns([
                shop_settings::Column::Value,
                shop_settings::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}
