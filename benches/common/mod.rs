//! What the benchmark programs share: a fresh database per run, the real
//! server on a random port with an installed shop, and a loopback load
//! generator that fires signed webhooks and returns sorted latencies.
use base64::Engine;
use chrono::Utc;
use entity::shops;
use flywheel::app::{Application, Options};
use flywheel::config::{Mode, Settings};
use flywheel::shopify::ShopDomain;
use flywheel::shopify::signature::sign_webhook;
use flywheel::shops::{Shops, TokenCipher};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const SECRET: &str = "bench-secret";
pub const SHOP: &str = "bench.myshopify.com";

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `cargo test --benches` runs bench programs without `--bench`: they do nothing then.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A fresh SQLite file, or a fresh PostgreSQL database (None when unreachable).
pub async fn database(kind: &str) -> Option<String> {
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

/// The running server and the shop installed on it.
pub struct BenchServer {
    pub base: String,
    pub db: DatabaseConnection,
    pub shop: shops::Model,
}

pub async fn start(url: &str) -> BenchServer {
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", url.to_owned()),
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
    let db = flywheel::db::connect(url).await.expect("db");
    let domain = ShopDomain::parse(SHOP).expect("domain");
    let shop = Shops::install(
        &db,
        &cipher,
        &domain,
        "shpat_bench",
        "read_orders,read_customers",
        Utc::now(),
    )
    .await
    .expect("install");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    BenchServer { base, db, shop }
}

/// Fires `total` signed `topic` webhooks (`body(n)` each), `concurrency` at a
/// time; returns the wall time and each delivery's latency, sorted.
pub async fn fire_webhooks(
    base: &str,
    topic: &str,
    total: usize,
    concurrency: usize,
    body: impl Fn(usize) -> Vec<u8>,
) -> (Duration, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let endpoint = format!("{base}/webhooks");
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..total)
        .map(|n| {
            let client = client.clone();
            let endpoint = endpoint.clone();
            let body = body(n);
            let hmac = sign_webhook(SECRET.as_bytes(), &body);
            let topic = topic.to_owned();
            async move {
                let t = Instant::now();
                let r = client
                    .post(&endpoint)
                    .header("Content-Type", "application/json")
                    .header("X-Shopify-Topic", topic.as_str())
                    .header("X-Shopify-Shop-Domain", SHOP)
                    .header("X-Shopify-Webhook-Id", format!("bench-{topic}-{n}"))
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

/// Latency at quantile `p` of sorted samples.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
