//! The flows' timed side. Every minute: loyalty events (a tier reached,
//! points expiring, a birthday, the launch) become their emails' jobs, and
//! each shop's daily scan is queued once per local day. The scan reads the
//! shop's orders once, customer by customer, and schedules the win-backs
//! (lapse learned from the shop's own time to a second purchase), the
//! top-spender notes and the first-order anniversaries — each keyed, so a
//! second run, or a second instance, schedules nothing twice.
use super::rules::{is_anniversary, learned_lapse_days, top_threshold};
use super::settings::{Flow, FlowSettings};
use super::{FlowDeps, flow_job};
use crate::loyalty::events::LoyaltyEvents;
use crate::loyalty::members::PAID_STATES;
use crate::scheduler::{Handler, HandlerFuture, NewJob, Outcome, Queue};
use crate::shops::ShopSettings;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{jobs, loyalty_events, orders, shops};
use futures_util::TryStreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

pub const DAILY_JOB: &str = "flow.daily";

/// How long after the lapse begins a customer is still written to: a shop
/// that installs with years of history does not mail every old customer.
const WINBACK_WINDOW_DAYS: i64 = 30;
/// A loyalty moment older than this is not mailed (a birthday note a month
/// late is worse than none): it is marked handled and left.
const STALE_EVENT_DAYS: i64 = 7;
/// The top-spender note needs enough customers to mean something.
const MIN_CUSTOMERS_FOR_TOP: usize = 20;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct FlowJobReport {
    pub daily_scans_queued: usize,
    pub loyalty_emails_queued: usize,
}

pub struct FlowJobs;

impl FlowJobs {
    /// Everything due at `now`, for every installed shop.
    pub async fn run_due(
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> Result<FlowJobReport, DbErr> {
        let mut report = FlowJobReport::default();
        let installed = shops::Entity::find()
            .filter(shops::Column::UninstalledAt.is_null())
            .all(db)
            .await?;
        for shop in installed {
            let today = crate::clock::local_date(now, crate::clock::shop_tz(&shop.timezone));
            let scan = NewJob::new(DAILY_JOB, format!("flow:daily:{}:{today}", shop.id), now)
                .for_shop(shop.id)
                .payload(json!({ "date": today }));
            if Queue::enqueue(db, scan, now).await? {
                report.daily_scans_queued += 1;
            }
            report.loyalty_emails_queued += Self::follow_loyalty_events(db, &shop, now).await?;
        }
        Ok(report)
    }

    /// Turns the shop's pending loyalty events into email jobs, marking each
    /// handled in the same transaction (stale ones are marked and not mailed).
    pub async fn follow_loyalty_events(
        db: &DatabaseConnection,
        shop: &shops::Model,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let pending = LoyaltyEvents::pending(db, shop.id, 500).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let txn = db.begin().await?;
        let mut queued = 0;
        for event in &pending {
            let flow = match event.kind.as_str() {
                "tier_reached" => Some(Flow::VipTier),
                "points_expiring" => Some(Flow::PointsExpiry),
                "birthday" => Some(Flow::Birthday),
                "launch_email" => Some(Flow::LoyaltyLaunch),
                _ => None,
            };
            let fresh = event.created_at >= now - Duration::days(STALE_EVENT_DAYS);
            if let (Some(flow), Some(customer), true) = (flow, event.customer_id, fresh) {
                let mut payload = event.payload.clone();
                payload["customer_id"] = json!(customer);
                payload["event_id"] = json!(event.id);
                let job = flow_job(
                    flow,
                    shop.id,
                    format!("flow:loyalty_event:{}", event.id),
                    now,
                    payload,
                );
                if Queue::enqueue(&txn, job, now).await? {
                    queued += 1;
                }
            }
        }
        let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
        loyalty_events::Entity::update_many()
            .col_expr(loyalty_events::Column::HandledAt, Expr::value(now))
            .filter(loyalty_events::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(queued)
    }
}

/// One customer's paid orders, as the scan sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerHistory {
    pub customer_id: i64,
    pub orders: usize,
    pub spend_minor: i64,
    pub first_at: DateTime<Utc>,
    pub second_at: Option<DateTime<Utc>>,
    pub last_at: DateTime<Utc>,
    pub last_order_id: i64,
}

/// Every customer's history in one pass over the shop's live, paid orders
/// (streamed in customer order, so memory holds one customer at a time).
pub async fn histories(
    db: &DatabaseConnection,
    shop_id: i64,
) -> Result<Vec<CustomerHistory>, DbErr> {
    let mut rows = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop_id))
        .filter(orders::Column::CustomerId.is_not_null())
        .filter(orders::Column::CancelledAt.is_null())
        .filter(orders::Column::FinancialStatus.is_in(PAID_STATES))
        .filter(orders::Column::ProcessedAt.is_not_null())
        .order_by_asc(orders::Column::CustomerId)
        .order_by_asc(orders::Column::ProcessedAt)
        .order_by_asc(orders::Column::Id)
        .select_only()
        .column(orders::Column::CustomerId)
        .column(orders::Column::Id)
        .column(orders::Column::ProcessedAt)
        .column(orders::Column::TotalMinor)
        .into_tuple::<(i64, i64, DateTime<Utc>, i64)>()
        .stream(db)
        .await?;
    let mut out: Vec<CustomerHistory> = Vec::new();
    while let Some((customer_id, id, at, total)) = rows.try_next().await? {
        match out.last_mut() {
            Some(h) if h.customer_id == customer_id => {
                h.orders += 1;
                h.spend_minor += total;
                if h.second_at.is_none() {
                    h.second_at = Some(at);
                }
                h.last_at = at;
                h.last_order_id = id;
            }
            _ => out.push(CustomerHistory {
                customer_id,
                orders: 1,
                spend_minor: total,
                first_at: at,
                second_at: None,
                last_at: at,
                last_order_id: id,
            }),
        }
    }
    Ok(out)
}

/// The lapse window in use: (days, learned from the shop, repeat customers it was learned from).
pub fn lapse_window(settings: &FlowSettings, histories: &[CustomerHistory]) -> (u32, bool, usize) {
    let mut days: Vec<i64> = histories
        .iter()
        .filter_map(|h| h.second_at.map(|s| (s - h.first_at).num_days()))
        .collect();
    let sample = days.len();
    match settings.win_back.lapse_days {
        Some(days) => (days, false, sample),
        None => (learned_lapse_days(&mut days), true, sample),
    }
}

/// What the scan decided for one shop on one day: the jobs to queue.
pub fn plan(
    shop_id: i64,
    settings: &FlowSettings,
    histories: &[CustomerHistory],
    today: NaiveDate,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    let mut jobs = Vec::new();
    let mut spends: Vec<i64> = histories.iter().map(|h| h.spend_minor).collect();
    if settings.win_back.enabled {
        let (lapse, _, _) = lapse_window(settings, histories);
        let high = top_threshold(&mut spends, settings.win_back.high_value_percent);
        let begins = now - Duration::days(i64::from(lapse));
        for h in histories {
            if h.last_at < begins && h.last_at >= begins - Duration::days(WINBACK_WINDOW_DAYS) {
                let high_value = high.is_some_and(|t| h.spend_minor >= t) && h.orders >= 2;
                jobs.push(flow_job(
                    Flow::WinBack,
                    shop_id,
                    format!("flow:win_back:{}:{}", h.customer_id, h.last_order_id),
                    now,
                    json!({"customer_id": h.customer_id, "last_order_id": h.last_order_id,
                        "high_value": high_value, "lapse_days": lapse}),
                ));
            }
        }
    }
    if settings.vip.enabled && histories.len() >= MIN_CUSTOMERS_FOR_TOP {
        let threshold = top_threshold(&mut spends, settings.vip.top_percent);
        for h in histories {
            if threshold.is_some_and(|t| h.spend_minor >= t) && h.orders >= 2 {
                jobs.push(flow_job(
                    Flow::VipTop,
                    shop_id,
                    format!("flow:vip_top:{}:{}", h.customer_id, today.year()),
                    now,
                    json!({"customer_id": h.customer_id, "spend_minor": h.spend_minor}),
                ));
            }
        }
    }
    if settings.anniversary.enabled {
        for h in histories {
            let first = crate::clock::local_date(h.first_at, tz);
            if is_anniversary(first, today) {
                jobs.push(flow_job(
                    Flow::Anniversary,
                    shop_id,
                    format!("flow:anniversary:{}:{}", h.customer_id, today.year()),
                    now,
                    json!({"customer_id": h.customer_id, "years": today.year() - first.year()}),
                ));
            }
        }
    }
    jobs
}

/// `flow.daily`: one shop's scan.
pub struct DailyScan {
    pub deps: Arc<FlowDeps>,
}

impl DailyScan {
    async fn scan(&self, job: &jobs::Model) -> Result<Outcome, DbErr> {
        let db = &self.deps.db;
        let Some(shop) = (match job.shop_id {
            Some(id) => shops::Entity::find_by_id(id).one(db).await?,
            None => None,
        }) else {
            return Ok(Outcome::Skip("the shop is gone".into()));
        };
        if shop.uninstalled_at.is_some() {
            return Ok(Outcome::Skip("the shop uninstalled the app".into()));
        }
        let settings: FlowSettings = ShopSettings::load(db, shop.id).await?;
        let now = self.deps.clock.now();
        let tz = crate::clock::shop_tz(&shop.timezone);
        let today = crate::clock::local_date(now, tz);
        let histories = histories(db, shop.id).await?;
        for planned in plan(shop.id, &settings, &histories, today, tz, now) {
            Queue::enqueue(db, planned, now).await?;
        }
        Ok(Outcome::Done)
    }
}

impl Handler for DailyScan {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.scan(job)
                .await
                .unwrap_or_else(|e| Outcome::Retry(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(days_ago)
    }

    fn history(
        id: i64,
        orders: usize,
        spend: i64,
        first: i64,
        second: Option<i64>,
        last: i64,
        now: DateTime<Utc>,
    ) -> CustomerHistory {
        CustomerHistory {
            customer_id: id,
            orders,
            spend_minor: spend,
            first_at: at(first, now),
            second_at: second.map(|d| at(d, now)),
            last_at: at(last, now),
            last_order_id: id * 10,
        }
    }

    #[test]
    fn lapsed_customers_are_won_back_once_per_lapse_with_their_value() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let mut settings = FlowSettings::default();
        settings.win_back.lapse_days = Some(60);
        settings.vip.enabled = false;
        settings.anniversary.enabled = false;
        let histories = vec![
            history(1, 5, 90_000, 300, Some(250), 70, now), // lapsed, big spender
            history(2, 1, 2_000, 65, None, 65, now),        // lapsed, one order
            history(3, 2, 5_000, 200, Some(100), 30, now),  // active
            history(4, 1, 1_000, 400, None, 400, now),      // lapsed long ago: left alone
        ];
        let tz = chrono_tz::Tz::UTC;
        let jobs = plan(7, &settings, &histories, now.date_naive(), tz, now);
        let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(keys, ["flow:win_back:1:10", "flow:win_back:2:20"]);
        assert_eq!(jobs[0].payload["high_value"], true);
        assert_eq!(jobs[1].payload["high_value"], false);
        assert_eq!(jobs[0].kind, "flow.win_back");
    }

    #[test]
    fn the_lapse_is_learned_when_not_set() {
        let now = Utc::now();
        let histories: Vec<_> = (0..30)
            .map(|i| history(i, 2, 100, 100, Some(60), 60, now))
            .collect();
        let (days, learned, sample) = lapse_window(&FlowSettings::default(), &histories);
        assert_eq!(
            (days, learned, sample),
            (60, true, 30),
            "1.5 × the 40-day median"
        );
    }

    #[test]
    fn anniversaries_and_top_spenders_are_found() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let mut settings = FlowSettings::default();
        settings.win_back.enabled = false;
        let mut histories: Vec<_> = (1..=40)
            .map(|i| history(i, 2, i * 100, 100, Some(50), 10, now))
            .collect();
        histories.push(history(99, 1, 10, 365, None, 365, now));
        let jobs = plan(
            7,
            &settings,
            &histories,
            now.date_naive(),
            chrono_tz::Tz::UTC,
            now,
        );
        let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
        // The top 5% of 41 customers is 3 of them.
        assert!(keys.contains(&"flow:vip_top:40:2026") && keys.contains(&"flow:vip_top:38:2026"));
        assert!(!keys.contains(&"flow:vip_top:37:2026"), "{keys:?}");
        assert!(keys.contains(&"flow:anniversary:99:2026"));
    }
}
