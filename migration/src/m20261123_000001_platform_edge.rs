//! The platform edge: shops, install state, customers, orders and what the
//! platform tells us about them, and the webhook ledger that makes deliveries
//! idempotent.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
    Domain,
    Name,
    Email,
    Currency,
    Timezone,
    Locale,
    AccessTokenEncrypted,
    Scopes,
    Settings,
    InstalledAt,
    UninstalledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    Id,
    Nonce,
    ShopDomain,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    ShopId,
    ShopifyCustomerId,
    Email,
    FirstName,
    LastName,
    Phone,
    Locale,
    EmailMarketingConsent,
    Tags,
    PlatformCreatedAt,
    PlatformUpdatedAt,
    RedactedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    ShopId,
    ShopifyOrderId,
    CustomerId,
    ShopifyCustomerId,
    Name,
    Email,
    Currency,
    SubtotalMinor,
    TotalMinor,
    TotalDiscountsMinor,
    FinancialStatus,
    FulfillmentStatus,
    CancelledAt,
    ProcessedAt,
    PlatformCreatedAt,
    PlatformUpdatedAt,
    ShippingName,
    ShippingAddress1,
    ShippingCity,
    ShippingZip,
    ShippingCountryCode,
    BrowserIp,
    SourceName,
    ReferringSite,
    LandingSite,
    CustomerLocale,
    Tags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLineItems {
    Table,
    Id,
    ShopId,
    OrderId,
    ShopifyLineItemId,
    ProductId,
    VariantId,
    Title,
    VariantTitle,
    Vendor,
    Sku,
    Quantity,
    PriceMinor,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    ShopId,
    OrderId,
    ShopifyRefundId,
    ShopifyOrderId,
    AmountMinor,
    Currency,
    Note,
    PlatformCreatedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Fulfillments {
    Table,
    Id,
    ShopId,
    OrderId,
    ShopifyFulfillmentId,
    ShopifyOrderId,
    Status,
    ShipmentStatus,
    TrackingCompany,
    TrackingNumber,
    PlatformCreatedAt,
    PlatformUpdatedAt,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    ShopDomain,
    WebhookId,
    Topic,
    EventId,
    TriggeredAt,
    ReceivedAt,
    ProcessedAt,
    Status,
}

#[derive(DeriveIden)]
enum PrivacyExports {
    Table,
    Id,
    ShopId,
    ShopifyCustomerId,
    DataRequestId,
    Payload,
    CreatedAt,
}

fn shop_fk(table: impl IntoIden + 'static, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("shop_id"))
        .to_tbl(Shops::Table)
        .to_col(Shops::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn index<T: IntoIden + 'static, C: IntoIden>(
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

fn unique_index<T: IntoIden + 'static, C: IntoIden>(
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, columns).unique().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shops::Table)
                    .col(big_pk_auto(Shops::Id))
                    .col(string_uniq(Shops::Domain))
                    .col(string_null(Shops::Name))
                    .col(string_null(Shops::Email))
                    .col(string_len(Shops::Currency, 3).default("USD"))
                    .col(string(Shops::Timezone).default("UTC"))
                    .col(string_len(Shops::Locale, 8).default("en"))
                    .col(binary_null(Shops::AccessTokenEncrypted))
                    .col(text(Shops::Scopes).default(""))
                    .col(json(Shops::Settings))
                    .col(timestamp_with_time_zone_null(Shops::InstalledAt))
                    .col(timestamp_with_time_zone_null(Shops::UninstalledAt))
                    .col(timestamp_with_time_zone(Shops::CreatedAt))
                    .col(timestamp_with_time_zone(Shops::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OauthStates::Table)
                    .col(big_pk_auto(OauthStates::Id))
                    .col(string_uniq(OauthStates::Nonce))
                    .col(string(OauthStates::ShopDomain))
                    .col(timestamp_with_time_zone(OauthStates::CreatedAt))
                    .col(timestamp_with_time_zone(OauthStates::ExpiresAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(big_pk_auto(Customers::Id))
                    .col(big_integer(Customers::ShopId))
                    .col(big_integer(Customers::ShopifyCustomerId))
                    .col(string_null(Customers::Email))
                    .col(string_null(Customers::FirstName))
                    .col(string_null(Customers::LastName))
                    .col(string_null(Customers::Phone))
                    .col(string_len_null(Customers::Locale, 8))
                    .col(string(Customers::EmailMarketingConsent).default("not_subscribed"))
                    .col(text(Customers::Tags).default(""))
                    .col(timestamp_with_time_zone_null(Customers::PlatformCreatedAt))
                    .col(timestamp_with_time_zone_null(Customers::PlatformUpdatedAt))
                    .col(timestamp_with_time_zone_null(Customers::RedactedAt))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .foreign_key(&mut shop_fk(Customers::Table, "fk_customers_shop"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_customers_shop_customer",
                Customers::Table,
                [Customers::ShopId, Customers::ShopifyCustomerId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(big_integer(Orders::ShopId))
                    .col(big_integer(Orders::ShopifyOrderId))
                    .col(big_integer_null(Orders::CustomerId))
                    .col(big_integer_null(Orders::ShopifyCustomerId))
                    .col(string(Orders::Name).default(""))
                    .col(string_null(Orders::Email))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::SubtotalMinor))
                    .col(big_integer(Orders::TotalMinor))
                    .col(big_integer(Orders::TotalDiscountsMinor))
                    .col(string(Orders::FinancialStatus).default("pending"))
                    .col(string_null(Orders::FulfillmentStatus))
                    .col(timestamp_with_time_zone_null(Orders::CancelledAt))
                    .col(timestamp_with_time_zone_null(Orders::ProcessedAt))
                    .col(timestamp_with_time_zone_null(Orders::PlatformCreatedAt))
                    .col(timestamp_with_time_zone_null(Orders::PlatformUpdatedAt))
                    .col(string_null(Orders::ShippingName))
                    .col(string_null(Orders::ShippingAddress1))
                    .col(string_null(Orders::ShippingCity))
                    .col(string_null(Orders::ShippingZip))
                    .col(string_len_null(Orders::ShippingCountryCode, 2))
                    .col(string_null(Orders::BrowserIp))
                    .col(string_null(Orders::SourceName))
                    .col(text_null(Orders::ReferringSite))
                    .col(text_null(Orders::LandingSite))
                    .col(string_len_null(Orders::CustomerLocale, 8))
                    .col(text(Orders::Tags).default(""))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut shop_fk(Orders::Table, "fk_orders_shop"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_customer")
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_orders_shop_order",
                Orders::Table,
                [Orders::ShopId, Orders::ShopifyOrderId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_orders_customer",
                Orders::Table,
                [Orders::CustomerId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderLineItems::Table)
                    .col(big_pk_auto(OrderLineItems::Id))
                    .col(big_integer(OrderLineItems::ShopId))
                    .col(big_integer(OrderLineItems::OrderId))
                    .col(big_integer(OrderLineItems::ShopifyLineItemId))
                    .col(big_integer_null(OrderLineItems::ProductId))
                    .col(big_integer_null(OrderLineItems::VariantId))
                    .col(string(OrderLineItems::Title).default(""))
                    .col(string_null(OrderLineItems::VariantTitle))
                    .col(string_null(OrderLineItems::Vendor))
                    .col(string_null(OrderLineItems::Sku))
                    .col(integer(OrderLineItems::Quantity))
                    .col(big_integer(OrderLineItems::PriceMinor))
                    .foreign_key(&mut shop_fk(OrderLineItems::Table, "fk_line_items_shop"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_line_items_order")
                            .from(OrderLineItems::Table, OrderLineItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_line_items_order_line",
                OrderLineItems::Table,
                [OrderLineItems::OrderId, OrderLineItems::ShopifyLineItemId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(big_integer(Refunds::ShopId))
                    .col(big_integer_null(Refunds::OrderId))
                    .col(big_integer(Refunds::ShopifyRefundId))
                    .col(big_integer(Refunds::ShopifyOrderId))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(string_len(Refunds::Currency, 3))
                    .col(text_null(Refunds::Note))
                    .col(timestamp_with_time_zone_null(Refunds::PlatformCreatedAt))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .foreign_key(&mut shop_fk(Refunds::Table, "fk_refunds_shop"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refunds_order")
                            .from(Refunds::Table, Refunds::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_refunds_shop_refund",
                Refunds::Table,
                [Refunds::ShopId, Refunds::ShopifyRefundId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Fulfillments::Table)
                    .col(big_pk_auto(Fulfillments::Id))
                    .col(big_integer(Fulfillments::ShopId))
                    .col(big_integer_null(Fulfillments::OrderId))
                    .col(big_integer(Fulfillments::ShopifyFulfillmentId))
                    .col(big_integer(Fulfillments::ShopifyOrderId))
                    .col(string_null(Fulfillments::Status))
                    .col(string_null(Fulfillments::ShipmentStatus))
                    .col(string_null(Fulfillments::TrackingCompany))
                    .col(string_null(Fulfillments::TrackingNumber))
                    .col(timestamp_with_time_zone_null(
                        Fulfillments::PlatformCreatedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        Fulfillments::PlatformUpdatedAt,
                    ))
                    .col(timestamp_with_time_zone_null(Fulfillments::DeliveredAt))
                    .col(timestamp_with_time_zone(Fulfillments::CreatedAt))
                    .col(timestamp_with_time_zone(Fulfillments::UpdatedAt))
                    .foreign_key(&mut shop_fk(Fulfillments::Table, "fk_fulfillments_shop"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fulfillments_order")
                            .from(Fulfillments::Table, Fulfillments::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_fulfillments_shop_fulfillment",
                Fulfillments::Table,
                [Fulfillments::ShopId, Fulfillments::ShopifyFulfillmentId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(string(WebhookEvents::ShopDomain))
                    .col(string_uniq(WebhookEvents::WebhookId))
                    .col(string(WebhookEvents::Topic))
                    .col(string_null(WebhookEvents::EventId))
                    .col(timestamp_with_time_zone_null(WebhookEvents::TriggeredAt))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .col(string(WebhookEvents::Status))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_events_shop",
                WebhookEvents::Table,
                [WebhookEvents::ShopDomain],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PrivacyExports::Table)
                    .col(big_pk_auto(PrivacyExports::Id))
                    .col(big_integer(PrivacyExports::ShopId))
                    .col(big_integer(PrivacyExports::ShopifyCustomerId))
                    .col(big_integer_null(PrivacyExports::DataRequestId))
                    .col(json(PrivacyExports::Payload))
                    .col(timestamp_with_time_zone(PrivacyExports::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        PrivacyExports::Table,
                        "fk_privacy_exports_shop",
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PrivacyExports::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            Fulfillments::Table.into_iden(),
            Refunds::Table.into_iden(),
            OrderLineItems::Table.into_iden(),
            Orders::Table.into_iden(),
            Customers::Table.into_iden(),
            OauthStates::Table.into_iden(),
            Shops::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
