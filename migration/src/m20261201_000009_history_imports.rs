//! History imports (a Bulk Operations result or a file), with their progress;
//! the index the retention dashboard reads orders through (a shop's orders in
//! customer order, oldest first); and the lookups of refunds and fulfillments
//! by their order, which imports and webhooks make for every order.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    ShopId,
    CustomerId,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    ShopId,
    ShopifyOrderId,
    OrderId,
}

#[derive(DeriveIden)]
enum Fulfillments {
    Table,
    ShopId,
    ShopifyOrderId,
    OrderId,
}

#[derive(DeriveIden)]
enum HistoryImports {
    Table,
    Id,
    ShopId,
    Source,
    Stage,
    Status,
    BulkOperationId,
    ObjectCount,
    LinesDone,
    Customers,
    Orders,
    LineItems,
    Error,
    StartedAt,
    UpdatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HistoryImports::Table)
                    .col(big_pk_auto(HistoryImports::Id))
                    .col(big_integer(HistoryImports::ShopId))
                    .col(string_len(HistoryImports::Source, 16))
                    .col(string_len(HistoryImports::Stage, 16))
                    .col(string_len(HistoryImports::Status, 16))
                    .col(string_len_null(HistoryImports::BulkOperationId, 128))
                    .col(big_integer(HistoryImports::ObjectCount).default(0))
                    .col(big_integer(HistoryImports::LinesDone).default(0))
                    .col(big_integer(HistoryImports::Customers).default(0))
                    .col(big_integer(HistoryImports::Orders).default(0))
                    .col(big_integer(HistoryImports::LineItems).default(0))
                    .col(text_null(HistoryImports::Error))
                    .col(timestamp_with_time_zone(HistoryImports::StartedAt))
                    .col(timestamp_with_time_zone(HistoryImports::UpdatedAt))
                    .col(timestamp_with_time_zone_null(HistoryImports::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_history_imports_shop")
                            .from_tbl(HistoryImports::Table)
                            .from_col(HistoryImports::ShopId)
                            .to_tbl(Shops::Table)
                            .to_col(Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_history_imports_shop")
                    .table(HistoryImports::Table)
                    .col(HistoryImports::ShopId)
                    .col(HistoryImports::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_shop_customer_processed")
                    .table(Orders::Table)
                    .col(Orders::ShopId)
                    .col(Orders::CustomerId)
                    .col(Orders::ProcessedAt)
                    .to_owned(),
            )
            .await?;
        for (name, table, by_order, platform) in [
            (
                "refunds",
                Refunds::Table.into_iden(),
                Refunds::OrderId.into_iden(),
                [
                    Refunds::ShopId.into_iden(),
                    Refunds::ShopifyOrderId.into_iden(),
                ],
            ),
            (
                "fulfillments",
                Fulfillments::Table.into_iden(),
                Fulfillments::OrderId.into_iden(),
                [
                    Fulfillments::ShopId.into_iden(),
                    Fulfillments::ShopifyOrderId.into_iden(),
                ],
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{name}_order"))
                        .table(table.clone())
                        .col(by_order)
                        .to_owned(),
                )
                .await?;
            let [shop, order] = platform;
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{name}_shop_platform_order"))
                        .table(table)
                        .col(shop)
                        .col(order)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("refunds", Refunds::Table.into_iden()),
            ("fulfillments", Fulfillments::Table.into_iden()),
        ] {
            for index in ["order", "shop_platform_order"] {
                manager
                    .drop_index(
                        Index::drop()
                            .name(format!("ix_{name}_{index}"))
                            .table(table.clone())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_orders_shop_customer_processed")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(HistoryImports::Table).to_owned())
            .await?;
        Ok(())
    }
}
