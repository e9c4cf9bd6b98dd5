//! The email outbox: every email the app sends, rendered, with its headers and
//! where it stands. With `SMTP_URL` set a job sends it; without, it stays here
//! for the merchant to read (the embedded default).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    ShopId,
    CustomerId,
    Flow,
    Marketing,
    Locale,
    ToAddress,
    Subject,
    Html,
    Text,
    Headers,
    Status,
    MessageId,
    IdempotencyKey,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .col(big_pk_auto(Emails::Id))
                    .col(big_integer(Emails::ShopId))
                    .col(big_integer_null(Emails::CustomerId))
                    .col(string_len(Emails::Flow, 64))
                    .col(boolean(Emails::Marketing).default(false))
                    .col(string_len(Emails::Locale, 8))
                    .col(string_len(Emails::ToAddress, 255))
                    .col(text(Emails::Subject))
                    .col(text(Emails::Html))
                    .col(text(Emails::Text))
                    .col(json(Emails::Headers))
                    .col(string_len(Emails::Status, 16))
                    .col(string_len_null(Emails::MessageId, 255))
                    .col(string_len_uniq(Emails::IdempotencyKey, 255))
                    .col(text_null(Emails::LastError))
                    .col(timestamp_with_time_zone(Emails::CreatedAt))
                    .col(timestamp_with_time_zone_null(Emails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_emails_shop")
                    .table(Emails::Table)
                    .col(Emails::ShopId)
                    .col(Emails::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_emails_customer")
                    .table(Emails::Table)
                    .col(Emails::ShopId)
                    .col(Emails::CustomerId)
                    .col(Emails::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Emails::Table).to_owned())
            .await
    }
}
