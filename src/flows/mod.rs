//! Lifecycle flows: what the store says to a customer after each moment
//! (an order, a delivery…), scheduled as durable jobs and rendered into the
//! outbox in the customer's language. Each flow's job checks, when it runs,
//! that it still applies (order not cancelled, customer not redacted) and
//! skips itself otherwise.
pub mod context;
pub mod post_purchase;
pub mod review_request;
pub mod templates;

use crate::scheduler::{NewJob, Queue};
use chrono::{DateTime, Utc};
use entity::{orders, shops};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;

pub const POST_PURCHASE: &str = "flow.post_purchase";
pub const REVIEW_REQUEST: &str = "flow.review_request";

/// Order states that count as bought.
const PAID_STATES: [&str; 3] = ["paid", "partially_refunded", "refunded"];

pub struct Flows;

impl Flows {
    /// An order as we now hold it: schedules the flows it starts (once each,
    /// however often the platform reports it). Call in the webhook's transaction.
    pub async fn on_order(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        order: &orders::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if order.cancelled_at.is_some() || !PAID_STATES.contains(&order.financial_status.as_str()) {
            return Ok(());
        }
        let job = NewJob::new(
            POST_PURCHASE,
            format!("flow:post_purchase:{}", order.id),
            now,
        )
        .for_shop(shop.id)
        .payload(json!({ "order_id": order.id, "customer_id": order.customer_id }));
        Queue::enqueue(db, job, now).await?;
        Ok(())
    }

    /// A delivered order: the review request is scheduled for a week later
    /// (once per order, however often the delivery is reported).
    pub async fn on_delivered(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        order: &orders::Model,
        delivered: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if order.cancelled_at.is_some() {
            return Ok(());
        }
        let at = delivered + chrono::Duration::days(review_request::DAYS_AFTER_DELIVERY);
        let job = NewJob::new(
            REVIEW_REQUEST,
            format!("flow:review_request:{}", order.id),
            at,
        )
        .for_shop(shop.id)
        .payload(json!({ "order_id": order.id, "customer_id": order.customer_id }));
        Queue::enqueue(db, job, now).await?;
        Ok(())
    }
}
