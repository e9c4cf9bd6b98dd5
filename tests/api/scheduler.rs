//! The durable scheduler on real databases: idempotent enqueueing, two
//! workers (separate connection pools, as two processes would have) over a
//! few hundred jobs never running one twice, retries with backoff ending in
//! a dead letter, a dead worker's lease taken over, and skipped jobs.
use crate::helpers::Backend;
use crate::on_both_databases;
use chrono::{Duration, SubsecRound, Utc};
use entity::jobs;
use flywheel::clock::{Clock, ManualClock, SystemClock};
use flywheel::scheduler::{Handler, HandlerFuture, NewJob, Outcome, Queue, Registry, Worker};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

on_both_databases!(
    two_workers_never_run_a_job_twice,
    failures_back_off_then_become_dead_letters,
    a_dead_workers_jobs_are_taken_over,
    enqueueing_is_idempotent_and_irrelevant_jobs_are_skipped,
);

/// Counts how often each job ran.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<HashMap<i64, usize>>>);

impl Handler for Recorder {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            *self.0.lock().expect("recorder").entry(job.id).or_default() += 1;
            // A little work, so the two workers overlap.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            Outcome::Done
        })
    }
}

struct Failing;

impl Handler for Failing {
    fn run<'a>(&'a self, _job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async { Outcome::Retry("the SMTP server said 451".into()) })
    }
}

struct Irrelevant;

impl Handler for Irrelevant {
    fn run<'a>(&'a self, _job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async { Outcome::Skip("the order was cancelled".into()) })
    }
}

async fn count(db: &DatabaseConnection, status: &str) -> u64 {
    jobs::Entity::find()
        .filter(jobs::Column::Status.eq(status))
        .count(db)
        .await
        .expect("count")
}

async fn two_workers_never_run_a_job_twice(backend: Backend) {
    let (url, db) = crate::helpers::migrated_database(backend).await;
    let now = Utc::now();
    for n in 0..300 {
        let job = NewJob::new(
            "test.record",
            format!("job-{n}"),
            now - Duration::seconds(1),
        )
        .for_shop(1);
        assert!(Queue::enqueue(&db, job, now).await.expect("enqueue"));
    }
    let recorder = Recorder::default();
    let mut handles = Vec::new();
    for _ in 0..2 {
        // Each worker with its own pool, as a separate process would have.
        let own = flywheel::db::connect(&url).await.expect("connect");
        let mut worker = Worker::new(
            own,
            Registry::default().with("test.record", recorder.clone()),
            Arc::new(SystemClock),
        );
        worker.batch = 10;
        handles.push(tokio::spawn(async move {
            let mut settled = 0;
            loop {
                match worker.run_once().await {
                    Ok(0) => break,
                    Ok(n) => settled += n,
                    // SQLite: a writer found the database busy; try again.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                }
            }
            settled
        }));
    }
    let mut per_worker = Vec::new();
    for handle in handles {
        per_worker.push(handle.await.expect("worker"));
    }
    let runs = recorder.0.lock().expect("recorder").clone();
    assert_eq!(runs.len(), 300, "every job ran");
    assert!(
        runs.values().all(|n| *n == 1),
        "a job ran twice: {:?}",
        runs.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert_eq!(per_worker.iter().sum::<usize>(), 300);
    if matches!(backend, Backend::Postgres) {
        assert!(
            per_worker.iter().all(|n| *n > 0),
            "both workers took work: {per_worker:?}"
        );
    }
    assert_eq!(count(&db, "done").await, 300);
}

async fn failures_back_off_then_become_dead_letters(backend: Backend) {
    let (_, db) = crate::helpers::migrated_database(backend).await;
    // Whole seconds: PostgreSQL keeps microseconds, not nanoseconds.
    let start = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(start));
    let job = NewJob::new("email.send", "mail-1", start)
        .for_shop(1)
        .attempts(3);
    Queue::enqueue(&db, job, start).await.expect("enqueue");
    let worker = Worker::new(
        db.clone(),
        Registry::default().with("email.send", Failing),
        clock.clone(),
    );

    assert_eq!(worker.run_once().await.expect("run"), 1);
    let row = jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!((row.status.as_str(), row.attempts), ("queued", 1));
    assert_eq!(
        row.run_at,
        start + Duration::seconds(30),
        "retried after 30 s"
    );
    assert_eq!(row.last_error.as_deref(), Some("the SMTP server said 451"));
    // Not before its time.
    assert_eq!(worker.run_once().await.expect("run"), 0);
    clock.advance(Duration::seconds(31));
    worker.run_once().await.expect("run");
    let row = jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!(
        row.run_at,
        clock.now() + Duration::seconds(60),
        "then after a minute"
    );
    clock.advance(Duration::seconds(61));
    worker.run_once().await.expect("run");
    let row = jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!((row.status.as_str(), row.attempts), ("dead", 3));
    assert!(row.finished_at.is_some());
    // Dead letters are kept, listed, and can be retried.
    let dead = Queue::list(&db, 1, Some("dead"), 10).await.expect("list");
    assert_eq!(dead.len(), 1);
    assert!(
        Queue::retry(&db, 1, row.id, clock.now())
            .await
            .expect("retry")
    );
    assert!(
        !Queue::retry(&db, 2, row.id, clock.now())
            .await
            .expect("retry"),
        "another shop's job"
    );
    let row = jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!((row.status.as_str(), row.attempts), ("queued", 0));
    // A kind nobody handles ends as a dead letter too, with the reason.
    let unknown = NewJob::new("no.such.kind", "unknown-1", clock.now())
        .for_shop(1)
        .attempts(1);
    Queue::enqueue(&db, unknown, clock.now())
        .await
        .expect("enqueue");
    let bare = Worker::new(db.clone(), Registry::default(), clock.clone());
    bare.run_once().await.expect("run");
    let row = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq("no.such.kind"))
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!(row.status, "dead");
    assert!(row.last_error.unwrap_or_default().contains("no handler"));
}

async fn a_dead_workers_jobs_are_taken_over(backend: Backend) {
    let (_, db) = crate::helpers::migrated_database(backend).await;
    let start = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    Queue::enqueue(&db, NewJob::new("test.record", "lease-1", start), start)
        .await
        .expect("enqueue");
    // A worker claims it and dies before settling.
    let claimed = Queue::claim(&db, "crashed-worker", start, 10, Duration::minutes(5))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let recorder = Recorder::default();
    let worker = Worker::new(
        db.clone(),
        Registry::default().with("test.record", recorder.clone()),
        clock.clone(),
    );
    assert_eq!(
        worker.run_once().await.expect("run"),
        0,
        "held by the lease"
    );
    clock.advance(Duration::minutes(6));
    assert_eq!(
        worker.run_once().await.expect("run"),
        1,
        "taken over after the lease"
    );
    assert_eq!(count(&db, "done").await, 1);
    // The crashed worker, back, cannot settle what it no longer holds.
    assert!(
        !Queue::complete(&db, &claimed[0], "crashed-worker", clock.now())
            .await
            .expect("settle")
    );
    let row = jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!(row.attempts, 2);
}

async fn enqueueing_is_idempotent_and_irrelevant_jobs_are_skipped(backend: Backend) {
    let (_, db) = crate::helpers::migrated_database(backend).await;
    let now = Utc::now();
    let job = || {
        NewJob::new("flow.review_request", "order-1:review", now)
            .for_shop(7)
            .payload(serde_json::json!({"customer_id": 42}))
    };
    assert!(Queue::enqueue(&db, job(), now).await.expect("enqueue"));
    assert!(
        !Queue::enqueue(&db, job(), now).await.expect("again"),
        "the same key is one job"
    );
    assert_eq!(jobs::Entity::find().count(&db).await.expect("count"), 1);
    // A redaction skips the customer's pending jobs; others stay.
    let other = NewJob::new("flow.review_request", "order-2:review", now)
        .for_shop(7)
        .payload(serde_json::json!({"customer_id": 43}));
    Queue::enqueue(&db, other, now).await.expect("enqueue");
    let skipped = Queue::skip_queued(
        &db,
        7,
        |j| j.payload["customer_id"] == 42,
        "customer redacted",
        now,
    )
    .await
    .expect("skip");
    assert_eq!(skipped, 1);
    assert_eq!(count(&db, "skipped").await, 1);
    // A handler that finds its job no longer relevant skips it.
    let worker = Worker::new(
        db.clone(),
        Registry::default().with("flow.review_request", Irrelevant),
        Arc::new(SystemClock),
    );
    assert_eq!(worker.run_once().await.expect("run"), 1);
    assert_eq!(count(&db, "skipped").await, 2);
    let counts = Queue::counts(&db, 7).await.expect("counts");
    assert_eq!(counts, vec![("skipped".to_owned(), 2)]);
}

on_both_databases!(
    dead_letters_are_listed_and_retried_by_the_merchant,
    the_worker_command_runs_jobs_until_stopped
);

async fn dead_letters_are_listed_and_retried_by_the_merchant(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "jobs-admin").await;
    let shop = entity::shops::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("shop");
    let now = Utc::now();
    let job = NewJob::new("no.such.kind", "dead-1", now)
        .for_shop(shop.id)
        .attempts(1);
    Queue::enqueue(&app.db, job, now).await.expect("enqueue");
    let worker = Worker::new(app.db.clone(), Registry::default(), Arc::new(SystemClock));
    worker.run_once().await.expect("run");

    let token = app.session_token(&s);
    let listed: serde_json::Value = app
        .get_api("/api/jobs?status=dead", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["counts"]["dead"], 1);
    let id = listed["jobs"][0]["id"].as_i64().expect("id");
    assert!(
        listed["jobs"][0]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("no handler")
    );
    assert_eq!(
        app.get_api("/api/jobs?status=weird", &token).await.status(),
        400
    );

    let other = crate::helpers::shop("jobs-admin-other");
    app.install(&other).await;
    app.settle_history_import().await;
    let res = app
        .send_api(
            reqwest::Method::POST,
            &format!("/api/jobs/{id}/retry"),
            &other,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status(), 409, "another shop's job");
    let res = app
        .send_api(
            reqwest::Method::POST,
            &format!("/api/jobs/{id}/retry"),
            &s,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(count(&app.db, "queued").await, 1);
}

/// `flywheel worker` as an operator runs it: it settles due jobs, and stops on SIGTERM.
async fn the_worker_command_runs_jobs_until_stopped(backend: Backend) {
    let (url, db) = crate::helpers::migrated_database(backend).await;
    let now = Utc::now();
    let job = NewJob::new("no.such.kind", "worker-cmd-1", now)
        .for_shop(1)
        .attempts(1);
    Queue::enqueue(&db, job, now).await.expect("enqueue");
    let key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([9u8; 32])
    };
    let media = crate::helpers::media_dir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .arg("worker")
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("SHOPIFY_API_KEY", "k")
        .env("SHOPIFY_API_SECRET", "s")
        .env("FLYWHEEL_ENCRYPTION_KEY", key)
        .env("FLYWHEEL_MEDIA_URL", media.display().to_string())
        .env("SHOPIFY_SCOPES", "read_orders")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("flywheel worker starts");
    let mut settled = false;
    for _ in 0..100 {
        if count(&db, "dead").await == 1 {
            settled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // SIGTERM, as a process manager stops it.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("worker exits");
    let mut out = String::new();
    use std::io::Read;
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    assert!(settled, "the worker settled the job");
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        out.contains("worker started") && out.contains("worker stopped"),
        "{out}"
    );
}
