//! The durable scheduler: jobs live in the database (`jobs`), so nothing is
//! lost when a process stops, and any number of workers (`flywheel worker`
//! processes and the `serve` process) share them. A worker claims due jobs
//! with a lease — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so workers
//! never wait on or take each other's jobs; on SQLite writes are serialised
//! and one worker is enough. A job whose worker died is claimed again when its
//! lease runs out. A failed job is retried with backoff and, after its last
//! attempt, kept as a dead letter for the merchant to see and retry. A job
//! that no longer applies is skipped, not run.
pub mod handlers;
pub mod queue;
pub mod worker;

pub use queue::{NewJob, Queue};
pub use worker::{Handler, HandlerFuture, Outcome, Registry, Worker};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const SKIPPED: &str = "skipped";
pub const DEAD: &str = "dead";
pub const STATUSES: [&str; 5] = [QUEUED, RUNNING, DONE, SKIPPED, DEAD];
