//! Storefront reviews, on SQLite and on PostgreSQL: signed
//! `GET /proxy/reviews` requests per second and their p50/p99 for one product
//! with 5,000 published reviews (a fifth with a photo), for each sort, the
//! pages spread from the first to the last (deep pages included).
//!
//! cargo bench --bench reviews            (N=3000 requests per sort, 32 in flight)
//! BENCH_REQUESTS=10000 BENCH_CONCURRENCY=64 BENCH_REVIEWS=20000 cargo bench --bench reviews
#[allow(dead_code)] // `fire_webhooks` is the webhook benches' helper.
mod common;

use chrono::{Duration as Days, Utc};
use common::{SECRET, SHOP, benchmarking, database, env_usize, ms, pct, start};
use entity::{review_photos, reviews};
use flywheel::shopify::signature::signed_app_proxy_query;
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde_json::Value;
use std::time::{Duration, Instant};

const PRODUCT: i64 = 7_300_000_000_042;
const WARM_UP: usize = 64;
const SORTS: [&str; 3] = ["newest", "helpful", "photos"];

/// `count` published reviews of PRODUCT, every fifth with a photo, then the summary.
async fn seed(db: &DatabaseConnection, shop_id: i64, count: usize) {
    let now = Utc::now();
    let lines = [
        "Arrived on time and exactly as pictured.",
        "Arrivato in anticipo, ottima qualità.",
        "Conforme à la description, je recommande.",
    ];
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<reviews::ActiveModel> = chunk
            .iter()
            .map(|&i| {
                let at = now - Days::minutes(i as i64 * 7);
                reviews::ActiveModel {
                    shop_id: Set(shop_id),
                    shopify_product_id: Set(PRODUCT),
                    product_title: Set("Cork yoga mat".into()),
                    rating: Set([5, 5, 4, 5, 3][i % 5]),
                    title: Set(format!("Review {i}")),
                    body: Set(lines[i % 3].into()),
                    author_name: Set(Some("Giulia R.".into())),
                    locale: Set(["en", "it", "fr"][i % 3].into()),
                    verified: Set(i % 2 == 0),
                    status: Set("published".into()),
                    helpful_votes: Set((i * 7919 % 50) as i32),
                    photo_count: Set(i32::from(i % 5 == 0)),
                    created_at: Set(at),
                    published_at: Set(Some(at)),
                    updated_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        reviews::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .expect("seed reviews");
    }
    let with_photos: Vec<i64> = {
        use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
        reviews::Entity::find()
            .filter(reviews::Column::PhotoCount.gt(0))
            .select_only()
            .column(reviews::Column::Id)
            .into_tuple()
            .all(db)
            .await
            .expect("photo reviews")
    };
    for chunk in with_photos.chunks(500) {
        let rows: Vec<review_photos::ActiveModel> = chunk
            .iter()
            .map(|&id| review_photos::ActiveModel {
                shop_id: Set(shop_id),
                review_id: Set(id),
                position: Set(0),
                display_key: Set(format!("reviews/{shop_id}/{id}.jpg")),
                thumb_key: Set(format!("reviews/{shop_id}/{id}-thumb.jpg")),
                width: Set(1600),
                height: Set(1200),
                thumb_width: Set(320),
                thumb_height: Set(240),
                bytes: Set(180_000),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        review_photos::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .expect("seed photos");
    }
    flywheel::reviews::summary::refresh(db, shop_id, PRODUCT, now)
        .await
        .expect("summary");
    // What autovacuum / a long-running SQLite file would have by now: fresh
    // statistics, and (PostgreSQL) a visibility map for index-only scans.
    use sea_orm::ConnectionTrait;
    let maintenance = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "VACUUM ANALYZE reviews",
        _ => "ANALYZE",
    };
    db.execute_unprepared(maintenance).await.expect("analyze");
}

fn url(base: &str, sort: &str, page: u64) -> String {
    let query: Vec<(String, String)> = [
        ("shop", SHOP.to_owned()),
        ("logged_in_customer_id", String::new()),
        ("path_prefix", "/apps/flywheel".to_owned()),
        ("timestamp", Utc::now().timestamp().to_string()),
        ("product_id", PRODUCT.to_string()),
        ("sort", sort.to_owned()),
        ("page", page.to_string()),
        ("locale", "it".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    format!(
        "{base}/proxy/reviews?{}",
        signed_app_proxy_query(SECRET.as_bytes(), query)
    )
}

/// Requests `first..first + total` for `sort`, page n spread over `pages`.
async fn fire(
    client: &reqwest::Client,
    base: &str,
    sort: &str,
    pages: u64,
    first: usize,
    total: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(first..first + total)
        .map(|n| async move {
            // Every page in turn, so deep OFFSETs are measured too.
            let page = (n as u64 * 7919) % pages + 1;
            let url = url(base, sort, page);
            let t = Instant::now();
            let r = client.get(&url).send().await.expect("request");
            let status = r.status();
            let body: Value = r.json().await.expect("json answer");
            let latency = t.elapsed();
            assert_eq!(status, 200, "{sort} page {page}: {body}");
            assert_eq!(body["page"], page, "{sort}: {body}");
            assert!(
                body["reviews"].as_array().is_some_and(|r| !r.is_empty()),
                "{sort} page {page} is empty"
            );
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
    sort: &'static str,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(kind: &'static str, count: usize, total: usize, concurrency: usize) -> Vec<Row> {
    let Some(db_url) = database(kind).await else {
        println!("{kind:>8}: skipped (database not reachable)");
        return Vec::new();
    };
    let server = start(&db_url).await;
    let t = Instant::now();
    seed(&server.db, server.shop.id, count).await;
    println!(
        "{kind:>8}: seeded {count} reviews in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let mut rows = Vec::new();
    for sort in SORTS {
        let listed = count.div_ceil(if sort == "photos" { 5 } else { 1 });
        let pages = listed.div_ceil(5) as u64;
        fire(&client, &server.base, sort, pages, 0, WARM_UP, concurrency).await;
        let (elapsed, latencies) = fire(
            &client,
            &server.base,
            sort,
            pages,
            WARM_UP,
            total,
            concurrency,
        )
        .await;
        let row = Row {
            kind,
            sort,
            per_sec: total as f64 / elapsed.as_secs_f64(),
            p50: pct(&latencies, 0.50),
            p99: pct(&latencies, 0.99),
        };
        println!(
            "{kind:>8}: {total} GET /proxy/reviews sort={sort} over {pages} pages in {:.2}s = {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight)",
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
    let count = env_usize("BENCH_REVIEWS", 5000).max(10);
    let total = env_usize("BENCH_REQUESTS", 3000).max(1);
    let concurrency = env_usize("BENCH_CONCURRENCY", 32).max(1);
    let mut table = Vec::new();
    for kind in ["sqlite", "postgres"] {
        table.extend(run(kind, count, total, concurrency).await);
    }
    println!();
    println!("| database | `GET /proxy/reviews` ({count} reviews) | requests/s | p50 | p99 |");
    println!("|---|---|---:|---:|---:|");
    for row in table {
        println!(
            "| {} | sort={} | {:.0} | {:.2} ms | {:.2} ms |",
            row.kind,
            row.sort,
            row.per_sec,
            ms(row.p50),
            ms(row.p99),
        );
    }
}
