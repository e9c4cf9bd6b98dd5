//! Fires signed `orders/create` webhooks at a running server over loopback and
//! prints throughput and latency, on SQLite and on PostgreSQL.
//!
//! cargo bench --bench webhooks            (N=2000 deliveries, 16 in flight)
//! BENCH_WEBHOOKS=5000 BENCH_CONCURRENCY=32 cargo bench --bench webhooks
use base64::Engine;
use chrono::Utc;
use flywheel::app::{Application, Options};
use flywheel::config::{Mode, Settings};
use flywheel::shopify::ShopDomain;
use flywheel::shopify::signature::sign_webhook;
use flywheel::shops::{Shops, TokenCipher};
use futures_util::StreamExt;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn order(n: usize) -> Vec<u8> {
    let id = 9_100_000_000_000_000_000i64 + n as i64;
    serde_json::to_vec(&json!({
        "id": id, "name": format!("#{}", 1000 + n), "email": format!("c{}@example.com", n % 500),
        "currency": "EUR", "subtotal_price": "59.80", "total_price": "64.70", "total_discounts": "0.00",
        "financial_status": "paid", "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z",
        "customer": {"id": 8_200_000_000_000_000_000i64 + (n % 500) as i64, "email": format!("c{}@example.com", n % 500),
            "first_name": "Bench", "last_name": "Shopper", "updated_at": "2026-11-01T10:00:00Z"},
        "shipping_address": {"name": "Bench Shopper", "address1": "Via Roma 1", "city": "Milano", "zip": "20121", "country_code": "IT"},
        "line_items": [
            {"id": id * 10 + 1, "product_id": 7_300_000_000_001i64, "variant_id": 73_000_000_000_011i64, "title": "Cork yoga mat", "quantity": 1, "price": "29.90"},
            {"id": id * 10 + 2, "product_id": 7_300_000_000_002i64, "variant_id": 73_000_000_000_021i64, "title": "Bamboo stand", "quantity": 1, "price": "29.90"}
        ]
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

async fn run(kind: &str, total: usize, concurrency: usize) {
    let Some(url) = database(kind).await else {
        println!("{kind:>8}: skipped (database not reachable)");
        return;
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
    let shop = ShopDomain::parse("bench.myshopify.com").expect("domain");
    let db = flywheel::db::connect(&url).await.expect("db");
    Shops::install(
        &db,
        &cipher,
        &shop,
        "shpat_bench",
        "read_orders",
        Utc::now(),
    )
    .await
    .expect("install");
    let endpoint = format!("http://127.0.0.1:{}/webhooks", app.port());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..total)
        .map(|n| {
            let client = client.clone();
            let endpoint = endpoint.clone();
            let body = order(n);
            let hmac = sign_webhook(SECRET.as_bytes(), &body);
            async move {
                let t = Instant::now();
                let r = client
                    .post(&endpoint)
                    .header("Content-Type", "application/json")
                    .header("X-Shopify-Topic", "orders/create")
                    .header("X-Shopify-Shop-Domain", "bench.myshopify.com")
                    .header("X-Shopify-Webhook-Id", format!("bench-{n}"))
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
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{kind:>8}: {total} orders/create in {:.2}s = {:.0} webhooks/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    // `cargo test --benches` runs this with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let total = env_usize("BENCH_WEBHOOKS", 2000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    for kind in ["sqlite", "postgres"] {
        run(kind, total, concurrency).await;
    }
}
