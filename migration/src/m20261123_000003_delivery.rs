//! Delivery: each shop's rules (zones, suppliers, holidays, buffer) and the
//! range promised for each order, beside the dates it really shipped and arrived.
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
    Id,
}

#[derive(DeriveIden)]
enum DeliverySettings {
    Table,
    Id,
    ShopId,
    Rules,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeliveryPromises {
    Table,
    Id,
    ShopId,
    OrderId,
    CountryCode,
    Zone,
    Suppliers,
    PromisedEarliest,
    PromisedLatest,
    DispatchBy,
    ShippedAt,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeliverySettings::Table)
                    .col(big_pk_auto(DeliverySettings::Id))
                    .col(big_integer_uniq(DeliverySettings::ShopId))
                    .col(json(DeliverySettings::Rules))
                    .col(timestamp_with_time_zone(DeliverySettings::CreatedAt))
                    .col(timestamp_with_time_zone(DeliverySettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_settings_shop")
                            .from_tbl(DeliverySettings::Table)
                            .from_col(DeliverySettings::ShopId)
                            .to_tbl(Shops::Table)
                            .to_col(Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliveryPromises::Table)
                    .col(big_pk_auto(DeliveryPromises::Id))
                    .col(big_integer(DeliveryPromises::ShopId))
                    .col(big_integer_uniq(DeliveryPromises::OrderId))
                    .col(string_len_null(DeliveryPromises::CountryCode, 2))
                    .col(string_len(DeliveryPromises::Zone, 64))
                    .col(text(DeliveryPromises::Suppliers).default(""))
                    .col(date(DeliveryPromises::PromisedEarliest))
                    .col(date(DeliveryPromises::PromisedLatest))
                    .col(date(DeliveryPromises::DispatchBy))
                    .col(timestamp_with_time_zone_null(DeliveryPromises::ShippedAt))
                    .col(timestamp_with_time_zone_null(DeliveryPromises::DeliveredAt))
                    .col(timestamp_with_time_zone(DeliveryPromises::CreatedAt))
                    .col(timestamp_with_time_zone(DeliveryPromises::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_promises_shop")
                            .from_tbl(DeliveryPromises::Table)
                            .from_col(DeliveryPromises::ShopId)
                            .to_tbl(Shops::Table)
                            .to_col(Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_promises_order")
                            .from_tbl(DeliveryPromises::Table)
                            .from_col(DeliveryPromises::OrderId)
                            .to_tbl(Orders::Table)
                            .to_col(Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_promises_shop")
                    .table(DeliveryPromises::Table)
                    .col(DeliveryPromises::ShopId)
                    .col(DeliveryPromises::PromisedLatest)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeliveryPromises::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DeliverySettings::Table).to_owned())
            .await?;
        Ok(())
    }
}
