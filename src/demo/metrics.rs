//! The demo shop's own numbers for the dashboard: a margin, what it spent
//! each month to win customers (so CAC and LTV:CAC have something to show),
//! and its sales. Written once; a merchant's later edits stay.
use super::seed::DEMO_SHOP;
use crate::metrics::MetricsSettings;
use crate::metrics::period::Month;
use crate::metrics::settings::SalePeriod;
use crate::shopify::ShopDomain;
use crate::shops::{ShopSettings, Shops};
use chrono::{DateTime, Datelike, Months, Utc};
use entity::shop_settings;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

pub async fn seed_metrics(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(());
    };
    let saved = shop_settings::Entity::find()
        .filter(shop_settings::Column::ShopId.eq(shop.id))
        .filter(shop_settings::Column::Section.eq("metrics"))
        .one(db)
        .await?;
    if saved.is_some() {
        return Ok(());
    }
    let today = now.date_naive();
    let mut settings = MetricsSettings {
        default_margin_percent: 35,
        ..Default::default()
    };
    // A steady ad budget with a push before the holidays, in euro cents.
    for back in 0..13u32 {
        let Some(day) = today.checked_sub_months(Months::new(back)) else {
            continue;
        };
        let month = Month::of_date(day);
        let spend = match month.month {
            11 | 12 => 180_000,
            6..=8 => 90_000,
            _ => 120_000,
        };
        settings.acquisition_spend.insert(month.key(), spend);
    }
    let year = if today.month() >= 12 {
        today.year()
    } else {
        today.year() - 1
    };
    let day = |y: i32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y, m, d);
    if let (Some(f), Some(t)) = (day(year, 11, 27), day(year, 11, 30)) {
        settings.sales.push(SalePeriod {
            name: "Black Friday".into(),
            from: f,
            to: t,
        });
    }
    if let (Some(f), Some(t)) = (day(year, 7, 1), day(year, 7, 15)) {
        settings.sales.push(SalePeriod {
            name: "Summer sale".into(),
            from: f,
            to: t,
        });
    }
    ShopSettings::save(db, shop.id, &settings, now).await
}
