//! The SQL side: lean projections streamed in customer order (so memory holds
//! one customer's orders at a time), and the group-bys the database does
//! better than we would. Every query is scoped by shop and written once for
//! both databases (`?` placeholders are numbered for PostgreSQL).
use super::engine::{Engine, FirstVisit, MarginByMonth, OrderRow, RepeatGroup};
use super::period::Month;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Statement, Value,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The orders every figure counts: paid or partly refunded, not cancelled, with a customer.
pub const COUNTED: &str = "o.shop_id = ? AND o.customer_id IS NOT NULL AND o.cancelled_at IS NULL \
     AND o.financial_status IN ('paid', 'partially_refunded') AND o.processed_at IS NOT NULL";

/// A statement with `?` placeholders, numbered `$n` on PostgreSQL.
pub fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

#[derive(FromQueryResult)]
struct RawOrder {
    customer_id: i64,
    id: i64,
    processed_at: DateTime<Utc>,
    total_minor: i64,
    refunded_minor: i64,
}

/// Streams every counted order before `end` into the engine, customer by customer.
pub async fn feed_orders(
    db: &DatabaseConnection,
    shop_id: i64,
    end: DateTime<Utc>,
    engine: &mut Engine<'_>,
) -> Result<(), DbErr> {
    let sql = format!(
        "SELECT o.customer_id, o.id, o.processed_at, o.total_minor, \
           COALESCE(r.refunded, 0) AS refunded_minor \
         FROM orders o \
         LEFT JOIN (SELECT order_id, CAST(SUM(amount_minor) AS BIGINT) AS refunded FROM refunds \
                    WHERE shop_id = ? AND order_id IS NOT NULL GROUP BY order_id) r ON r.order_id = o.id \
         WHERE {COUNTED} AND o.processed_at < ? \
         ORDER BY o.customer_id, o.processed_at, o.id"
    );
    let stmt = statement(
        db.get_database_backend(),
        &sql,
        vec![shop_id.into(), shop_id.into(), end.into()],
    );
    let mut rows = RawOrder::find_by_statement(stmt).stream(db).await?;
    let mut current: Vec<OrderRow> = Vec::new();
    while let Some(r) = rows.try_next().await? {
        if current
            .last()
            .is_some_and(|o| o.customer_id != r.customer_id)
        {
            engine.add_customer(&current);
            current.clear();
        }
        current.push(OrderRow {
            customer_id: r.customer_id,
            order_id: r.id,
            at: r.processed_at,
            total_minor: r.total_minor,
            refunded_minor: r.refunded_minor,
        });
    }
    if !current.is_empty() {
        engine.add_customer(&current);
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct RawLine {
    processed_at: DateTime<Utc>,
    product_id: Option<i64>,
    value_minor: i64,
}

/// The margin learned from line items, month by month and for the period
/// (key `period`), when the merchant gave margins for some products.
pub async fn margins(
    db: &DatabaseConnection,
    shop_id: i64,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
    default_margin: f64,
    product_margins: &BTreeMap<i64, u32>,
) -> Result<Option<MarginByMonth>, DbErr> {
    if product_margins.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT o.processed_at, li.product_id, li.quantity * li.price_minor AS value_minor \
         FROM order_line_items li JOIN orders o ON o.id = li.order_id \
         WHERE {COUNTED} AND o.processed_at >= ? AND o.processed_at < ?"
    );
    let stmt = statement(
        db.get_database_backend(),
        &sql,
        vec![shop_id.into(), start.into(), end.into()],
    );
    let mut rows = RawLine::find_by_statement(stmt).stream(db).await?;
    let mut out: MarginByMonth = HashMap::new();
    while let Some(r) = rows.try_next().await? {
        let margin = r
            .product_id
            .and_then(|p| product_margins.get(&p))
            .map_or(default_margin, |m| f64::from(*m) / 100.0);
        for key in [Month::of(r.processed_at, tz).key(), "period".to_owned()] {
            let slot = out.entry(key).or_insert((0, 0.0));
            slot.0 += r.value_minor;
            slot.1 += r.value_minor as f64 * margin;
        }
    }
    Ok(Some(out))
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProductRepeat {
    pub product_id: i64,
    pub title: String,
    pub customers: i64,
    pub repeat_customers: i64,
}

#[derive(FromQueryResult)]
struct RawVisit {
    id: i64,
    source_name: Option<String>,
    landing_site: Option<String>,
    referring_site: Option<String>,
    discount_codes: String,
}

/// Where the first orders (`first_orders`: our order id → ordered again) came from.
pub async fn first_visits(
    db: &DatabaseConnection,
    shop_id: i64,
    first_orders: &HashMap<i64, bool>,
) -> Result<Vec<(FirstVisit, bool)>, DbErr> {
    let ids: Vec<i64> = first_orders.keys().copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<Value> = vec![shop_id.into()];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        let rows = RawVisit::find_by_statement(statement(
            db.get_database_backend(),
            &format!(
                // `+shop_id`: still scoped by shop, but read by primary key (SQLite
                // would otherwise walk the shop's index over every order).
                "SELECT id, source_name, landing_site, referring_site, discount_codes \
                 FROM orders WHERE +shop_id = ? AND id IN ({marks})"
            ),
            values,
        ))
        .all(db)
        .await?;
        for r in rows {
            let repeat = first_orders.get(&r.id).copied().unwrap_or(false);
            out.push((
                FirstVisit {
                    source_name: r.source_name,
                    landing_site: r.landing_site,
                    referring_site: r.referring_site,
                    discount_codes: r.discount_codes,
                },
                repeat,
            ));
        }
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct RawItem {
    order_id: i64,
    product_id: i64,
    title: String,
}

/// Products in new customers' first orders (`first_orders`: our order id →
/// whether the customer ordered again), the ten bought by the most. Reads
/// only the line items within the first orders' id range, by index.
pub async fn products(
    db: &DatabaseConnection,
    shop_id: i64,
    first_orders: &HashMap<i64, bool>,
) -> Result<Vec<ProductRepeat>, DbErr> {
    let (Some(low), Some(high)) = (
        first_orders.keys().min().copied(),
        first_orders.keys().max().copied(),
    ) else {
        return Ok(Vec::new());
    };
    let mut rows = RawItem::find_by_statement(statement(
        db.get_database_backend(),
        "SELECT order_id, product_id, title FROM order_line_items \
         WHERE order_id >= ? AND order_id <= ? AND shop_id = ? AND product_id IS NOT NULL",
        vec![low.into(), high.into(), shop_id.into()],
    ))
    .stream(db)
    .await?;
    let mut by_product: HashMap<i64, ProductRepeat> = HashMap::new();
    let mut seen: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
    while let Some(r) = rows.try_next().await? {
        let Some(repeat) = first_orders.get(&r.order_id) else {
            continue;
        };
        // A product twice in one order is one buyer.
        if !seen.insert((r.order_id, r.product_id)) {
            continue;
        }
        let entry = by_product
            .entry(r.product_id)
            .or_insert_with(|| ProductRepeat {
                product_id: r.product_id,
                title: r.title,
                customers: 0,
                repeat_customers: 0,
            });
        entry.customers += 1;
        entry.repeat_customers += i64::from(*repeat);
    }
    let mut list: Vec<ProductRepeat> = by_product.into_values().collect();
    list.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(b.repeat_customers.cmp(&a.repeat_customers))
            .then(a.product_id.cmp(&b.product_id))
    });
    list.truncate(10);
    Ok(list)
}

impl ProductRepeat {
    pub fn repeat_rate(&self) -> f64 {
        if self.customers == 0 {
            0.0
        } else {
            self.repeat_customers as f64 / self.customers as f64
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct OnTime {
    pub name: String,
    pub delivered: u64,
    pub on_time: u64,
    pub on_time_rate: f64,
    /// Average days late, over the late deliveries.
    pub avg_days_late: Option<f64>,
    /// Average days past the promise over every delivery (early ones count 0).
    pub avg_lateness_days: f64,
}

#[derive(Default)]
struct Lateness {
    delivered: u64,
    on_time: u64,
    late_days: i64,
}

impl Lateness {
    fn add(&mut self, days_late: i64) {
        self.delivered += 1;
        if days_late <= 0 {
            self.on_time += 1;
        } else {
            self.late_days += days_late;
        }
    }

    fn view(&self, name: String) -> OnTime {
        let late = self.delivered - self.on_time;
        OnTime {
            name,
            delivered: self.delivered,
            on_time: self.on_time,
            on_time_rate: if self.delivered == 0 {
                0.0
            } else {
                self.on_time as f64 / self.delivered as f64
            },
            avg_days_late: (late > 0).then(|| self.late_days as f64 / late as f64),
            avg_lateness_days: if self.delivered == 0 {
                0.0
            } else {
                self.late_days as f64 / self.delivered as f64
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Delivery {
    pub overall: OnTime,
    pub suppliers: Vec<OnTime>,
    pub zones: Vec<OnTime>,
}

#[derive(FromQueryResult)]
struct RawPromise {
    zone: String,
    suppliers: String,
    promised_latest: NaiveDate,
    delivered_at: DateTime<Utc>,
}

/// Promise against delivery, for deliveries made in the period: a delivery
/// is on time when it arrived (shop's local date) by the promised latest day.
pub async fn delivery(
    db: &DatabaseConnection,
    shop_id: i64,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
) -> Result<Delivery, DbErr> {
    let stmt = statement(
        db.get_database_backend(),
        "SELECT zone, suppliers, promised_latest, delivered_at FROM delivery_promises \
         WHERE shop_id = ? AND delivered_at IS NOT NULL AND delivered_at >= ? AND delivered_at < ?",
        vec![shop_id.into(), start.into(), end.into()],
    );
    let mut rows = RawPromise::find_by_statement(stmt).stream(db).await?;
    let mut overall = Lateness::default();
    let mut suppliers: BTreeMap<String, Lateness> = BTreeMap::new();
    let mut zones: BTreeMap<String, Lateness> = BTreeMap::new();
    while let Some(r) = rows.try_next().await? {
        let arrived = r.delivered_at.with_timezone(&tz).date_naive();
        let late = (arrived - r.promised_latest).num_days();
        overall.add(late);
        zones.entry(r.zone).or_default().add(late);
        for s in r
            .suppliers
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            suppliers.entry(s.to_owned()).or_default().add(late);
        }
    }
    let view = |m: BTreeMap<String, Lateness>| -> Vec<OnTime> {
        let mut v: Vec<OnTime> = m.into_iter().map(|(k, l)| l.view(k)).collect();
        v.sort_by(|a, b| {
            b.delivered
                .cmp(&a.delivered)
                .then_with(|| a.name.cmp(&b.name))
        });
        v
    };
    Ok(Delivery {
        overall: overall.view(String::new()),
        suppliers: view(suppliers),
        zones: view(zones),
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReasonCount {
    pub reason: String,
    pub returns: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Returns {
    pub requests: i64,
    /// Orders of the period with a return that was not rejected.
    pub returned_orders: i64,
    pub rate: Option<f64>,
    pub value_minor: i64,
    pub reasons: Vec<ReasonCount>,
}

#[derive(FromQueryResult)]
struct RawReason {
    reason: String,
    returns: i64,
}

#[derive(FromQueryResult)]
struct RawReturnTotals {
    requests: i64,
    value_minor: Option<i64>,
}

#[derive(FromQueryResult)]
struct RawCount {
    n: i64,
}

/// Returns asked for in the period (the rate is set once the period's orders are counted).
pub async fn returns(
    db: &DatabaseConnection,
    shop_id: i64,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Returns, DbErr> {
    let backend = db.get_database_backend();
    let range = || -> Vec<Value> { vec![shop_id.into(), start.into(), end.into()] };
    let reasons = RawReason::find_by_statement(statement(
        backend,
        "SELECT reason, COUNT(*) AS returns FROM return_requests \
         WHERE shop_id = ? AND created_at >= ? AND created_at < ? \
         GROUP BY reason ORDER BY returns DESC, reason",
        range(),
    ))
    .all(db)
    .await?;
    let totals = RawReturnTotals::find_by_statement(statement(
        backend,
        "SELECT COUNT(*) AS requests, CAST(SUM(value_minor) AS BIGINT) AS value_minor FROM return_requests \
         WHERE shop_id = ? AND created_at >= ? AND created_at < ?",
        range(),
    ))
    .one(db)
    .await?;
    let returned = RawCount::find_by_statement(statement(
        backend,
        "SELECT COUNT(DISTINCT order_id) AS n FROM return_requests \
         WHERE shop_id = ? AND created_at >= ? AND created_at < ? AND status <> 'rejected'",
        range(),
    ))
    .one(db)
    .await?
    .map_or(0, |c| c.n);
    Ok(Returns {
        requests: totals.as_ref().map_or(0, |t| t.requests),
        returned_orders: returned,
        rate: None,
        value_minor: totals.and_then(|t| t.value_minor).unwrap_or(0),
        reasons: reasons
            .into_iter()
            .map(|r| ReasonCount {
                reason: r.reason,
                returns: r.returns,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Support {
    pub cases: u64,
    pub answered: u64,
    pub resolved: u64,
    pub first_reply_median_minutes: Option<f64>,
    pub resolution_median_hours: Option<f64>,
    /// Share of answered cases answered within the standard.
    pub first_reply_within_standard: Option<f64>,
    pub resolution_within_standard: Option<f64>,
    pub standard_first_reply_hours: u32,
    pub standard_resolution_hours: u32,
}

#[derive(FromQueryResult)]
struct RawCase {
    opened_at: DateTime<Utc>,
    first_reply_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    first_replied_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
}

/// Make-it-right cases opened in the period, against the shop's standards.
pub async fn support(
    db: &DatabaseConnection,
    shop_id: i64,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    standards: (u32, u32),
) -> Result<Support, DbErr> {
    let rows = RawCase::find_by_statement(statement(
        db.get_database_backend(),
        "SELECT opened_at, first_reply_due, resolution_due, first_replied_at, resolved_at \
         FROM support_cases WHERE shop_id = ? AND opened_at >= ? AND opened_at < ?",
        vec![shop_id.into(), start.into(), end.into()],
    ))
    .all(db)
    .await?;
    let mut reply_minutes: Vec<i64> = Vec::new();
    let mut resolve_minutes: Vec<i64> = Vec::new();
    let (mut reply_ok, mut resolve_ok) = (0u64, 0u64);
    for c in &rows {
        if let Some(at) = c.first_replied_at {
            reply_minutes.push((at - c.opened_at).num_minutes());
            reply_ok += u64::from(at <= c.first_reply_due);
        }
        if let Some(at) = c.resolved_at {
            resolve_minutes.push((at - c.opened_at).num_minutes());
            resolve_ok += u64::from(at <= c.resolution_due);
        }
    }
    let share = |ok: u64, n: usize| (n > 0).then(|| ok as f64 / n as f64);
    let (answered, resolved) = (reply_minutes.len(), resolve_minutes.len());
    Ok(Support {
        cases: rows.len() as u64,
        answered: answered as u64,
        resolved: resolved as u64,
        first_reply_median_minutes: crate::flows::rules::median(&mut reply_minutes),
        resolution_median_hours: crate::flows::rules::median(&mut resolve_minutes)
            .map(|m| m / 60.0),
        first_reply_within_standard: share(reply_ok, answered),
        resolution_within_standard: share(resolve_ok, resolved),
        standard_first_reply_hours: standards.0,
        standard_resolution_hours: standards.1,
    })
}

#[derive(FromQueryResult)]
struct RawAnswer {
    kind: String,
    score: i16,
    created_at: DateTime<Utc>,
}

/// Survey answers of the period, by month: (kind, score) rows per `YYYY-MM`.
pub async fn survey_answers(
    db: &DatabaseConnection,
    shop_id: i64,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
) -> Result<BTreeMap<String, Vec<(String, i16)>>, DbErr> {
    let mut rows = RawAnswer::find_by_statement(statement(
        db.get_database_backend(),
        "SELECT kind, score, created_at FROM survey_responses \
         WHERE shop_id = ? AND created_at >= ? AND created_at < ?",
        vec![shop_id.into(), start.into(), end.into()],
    ))
    .stream(db)
    .await?;
    let mut out: BTreeMap<String, Vec<(String, i16)>> = BTreeMap::new();
    while let Some(r) = rows.try_next().await? {
        out.entry(Month::of(r.created_at, tz).key())
            .or_default()
            .push((r.kind, r.score));
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct RawMember {
    customer_id: i64,
}

/// Customers enrolled in the loyalty program, and when it launched.
pub async fn loyalty_members(
    db: &DatabaseConnection,
    shop_id: i64,
) -> Result<(Vec<i64>, Option<DateTime<Utc>>), DbErr> {
    let backend = db.get_database_backend();
    let members = RawMember::find_by_statement(statement(
        backend,
        "SELECT customer_id FROM loyalty_members WHERE shop_id = ?",
        vec![shop_id.into()],
    ))
    .all(db)
    .await?;
    let program = entity::loyalty_programs::Entity::find()
        .filter(entity::loyalty_programs::Column::ShopId.eq(shop_id))
        .one(db)
        .await?;
    Ok((
        members.into_iter().map(|m| m.customer_id).collect(),
        program.and_then(|p| p.launched_at),
    ))
}

/// A channel group's view, for the products list.
pub fn product_group(p: &ProductRepeat) -> RepeatGroup {
    RepeatGroup {
        name: p.title.clone(),
        customers: p.customers.max(0) as u64,
        repeat_customers: p.repeat_customers.max(0) as u64,
        repeat_rate: p.repeat_rate(),
    }
}

impl Returns {
    /// The share of `orders` with a return.
    pub fn with_rate(mut self, orders: u64) -> Returns {
        self.rate = (orders > 0).then(|| self.returned_orders as f64 / orders as f64);
        self
    }
}
