//! The retention dashboard at scale: a shop with 1,000,000 orders from
//! 300,000 customers (generated as Bulk Operations JSONL and loaded through
//! the real importer), then the time to compute the whole dashboard for the
//! last twelve months, next to the floor: one plain `SELECT customer_id,
//! COUNT(*) … GROUP BY customer_id` over the same orders. On SQLite and on
//! PostgreSQL.
//!
//! cargo bench --bench dashboard   (BENCH_ORDERS=1000000 BENCH_CUSTOMERS=300000 BENCH_DB=sqlite,postgres)
#[allow(dead_code)] // the other benches' helpers
mod common;

use chrono::Utc;
use common::{benchmarking, database, env_usize};
use flywheel::commerce::import::import_jsonl;
use flywheel::metrics::{Period, dashboard};
use flywheel::shopify::ShopDomain;
use flywheel::shops::{Shops, TokenCipher};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::io::BufWriter;
use std::time::{Duration, Instant};

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn floor(db: &DatabaseConnection, shop_id: i64) -> (Duration, u64) {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT customer_id, COUNT(*) AS n FROM orders WHERE shop_id = $1 GROUP BY customer_id"
        }
        _ => "SELECT customer_id, COUNT(*) AS n FROM orders WHERE shop_id = ? GROUP BY customer_id",
    };
    let started = Instant::now();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            vec![shop_id.into()],
        ))
        .await
        .expect("floor query");
    (started.elapsed(), rows.len() as u64)
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let orders = env_usize("BENCH_ORDERS", 1_000_000) as u64;
    let customers = env_usize("BENCH_CUSTOMERS", 300_000) as u64;
    let kinds = std::env::var("BENCH_DB").unwrap_or_else(|_| "sqlite,postgres".into());
    let now = Utc::now();
    let file =
        std::env::temp_dir().join(format!("flywheel-bench-history-{orders}-{customers}.jsonl"));
    if !file.exists() && std::env::var_os("BENCH_REUSE_URL").is_none() {
        let started = Instant::now();
        let mut out = BufWriter::new(std::fs::File::create(&file).expect("create"));
        let g = flywheel::demo::history::write_jsonl(&mut out, customers, orders, 24, now, 2026)
            .expect("generate");
        drop(out);
        println!(
            "generated {} orders, {} line items ({} lines) in {}",
            g.orders,
            g.line_items,
            g.lines,
            seconds(started.elapsed())
        );
    }
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "history file: {} ({:.0} MB)",
        file.display(),
        size as f64 / 1e6
    );
    println!();
    println!(
        "| database | import | orders/s | dashboard (12 months) | floor: GROUP BY | customers |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    // BENCH_REUSE_URL: time the dashboard on a database an earlier run filled.
    let reuse = std::env::var("BENCH_REUSE_URL").ok();
    let kinds: Vec<String> = match &reuse {
        Some(url) => vec![url.clone()],
        None => kinds.split(',').map(|k| k.trim().to_owned()).collect(),
    };
    for kind in &kinds {
        let kind = kind.as_str();
        let url = if reuse.is_some() {
            Some(kind.to_owned())
        } else {
            database(kind).await
        };
        let Some(url) = url else {
            println!("| {kind} | unreachable | | | | |");
            continue;
        };
        let db = flywheel::db::connect(&url).await.expect("connect");
        flywheel::db::migrate(&db).await.expect("migrate");
        let cipher = TokenCipher::new(&[7u8; 32]);
        let domain = ShopDomain::parse("bench-history.myshopify.com").expect("domain");
        let shop = Shops::install(&db, &cipher, &domain, "shpat_bench", "read_orders", now)
            .await
            .expect("install");
        let started = Instant::now();
        let report = if reuse.is_some() {
            flywheel::commerce::import::ImportReport::default()
        } else {
            let reader = std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(&file).expect("open"),
            );
            import_jsonl(&db, shop.id, "EUR", reader, now, |_, _| {})
                .await
                .expect("import")
        };
        let import = started.elapsed();
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("ANALYZE").await.expect("analyze");
        }
        let tz = flywheel::clock::shop_tz(&shop.timezone);
        let period = Period::last_twelve_months(now, tz);
        let mut runs = Vec::new();
        let mut seen = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let d = dashboard(&db, &shop, period, now).await.expect("dashboard");
            runs.push(started.elapsed());
            seen = d.customer_rows.len();
        }
        runs.sort();
        let mut floors = Vec::new();
        let mut grouped = 0;
        for _ in 0..3 {
            let (t, n) = floor(&db, shop.id).await;
            floors.push(t);
            grouped = n;
        }
        floors.sort();
        println!(
            "| {kind} | {} ({} orders) | {:.0} | {} (best of 3; worst {}) | {} ({grouped} groups) | {seen} |",
            seconds(import),
            report.orders,
            report.orders as f64 / import.as_secs_f64(),
            seconds(runs[0]),
            seconds(runs[2]),
            seconds(floors[0]),
        );
        let _ = db.close().await;
    }
}
