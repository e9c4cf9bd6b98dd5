//! The durable job queue: what is to run, when, for which shop, and who holds
//! it. Workers claim jobs with a lease (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), so several processes never run the same job twice.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    ShopId,
    Kind,
    Payload,
    RunAt,
    Status,
    Attempts,
    MaxAttempts,
    LeaseOwner,
    LeaseUntil,
    IdempotencyKey,
    LastError,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(big_integer_null(Jobs::ShopId))
                    .col(string_len(Jobs::Kind, 64))
                    .col(json(Jobs::Payload))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(string_len(Jobs::Status, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts).default(8))
                    .col(string_len_null(Jobs::LeaseOwner, 64))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(string_len_uniq(Jobs::IdempotencyKey, 255))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // What is due: the workers' query.
            ("ix_jobs_due", vec![Jobs::Status, Jobs::RunAt]),
            // A shop's jobs: admin lists, redaction.
            ("ix_jobs_shop", vec![Jobs::ShopId, Jobs::Status]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Jobs::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}
