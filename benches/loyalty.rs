//! Loyalty ledger figures, on SQLite and on PostgreSQL:
//!
//! 1. how many signed `orders/paid` webhooks per second the points ledger absorbs
//!    over loopback (each paid order credits its customer once; ~200 customers share
//!    the orders, so member rows and ledgers are contended), and
//! 2. how long one customer's balance takes to compute over 10,000 ledger entries.
//!
//! cargo bench --bench loyalty             (N=2000 paid orders, 16 in flight)
//! BENCH_ORDERS=5000 BENCH_CONCURRENCY=32 cargo bench --bench loyalty
use base64::Engine;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{customers, points_ledger};
use flywheel::app::{Application, Options};
use flywheel::config::{Mode, Settings};
use flywheel::loyalty::PointsLedger;
use flywheel::shopify::ShopDomain;
use flywheel::shopify::signature::sign_webhook;
use flywheel::shops::{Shops, TokenCipher};
use futures_util::StreamExt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";
const SHOP: &str = "bench.myshopify.com";
/// Distinct shoppers the paid orders are spread over.
const CUSTOMERS: usize = 200;
/// Ledger entries of the one customer whose balance is timed.
const LEDGER_ENTRIES: usize = 10_000;
/// Rows per `insert_many` batch (11 columns each: well under SQLite's bind limit).
const BATCH: usize = 500;
/// Balance computations timed.
const BALANCE_RUNS: usize = 200;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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

async fn database(kind: &str) -> Option<String> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    if kind == "sqlite" {
        let path = std::env::temp_dir().join(format!("flywheel-bench-{unique}.db"));
        return Some(format!("sqlite://{}?mode=rwc", path.display()));
    }
    let admin_url = std::env::var("FLYWHEEL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE flywheel_bench_{unique}"))
        .await
        .ok()?;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned())?;
    Some(format!("{base}/flywheel_bench_{unique}"))
}

/// Latency at quantile `p` of sorted samples.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Figures {
    orders_per_sec: f64,
    orders_p50: Duration,
    orders_p99: Duration,
    balance_p50: Duration,
    balance_p99: Duration,
}

/// Sends `total` distinct paid orders, `concurrency` at a time; returns the wall time and
/// each delivery's latency, sorted.
async fn send_paid_orders(
    endpoint: &str,
    total: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..total)
        .map(|n| {
            let client = client.clone();
            let endpoint = endpoint.to_owned();
            let body = paid_order(n);
            let hmac = sign_webhook(SECRET.as_bytes(), &body);
            async move {
                let t = Instant::now();
                let r = client
                    .post(&endpoint)
                    .header("Content-Type", "application/json")
                    .header("X-Shopify-Topic", "orders/paid")
                    .header("X-Shopify-Shop-Domain", SHOP)
                    .header("X-Shopify-Webhook-Id", format!("bench-paid-{n}"))
                    .header("X-Shopify-Hmac-Sha256", hmac)
                    .body(body)
                    .send()
                    .await
                    .expect("delivery");
                assert!(r.status().is_success(), "delivery {n}: {}", r.status());
                t.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies)
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
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", url.clone()),
        ("FLYWHEEL_ADDR", "127.0.0.1:0".into()),
        ("SHOPIFY_API_KEY", "bench-key".into()),
        ("SHOPIFY_API_SECRET", SECRET.into()),
        ("FLYWHEEL_ENCRYPTION_KEY", key),
    ]);
    let settings =
        Settings::from_lookup(Mode::Production, |k| env.get(k).cloned()).expect("settings");
    let cipher = TokenCipher::new(settings.encryption_key.bytes());
    let app = Application::build(
        settings,
        Options {
            background_jobs: false,
            ..Options::default()
        },
    )
    .await
    .expect("app");
    let shop = ShopDomain::parse(SHOP).expect("domain");
    let db = flywheel::db::connect(&url).await.expect("db");
    let shop = Shops::install(
        &db,
        &cipher,
        &shop,
        "shpat_bench",
        "read_orders,read_customers",
        Utc::now(),
    )
    .await
    .expect("install");
    let endpoint = format!("http://127.0.0.1:{}/webhooks", app.port());
    tokio::spawn(app.run_until_stopped());

    // 1. Paid orders through the webhook endpoint into the ledger.
    let (elapsed, latencies) = send_paid_orders(&endpoint, total, concurrency).await;
    let credited = points_ledger::Entity::find()
        .filter(points_ledger::Column::ShopId.eq(shop.id))
        .filter(points_ledger::Column::Reason.eq("order"))
        .count(&db)
        .await
        .expect("count order credits");
    assert!(
        credited >= total as u64,
        "{kind}: {credited} order credits for {total} paid orders"
    );
    let orders_per_sec = total as f64 / elapsed.as_secs_f64();
    println!(
        "{kind:>8}: {total} orders/paid in {:.2}s = {orders_per_sec:.0} orders/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight, {CUSTOMERS} customers); {credited} 'order' ledger rows",
        elapsed.as_secs_f64(),
        ms(pct(&latencies, 0.50)),
        ms(pct(&latencies, 0.99)),
    );

    // 2. One customer's balance over 10,000 ledger entries.
    let (customer, expected) = seed_ledger(&db, shop.id, Utc::now()).await;
    // Warm the connection pool and the page cache once before timing.
    let warm = PointsLedger::balance(&db, customer).await.expect("balance");
    assert_eq!(
        warm.points, expected,
        "{kind}: balance of the seeded ledger"
    );
    let mut timings = Vec::with_capacity(BALANCE_RUNS);
    for _ in 0..BALANCE_RUNS {
        let t = Instant::now();
        let balance = PointsLedger::balance(&db, customer).await.expect("balance");
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
    // `cargo test --benches` runs this with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
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
