//! A worker: claims due jobs, runs each with the handler for its kind, and
//! settles it — done, skipped (no longer relevant), or failed (retried with
//! backoff, dead after the last attempt). A handler that panics counts as a
//! failed attempt; a kind nobody handles ends as a dead letter.
use super::queue::Queue;
use crate::clock::Clock;
use chrono::Duration;
use entity::jobs;
use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

/// What became of one run of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// No longer relevant (order cancelled, customer unsubscribed or redacted): not run.
    Skip(String),
    /// Failed this time: try again later.
    Retry(String),
    /// Not now (outside the send window, over the frequency cap): run again
    /// at this time, without counting an attempt.
    Defer(chrono::DateTime<chrono::Utc>, String),
}

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Runs the jobs of one kind. Must be idempotent: a job can run again after a
/// worker dies between doing the work and recording it.
pub trait Handler: Send + Sync {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a>;
}

/// The handlers a worker knows, by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn Handler>>,
}

impl Registry {
    pub fn with(mut self, kind: &str, handler: impl Handler + 'static) -> Registry {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    pub fn with_shared(mut self, kind: &str, handler: Arc<dyn Handler>) -> Registry {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds
    }
}

pub struct Worker {
    db: DatabaseConnection,
    registry: Registry,
    clock: Arc<dyn Clock>,
    /// Names this worker in leases: host, process and a random part.
    pub id: String,
    pub batch: u64,
    pub lease: Duration,
    pub idle: std::time::Duration,
}

impl Worker {
    pub fn new(db: DatabaseConnection, registry: Registry, clock: Arc<dyn Clock>) -> Worker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        let mut random = uuid::Uuid::new_v4().simple().to_string();
        random.truncate(8);
        Worker {
            db,
            registry,
            clock,
            id: format!("{host}-{}-{random}", std::process::id()),
            batch: 20,
            lease: Duration::minutes(5),
            idle: std::time::Duration::from_secs(1),
        }
    }

    /// Claims one batch and runs it; returns how many jobs it settled.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let claimed = Queue::claim(&self.db, &self.id, now, self.batch, self.lease).await?;
        let mut settled = 0;
        for job in &claimed {
            let outcome = match self.registry.handlers.get(&job.kind) {
                Some(handler) => AssertUnwindSafe(handler.run(job))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Outcome::Retry("the handler panicked".into())),
                None => Outcome::Retry(format!("no handler for jobs of kind `{}`", job.kind)),
            };
            let now = self.clock.now();
            let written = match &outcome {
                Outcome::Done => Queue::complete(&self.db, job, &self.id, now).await?,
                Outcome::Skip(reason) => Queue::skip(&self.db, job, &self.id, reason, now).await?,
                Outcome::Defer(at, why) => {
                    Queue::defer(&self.db, job, &self.id, *at, why, now).await?
                }
                Outcome::Retry(error) => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %error, "job failed");
                    Queue::fail(&self.db, job, &self.id, error, now).await?
                }
            };
            if written {
                settled += 1;
            } else {
                tracing::warn!(job = job.id, "job lease lost before it was settled");
            }
        }
        Ok(settled)
    }

    /// Runs until `stop` resolves: straight on while there is work, polling
    /// every `idle` when there is none, backing off when the database is down.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tracing::info!(worker = %self.id, kinds = ?self.registry.kinds(), "worker started");
        let mut stop = std::pin::pin!(stop);
        loop {
            let pause = match self.run_once().await {
                Ok(n) if n as u64 >= self.batch => std::time::Duration::ZERO,
                Ok(_) => self.idle,
                Err(e) => {
                    tracing::warn!(error = %e, "worker could not reach the database; retrying");
                    self.idle * 5
                }
            };
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }
}
