//! The launch campaign: every existing customer enrolled at once, with the
//! early-member bonus, and the launch texts the emails and widgets use.
use super::events::LoyaltyEvents;
use super::members::Members;
use super::program::Programs;
use super::service::Loyalty;
use crate::i18n::{LOCALES, tf};
use chrono::{DateTime, Utc};
use entity::{customers, shops};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize)]
pub struct LaunchReport {
    pub launched_at: DateTime<Utc>,
    pub customers: usize,
    pub bonuses_granted: usize,
}

/// Customers enrolled per transaction: progress is kept if a big shop's launch stops halfway.
const BATCH: u64 = 200;

pub async fn launch(
    db: &DatabaseConnection,
    shop: &shops::Model,
    now: DateTime<Utc>,
) -> Result<LaunchReport, DbErr> {
    let launched_at = Programs::mark_launched(db, shop.id, now).await?;
    let program = Programs::load(db, shop).await?;
    let mut report = LaunchReport {
        launched_at,
        customers: 0,
        bonuses_granted: 0,
    };
    let mut after = 0i64;
    loop {
        let batch: Vec<(i64, String)> = customers::Entity::find()
            .select_only()
            .column(customers::Column::Id)
            .column(customers::Column::EmailMarketingConsent)
            .filter(customers::Column::ShopId.eq(shop.id))
            .filter(customers::Column::RedactedAt.is_null())
            .filter(customers::Column::Id.gt(after))
            .order_by_asc(customers::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = *last;
        let txn = db.begin().await?;
        for (customer_id, consent) in &batch {
            // The bonus first: enrolling inside the launch window would grant it
            // too, and the report must count it either way.
            Members::lock_customer(&txn, *customer_id, now).await?;
            if Loyalty::grant_launch_bonus(&txn, &program, *customer_id, now).await? {
                report.bonuses_granted += 1;
            }
            Loyalty::member_for(&txn, &program, *customer_id, "launch", now).await?;
            // The launch email is marketing: only for customers who said yes.
            if consent == "subscribed" {
                LoyaltyEvents::record(
                    &txn,
                    shop.id,
                    Some(*customer_id),
                    "launch_email",
                    json!({"bonus_points": program.rules.launch.bonus_points}),
                    format!("launch_email:{customer_id}"),
                    now,
                )
                .await?;
            }
            report.customers += 1;
        }
        txn.commit().await?;
    }
    Ok(report)
}

/// The launch email and banner texts in every language, with the bonus filled in.
pub fn launch_texts(bonus_points: i64) -> Value {
    let mut all = Map::new();
    for locale in LOCALES {
        let points = bonus_points.to_string();
        let text = |key: &str| tf(locale, key, &[("points", &points)]);
        all.insert(
            (*locale).to_owned(),
            json!({
                "email_subject": text("loyalty.launch.email_subject"),
                "email_body": text("loyalty.launch.email_body"),
                "banner": text("loyalty.launch.banner"),
                "pitch": text("loyalty.pitch"),
            }),
        );
    }
    Value::Object(all)
}
