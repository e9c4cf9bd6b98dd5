//! Returns: a return request (an RMA) per shopper's ask, the lines and
//! quantities it takes back, every transition of its state machine with who
//! made it, the photos the shopper sent, the portal's order lookups
//! (counted to limit guessing), and the shop's products with their tags
//! (which decide what may go back).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReturnRequests {
    Table,
    Id,
    ShopId,
    Number,
    OrderId,
    CustomerId,
    Email,
    Locale,
    Status,
    Outcome,
    Reason,
    Comment,
    ShopPaysLabel,
    ValueMinor,
    CreditMinor,
    Currency,
    ExchangeVariantId,
    ExchangeVariantTitle,
    RejectionReason,
    Tracking,
    SettledReference,
    LastError,
    CaseId,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum ReturnItems {
    Table,
    Id,
    ShopId,
    ReturnId,
    LineItemId,
    ShopifyLineItemId,
    ProductId,
    VariantId,
    Title,
    VariantTitle,
    Quantity,
    UnitPriceMinor,
    ValueMinor,
}

#[derive(DeriveIden)]
enum ReturnEvents {
    Table,
    Id,
    ShopId,
    ReturnId,
    FromStatus,
    ToStatus,
    Action,
    Actor,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    ShopId,
    ShopifyProductId,
    Title,
    Tags,
    Vendor,
    PlatformUpdatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReturnLookups {
    Table,
    Id,
    ShopId,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReturnPhotos {
    Table,
    Id,
    ShopId,
    ReturnId,
    DisplayKey,
    ThumbKey,
    CreatedAt,
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

fn return_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(col)
        .to_tbl(ReturnRequests::Table)
        .to_col(ReturnRequests::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReturnRequests::Table)
                    .col(big_pk_auto(ReturnRequests::Id))
                    .col(big_integer(ReturnRequests::ShopId))
                    .col(string_len(ReturnRequests::Number, 32))
                    .col(big_integer(ReturnRequests::OrderId))
                    .col(big_integer_null(ReturnRequests::CustomerId))
                    .col(string_len_null(ReturnRequests::Email, 255))
                    .col(string_len(ReturnRequests::Locale, 8))
                    .col(string_len(ReturnRequests::Status, 16))
                    .col(string_len(ReturnRequests::Outcome, 16))
                    .col(string_len(ReturnRequests::Reason, 32))
                    .col(text_null(ReturnRequests::Comment))
                    .col(boolean(ReturnRequests::ShopPaysLabel).default(false))
                    .col(big_integer(ReturnRequests::ValueMinor))
                    .col(big_integer(ReturnRequests::CreditMinor))
                    .col(string_len(ReturnRequests::Currency, 3))
                    .col(big_integer_null(ReturnRequests::ExchangeVariantId))
                    .col(string_len_null(ReturnRequests::ExchangeVariantTitle, 255))
                    .col(text_null(ReturnRequests::RejectionReason))
                    .col(string_len_null(ReturnRequests::Tracking, 255))
                    .col(string_len_null(ReturnRequests::SettledReference, 255))
                    .col(text_null(ReturnRequests::LastError))
                    .col(big_integer_null(ReturnRequests::CaseId))
                    .col(string_len(ReturnRequests::IdempotencyKey, 255))
                    .col(timestamp_with_time_zone(ReturnRequests::CreatedAt))
                    .col(timestamp_with_time_zone(ReturnRequests::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ReturnRequests::SettledAt))
                    .foreign_key(&mut shop_fk(
                        "fk_return_requests_shop",
                        ReturnRequests::Table,
                        ReturnRequests::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_return_requests_number",
                vec![ReturnRequests::ShopId, ReturnRequests::Number],
                true,
            ),
            (
                "ux_return_requests_key",
                vec![ReturnRequests::ShopId, ReturnRequests::IdempotencyKey],
                true,
            ),
            (
                "ix_return_requests_status",
                vec![
                    ReturnRequests::ShopId,
                    ReturnRequests::Status,
                    ReturnRequests::CreatedAt,
                ],
                false,
            ),
            (
                "ix_return_requests_order",
                vec![ReturnRequests::OrderId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ReturnRequests::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ReturnItems::Table)
                    .col(big_pk_auto(ReturnItems::Id))
                    .col(big_integer(ReturnItems::ShopId))
                    .col(big_integer(ReturnItems::ReturnId))
                    .col(big_integer(ReturnItems::LineItemId))
                    .col(big_integer(ReturnItems::ShopifyLineItemId))
                    .col(big_integer_null(ReturnItems::ProductId))
                    .col(big_integer_null(ReturnItems::VariantId))
                    .col(text(ReturnItems::Title))
                    .col(string_len_null(ReturnItems::VariantTitle, 255))
                    .col(integer(ReturnItems::Quantity))
                    .col(big_integer(ReturnItems::UnitPriceMinor))
                    .col(big_integer(ReturnItems::ValueMinor))
                    .foreign_key(&mut shop_fk(
                        "fk_return_items_shop",
                        ReturnItems::Table,
                        ReturnItems::ShopId,
                    ))
                    .foreign_key(&mut return_fk(
                        "fk_return_items_return",
                        ReturnItems::Table,
                        ReturnItems::ReturnId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_items_return")
                    .table(ReturnItems::Table)
                    .col(ReturnItems::ReturnId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_items_line")
                    .table(ReturnItems::Table)
                    .col(ReturnItems::LineItemId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReturnEvents::Table)
                    .col(big_pk_auto(ReturnEvents::Id))
                    .col(big_integer(ReturnEvents::ShopId))
                    .col(big_integer(ReturnEvents::ReturnId))
                    .col(string_len_null(ReturnEvents::FromStatus, 16))
                    .col(string_len(ReturnEvents::ToStatus, 16))
                    .col(string_len(ReturnEvents::Action, 32))
                    .col(string_len(ReturnEvents::Actor, 255))
                    .col(text_null(ReturnEvents::Note))
                    .col(timestamp_with_time_zone(ReturnEvents::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_return_events_shop",
                        ReturnEvents::Table,
                        ReturnEvents::ShopId,
                    ))
                    .foreign_key(&mut return_fk(
                        "fk_return_events_return",
                        ReturnEvents::Table,
                        ReturnEvents::ReturnId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_events_return")
                    .table(ReturnEvents::Table)
                    .col(ReturnEvents::ReturnId)
                    .col(ReturnEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReturnPhotos::Table)
                    .col(big_pk_auto(ReturnPhotos::Id))
                    .col(big_integer(ReturnPhotos::ShopId))
                    .col(big_integer(ReturnPhotos::ReturnId))
                    .col(string_len(ReturnPhotos::DisplayKey, 255))
                    .col(string_len(ReturnPhotos::ThumbKey, 255))
                    .col(timestamp_with_time_zone(ReturnPhotos::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_return_photos_shop",
                        ReturnPhotos::Table,
                        ReturnPhotos::ShopId,
                    ))
                    .foreign_key(&mut return_fk(
                        "fk_return_photos_return",
                        ReturnPhotos::Table,
                        ReturnPhotos::ReturnId,
                    ))
                    .to_owned(),
            )
            .await?;
        // Products as the platform describes them: their tags decide what may go back.
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(big_pk_auto(Products::Id))
                    .col(big_integer(Products::ShopId))
                    .col(big_integer(Products::ShopifyProductId))
                    .col(text(Products::Title).default(""))
                    .col(text(Products::Tags).default(""))
                    .col(string_len_null(Products::Vendor, 255))
                    .col(timestamp_with_time_zone_null(Products::PlatformUpdatedAt))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_products_shop",
                        Products::Table,
                        Products::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_products_shopify_id")
                    .table(Products::Table)
                    .col(Products::ShopId)
                    .col(Products::ShopifyProductId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReturnLookups::Table)
                    .col(big_pk_auto(ReturnLookups::Id))
                    .col(big_integer(ReturnLookups::ShopId))
                    .col(string_len(ReturnLookups::Key, 64))
                    .col(timestamp_with_time_zone(ReturnLookups::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_return_lookups_shop",
                        ReturnLookups::Table,
                        ReturnLookups::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_lookups_key")
                    .table(ReturnLookups::Table)
                    .col(ReturnLookups::ShopId)
                    .col(ReturnLookups::Key)
                    .col(ReturnLookups::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Products::Table.into_iden(),
            ReturnLookups::Table.into_iden(),
            ReturnPhotos::Table.into_iden(),
            ReturnEvents::Table.into_iden(),
            ReturnItems::Table.into_iden(),
            ReturnRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
