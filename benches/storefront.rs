//! Storefront read path, on SQLite and on PostgreSQL: how many signed
//! `GET /proxy/delivery-estimate` requests per second the server answers over
//! loopback (each verifies the app-proxy signature, looks the shop up twice and
//! loads its delivery rules), next to `GET /healthz` (one trivial database
//! round trip) as the ceiling of the same stack.
//!
//! cargo bench --bench storefront          (N=5000 requests per endpoint, 32 in flight)
//! BENCH_REQUESTS=20000 BENCH_CONCURRENCY=64 cargo bench --bench storefront
#[allow(dead_code)] // `fire_webhooks` is the webhook benches' helper.
mod common;

use chrono::Utc;
use common::{SECRET, SHOP, benchmarking, database, env_usize, ms, pct, start};
use flywheel::shopify::signature::signed_app_proxy_query;
use futures_util::StreamExt;
use serde_json::Value;
use std::time::{Duration, Instant};

const COUNTRIES: [(&str, &str); 4] = [
    ("IT", "eu"),
    ("FR", "eu"),
    ("US", "north_america"),
    ("JP", "rest_of_world"),
];
const LOCALES: [&str; 3] = ["en", "it", "fr"];
/// Distinct products the estimates are asked for.
const PRODUCTS: usize = 100;
/// Requests per endpoint sent before timing, to open the pool's connections.
const WARM_UP: usize = 64;

/// The `n`th request's shopper parameters: product, country and its zone, locale.
fn shopper(n: usize) -> (i64, &'static str, &'static str, &'static str) {
    let (country, zone) = COUNTRIES[n % COUNTRIES.len()];
    let locale = LOCALES[(n / COUNTRIES.len()) % LOCALES.len()];
    (
        7_300_000_000_000 + (n % PRODUCTS) as i64,
        country,
        zone,
        locale,
    )
}

/// The URL the app proxy forwards for request `n`, signed now: the platform's
/// parameters and the shopper's, with a fresh `timestamp` (stale ones are refused).
fn estimate_url(base: &str, n: usize) -> String {
    let (product, country, _, locale) = shopper(n);
    let query: Vec<(String, String)> = [
        ("shop", SHOP.to_owned()),
        ("logged_in_customer_id", String::new()),
        ("path_prefix", "/apps/flywheel".to_owned()),
        ("timestamp", Utc::now().timestamp().to_string()),
        ("product_id", product.to_string()),
        ("country", country.to_owned()),
        ("locale", locale.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let query = signed_app_proxy_query(SECRET.as_bytes(), query);
    format!("{base}/proxy/delivery-estimate?{query}")
}

#[derive(Clone, Copy)]
enum Endpoint {
    DeliveryEstimate,
    Healthz,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::DeliveryEstimate => "/proxy/delivery-estimate",
            Endpoint::Healthz => "/healthz",
        }
    }
}

/// Sends requests `first..first + total` to `endpoint`, `concurrency` at a time,
/// checking every answer; returns the wall time and each request's latency, sorted.
async fn fire(
    client: &reqwest::Client,
    base: &str,
    endpoint: Endpoint,
    first: usize,
    total: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(first..first + total)
        .map(|n| async move {
            // Signed as the request leaves, so no timestamp outlives the skew window.
            let url = match endpoint {
                Endpoint::DeliveryEstimate => estimate_url(base, n),
                Endpoint::Healthz => format!("{base}/healthz"),
            };
            let t = Instant::now();
            let r = client.get(&url).send().await.expect("request");
            let status = r.status();
            let body: Value = r.json().await.expect("json answer");
            let latency = t.elapsed();
            assert_eq!(status, 200, "{} #{n}: {body}", endpoint.path());
            match endpoint {
                Endpoint::DeliveryEstimate => {
                    let (_, country, zone, locale) = shopper(n);
                    assert!(
                        body["text"].as_str().is_some_and(|t| !t.is_empty()),
                        "estimate #{n} has no text: {body}"
                    );
                    assert_eq!(body["country"], country, "estimate #{n}: {body}");
                    assert_eq!(body["zone"], zone, "estimate #{n}: {body}");
                    assert_eq!(body["locale"], locale, "estimate #{n}: {body}");
                }
                Endpoint::Healthz => assert_eq!(body["status"], "ok", "healthz #{n}: {body}"),
            }
            latency
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies)
}

struct Row {
    kind: &'static str,
    endpoint: &'static str,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(kind: &'static str, total: usize, concurrency: usize) -> Vec<Row> {
    let Some(url) = database(kind).await else {
        println!("{kind:>8}: skipped (database not reachable)");
        return Vec::new();
    };
    let server = start(&url).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let mut rows = Vec::new();
    for endpoint in [Endpoint::DeliveryEstimate, Endpoint::Healthz] {
        fire(&client, &server.base, endpoint, 0, WARM_UP, concurrency).await;
        let (elapsed, latencies) =
            fire(&client, &server.base, endpoint, WARM_UP, total, concurrency).await;
        let row = Row {
            kind,
            endpoint: endpoint.path(),
            per_sec: total as f64 / elapsed.as_secs_f64(),
            p50: pct(&latencies, 0.50),
            p99: pct(&latencies, 0.99),
        };
        println!(
            "{kind:>8}: {total} GET {} in {:.2}s = {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight)",
            row.endpoint,
            elapsed.as_secs_f64(),
            row.per_sec,
            ms(row.p50),
            ms(row.p99),
        );
        rows.push(row);
    }
    rows
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let total = env_usize("BENCH_REQUESTS", 5000).max(1);
    let concurrency = env_usize("BENCH_CONCURRENCY", 32).max(1);
    let mut table = Vec::new();
    for kind in ["sqlite", "postgres"] {
        table.extend(run(kind, total, concurrency).await);
    }
    println!();
    println!("| database | endpoint | requests/s | p50 | p99 |");
    println!("|---|---|---:|---:|---:|");
    for row in table {
        println!(
            "| {} | `GET {}` | {:.0} | {:.2} ms | {:.2} ms |",
            row.kind,
            row.endpoint,
            row.per_sec,
            ms(row.p50),
            ms(row.p99),
        );
    }
}
