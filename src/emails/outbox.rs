//! Writing emails to the outbox, each with its delivery job.
use super::{QUEUED, SEND_JOB};
use crate::scheduler::{NewJob, Queue};
use chrono::{DateTime, Utc};
use entity::emails;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Map, Value, json};

/// An email ready to go: rendered, addressed, keyed.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub shop_id: i64,
    pub customer_id: Option<i64>,
    pub flow: String,
    pub marketing: bool,
    pub locale: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The one-click unsubscribe URL (marketing mail must have one).
    pub unsubscribe_url: Option<String>,
    pub reply_to: Option<String>,
    /// The same key never sends twice (e.g. `review_request:order:1001`).
    pub key: String,
    pub send_at: DateTime<Utc>,
}

pub struct Outbox;

impl Outbox {
    /// Stores the email and enqueues its delivery; returns its id, or None
    /// when an email with this key already exists. Call inside a transaction.
    pub async fn queue(
        db: &impl ConnectionTrait,
        email: OutgoingEmail,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, DbErr> {
        let mut headers = Map::new();
        if let Some(url) = &email.unsubscribe_url {
            headers.insert("List-Unsubscribe".into(), json!(format!("<{url}>")));
            headers.insert(
                "List-Unsubscribe-Post".into(),
                json!("List-Unsubscribe=One-Click"),
            );
        }
        if let Some(reply_to) = &email.reply_to {
            headers.insert("Reply-To".into(), json!(reply_to));
        }
        let inserted = emails::Entity::insert(emails::ActiveModel {
            shop_id: Set(email.shop_id),
            customer_id: Set(email.customer_id),
            flow: Set(email.flow.clone()),
            marketing: Set(email.marketing),
            locale: Set(email.locale.clone()),
            to_address: Set(email.to.clone()),
            subject: Set(email.subject.clone()),
            html: Set(email.html.clone()),
            text: Set(email.text.clone()),
            headers: Set(Value::Object(headers)),
            status: Set(QUEUED.to_owned()),
            idempotency_key: Set(email.key.clone()),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([emails::Column::IdempotencyKey])
        .exec(db)
        .await?;
        let sea_orm::TryInsertResult::Inserted(inserted) = inserted else {
            return Ok(None);
        };
        let id = inserted.last_insert_id;
        let job = NewJob::new(SEND_JOB, format!("email:{id}"), email.send_at)
            .for_shop(email.shop_id)
            .payload(json!({ "email_id": id, "customer_id": email.customer_id }))
            .attempts(10);
        Queue::enqueue(db, job, now).await?;
        Ok(Some(id))
    }

    /// `customers/redact`: the customer's emails are deleted (they hold their
    /// name and address) and their pending flow and email jobs are skipped.
    pub async fn redact_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        emails::Entity::delete_many()
            .filter(emails::Column::ShopId.eq(shop_id))
            .filter(emails::Column::CustomerId.eq(customer_id))
            .exec(db)
            .await?;
        Queue::skip_queued(
            db,
            shop_id,
            |job| job.payload["customer_id"].as_i64() == Some(customer_id),
            "the customer was redacted",
            now,
        )
        .await?;
        Ok(())
    }

    /// `shop/redact`: every email and job of the shop.
    pub async fn redact_shop(db: &impl ConnectionTrait, shop_id: i64) -> Result<(), DbErr> {
        crate::db::delete_where::<emails::Entity>(db, emails::Column::ShopId, shop_id).await?;
        crate::db::delete_where::<entity::jobs::Entity>(db, entity::jobs::Column::ShopId, shop_id)
            .await?;
        Ok(())
    }

    /// The shop's latest emails, newest first.
    pub async fn recent(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<Vec<emails::Model>, DbErr> {
        emails::Entity::find()
            .filter(emails::Column::ShopId.eq(shop_id))
            .order_by_desc(emails::Column::CreatedAt)
            .order_by_desc(emails::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }
}
