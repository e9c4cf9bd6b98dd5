//! Lifecycle flows and "make it right": per-shop settings by section (flows,
//! support standards and remedies), survey answers (NPS, CSAT, the delivery
//! check-in), support cases with their response timers, and each case's
//! history (replies, remedies, resolution).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ShopSettings {
    Table,
    Id,
    ShopId,
    Section,
    Value,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SurveyResponses {
    Table,
    Id,
    ShopId,
    OrderId,
    CustomerId,
    Kind,
    Score,
    Comment,
    Locale,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupportCases {
    Table,
    Id,
    ShopId,
    CustomerId,
    OrderId,
    Source,
    Category,
    Severity,
    Status,
    CustomerName,
    CustomerEmail,
    Locale,
    Message,
    OpenedAt,
    FirstReplyDue,
    ResolutionDue,
    FirstRepliedAt,
    ResolvedAt,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupportCaseEvents {
    Table,
    Id,
    ShopId,
    CaseId,
    Kind,
    Actor,
    Body,
    Data,
    Status,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
}

fn shop_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(col)
        .to_tbl(Shops::Table)
        .to_col(Shops::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShopSettings::Table)
                    .col(big_pk_auto(ShopSettings::Id))
                    .col(big_integer(ShopSettings::ShopId))
                    .col(string_len(ShopSettings::Section, 32))
                    .col(json(ShopSettings::Value))
                    .col(timestamp_with_time_zone(ShopSettings::CreatedAt))
                    .col(timestamp_with_time_zone(ShopSettings::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_shop_settings_shop",
                        ShopSettings::Table,
                        ShopSettings::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_shop_settings_section")
                    .table(ShopSettings::Table)
                    .col(ShopSettings::ShopId)
                    .col(ShopSettings::Section)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SurveyResponses::Table)
                    .col(big_pk_auto(SurveyResponses::Id))
                    .col(big_integer(SurveyResponses::ShopId))
                    .col(big_integer(SurveyResponses::OrderId))
                    .col(big_integer_null(SurveyResponses::CustomerId))
                    .col(string_len(SurveyResponses::Kind, 16))
                    .col(small_integer(SurveyResponses::Score))
                    .col(text_null(SurveyResponses::Comment))
                    .col(string_len(SurveyResponses::Locale, 8))
                    .col(timestamp_with_time_zone(SurveyResponses::CreatedAt))
                    .col(timestamp_with_time_zone(SurveyResponses::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_survey_responses_shop",
                        SurveyResponses::Table,
                        SurveyResponses::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_survey_responses_order_kind")
                    .table(SurveyResponses::Table)
                    .col(SurveyResponses::ShopId)
                    .col(SurveyResponses::OrderId)
                    .col(SurveyResponses::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_survey_responses_kind")
                    .table(SurveyResponses::Table)
                    .col(SurveyResponses::ShopId)
                    .col(SurveyResponses::Kind)
                    .col(SurveyResponses::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportCases::Table)
                    .col(big_pk_auto(SupportCases::Id))
                    .col(big_integer(SupportCases::ShopId))
                    .col(big_integer_null(SupportCases::CustomerId))
                    .col(big_integer_null(SupportCases::OrderId))
                    .col(string_len(SupportCases::Source, 16))
                    .col(string_len(SupportCases::Category, 32))
                    .col(string_len_null(SupportCases::Severity, 16))
                    .col(string_len(SupportCases::Status, 16))
                    .col(string_len_null(SupportCases::CustomerName, 255))
                    .col(string_len_null(SupportCases::CustomerEmail, 255))
                    .col(string_len(SupportCases::Locale, 8))
                    .col(text(SupportCases::Message))
                    .col(timestamp_with_time_zone(SupportCases::OpenedAt))
                    .col(timestamp_with_time_zone(SupportCases::FirstReplyDue))
                    .col(timestamp_with_time_zone(SupportCases::ResolutionDue))
                    .col(timestamp_with_time_zone_null(SupportCases::FirstRepliedAt))
                    .col(timestamp_with_time_zone_null(SupportCases::ResolvedAt))
                    .col(string_len(SupportCases::IdempotencyKey, 255))
                    .col(timestamp_with_time_zone(SupportCases::CreatedAt))
                    .col(timestamp_with_time_zone(SupportCases::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_support_cases_shop",
                        SupportCases::Table,
                        SupportCases::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_support_cases_key")
                    .table(SupportCases::Table)
                    .col(SupportCases::ShopId)
                    .col(SupportCases::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_support_cases_status")
                    .table(SupportCases::Table)
                    .col(SupportCases::ShopId)
                    .col(SupportCases::Status)
                    .col(SupportCases::OpenedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_support_cases_email")
                    .table(SupportCases::Table)
                    .col(SupportCases::ShopId)
                    .col(SupportCases::CustomerEmail)
                    .col(SupportCases::OpenedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportCaseEvents::Table)
                    .col(big_pk_auto(SupportCaseEvents::Id))
                    .col(big_integer(SupportCaseEvents::ShopId))
                    .col(big_integer(SupportCaseEvents::CaseId))
                    .col(string_len(SupportCaseEvents::Kind, 32))
                    .col(string_len(SupportCaseEvents::Actor, 255))
                    .col(text_null(SupportCaseEvents::Body))
                    .col(json(SupportCaseEvents::Data))
                    .col(string_len(SupportCaseEvents::Status, 16))
                    .col(string_len(SupportCaseEvents::IdempotencyKey, 255))
                    .col(timestamp_with_time_zone(SupportCaseEvents::CreatedAt))
                    .col(timestamp_with_time_zone(SupportCaseEvents::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_support_case_events_shop",
                        SupportCaseEvents::Table,
                        SupportCaseEvents::ShopId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_case_events_case")
                            .from_tbl(SupportCaseEvents::Table)
                            .from_col(SupportCaseEvents::CaseId)
                            .to_tbl(SupportCases::Table)
                            .to_col(SupportCases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_support_case_events_key")
                    .table(SupportCaseEvents::Table)
                    .col(SupportCaseEvents::ShopId)
                    .col(SupportCaseEvents::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_support_case_events_case")
                    .table(SupportCaseEvents::Table)
                    .col(SupportCaseEvents::CaseId)
                    .col(SupportCaseEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SupportCaseEvents::Table.into_iden(),
            SupportCases::Table.into_iden(),
            SurveyResponses::Table.into_iden(),
            ShopSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
