//! Historical backfill from a Bulk Operations result (JSONL) or the
//! platform's CSV exports. In JSONL each line is one node; nested connections
//! (an order's line items) follow their parent as lines carrying `__parentId`.
//! Records are written in batches, guarded like webhooks by the platform's
//! `updated_at`, so an import can be repeated and mixed with live deliveries.
use super::payload::{
    AddressPayload, CustomerPayload, DiscountCodePayload, LineItemPayload, MarketingConsent,
    OrderPayload, RefundPayload, TransactionPayload,
};
use super::{Commerce, CommerceError};
use chrono::{DateTime, Utc};
use entity::{customers, order_line_items, orders};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::io::BufRead;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub customers: u64,
    pub orders: u64,
    pub line_items: u64,
    /// Rows of a CSV export that could not be read (each logged with its line).
    pub skipped: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Commerce(#[from] CommerceError),
    #[error("{0}")]
    Csv(String),
}

impl ImportReport {
    /// What was written since `earlier` (the same import's report at an earlier batch).
    pub fn since(&self, earlier: &ImportReport) -> ImportReport {
        ImportReport {
            customers: self.customers - earlier.customers,
            orders: self.orders - earlier.orders,
            line_items: self.line_items - earlier.line_items,
            skipped: self.skipped - earlier.skipped,
        }
    }
}

impl From<DbErr> for ImportError {
    fn from(e: DbErr) -> Self {
        ImportError::Commerce(CommerceError::Db(e))
    }
}

/// `gid://shopify/Order/123` → ("Order", 123)
fn gid(value: &str) -> Option<(&str, i64)> {
    let rest = value.strip_prefix("gid://shopify/")?;
    let (kind, id) = rest.split_once('/')?;
    let id = id.split('?').next()?.parse().ok()?;
    Some((kind, id))
}

#[derive(Deserialize)]
struct ShopMoney {
    amount: String,
}

#[derive(Deserialize)]
struct MoneyBag {
    #[serde(rename = "shopMoney")]
    shop_money: ShopMoney,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkCustomer {
    id: String,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    email_marketing_consent: Option<BulkConsent>,
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkConsent {
    marketing_state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkAddress {
    name: Option<String>,
    address1: Option<String>,
    city: Option<String>,
    zip: Option<String>,
    country_code_v2: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkOrder {
    name: Option<String>,
    email: Option<String>,
    currency_code: String,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    processed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    display_financial_status: Option<String>,
    display_fulfillment_status: Option<String>,
    subtotal_price_set: Option<MoneyBag>,
    total_price_set: Option<MoneyBag>,
    total_discounts_set: Option<MoneyBag>,
    customer: Option<BulkCustomer>,
    shipping_address: Option<BulkAddress>,
    source_name: Option<String>,
    customer_locale: Option<String>,
    #[serde(default)]
    discount_codes: Vec<String>,
    customer_journey_summary: Option<Journey>,
    #[serde(default)]
    refunds: Vec<BulkRefund>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Journey {
    first_visit: Option<Visit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Visit {
    landing_page: Option<String>,
    referrer_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkRefund {
    id: String,
    created_at: Option<DateTime<Utc>>,
    total_refunded_set: Option<MoneyBag>,
}

#[derive(Deserialize)]
struct IdRef {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkLineItem {
    id: String,
    title: Option<String>,
    variant_title: Option<String>,
    vendor: Option<String>,
    sku: Option<String>,
    quantity: i32,
    product: Option<IdRef>,
    variant: Option<IdRef>,
    original_unit_price_set: Option<MoneyBag>,
}

fn customer_payload(c: BulkCustomer) -> Result<CustomerPayload, String> {
    let id = gid(&c.id)
        .map(|(_, id)| id)
        .ok_or("customer id is not a gid")?;
    Ok(CustomerPayload {
        id,
        email: c.email,
        first_name: c.first_name,
        last_name: c.last_name,
        phone: c.phone,
        locale: c.locale,
        tags: None,
        created_at: c.created_at,
        updated_at: c.updated_at,
        email_marketing_consent: c.email_marketing_consent.map(|m| MarketingConsent {
            state: m.marketing_state.map(|s| s.to_lowercase()),
        }),
        state: c.state.map(|s| s.to_lowercase()),
    })
}

fn order_payload(id: i64, o: BulkOrder) -> Result<(OrderPayload, Vec<RefundPayload>), String> {
    let amount = |bag: Option<MoneyBag>| bag.map(|b| b.shop_money.amount);
    let visit = o.customer_journey_summary.and_then(|j| j.first_visit);
    let (landing_site, referring_site) =
        visit.map_or((None, None), |v| (v.landing_page, v.referrer_url));
    let refunds = o
        .refunds
        .into_iter()
        .filter_map(|r| {
            Some(RefundPayload {
                id: gid(&r.id)?.1,
                order_id: id,
                note: None,
                created_at: r.created_at,
                transactions: vec![TransactionPayload {
                    amount: r.total_refunded_set?.shop_money.amount,
                    currency: None,
                    kind: Some("refund".into()),
                    status: Some("success".into()),
                }],
            })
        })
        .collect();
    let order = OrderPayload {
        id,
        name: o.name,
        email: o.email,
        contact_email: None,
        currency: o.currency_code,
        subtotal_price: amount(o.subtotal_price_set),
        total_price: amount(o.total_price_set),
        total_discounts: amount(o.total_discounts_set),
        financial_status: o.display_financial_status.map(|s| s.to_lowercase()),
        fulfillment_status: o.display_fulfillment_status.map(|s| s.to_lowercase()),
        cancelled_at: o.cancelled_at,
        processed_at: o.processed_at,
        created_at: o.created_at,
        updated_at: o.updated_at,
        customer: o.customer.map(customer_payload).transpose()?,
        shipping_address: o.shipping_address.map(|a| AddressPayload {
            name: a.name,
            first_name: None,
            last_name: None,
            address1: a.address1,
            city: a.city,
            zip: a.zip,
            country_code: a.country_code_v2,
        }),
        browser_ip: None,
        source_name: o.source_name,
        referring_site,
        landing_site,
        customer_locale: o.customer_locale,
        tags: None,
        line_items: Vec::new(),
        discount_codes: o
            .discount_codes
            .into_iter()
            .map(|code| DiscountCodePayload { code })
            .collect(),
    };
    Ok((order, refunds))
}

fn line_item_payload(li: BulkLineItem) -> Result<LineItemPayload, String> {
    let id = gid(&li.id)
        .map(|(_, id)| id)
        .ok_or("line item id is not a gid")?;
    let ref_id = |r: Option<IdRef>| r.and_then(|r| gid(&r.id).map(|(_, id)| id));
    Ok(LineItemPayload {
        id,
        product_id: ref_id(li.product),
        variant_id: ref_id(li.variant),
        title: li.title,
        variant_title: li.variant_title,
        vendor: li.vendor,
        sku: li.sku,
        quantity: li.quantity,
        price: li
            .original_unit_price_set
            .map(|b| b.shop_money.amount)
            .unwrap_or_else(|| "0".into()),
    })
}

/// One thing an import writes: a customer, or an order (with its line items,
/// its customer and the refunds made on it).
#[derive(Debug, Clone)]
pub enum Record {
    Customer(CustomerPayload),
    Order(Box<OrderPayload>, Vec<RefundPayload>),
}

/// Reads a Bulk Operations JSONL result line by line: an order is complete
/// once the next root node (or the end) arrives, since its line items follow it.
#[derive(Default)]
pub struct JsonlReader {
    pending: Option<(OrderPayload, Vec<RefundPayload>)>,
}

impl JsonlReader {
    /// The records that `text` (line `line_no`) completes, oldest first.
    pub fn line(&mut self, line_no: usize, text: &str) -> Result<Vec<Record>, ImportError> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let bad = |reason: String| ImportError::Line {
            line: line_no,
            reason,
        };
        let node: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let id = node
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no id".into()))?;
        let (kind, numeric) = gid(id).ok_or_else(|| bad(format!("`{id}` is not a gid")))?;
        match kind {
            "LineItem" => {
                let parent = node.get("__parentId").and_then(Value::as_str).and_then(gid);
                let (order, _) = self
                    .pending
                    .as_mut()
                    .filter(|(o, _)| parent == Some(("Order", o.id)))
                    .ok_or_else(|| bad("line item does not follow its order".into()))?;
                let item: BulkLineItem =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                order.line_items.push(line_item_payload(item).map_err(bad)?);
                Ok(Vec::new())
            }
            "Order" => {
                let order: BulkOrder =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                let next = order_payload(numeric, order).map_err(bad)?;
                Ok(self
                    .pending
                    .replace(next)
                    .map(order_record)
                    .into_iter()
                    .collect())
            }
            "Customer" => {
                let customer: BulkCustomer =
                    serde_json::from_value(node).map_err(|e| bad(e.to_string()))?;
                let payload = customer_payload(customer).map_err(bad)?;
                let mut out: Vec<Record> = self.finish().into_iter().collect();
                out.push(Record::Customer(payload));
                Ok(out)
            }
            other => {
                tracing::debug!(
                    line = line_no,
                    kind = other,
                    "skipping a node we do not import"
                );
                Ok(Vec::new())
            }
        }
    }

    /// True while an order's lines are still being read.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The order still being assembled (at the end of the file).
    pub fn finish(&mut self) -> Option<Record> {
        self.pending.take().map(order_record)
    }
}

fn order_record((order, refunds): (OrderPayload, Vec<RefundPayload>)) -> Record {
    Record::Order(Box::new(order), refunds)
}

/// Orders written per transaction.
pub const BATCH: usize = 400;

/// Writes records in batches: new customers and orders with a few
/// multi-row statements per batch, known ones through the same upserts as
/// webhooks when the delivered version is newer, and nothing at all when it
/// is the version already held (so an import run twice changes nothing).
pub struct Batcher<'a> {
    db: &'a DatabaseConnection,
    shop_id: i64,
    shop_currency: String,
    now: DateTime<Utc>,
    customers: Vec<CustomerPayload>,
    orders: Vec<(OrderPayload, Vec<RefundPayload>)>,
    pub report: ImportReport,
}

impl<'a> Batcher<'a> {
    pub fn new(
        db: &'a DatabaseConnection,
        shop_id: i64,
        shop_currency: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Batcher {
            db,
            shop_id,
            shop_currency: shop_currency.to_owned(),
            // Whole microseconds, as both databases keep them: rows this import
            // inserts are told apart by it.
            now: chrono::SubsecRound::trunc_subsecs(now, 6),
            customers: Vec::new(),
            orders: Vec::new(),
            report: ImportReport::default(),
        }
    }

    /// True when nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty() && self.customers.is_empty()
    }

    /// Queues a record; true when that filled a batch and it was written.
    pub async fn push(&mut self, record: Record) -> Result<bool, ImportError> {
        match record {
            Record::Customer(c) => self.customers.push(c),
            Record::Order(o, refunds) => self.orders.push((*o, refunds)),
        }
        if self.orders.len() + self.customers.len() >= BATCH {
            self.flush().await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Writes what is queued, in one transaction.
    pub async fn flush(&mut self) -> Result<(), ImportError> {
        if self.orders.is_empty() && self.customers.is_empty() {
            return Ok(());
        }
        let customers = std::mem::take(&mut self.customers);
        let mut orders = std::mem::take(&mut self.orders);
        let txn = self.db.begin().await.map_err(CommerceError::from)?;
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // The batch's lookups are by lists of ids: a cached generic plan would
            // scan the shop's whole table for each (the ids are known only at run time).
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await
                .map_err(CommerceError::from)?;
        }
        resolve_by_email(&txn, self.shop_id, &mut orders).await?;
        let mut everyone: Vec<&CustomerPayload> = customers.iter().collect();
        everyone.extend(orders.iter().filter_map(|(o, _)| o.customer.as_ref()));
        let ids = write_customers(&txn, self.shop_id, &everyone, self.now).await?;
        let (written, items) = write_orders(&txn, self.shop_id, &orders, &ids, self.now).await?;
        for (_, refunds) in &orders {
            for r in refunds {
                Commerce::record_refund(&txn, self.shop_id, &self.shop_currency, r, self.now)
                    .await?;
            }
        }
        txn.commit().await.map_err(CommerceError::from)?;
        self.report.customers += customers.len() as u64;
        self.report.orders += written;
        self.report.line_items += items;
        Ok(())
    }
}

/// Orders from a CSV export name their customer by email only: use the
/// customer already known by that email when there is one.
async fn resolve_by_email(
    db: &impl ConnectionTrait,
    shop_id: i64,
    orders: &mut [(OrderPayload, Vec<RefundPayload>)],
) -> Result<(), DbErr> {
    let emails: Vec<String> = orders
        .iter()
        .filter_map(|(o, _)| o.customer.as_ref())
        .filter(|c| c.id < 0)
        .filter_map(|c| c.email.as_ref().map(|e| e.trim().to_lowercase()))
        .collect();
    if emails.is_empty() {
        return Ok(());
    }
    let known: HashMap<String, i64> = customers::Entity::find()
        .filter(customers::Column::ShopId.eq(shop_id))
        .filter(Expr::cust("LOWER(email)").is_in(emails))
        .select_only()
        .column(customers::Column::Email)
        .column(customers::Column::ShopifyCustomerId)
        .into_tuple::<(Option<String>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, id)| Some((e?.to_lowercase(), id)))
        .collect();
    for (o, _) in orders.iter_mut() {
        if let Some(c) = o.customer.as_mut().filter(|c| c.id < 0)
            && let Some(id) = c
                .email
                .as_ref()
                .and_then(|e| known.get(&e.trim().to_lowercase()))
        {
            c.id = *id;
        }
    }
    Ok(())
}

/// Upserts customers; returns our id for each platform id.
async fn write_customers(
    db: &impl ConnectionTrait,
    shop_id: i64,
    list: &[&CustomerPayload],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, i64>, ImportError> {
    // The newest version of each customer in the batch.
    let mut newest: HashMap<i64, &CustomerPayload> = HashMap::new();
    for c in list {
        match newest.get(&c.id) {
            Some(held) if held.updated_at > c.updated_at => {}
            _ => {
                newest.insert(c.id, c);
            }
        }
    }
    let platform_ids: Vec<i64> = newest.keys().copied().collect();
    let mut known: HashMap<i64, (i64, Option<DateTime<Utc>>, bool)> = HashMap::new();
    for chunk in platform_ids.chunks(BATCH) {
        let rows = customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop_id))
            .filter(customers::Column::ShopifyCustomerId.is_in(chunk.to_vec()))
            .select_only()
            .column(customers::Column::ShopifyCustomerId)
            .column(customers::Column::Id)
            .column(customers::Column::PlatformUpdatedAt)
            .column(customers::Column::RedactedAt)
            .into_tuple::<(i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>()
            .all(db)
            .await
            .map_err(CommerceError::from)?;
        for (pid, id, updated, redacted) in rows {
            known.insert(pid, (id, updated, redacted.is_some()));
        }
    }
    let mut fresh = Vec::new();
    let mut ids: HashMap<i64, i64> = HashMap::new();
    for (pid, c) in &newest {
        match known.get(pid) {
            None => fresh.push(Commerce::customer_row(shop_id, c, now)),
            Some((id, stored, redacted)) => {
                ids.insert(*pid, *id);
                let newer = match (stored, c.updated_at) {
                    (Some(s), Some(i)) => i > *s,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if newer && !redacted {
                    Commerce::upsert_customer(db, shop_id, c, now)
                        .await
                        .map_err(CommerceError::from)?;
                }
            }
        }
    }
    if !fresh.is_empty() {
        let new_ids: Vec<i64> = newest
            .keys()
            .filter(|p| !known.contains_key(p))
            .copied()
            .collect();
        customers::Entity::insert_many(fresh)
            .on_conflict_do_nothing_on([
                customers::Column::ShopId,
                customers::Column::ShopifyCustomerId,
            ])
            .exec_without_returning(db)
            .await
            .map_err(CommerceError::from)?;
        for chunk in new_ids.chunks(BATCH) {
            let rows = customers::Entity::find()
                .filter(customers::Column::ShopId.eq(shop_id))
                .filter(customers::Column::ShopifyCustomerId.is_in(chunk.to_vec()))
                .select_only()
                .column(customers::Column::ShopifyCustomerId)
                .column(customers::Column::Id)
                .into_tuple::<(i64, i64)>()
                .all(db)
                .await
                .map_err(CommerceError::from)?;
            ids.extend(rows);
        }
        let real: Vec<(i64, String)> = new_ids
            .iter()
            .filter(|p| **p > 0)
            .filter_map(|p| {
                let email = newest.get(p)?.email.as_ref()?.trim().to_lowercase();
                Some((*p, email))
            })
            .collect();
        adopt_stand_ins(db, shop_id, &real, &ids).await?;
    }
    Ok(ids)
}

/// Customers first seen in an orders CSV (known by email only) give their
/// orders to the real customer with that email once it arrives, and go.
async fn adopt_stand_ins(
    db: &impl ConnectionTrait,
    shop_id: i64,
    real: &[(i64, String)],
    ids: &HashMap<i64, i64>,
) -> Result<(), ImportError> {
    if real.is_empty() {
        return Ok(());
    }
    let emails: Vec<String> = real.iter().map(|(_, e)| e.clone()).collect();
    let stand_ins = customers::Entity::find()
        .filter(customers::Column::ShopId.eq(shop_id))
        .filter(customers::Column::ShopifyCustomerId.lt(0))
        .filter(Expr::cust("LOWER(email)").is_in(emails))
        .all(db)
        .await?;
    for stand_in in stand_ins {
        let email = stand_in.email.as_deref().unwrap_or_default().to_lowercase();
        let Some((platform_id, our_id)) = real
            .iter()
            .find(|(_, e)| *e == email)
            .and_then(|(p, _)| Some((*p, *ids.get(p)?)))
        else {
            continue;
        };
        orders::Entity::update_many()
            .col_expr(orders::Column::CustomerId, Expr::value(our_id))
            .col_expr(orders::Column::ShopifyCustomerId, Expr::value(platform_id))
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::CustomerId.eq(stand_in.id))
            .exec(db)
            .await?;
        customers::Entity::delete_by_id(stand_in.id)
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Upserts orders with their line items; returns (orders, line items) read.
async fn write_orders(
    db: &impl ConnectionTrait,
    shop_id: i64,
    list: &[(OrderPayload, Vec<RefundPayload>)],
    customer_ids: &HashMap<i64, i64>,
    now: DateTime<Utc>,
) -> Result<(u64, u64), ImportError> {
    let mut newest: HashMap<i64, &OrderPayload> = HashMap::new();
    for (o, _) in list {
        match newest.get(&o.id) {
            Some(held) if held.updated_at > o.updated_at => {}
            _ => {
                newest.insert(o.id, o);
            }
        }
    }
    let platform_ids: Vec<i64> = newest.keys().copied().collect();
    let known: HashMap<i64, (i64, Option<DateTime<Utc>>)> = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop_id))
        .filter(orders::Column::ShopifyOrderId.is_in(platform_ids.clone()))
        .select_only()
        .column(orders::Column::ShopifyOrderId)
        .column(orders::Column::Id)
        .column(orders::Column::PlatformUpdatedAt)
        .into_tuple::<(i64, i64, Option<DateTime<Utc>>)>()
        .all(db)
        .await
        .map_err(CommerceError::from)?
        .into_iter()
        .map(|(pid, id, updated)| (pid, (id, updated)))
        .collect();
    let mut fresh_rows = Vec::new();
    let mut fresh_items: Vec<(i64, Vec<(&LineItemPayload, i64)>)> = Vec::new();
    let mut items_read = 0u64;
    for (pid, o) in &newest {
        items_read += o.line_items.len() as u64;
        match known.get(pid) {
            None => {
                let customer = o
                    .customer
                    .as_ref()
                    .and_then(|c| customer_ids.get(&c.id))
                    .copied();
                let (row, items) =
                    Commerce::order_row(shop_id, o, customer, now).map_err(CommerceError::from)?;
                fresh_rows.push(row);
                fresh_items.push((*pid, items));
            }
            Some((_, stored)) => {
                let newer = match (stored, o.updated_at) {
                    (Some(s), Some(i)) => i > *s,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if newer {
                    Commerce::upsert_order(db, shop_id, o, now).await?;
                }
            }
        }
    }
    if !fresh_rows.is_empty() {
        orders::Entity::insert_many(fresh_rows)
            .on_conflict_do_nothing_on([orders::Column::ShopId, orders::Column::ShopifyOrderId])
            .exec_without_returning(db)
            .await
            .map_err(CommerceError::from)?;
        let new_ids: Vec<i64> = fresh_items.iter().map(|(pid, _)| *pid).collect();
        // Only the orders this statement inserted get these line items: one a
        // webhook wrote a moment earlier keeps its own.
        let ours: HashMap<i64, i64> = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::ShopifyOrderId.is_in(new_ids.clone()))
            .select_only()
            .column(orders::Column::ShopifyOrderId)
            .column(orders::Column::Id)
            .column(orders::Column::CreatedAt)
            .into_tuple::<(i64, i64, DateTime<Utc>)>()
            .all(db)
            .await
            .map_err(CommerceError::from)?
            .into_iter()
            .filter(|(_, _, created)| *created == now)
            .map(|(pid, id, _)| (pid, id))
            .collect();
        let mut rows = Vec::new();
        for (pid, items) in &fresh_items {
            let Some(order_id) = ours.get(pid) else {
                continue;
            };
            for (li, price) in items {
                rows.push(Commerce::line_item_row(shop_id, *order_id, li, *price));
            }
        }
        for chunk in rows.chunks(1000) {
            order_line_items::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await
                .map_err(CommerceError::from)?;
        }
        link_early_arrivals(db, shop_id, &new_ids)
            .await
            .map_err(CommerceError::from)?;
    }
    Ok((newest.len() as u64, items_read))
}

/// Refunds and fulfillments that arrived (by webhook) before their order was imported.
async fn link_early_arrivals(
    db: &impl ConnectionTrait,
    shop_id: i64,
    platform_ids: &[i64],
) -> Result<(), DbErr> {
    let marks = vec!["?"; platform_ids.len()].join(", ");
    for table in ["refunds", "fulfillments"] {
        let sql = format!(
            "UPDATE {table} SET order_id = (SELECT o.id FROM orders o \
               WHERE o.shop_id = {table}.shop_id AND o.shopify_order_id = {table}.shopify_order_id) \
             WHERE shop_id = ? AND order_id IS NULL AND shopify_order_id IN ({marks})"
        );
        let mut values: Vec<sea_orm::Value> = vec![shop_id.into()];
        values.extend(platform_ids.iter().map(|id| sea_orm::Value::from(*id)));
        db.execute_raw(crate::metrics::load::statement(
            db.get_database_backend(),
            &sql,
            values,
        ))
        .await?;
    }
    Ok(())
}

/// Imports a Bulk Operations JSONL result from a reader, in batches; `progress`
/// hears after each batch (with the count of lines read so far).
pub async fn import_jsonl(
    db: &DatabaseConnection,
    shop_id: i64,
    shop_currency: &str,
    reader: impl BufRead,
    now: DateTime<Utc>,
    mut progress: impl FnMut(&ImportReport, usize),
) -> Result<ImportReport, ImportError> {
    let mut parser = JsonlReader::default();
    let mut batcher = Batcher::new(db, shop_id, shop_currency, now);
    let mut lines = 0;
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        lines = index + 1;
        for record in parser.line(lines, &line)? {
            if batcher.push(record).await? {
                progress(&batcher.report, lines);
            }
        }
    }
    if let Some(record) = parser.finish() {
        batcher.push(record).await?;
    }
    batcher.flush().await?;
    refresh_statistics(db).await?;
    progress(&batcher.report, lines);
    Ok(batcher.report)
}

/// After a large import the planner's picture of the tables is stale until
/// autovacuum passes: refresh it so the dashboard reads by index at once.
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE customers, orders, order_line_items, refunds")
            .await?;
    }
    Ok(())
}

/// Imports the platform's orders or customers CSV export, in batches.
pub async fn import_csv(
    db: &DatabaseConnection,
    shop_id: i64,
    shop_currency: &str,
    reader: impl std::io::Read,
    now: DateTime<Utc>,
    mut progress: impl FnMut(&ImportReport, usize),
) -> Result<ImportReport, ImportError> {
    use super::csv_import::{CsvError, CsvImport, CsvRecord};
    let mut rows = CsvImport::new(reader).map_err(|e| ImportError::Csv(e.to_string()))?;
    let mut batcher = Batcher::new(db, shop_id, shop_currency, now);
    let mut read = 0;
    while let Some(next) = rows.next_record() {
        read += 1;
        let record = match next {
            Ok(CsvRecord::Customer(c)) => Record::Customer(c),
            Ok(CsvRecord::Order(o)) => Record::Order(Box::new(o), Vec::new()),
            // A bad row is reported and skipped; the rest of the file still goes in.
            Err(CsvError::Row { line, reason }) => {
                tracing::warn!(line, %reason, "skipping a row of the CSV export");
                batcher.report.skipped += 1;
                continue;
            }
            Err(e) => return Err(ImportError::Csv(e.to_string())),
        };
        if batcher.push(record).await? {
            progress(&batcher.report, read);
        }
    }
    batcher.flush().await?;
    refresh_statistics(db).await?;
    progress(&batcher.report, read);
    Ok(batcher.report)
}
#[cfg(test)]
mod tests {
    use super::gid;

    #[test]
    fn reads_global_ids() {
        assert_eq!(
            gid("gid://shopify/Order/9007199254740993"),
            Some(("Order", 9_007_199_254_740_993))
        );
        assert_eq!(gid("gid://shopify/LineItem/5?x=1"), Some(("LineItem", 5)));
        assert_eq!(gid("Order/5"), None);
        assert_eq!(gid("gid://shopify/Order/abc"), None);
    }
}
