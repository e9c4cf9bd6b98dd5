//! Database connection: SQLite by default (WAL, busy timeout, foreign keys),
//! PostgreSQL when `DATABASE_URL` says so; the same migrations for both.
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, TryInsertResult,
};
use std::time::Duration;

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        options.max_connections(20).min_connections(1);
    }
    Database::connect(options).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// True when the database answers a trivial query.
pub async fn is_healthy(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// True when an `INSERT … ON CONFLICT DO NOTHING` wrote a row (false: it was already there).
pub fn inserted(result: TryInsertResult<u64>) -> bool {
    matches!(result, TryInsertResult::Inserted(n) if n > 0)
}

/// Deletes every row of `E` whose `column` equals `value`.
pub async fn delete_where<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    value: impl Into<sea_orm::Value>,
) -> Result<(), DbErr> {
    E::delete_many()
        .filter(column.eq(value))
        .exec(db)
        .await
        .map(|_| ())
}
