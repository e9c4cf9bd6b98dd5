//! Fires signed `orders/create` webhooks at a running server over loopback and
//! prints throughput and latency, on SQLite and on PostgreSQL.
//!
//! cargo bench --bench webhooks            (N=2000 deliveries, 16 in flight)
//! BENCH_WEBHOOKS=5000 BENCH_CONCURRENCY=32 cargo bench --bench webhooks
mod common;

use common::{benchmarking, database, env_usize, fire_webhooks, ms, pct, start};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

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

async fn run(kind: &str, total: usize, concurrency: usize) {
    let Some(url) = database(kind).await else {
        println!("{kind:>8}: skipped (database not reachable)");
        return;
    };
    let server = start(&url).await;
    let (elapsed, latencies) =
        fire_webhooks(&server.base, "orders/create", total, concurrency, order).await;
    let stored = entity::orders::Entity::find()
        .filter(entity::orders::Column::ShopId.eq(server.shop.id))
        .count(&server.db)
        .await
        .expect("count orders");
    assert_eq!(
        stored, total as u64,
        "{kind}: every delivery stored its order"
    );
    println!(
        "{kind:>8}: {total} orders/create in {:.2}s = {:.0} webhooks/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        ms(pct(&latencies, 0.50)),
        ms(pct(&latencies, 0.99)),
    );
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let total = env_usize("BENCH_WEBHOOKS", 2000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    for kind in ["sqlite", "postgres"] {
        run(kind, total, concurrency).await;
    }
}
