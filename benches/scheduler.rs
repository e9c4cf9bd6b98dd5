//! The durable scheduler: jobs/s settled by one worker and by two workers
//! (separate connection pools, as two processes) on PostgreSQL, and by one
//! worker on SQLite. Each job's handler does no work of its own, so the
//! figure is the queue's cost: claim (leased, `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), run, settle.
//!
//! cargo bench --bench scheduler            (BENCH_JOBS=5000 per run)
#[allow(dead_code)] // the other benches' helpers
mod common;

use chrono::{Duration, Utc};
use common::{benchmarking, database, env_usize};
use entity::jobs;
use flywheel::clock::SystemClock;
use flywheel::scheduler::{Handler, HandlerFuture, NewJob, Outcome, Queue, Registry, Worker};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Arc;
use std::time::Instant;

struct Nothing;

impl Handler for Nothing {
    fn run<'a>(&'a self, _job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async { Outcome::Done })
    }
}

async fn fill(db: &DatabaseConnection, total: usize) {
    let now = Utc::now();
    for n in 0..total {
        let job = NewJob::new(
            "bench.nothing",
            format!("bench-{n}"),
            now - Duration::seconds(1),
        )
        .for_shop(1);
        Queue::enqueue(db, job, now).await.expect("enqueue");
    }
}

async fn run(kind: &'static str, workers: usize, total: usize) -> Option<f64> {
    let url = database(kind).await?;
    let db = flywheel::db::connect(&url).await.expect("connect");
    flywheel::db::migrate(&db).await.expect("migrate");
    fill(&db, total).await;
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let own = flywheel::db::connect(&url).await.expect("connect");
        let mut worker = Worker::new(
            own,
            Registry::default().with("bench.nothing", Nothing),
            Arc::new(SystemClock),
        );
        worker.batch = 50;
        handles.push(tokio::spawn(async move {
            loop {
                match worker.run_once().await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(2)).await,
                }
            }
        }));
    }
    for handle in handles {
        handle.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let done = jobs::Entity::find()
        .filter(jobs::Column::Status.eq("done"))
        .count(&db)
        .await
        .expect("count");
    assert_eq!(done as usize, total, "every job settled once");
    let per_sec = total as f64 / elapsed.as_secs_f64();
    println!(
        "{kind:>8}: {workers} worker(s) settled {total} jobs in {:.2}s = {per_sec:.0} jobs/s",
        elapsed.as_secs_f64()
    );
    Some(per_sec)
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let total = env_usize("BENCH_JOBS", 5000).max(1);
    let mut rows = Vec::new();
    for (kind, workers) in [("sqlite", 1), ("postgres", 1), ("postgres", 2)] {
        if let Some(rate) = run(kind, workers, total).await {
            rows.push((kind, workers, rate));
        }
    }
    println!();
    println!("| database | workers | jobs/s |");
    println!("|---|---:|---:|");
    for (kind, workers, rate) in rows {
        println!("| {kind} | {workers} | {rate:.0} |");
    }
}
