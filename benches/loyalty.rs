//! Loyalty ledger figures, on SQLite and on PostgreSQL:
//!
//! 1. how many signed `orders/paid` webhooks per second the points ledger absorbs
//!    over loopback (each paid order credits its customer once; ~200 customers share
//!    the orders, so member rows and ledgers are contended), and
//! 2. how long one customer's balance takes to compute over 10,000 ledger entries.
//!
//! cargo bench --bench loyalty             (N=2000 paid orders, 16 in flight)
//! BENCH_ORDERS=5000 BENCH_CONCURRENCY=32 cargo bench --bench loyalty
mod common;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use common::{benchmarking, database, env_usize, fire_webhooks, ms, pct, start};
use entity::{customers, points_ledger};
use flywheel::loyalty::PointsLedger;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// Distinct shoppers the paid orders are spread over.
const CUSTOMERS: usize = 200;
/// Ledger entries of the one customer whose balance is timed.
const LEDGER_ENTRIES: usize = 10_000;
/// Rows per `insert_many` batch (11 columns each: well under SQLite's bind limit).
const BATCH: usize = 500;
/// Balance computations timed.
const BALANCE_RUNS: usize = 200;

fn paid_order(n: usize) -> Vec<u8> {
    let id = 9_200_000_000_000_000_000i64 + n as i64;
    let shopper = n % CUSTOMERS;
    let at = "2026-11-01T10:00:00Z";
    serde_json::to_vec(&json!({
        "id": id, "name": format!("#{}", 1001 + n), "email": format!("m{shopper}@example.com"),
        "currency": "EUR", "subtotal_price": "59.90", "total_price": "64.80", "total_discounts": "0.00",
        "financial_status": "paid", "created_at": at, "updated_at": at, "processed_at": at,
        "customer": {"id": 8_300_000_000_000_000_000i64 + shopper as i64, "email": format!("m{shopper}@example.com"),
            "first_name": "Bench", "last_name": "Member", "updated_at": at},
        "line_items": []
    }))
    .expect("json")
}

struct Figures {
    orders_per_sec: f64,
    orders_p50: Duration,
    orders_p99: Duration,
    balance_p50: Duration,
    balance_p99: Duration,
}

/// Writes `LEDGER_ENTRIES` movements for one fresh customer; returns the customer's id and
/// the sum of the deltas written.
async fn seed_ledger(db: &DatabaseConnection, shop_id: i64, now: DateTime<Utc>) -> (i64, i64) {
    let customer = customers::Entity::insert(customers::ActiveModel {
        shop_id: Set(shop_id),
        shopify_customer_id: Set(8_400_000_000_000_000_001),
        email: Set(Some("heavy@example.com".into())),
        first_name: Set(Some("Heavy".into())),
        last_name: Set(Some("Member".into())),
        phone: Set(None),
        locale: Set(None),
        email_marketing_consent: Set("not_subscribed".into()),
        tags: Set(String::new()),
        platform_created_at: Set(Some(now)),
        platform_updated_at: Set(Some(now)),
        redacted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .expect("insert customer")
    .last_insert_id;

    let mut expected = 0i64;
    let mut rows = Vec::with_capacity(BATCH);
    for i in 0..LEDGER_ENTRIES {
        // Mostly order earnings, with manual adjustments and redemptions mixed in.
        let (reason, delta, source_ref) = match i % 10 {
            0..=6 => ("order", 40 + (i % 60) as i64, Some(format!("order:{i}"))),
            7 => ("manual", if i % 20 == 7 { 25 } else { -5 }, None),
            _ => ("redemption", -20, Some(format!("redemption:{i}"))),
        };
        expected += delta;
        rows.push(points_ledger::ActiveModel {
            shop_id: Set(shop_id),
            customer_id: Set(customer),
            delta: Set(delta),
            debt_delta: Set(0),
            reason: Set(reason.into()),
            source_ref: Set(source_ref),
            idempotency_key: Set(format!("bench:{i}")),
            note: Set(None),
            actor: Set(None),
            created_at: Set(now - ChronoDuration::seconds((LEDGER_ENTRIES - i) as i64)),
            expires_at: Set(None),
            ..Default::default()
        });
        if rows.len() == BATCH || i + 1 == LEDGER_ENTRIES {
            points_ledger::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(db)
                .await
                .expect("insert ledger batch");
        }
    }
    (customer, expected)
}

async fn run(kind: &str, total: usize, concurrency: usize) -> Option<Figures> {
    let Some(url) = database(kind).await else {
        println!("{kind:>8}: skipped (database not reachable)");
        return None;
    };
    let server = start(&url).await;
    let (db, shop) = (&server.db, &server.shop);

    // 1. Paid orders through the webhook endpoint into the ledger.
    let (elapsed, latencies) =
        fire_webhooks(&server.base, "orders/paid", total, concurrency, paid_order).await;
    let credited = points_ledger::Entity::find()
        .filter(points_ledger::Column::ShopId.eq(shop.id))
        .filter(points_ledger::Column::Reason.eq("order"))
        .count(db)
        .await
        .expect("count order credits");
    assert_eq!(
        credited, total as u64,
        "{kind}: each paid order credits exactly once"
    );
    let orders_per_sec = total as f64 / elapsed.as_secs_f64();
    println!(
        "{kind:>8}: {total} orders/paid in {:.2}s = {orders_per_sec:.0} orders/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight, {CUSTOMERS} customers); {credited} 'order' ledger rows",
        elapsed.as_secs_f64(),
        ms(pct(&latencies, 0.50)),
        ms(pct(&latencies, 0.99)),
    );

    // 2. One customer's balance over 10,000 ledger entries.
    let (customer, expected) = seed_ledger(db, shop.id, Utc::now()).await;
    // Warm the connection pool and the page cache once before timing.
    let warm = PointsLedger::balance(db, customer).await.expect("balance");
    assert_eq!(
        warm.points, expected,
        "{kind}: balance of the seeded ledger"
    );
    let mut timings = Vec::with_capacity(BALANCE_RUNS);
    for _ in 0..BALANCE_RUNS {
        let t = Instant::now();
        let balance = PointsLedger::balance(db, customer).await.expect("balance");
        timings.push(t.elapsed());
        assert_eq!(
            balance.points, expected,
            "{kind}: balance of the seeded ledger"
        );
    }
    let mean = timings.iter().sum::<Duration>() / BALANCE_RUNS as u32;
    timings.sort();
    println!(
        "{kind:>8}: balance of {LEDGER_ENTRIES} entries = {expected} points; {BALANCE_RUNS} runs p50 {:.3} ms, p99 {:.3} ms, mean {:.3} ms",
        ms(pct(&timings, 0.50)),
        ms(pct(&timings, 0.99)),
        ms(mean),
    );

    Some(Figures {
        orders_per_sec,
        orders_p50: pct(&latencies, 0.50),
        orders_p99: pct(&latencies, 0.99),
        balance_p50: pct(&timings, 0.50),
        balance_p99: pct(&timings, 0.99),
    })
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let total = env_usize("BENCH_ORDERS", 2000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    let mut table = Vec::new();
    for kind in ["sqlite", "postgres"] {
        if let Some(figures) = run(kind, total, concurrency).await {
            table.push((kind, figures));
        }
    }
    println!();
    println!(
        "| database | paid orders/s | p50 | p99 | balance of {}k entries p50 | p99 |",
        LEDGER_ENTRIES / 1000
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, f) in table {
        println!(
            "| {kind} | {:.0} | {:.2} ms | {:.2} ms | {:.3} ms | {:.3} ms |",
            f.orders_per_sec,
            ms(f.orders_p50),
            ms(f.orders_p99),
            ms(f.balance_p50),
            ms(f.balance_p99),
        );
    }
}
