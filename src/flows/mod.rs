//! Lifecycle flows: what the store says to a customer after each moment (an
//! order, a promised delivery date, a delivery, a lapse, a tier, a birthday),
//! scheduled as durable jobs and rendered into the outbox in the customer's
//! language. Each flow's job checks, when it runs, that it still applies
//! (the flow on, the order not cancelled, the customer not redacted, consent
//! for marketing) and skips itself otherwise. The shop's settings switch
//! each flow and set its timing (`settings.rs`).
pub mod checkin;
pub mod compose;
pub mod context;
pub mod daily;
pub mod incentive;
pub mod loyalty_mail;
pub mod offers;
pub mod post_purchase;
pub mod preview;
pub mod return_status;
pub mod review_request;
pub mod rules;
pub mod settings;
pub mod support_reply;
pub mod survey;
pub mod templates;
pub mod winback;

pub use settings::{Flow, FlowSettings};

use crate::clock::Clock;
use crate::emails::{Outbox, OutgoingEmail};
use crate::loyalty::members::PAID_STATES;
use crate::scheduler::{Handler, HandlerFuture, NewJob, Outcome, Queue};
use crate::shopify::admin_api::AdminApi;
use crate::shops::{ShopSettings, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::{jobs, orders, shops};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::{Value, json};
use std::sync::Arc;

/// A timed email whose moment passed this long ago is not sent late (an
/// imported history, an order reported weeks after the fact).
const STALE_AFTER_DAYS: i64 = 14;

/// The local hour order emails wait for on their day.
pub const MORNING_HOUR: u32 = 10;

/// What the flow jobs need: the database, the clock, the app secret and
/// public URL (signed links), and the platform (discount codes).
pub struct FlowDeps {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub secret: Vec<u8>,
    pub app_url: url::Url,
    pub admin: Arc<AdminApi>,
    pub cipher: TokenCipher,
}

impl FlowDeps {
    /// A letter in `lang` from the shop; marketing mail to a known customer
    /// carries their one-click unsubscribe link.
    pub fn letter(
        &self,
        flow: Flow,
        lang: &'static str,
        shop_name: &str,
        first_name: Option<&str>,
        shop_id: i64,
        customer_id: Option<i64>,
    ) -> compose::Letter {
        compose::Letter {
            flow,
            lang,
            shop_name: shop_name.to_owned(),
            first_name: first_name.map(str::to_owned),
            unsubscribe_url: customer_id
                .filter(|_| flow.is_marketing())
                .map(|c| crate::emails::unsubscribe::url(&self.app_url, &self.secret, shop_id, c)),
        }
    }
}

/// What a flow decided to do for one job.
pub enum Step {
    Send(Box<OutgoingEmail>),
    Skip(String),
}

impl From<Outcome> for Step {
    fn from(outcome: Outcome) -> Step {
        match outcome {
            Outcome::Skip(why) => Step::Skip(why),
            other => Step::Skip(format!("{other:?}")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
    #[error("the discount code could not be created: {0}")]
    Incentive(#[from] incentive::IncentiveError),
}

/// Runs one flow's jobs: prepares the email, then writes it to the outbox
/// (with its delivery job) in one transaction.
pub struct FlowHandler {
    pub deps: Arc<FlowDeps>,
    pub flow: Flow,
}

impl FlowHandler {
    async fn prepare(&self, job: &jobs::Model) -> Result<Step, FlowError> {
        let deps = &self.deps;
        match self.flow {
            Flow::PostPurchase => post_purchase::prepare(deps, job).await,
            Flow::DeliveryCheckin => checkin::prepare(deps, job).await,
            Flow::ReviewRequest => review_request::prepare(deps, job).await,
            Flow::Survey => survey::prepare(deps, job).await,
            Flow::Replenishment | Flow::CompleteTheSet => {
                offers::prepare(deps, job, self.flow).await
            }
            Flow::WinBack => winback::prepare(deps, job).await,
            Flow::VipTier
            | Flow::VipTop
            | Flow::Birthday
            | Flow::Anniversary
            | Flow::LoyaltyLaunch
            | Flow::PointsExpiry => loyalty_mail::prepare(deps, job, self.flow).await,
            // Replies are written by the merchant and queued as they send them.
            Flow::ReturnStatus => return_status::prepare(deps, job).await,
            Flow::SupportReply => Ok(Step::Skip("support replies are not scheduled".into())),
        }
    }
}

impl Handler for FlowHandler {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            let email = match self.prepare(job).await {
                Ok(Step::Send(email)) => email,
                Ok(Step::Skip(why)) => return Outcome::Skip(why),
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let now = self.deps.clock.now();
            let queued = async {
                let txn = self.deps.db.begin().await?;
                Outbox::queue(&txn, *email, now).await?;
                txn.commit().await
            };
            match queued.await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        })
    }
}

/// Every flow's job handler, by job kind, plus the daily scan.
pub fn handlers(deps: Arc<FlowDeps>) -> Vec<(String, Arc<dyn Handler>)> {
    let mut all: Vec<(String, Arc<dyn Handler>)> = Flow::ALL
        .into_iter()
        .filter(|f| *f != Flow::SupportReply)
        .map(|flow| {
            let handler: Arc<dyn Handler> = Arc::new(FlowHandler {
                deps: deps.clone(),
                flow,
            });
            (flow.job_kind(), handler)
        })
        .collect();
    all.push((
        daily::DAILY_JOB.to_owned(),
        Arc::new(daily::DailyScan { deps }),
    ));
    all
}

/// A flow's job for an order or a customer, keyed so it is scheduled once.
pub fn flow_job(
    flow: Flow,
    shop_id: i64,
    key: String,
    run_at: DateTime<Utc>,
    payload: Value,
) -> NewJob {
    NewJob::new(&flow.job_kind(), key, run_at)
        .for_shop(shop_id)
        .payload(payload)
}

fn fresh(run_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    run_at >= now - Duration::days(STALE_AFTER_DAYS)
}

fn order_payload(order: &orders::Model) -> Value {
    json!({ "order_id": order.id, "customer_id": order.customer_id })
}

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
        let settings: FlowSettings = ShopSettings::load(db, shop.id).await?;
        let bought = order
            .processed_at
            .or(order.platform_created_at)
            .unwrap_or(now);
        let mut jobs = Vec::new();
        if settings.enabled(Flow::PostPurchase) && fresh(bought, now) {
            jobs.push(flow_job(
                Flow::PostPurchase,
                shop.id,
                format!("flow:post_purchase:{}", order.id),
                now,
                order_payload(order),
            ));
        }
        if settings.enabled(Flow::DeliveryCheckin)
            && let Some(promise) =
                crate::delivery::DeliveryPromises::for_order(db, order.id).await?
        {
            let tz = crate::clock::shop_tz(&shop.timezone);
            let at = rules::local_time(promise.promised_earliest, MORNING_HOUR, tz);
            if fresh(at, now) {
                jobs.push(checkin::job(shop.id, order, at.max(now)));
            }
        }
        jobs.extend(offers::jobs_for_order(db, &settings, shop.id, order, bought, now).await?);
        for job in jobs {
            Queue::enqueue(db, job, now).await?;
        }
        Ok(())
    }

    /// A delivered order: the review request and the survey are scheduled
    /// for their days after delivery, and the check-in for the next morning
    /// when no promised date scheduled it (each once per order).
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
        let settings: FlowSettings = ShopSettings::load(db, shop.id).await?;
        let after = |days: u32| delivered + Duration::days(i64::from(days));
        let mut jobs = Vec::new();
        for (flow, days) in [
            (Flow::ReviewRequest, settings.review_request.days),
            (Flow::Survey, settings.survey.days),
        ] {
            let at = after(days);
            if settings.enabled(flow) && fresh(at, now) {
                jobs.push(flow_job(
                    flow,
                    shop.id,
                    format!("flow:{}:{}", flow.key(), order.id),
                    at,
                    order_payload(order),
                ));
            }
        }
        if settings.enabled(Flow::DeliveryCheckin) {
            let tz = crate::clock::shop_tz(&shop.timezone);
            let next_day = crate::clock::local_date(delivered, tz) + Duration::days(1);
            let at = rules::local_time(next_day, MORNING_HOUR, tz);
            if fresh(at, now) {
                // Same key as the promised-date check-in: at most one per order.
                jobs.push(checkin::job(shop.id, order, at.max(now)));
            }
        }
        for job in jobs {
            Queue::enqueue(db, job, now).await?;
        }
        Ok(())
    }
}
