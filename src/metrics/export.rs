//! CSV exports of every dashboard table, and of the customers (order
//! history, spend, frequency, segment). Headers are in the merchant's
//! language; amounts are decimals in the shop's currency.
use super::dashboard::Dashboard;
use super::engine::RepeatGroup;
use crate::i18n::t;
use crate::money::Money;
use entity::customers;
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// The tables that can be exported (`customers` too).
pub const TABLES: [&str; 11] = [
    "months",
    "cohorts",
    "segments",
    "time_to_second",
    "products",
    "channels",
    "delivery",
    "loyalty",
    "returns",
    "support",
    "customers",
];

struct Sheet {
    out: csv::Writer<Vec<u8>>,
}

impl Sheet {
    fn new(lang: &str, columns: &[&str]) -> Sheet {
        let mut out = csv::Writer::from_writer(Vec::new());
        let header: Vec<String> = columns
            .iter()
            .map(|c| t(lang, &format!("metrics.col.{c}")))
            .collect();
        // Writing to memory cannot fail.
        let _ = out.write_record(&header);
        Sheet { out }
    }

    fn row(&mut self, cells: Vec<String>) {
        let _ = self.out.write_record(&cells);
    }

    fn finish(self) -> String {
        let bytes = self.out.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.2}", v * 100.0)).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

fn money(minor: Option<i64>, currency: &str) -> String {
    minor
        .map(|m| Money::new(m, currency).to_decimal_string())
        .unwrap_or_default()
}

fn groups(sheet: &mut Sheet, kind: &str, groups: &[RepeatGroup]) {
    for g in groups {
        sheet.row(vec![
            kind.to_owned(),
            g.name.clone(),
            g.customers.to_string(),
            g.repeat_customers.to_string(),
            pct(Some(g.repeat_rate)),
        ]);
    }
}

/// One dashboard table as CSV (None: no such table; `customers` is [`customers_csv`]).
pub fn table_csv(d: &Dashboard, table: &str, lang: &str) -> Option<String> {
    let c = d.currency.as_str();
    let sheet = match table {
        "months" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "month",
                    "customers",
                    "repeat_customers",
                    "repeat_purchase_rate",
                    "orders",
                    "revenue",
                    "refunded",
                    "aov",
                    "orders_per_customer",
                    "gross_margin",
                    "ltv",
                    "new_customers",
                    "acquisition_spend",
                    "cac",
                    "ltv_cac",
                    "retention_rate",
                    "nps",
                    "csat",
                ],
            );
            for m in &d.months {
                s.row(vec![
                    m.month.clone(),
                    m.customers.to_string(),
                    m.repeat_customers.to_string(),
                    pct(m.repeat_purchase_rate),
                    m.orders.to_string(),
                    money(Some(m.revenue_minor), c),
                    money(Some(m.refunded_minor), c),
                    money(m.aov_minor, c),
                    num(m.orders_per_customer),
                    pct(Some(m.gross_margin)),
                    money(m.ltv_minor, c),
                    m.new_customers.to_string(),
                    money(Some(m.acquisition_spend_minor), c),
                    money(m.cac_minor, c),
                    num(m.ltv_cac),
                    pct(m.retention_rate),
                    num(m.nps),
                    num(m.csat),
                ]);
            }
            s
        }
        "cohorts" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "cohort",
                    "customers",
                    "months_since",
                    "returning",
                    "rate",
                    "revenue",
                ],
            );
            for cohort in &d.cohorts {
                for cell in &cohort.retention {
                    s.row(vec![
                        cohort.month.clone(),
                        cohort.customers.to_string(),
                        cell.offset.to_string(),
                        cell.customers.to_string(),
                        pct(Some(cell.rate)),
                        money(Some(cell.revenue_minor), c),
                    ]);
                }
            }
            s
        }
        "segments" => {
            let mut s = Sheet::new(lang, &["segment", "rule", "customers", "share", "revenue"]);
            for seg in &d.segments {
                s.row(vec![
                    t(lang, &format!("metrics.segment.{}", seg.key.key())),
                    super::rules_text(lang, seg.key, &d.segment_rules, c),
                    seg.customers.to_string(),
                    pct(Some(seg.share)),
                    seg.revenue.amount.clone().unwrap_or_default(),
                ]);
            }
            s
        }
        "time_to_second" => {
            let mut s = Sheet::new(lang, &["days", "customers"]);
            for b in &d.time_to_second.distribution {
                s.row(vec![b.label.clone(), b.customers.to_string()]);
            }
            s
        }
        "products" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "product_id",
                    "product",
                    "customers",
                    "repeat_customers",
                    "repeat_rate",
                ],
            );
            for p in &d.products {
                s.row(vec![
                    p.product.product_id.to_string(),
                    p.product.title.clone(),
                    p.product.customers.to_string(),
                    p.product.repeat_customers.to_string(),
                    pct(Some(p.repeat_rate)),
                ]);
            }
            s
        }
        "channels" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "kind",
                    "channel",
                    "customers",
                    "repeat_customers",
                    "repeat_rate",
                ],
            );
            let ch = &d.channels;
            groups(&mut s, &t(lang, "metrics.channel.source"), &ch.sources);
            groups(&mut s, &t(lang, "metrics.channel.landing"), &ch.landing);
            groups(&mut s, &t(lang, "metrics.channel.discount"), &ch.discounts);
            groups(&mut s, &t(lang, "metrics.channel.sale"), &ch.sales);
            s
        }
        "delivery" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "kind",
                    "name",
                    "delivered",
                    "on_time",
                    "on_time_rate",
                    "avg_days_late",
                ],
            );
            for (kind, list) in [
                ("metrics.col.supplier", &d.delivery.suppliers),
                ("metrics.col.zone", &d.delivery.zones),
            ] {
                for o in list {
                    s.row(vec![
                        t(lang, kind),
                        o.name.clone(),
                        o.delivered.to_string(),
                        o.on_time.to_string(),
                        pct(Some(o.on_time_rate)),
                        num(o.avg_days_late),
                    ]);
                }
            }
            s
        }
        "loyalty" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "kind",
                    "channel",
                    "customers",
                    "repeat_customers",
                    "repeat_rate",
                ],
            );
            let l = &d.loyalty;
            let label = |k: &str| t(lang, &format!("metrics.loyalty.{k}"));
            groups(&mut s, &label("members"), std::slice::from_ref(&l.members));
            groups(
                &mut s,
                &label("non_members"),
                std::slice::from_ref(&l.non_members),
            );
            if let Some(b) = &l.before {
                groups(&mut s, &label("before"), std::slice::from_ref(b));
            }
            if let Some(a) = &l.after {
                groups(&mut s, &label("after"), std::slice::from_ref(a));
            }
            s
        }
        "returns" => {
            let mut s = Sheet::new(lang, &["reason", "returns"]);
            for r in &d.returns.reasons {
                s.row(vec![
                    t(lang, &format!("returns.reason.{}", r.reason)),
                    r.returns.to_string(),
                ]);
            }
            s
        }
        "support" => {
            let mut s = Sheet::new(
                lang,
                &[
                    "cases",
                    "first_reply_median_minutes",
                    "first_reply_within_standard",
                    "resolution_median_hours",
                    "resolution_within_standard",
                ],
            );
            let su = &d.support;
            s.row(vec![
                su.cases.to_string(),
                num(su.first_reply_median_minutes),
                pct(su.first_reply_within_standard),
                num(su.resolution_median_hours),
                pct(su.resolution_within_standard),
            ]);
            s
        }
        _ => return None,
    };
    Some(sheet.finish())
}

/// Every customer with an order by the period's end: identity, order
/// history, spend, frequency and segment.
pub async fn customers_csv(
    db: &DatabaseConnection,
    shop_id: i64,
    d: &Dashboard,
    lang: &str,
) -> Result<String, DbErr> {
    type Who = (i64, Option<String>, Option<String>, Option<String>);
    let mut who: HashMap<i64, Who> = HashMap::with_capacity(d.customer_rows.len());
    let mut rows = customers::Entity::find()
        .filter(customers::Column::ShopId.eq(shop_id))
        .order_by_asc(customers::Column::Id)
        .select_only()
        .column(customers::Column::Id)
        .column(customers::Column::ShopifyCustomerId)
        .column(customers::Column::Email)
        .column(customers::Column::FirstName)
        .column(customers::Column::LastName)
        .into_tuple::<(i64, i64, Option<String>, Option<String>, Option<String>)>()
        .stream(db)
        .await?;
    while let Some((id, shopify, email, first, last)) = rows.try_next().await? {
        who.insert(id, (shopify, email, first, last));
    }
    let c = d.currency.as_str();
    let mut s = Sheet::new(
        lang,
        &[
            "customer_id",
            "email",
            "name",
            "orders",
            "spend",
            "first_order",
            "last_order",
            "days_between_orders",
            "segment",
        ],
    );
    for r in &d.customer_rows {
        let (shopify, email, first, last) = who.remove(&r.customer_id).unwrap_or_default();
        let name = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
        s.row(vec![
            shopify.to_string(),
            email.unwrap_or_default(),
            name.trim().to_owned(),
            r.orders.to_string(),
            money(Some(r.spend_minor), c),
            r.first_at.format("%Y-%m-%d").to_string(),
            r.last_at.format("%Y-%m-%d").to_string(),
            num(r.frequency_days()),
            t(lang, &format!("metrics.segment.{}", r.segment.key())),
        ]);
    }
    Ok(s.finish())
}
