//! Reviews: what shoppers wrote (with photos and helpful votes), each shop's
//! moderation policy, the per-product summary the storefront metafield is
//! written from, and photo files waiting to be deleted from the media store.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReviewSettings {
    Table,
    Id,
    ShopId,
    Policy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ShopId,
    ShopifyProductId,
    ShopifyVariantId,
    ProductTitle,
    CustomerId,
    OrderId,
    Rating,
    Title,
    Body,
    AuthorName,
    Email,
    Locale,
    Verified,
    VerifiedKey,
    Status,
    HoldReasons,
    Featured,
    HelpfulVotes,
    PhotoCount,
    Reply,
    RepliedAt,
    IpHash,
    ModeratedBy,
    ModeratedAt,
    RejectReason,
    PointsCredited,
    CreatedAt,
    PublishedAt,
    UpdatedAt,
    RedactedAt,
}

#[derive(DeriveIden)]
enum ReviewPhotos {
    Table,
    Id,
    ShopId,
    ReviewId,
    Position,
    DisplayKey,
    ThumbKey,
    Width,
    Height,
    ThumbWidth,
    ThumbHeight,
    Bytes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReviewVotes {
    Table,
    Id,
    ShopId,
    ReviewId,
    Voter,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReviewProducts {
    Table,
    Id,
    ShopId,
    ShopifyProductId,
    Summary,
    Version,
    SyncedVersion,
    SyncAttempts,
    LastError,
    SyncedAt,
    LeaseUntil,
    NextAttemptAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediaTrash {
    Table,
    Id,
    ShopId,
    Key,
    Attempts,
    NotBefore,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewSettings::Table)
                    .col(big_pk_auto(ReviewSettings::Id))
                    .col(big_integer_uniq(ReviewSettings::ShopId))
                    .col(json(ReviewSettings::Policy))
                    .col(timestamp_with_time_zone(ReviewSettings::CreatedAt))
                    .col(timestamp_with_time_zone(ReviewSettings::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_review_settings_shop",
                        ReviewSettings::Table,
                        ReviewSettings::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(big_pk_auto(Reviews::Id))
                    .col(big_integer(Reviews::ShopId))
                    .col(big_integer(Reviews::ShopifyProductId))
                    .col(big_integer_null(Reviews::ShopifyVariantId))
                    .col(text(Reviews::ProductTitle).default(""))
                    .col(big_integer_null(Reviews::CustomerId))
                    .col(big_integer_null(Reviews::OrderId))
                    .col(small_integer(Reviews::Rating))
                    .col(text(Reviews::Title).default(""))
                    .col(text(Reviews::Body))
                    .col(string_len_null(Reviews::AuthorName, 80))
                    .col(string_len_null(Reviews::Email, 255))
                    .col(string_len(Reviews::Locale, 8))
                    .col(boolean(Reviews::Verified).default(false))
                    .col(string_len_null(Reviews::VerifiedKey, 64))
                    .col(string_len(Reviews::Status, 16))
                    .col(text(Reviews::HoldReasons).default(""))
                    .col(boolean(Reviews::Featured).default(false))
                    .col(integer(Reviews::HelpfulVotes).default(0))
                    .col(integer(Reviews::PhotoCount).default(0))
                    .col(text_null(Reviews::Reply))
                    .col(timestamp_with_time_zone_null(Reviews::RepliedAt))
                    .col(string_len_null(Reviews::IpHash, 64))
                    .col(string_len_null(Reviews::ModeratedBy, 255))
                    .col(timestamp_with_time_zone_null(Reviews::ModeratedAt))
                    .col(text_null(Reviews::RejectReason))
                    .col(boolean(Reviews::PointsCredited).default(false))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .col(timestamp_with_time_zone_null(Reviews::PublishedAt))
                    .col(timestamp_with_time_zone(Reviews::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Reviews::RedactedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_reviews_shop",
                        Reviews::Table,
                        Reviews::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            // The storefront's sorts over one product's published reviews, in the exact
            // order they are listed (featured first, ties by id), so no page needs a sort.
            Index::create()
                .name("ix_reviews_product_newest")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::ShopifyProductId)
                .col(Reviews::Status)
                .col(Reviews::Featured)
                .col(Reviews::PublishedAt)
                .col(Reviews::Id)
                .to_owned(),
            Index::create()
                .name("ix_reviews_product_helpful")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::ShopifyProductId)
                .col(Reviews::Status)
                .col(Reviews::Featured)
                .col(Reviews::HelpfulVotes)
                .col(Reviews::PublishedAt)
                .col(Reviews::Id)
                .to_owned(),
            // The admin queue, by status.
            Index::create()
                .name("ix_reviews_queue")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::Status)
                .col(Reviews::CreatedAt)
                .to_owned(),
            // Rate limits and privacy requests.
            Index::create()
                .name("ix_reviews_ip")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::IpHash)
                .col(Reviews::CreatedAt)
                .to_owned(),
            Index::create()
                .name("ix_reviews_customer")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::CustomerId)
                .col(Reviews::CreatedAt)
                .to_owned(),
            // One review per product of an order: a verified link cannot be
            // replayed (the key outlives the order link a redaction removes).
            Index::create()
                .name("ux_reviews_verified")
                .table(Reviews::Table)
                .col(Reviews::ShopId)
                .col(Reviews::VerifiedKey)
                .unique()
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ReviewPhotos::Table)
                    .col(big_pk_auto(ReviewPhotos::Id))
                    .col(big_integer(ReviewPhotos::ShopId))
                    .col(big_integer(ReviewPhotos::ReviewId))
                    .col(small_integer(ReviewPhotos::Position))
                    .col(string_len(ReviewPhotos::DisplayKey, 255))
                    .col(string_len(ReviewPhotos::ThumbKey, 255))
                    .col(integer(ReviewPhotos::Width))
                    .col(integer(ReviewPhotos::Height))
                    .col(integer(ReviewPhotos::ThumbWidth))
                    .col(integer(ReviewPhotos::ThumbHeight))
                    .col(big_integer(ReviewPhotos::Bytes))
                    .col(timestamp_with_time_zone(ReviewPhotos::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_review_photos_shop",
                        ReviewPhotos::Table,
                        ReviewPhotos::ShopId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_photos_review")
                            .from_tbl(ReviewPhotos::Table)
                            .from_col(ReviewPhotos::ReviewId)
                            .to_tbl(Reviews::Table)
                            .to_col(Reviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The media route finds a photo's review by either of its keys.
        for (name, col) in [
            ("ix_review_photos_display_key", ReviewPhotos::DisplayKey),
            ("ix_review_photos_thumb_key", ReviewPhotos::ThumbKey),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ReviewPhotos::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_review_photos_review")
                    .table(ReviewPhotos::Table)
                    .col(ReviewPhotos::ReviewId)
                    .col(ReviewPhotos::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewVotes::Table)
                    .col(big_pk_auto(ReviewVotes::Id))
                    .col(big_integer(ReviewVotes::ShopId))
                    .col(big_integer(ReviewVotes::ReviewId))
                    .col(string_len(ReviewVotes::Voter, 64))
                    .col(timestamp_with_time_zone(ReviewVotes::CreatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_review_votes_shop",
                        ReviewVotes::Table,
                        ReviewVotes::ShopId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_votes_review")
                            .from_tbl(ReviewVotes::Table)
                            .from_col(ReviewVotes::ReviewId)
                            .to_tbl(Reviews::Table)
                            .to_col(Reviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_review_votes_voter")
                    .table(ReviewVotes::Table)
                    .col(ReviewVotes::ReviewId)
                    .col(ReviewVotes::Voter)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewProducts::Table)
                    .col(big_pk_auto(ReviewProducts::Id))
                    .col(big_integer(ReviewProducts::ShopId))
                    .col(big_integer(ReviewProducts::ShopifyProductId))
                    .col(json(ReviewProducts::Summary))
                    .col(big_integer(ReviewProducts::Version).default(0))
                    .col(big_integer(ReviewProducts::SyncedVersion).default(0))
                    .col(integer(ReviewProducts::SyncAttempts).default(0))
                    .col(text_null(ReviewProducts::LastError))
                    .col(timestamp_with_time_zone_null(ReviewProducts::SyncedAt))
                    .col(timestamp_with_time_zone_null(ReviewProducts::LeaseUntil))
                    .col(timestamp_with_time_zone_null(ReviewProducts::NextAttemptAt))
                    .col(timestamp_with_time_zone(ReviewProducts::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_review_products_shop",
                        ReviewProducts::Table,
                        ReviewProducts::ShopId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_review_products_product")
                    .table(ReviewProducts::Table)
                    .col(ReviewProducts::ShopId)
                    .col(ReviewProducts::ShopifyProductId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // No foreign key: a shop's files outlive its rows until they are deleted.
        manager
            .create_table(
                Table::create()
                    .table(MediaTrash::Table)
                    .col(big_pk_auto(MediaTrash::Id))
                    .col(big_integer(MediaTrash::ShopId))
                    .col(string_len_uniq(MediaTrash::Key, 255))
                    .col(integer(MediaTrash::Attempts).default(0))
                    .col(timestamp_with_time_zone(MediaTrash::NotBefore))
                    .col(timestamp_with_time_zone(MediaTrash::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MediaTrash::Table.into_iden(),
            ReviewProducts::Table.into_iden(),
            ReviewVotes::Table.into_iden(),
            ReviewPhotos::Table.into_iden(),
            Reviews::Table.into_iden(),
            ReviewSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
