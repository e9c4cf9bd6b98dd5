//! Enqueueing, claiming and settling jobs. Every write is keyed or leased, so
//! it is safe from any number of processes.
use super::{DEAD, DONE, QUEUED, RUNNING, SKIPPED};
use chrono::{DateTime, Duration, Utc};
use entity::jobs;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::Value;

/// A job to run at `run_at`; `key` makes enqueueing idempotent.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub shop_id: Option<i64>,
    pub kind: String,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
    pub key: String,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: &str, key: impl Into<String>, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            shop_id: None,
            kind: kind.to_owned(),
            payload: Value::Null,
            run_at,
            key: key.into(),
            max_attempts: 8,
        }
    }
    pub fn for_shop(mut self, shop_id: i64) -> NewJob {
        self.shop_id = Some(shop_id);
        self
    }
    pub fn payload(mut self, payload: Value) -> NewJob {
        self.payload = payload;
        self
    }
    pub fn attempts(mut self, max: i32) -> NewJob {
        self.max_attempts = max.max(1);
        self
    }
}

/// Seconds before attempt `n + 1` after `n` failures: 30 s, 1 min, 2 min … at most 6 h.
pub fn backoff(failures: i32) -> Duration {
    let exponent = Ord::clamp(failures - 1, 0, 12) as u32;
    Duration::seconds(Ord::min(30i64 * 2i64.pow(exponent), 6 * 3600))
}

pub struct Queue;

impl Queue {
    /// Adds the job unless one with its key exists; true when added.
    pub async fn enqueue(
        db: &impl ConnectionTrait,
        job: NewJob,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let result = jobs::Entity::insert(jobs::ActiveModel {
            shop_id: Set(job.shop_id),
            kind: Set(job.kind),
            payload: Set(job.payload),
            run_at: Set(job.run_at),
            status: Set(QUEUED.to_owned()),
            attempts: Set(0),
            max_attempts: Set(job.max_attempts),
            idempotency_key: Set(job.key),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([jobs::Column::IdempotencyKey])
        .exec_without_returning(db)
        .await?;
        Ok(crate::db::inserted(result))
    }

    /// Claims up to `limit` due jobs (and jobs whose worker's lease ran out)
    /// for `worker` until `now + lease`, counting an attempt for each.
    pub async fn claim(
        db: &impl ConnectionTrait,
        worker: &str,
        now: DateTime<Utc>,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<jobs::Model>, DbErr> {
        let backend = db.get_database_backend();
        let (sql, values): (&str, Vec<sea_orm::Value>) = match backend {
            DatabaseBackend::Postgres => (
                "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, \
                 attempts = attempts + 1, updated_at = $3 \
                 WHERE id IN (SELECT id FROM jobs \
                   WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND lease_until < $3) \
                   ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING *",
                vec![
                    worker.into(),
                    (now + lease).into(),
                    now.into(),
                    (limit as i64).into(),
                ],
            ),
            _ => (
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ?, \
                 attempts = attempts + 1, updated_at = ? \
                 WHERE id IN (SELECT id FROM jobs \
                   WHERE (status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until < ?) \
                   ORDER BY run_at, id LIMIT ?) \
                 RETURNING *",
                vec![
                    worker.into(),
                    (now + lease).into(),
                    now.into(),
                    now.into(),
                    now.into(),
                    (limit as i64).into(),
                ],
            ),
        };
        let mut claimed =
            jobs::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(db)
                .await?;
        claimed.sort_by_key(|j| (j.run_at, j.id));
        Ok(claimed)
    }

    /// Settles a claimed job, if `worker` still holds it (a lease that ran
    /// out may have passed it to another worker: then nothing is written).
    async fn settle(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
        worker: &str,
        status: &str,
        run_at: Option<DateTime<Utc>>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let finished = matches!(status, DONE | SKIPPED | DEAD);
        let mut update = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(status))
            .col_expr(
                jobs::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                jobs::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LastError, Expr::value(error))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
        if finished {
            update = update.col_expr(jobs::Column::FinishedAt, Expr::value(now));
        }
        if let Some(run_at) = run_at {
            update = update.col_expr(jobs::Column::RunAt, Expr::value(run_at));
        }
        let result = update
            .filter(jobs::Column::Id.eq(job.id))
            .filter(jobs::Column::Status.eq(RUNNING))
            .filter(jobs::Column::LeaseOwner.eq(worker))
            .exec(db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    pub async fn complete(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        Self::settle(db, job, worker, DONE, None, None, now).await
    }

    pub async fn skip(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
        worker: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        Self::settle(db, job, worker, SKIPPED, None, Some(reason.to_owned()), now).await
    }

    /// A failed attempt: queued again after the backoff, or dead after the last one.
    pub async fn fail(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        if job.attempts >= job.max_attempts {
            return Self::settle(db, job, worker, DEAD, None, Some(error.to_owned()), now).await;
        }
        let retry_at = now + backoff(job.attempts);
        Self::settle(
            db,
            job,
            worker,
            QUEUED,
            Some(retry_at),
            Some(error.to_owned()),
            now,
        )
        .await
    }

    /// Not now: queued again for `at`, the attempt this run took given back.
    pub async fn defer(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
        worker: &str,
        at: DateTime<Utc>,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let settled =
            Self::settle(db, job, worker, QUEUED, Some(at), Some(why.to_owned()), now).await?;
        if settled {
            jobs::Entity::update_many()
                .col_expr(
                    jobs::Column::Attempts,
                    Expr::value((job.attempts - 1).max(0)),
                )
                .filter(jobs::Column::Id.eq(job.id))
                .exec(db)
                .await?;
        }
        Ok(settled)
    }

    /// Puts a dead (or skipped) job back in the queue with fresh attempts.
    pub async fn retry(
        db: &impl ConnectionTrait,
        shop_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let result = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(QUEUED))
            .col_expr(jobs::Column::Attempts, Expr::value(0))
            .col_expr(jobs::Column::RunAt, Expr::value(now))
            .col_expr(
                jobs::Column::FinishedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(jobs::Column::Id.eq(id))
            .filter(jobs::Column::ShopId.eq(shop_id))
            .filter(jobs::Column::Status.is_in([DEAD, SKIPPED]))
            .exec(db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Skips a shop's queued jobs that `filter` picks (a redacted or
    /// unsubscribed customer, a cancelled order): they are not run.
    pub async fn skip_queued(
        db: &impl ConnectionTrait,
        shop_id: i64,
        filter: impl Fn(&jobs::Model) -> bool,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        let queued = jobs::Entity::find()
            .filter(jobs::Column::ShopId.eq(shop_id))
            .filter(jobs::Column::Status.eq(QUEUED))
            .all(db)
            .await?;
        let ids: Vec<i64> = queued.iter().filter(|j| filter(j)).map(|j| j.id).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let result = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(SKIPPED))
            .col_expr(jobs::Column::LastError, Expr::value(reason))
            .col_expr(jobs::Column::FinishedAt, Expr::value(now))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(jobs::Column::Id.is_in(ids))
            .filter(jobs::Column::Status.eq(QUEUED))
            .exec(db)
            .await?;
        Ok(result.rows_affected)
    }

    /// A shop's jobs in `status`, newest first.
    pub async fn list(
        db: &impl ConnectionTrait,
        shop_id: i64,
        status: Option<&str>,
        limit: u64,
    ) -> Result<Vec<jobs::Model>, DbErr> {
        let mut query = jobs::Entity::find().filter(jobs::Column::ShopId.eq(shop_id));
        if let Some(status) = status {
            query = query.filter(jobs::Column::Status.eq(status));
        }
        query
            .order_by_desc(jobs::Column::UpdatedAt)
            .order_by_desc(jobs::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }

    /// Jobs per status for a shop.
    pub async fn counts(
        db: &impl ConnectionTrait,
        shop_id: i64,
    ) -> Result<Vec<(String, i64)>, DbErr> {
        jobs::Entity::find()
            .filter(jobs::Column::ShopId.eq(shop_id))
            .select_only()
            .column(jobs::Column::Status)
            .column_as(jobs::Column::Id.count(), "n")
            .group_by(jobs::Column::Status)
            .into_tuple()
            .all(db)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(40), Duration::hours(6));
    }
}
