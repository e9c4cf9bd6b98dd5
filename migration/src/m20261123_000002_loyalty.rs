//! Loyalty: the program's rules per shop, members, the append-only points
//! ledger, the rewards catalogue and redemptions, tier changes (mirrored to
//! the platform as customer tags), referrals, and the outbox of loyalty
//! events the emails read. Orders also keep the discount codes they used.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    DiscountCodes,
}

#[derive(DeriveIden)]
enum LoyaltyPrograms {
    Table,
    Id,
    ShopId,
    Enabled,
    Rules,
    LaunchedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyMembers {
    Table,
    Id,
    ShopId,
    CustomerId,
    ReferralCode,
    Tier,
    TierChangedAt,
    EnrolledAt,
    EnrolledVia,
    BirthdayMonth,
    BirthdayDay,
    LastActivityAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    ShopId,
    CustomerId,
    Delta,
    DebtDelta,
    Reason,
    SourceRef,
    IdempotencyKey,
    Note,
    Actor,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoyaltyRewards {
    Table,
    Id,
    ShopId,
    Name,
    Kind,
    Value,
    PointsCost,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyRedemptions {
    Table,
    Id,
    ShopId,
    CustomerId,
    RewardId,
    RewardName,
    Kind,
    Value,
    PointsCost,
    Code,
    Status,
    DiscountGid,
    LastError,
    Attempts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyTierChanges {
    Table,
    Id,
    ShopId,
    CustomerId,
    FromTier,
    ToTier,
    Reason,
    CreatedAt,
    MirroredAt,
    MirrorAttempts,
    MirrorError,
}

#[derive(DeriveIden)]
enum LoyaltyReferrals {
    Table,
    Id,
    ShopId,
    ReferrerCustomerId,
    RefereeCustomerId,
    RefereeEmail,
    Code,
    WelcomeCode,
    WelcomeDiscountGid,
    OrderId,
    Status,
    RefusalReason,
    QualifiedAt,
    RewardDueAt,
    RewardedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyEvents {
    Table,
    Id,
    ShopId,
    CustomerId,
    Kind,
    Payload,
    IdempotencyKey,
    CreatedAt,
    HandledAt,
}

fn fk(
    name: &str,
    from: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_column: impl IntoIden + 'static,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(from)
        .from_col(column)
        .to_tbl(to)
        .to_col(to_column)
        .on_delete(on_delete)
        .take()
}

fn shop_fk(name: &str, table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    fk(
        name,
        table,
        Alias::new("shop_id"),
        Shops::Table,
        Shops::Id,
        ForeignKeyAction::Cascade,
    )
}

fn customer_fk(
    name: &str,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    fk(
        name,
        table,
        column,
        Customers::Table,
        Customers::Id,
        ForeignKeyAction::Cascade,
    )
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(text(Orders::DiscountCodes).default(""))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyPrograms::Table)
                    .col(big_pk_auto(LoyaltyPrograms::Id))
                    .col(big_integer_uniq(LoyaltyPrograms::ShopId))
                    .col(boolean(LoyaltyPrograms::Enabled).default(true))
                    .col(json(LoyaltyPrograms::Rules))
                    .col(timestamp_with_time_zone_null(LoyaltyPrograms::LaunchedAt))
                    .col(timestamp_with_time_zone(LoyaltyPrograms::CreatedAt))
                    .col(timestamp_with_time_zone(LoyaltyPrograms::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_programs_shop",
                        LoyaltyPrograms::Table,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyMembers::Table)
                    .col(big_pk_auto(LoyaltyMembers::Id))
                    .col(big_integer(LoyaltyMembers::ShopId))
                    .col(big_integer_uniq(LoyaltyMembers::CustomerId))
                    .col(string_len(LoyaltyMembers::ReferralCode, 32))
                    .col(string_len(LoyaltyMembers::Tier, 32))
                    .col(timestamp_with_time_zone_null(LoyaltyMembers::TierChangedAt))
                    .col(timestamp_with_time_zone(LoyaltyMembers::EnrolledAt))
                    .col(string_len(LoyaltyMembers::EnrolledVia, 32))
                    .col(small_integer_null(LoyaltyMembers::BirthdayMonth))
                    .col(small_integer_null(LoyaltyMembers::BirthdayDay))
                    .col(timestamp_with_time_zone(LoyaltyMembers::LastActivityAt))
                    .col(timestamp_with_time_zone(LoyaltyMembers::CreatedAt))
                    .col(timestamp_with_time_zone(LoyaltyMembers::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_members_shop",
                        LoyaltyMembers::Table,
                    ))
                    .foreign_key(&mut customer_fk(
                        "fk_loyalty_members_customer",
                        LoyaltyMembers::Table,
                        LoyaltyMembers::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_loyalty_members_code",
                LoyaltyMembers::Table,
                &["shop_id", "referral_code"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_loyalty_members_tier",
                LoyaltyMembers::Table,
                &["shop_id", "tier"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsLedger::Table)
                    .col(big_pk_auto(PointsLedger::Id))
                    .col(big_integer(PointsLedger::ShopId))
                    .col(big_integer(PointsLedger::CustomerId))
                    .col(big_integer(PointsLedger::Delta))
                    .col(big_integer(PointsLedger::DebtDelta).default(0))
                    .col(string_len(PointsLedger::Reason, 32))
                    .col(string_null(PointsLedger::SourceRef))
                    .col(string(PointsLedger::IdempotencyKey))
                    .col(text_null(PointsLedger::Note))
                    .col(string_null(PointsLedger::Actor))
                    .col(timestamp_with_time_zone(PointsLedger::CreatedAt))
                    .col(timestamp_with_time_zone_null(PointsLedger::ExpiresAt))
                    .foreign_key(&mut shop_fk("fk_points_ledger_shop", PointsLedger::Table))
                    .foreign_key(&mut customer_fk(
                        "fk_points_ledger_customer",
                        PointsLedger::Table,
                        PointsLedger::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_points_ledger_key",
                PointsLedger::Table,
                &["shop_id", "idempotency_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_points_ledger_customer",
                PointsLedger::Table,
                &["customer_id", "reason"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_points_ledger_source",
                PointsLedger::Table,
                &["shop_id", "source_ref"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyRewards::Table)
                    .col(big_pk_auto(LoyaltyRewards::Id))
                    .col(big_integer(LoyaltyRewards::ShopId))
                    .col(string(LoyaltyRewards::Name))
                    .col(string_len(LoyaltyRewards::Kind, 32))
                    .col(big_integer(LoyaltyRewards::Value))
                    .col(big_integer(LoyaltyRewards::PointsCost))
                    .col(boolean(LoyaltyRewards::Active).default(true))
                    .col(timestamp_with_time_zone(LoyaltyRewards::CreatedAt))
                    .col(timestamp_with_time_zone(LoyaltyRewards::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_rewards_shop",
                        LoyaltyRewards::Table,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyRedemptions::Table)
                    .col(big_pk_auto(LoyaltyRedemptions::Id))
                    .col(big_integer(LoyaltyRedemptions::ShopId))
                    .col(big_integer(LoyaltyRedemptions::CustomerId))
                    .col(big_integer_null(LoyaltyRedemptions::RewardId))
                    .col(string(LoyaltyRedemptions::RewardName))
                    .col(string_len(LoyaltyRedemptions::Kind, 32))
                    .col(big_integer(LoyaltyRedemptions::Value))
                    .col(big_integer(LoyaltyRedemptions::PointsCost))
                    .col(string_len(LoyaltyRedemptions::Code, 64))
                    .col(string_len(LoyaltyRedemptions::Status, 16))
                    .col(string_null(LoyaltyRedemptions::DiscountGid))
                    .col(text_null(LoyaltyRedemptions::LastError))
                    .col(integer(LoyaltyRedemptions::Attempts).default(0))
                    .col(timestamp_with_time_zone(LoyaltyRedemptions::CreatedAt))
                    .col(timestamp_with_time_zone(LoyaltyRedemptions::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_redemptions_shop",
                        LoyaltyRedemptions::Table,
                    ))
                    .foreign_key(&mut customer_fk(
                        "fk_loyalty_redemptions_customer",
                        LoyaltyRedemptions::Table,
                        LoyaltyRedemptions::CustomerId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_loyalty_redemptions_reward",
                        LoyaltyRedemptions::Table,
                        LoyaltyRedemptions::RewardId,
                        LoyaltyRewards::Table,
                        LoyaltyRewards::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_loyalty_redemptions_code",
                LoyaltyRedemptions::Table,
                &["shop_id", "code"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_loyalty_redemptions_status",
                LoyaltyRedemptions::Table,
                &["status", "updated_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyTierChanges::Table)
                    .col(big_pk_auto(LoyaltyTierChanges::Id))
                    .col(big_integer(LoyaltyTierChanges::ShopId))
                    .col(big_integer(LoyaltyTierChanges::CustomerId))
                    .col(string_len_null(LoyaltyTierChanges::FromTier, 32))
                    .col(string_len(LoyaltyTierChanges::ToTier, 32))
                    .col(string_len(LoyaltyTierChanges::Reason, 64))
                    .col(timestamp_with_time_zone(LoyaltyTierChanges::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        LoyaltyTierChanges::MirroredAt,
                    ))
                    .col(integer(LoyaltyTierChanges::MirrorAttempts).default(0))
                    .col(text_null(LoyaltyTierChanges::MirrorError))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_tier_changes_shop",
                        LoyaltyTierChanges::Table,
                    ))
                    .foreign_key(&mut customer_fk(
                        "fk_loyalty_tier_changes_customer",
                        LoyaltyTierChanges::Table,
                        LoyaltyTierChanges::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_loyalty_tier_changes_pending",
                LoyaltyTierChanges::Table,
                &["mirrored_at", "shop_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyReferrals::Table)
                    .col(big_pk_auto(LoyaltyReferrals::Id))
                    .col(big_integer(LoyaltyReferrals::ShopId))
                    .col(big_integer(LoyaltyReferrals::ReferrerCustomerId))
                    .col(big_integer_null(LoyaltyReferrals::RefereeCustomerId))
                    .col(string_null(LoyaltyReferrals::RefereeEmail))
                    .col(string_len(LoyaltyReferrals::Code, 32))
                    .col(string_len_null(LoyaltyReferrals::WelcomeCode, 64))
                    .col(string_null(LoyaltyReferrals::WelcomeDiscountGid))
                    .col(big_integer_null(LoyaltyReferrals::OrderId))
                    .col(string_len(LoyaltyReferrals::Status, 16))
                    .col(string_len_null(LoyaltyReferrals::RefusalReason, 32))
                    .col(timestamp_with_time_zone_null(LoyaltyReferrals::QualifiedAt))
                    .col(timestamp_with_time_zone_null(LoyaltyReferrals::RewardDueAt))
                    .col(timestamp_with_time_zone_null(LoyaltyReferrals::RewardedAt))
                    .col(timestamp_with_time_zone(LoyaltyReferrals::CreatedAt))
                    .col(timestamp_with_time_zone(LoyaltyReferrals::UpdatedAt))
                    .foreign_key(&mut shop_fk(
                        "fk_loyalty_referrals_shop",
                        LoyaltyReferrals::Table,
                    ))
                    .foreign_key(&mut customer_fk(
                        "fk_loyalty_referrals_referrer",
                        LoyaltyReferrals::Table,
                        LoyaltyReferrals::ReferrerCustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_loyalty_referrals_order",
                LoyaltyReferrals::Table,
                &["shop_id", "order_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_loyalty_referrals_email",
                LoyaltyReferrals::Table,
                &["shop_id", "referee_email"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_loyalty_referrals_due",
                LoyaltyReferrals::Table,
                &["status", "reward_due_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyEvents::Table)
                    .col(big_pk_auto(LoyaltyEvents::Id))
                    .col(big_integer(LoyaltyEvents::ShopId))
                    .col(big_integer_null(LoyaltyEvents::CustomerId))
                    .col(string_len(LoyaltyEvents::Kind, 32))
                    .col(json(LoyaltyEvents::Payload))
                    .col(string(LoyaltyEvents::IdempotencyKey))
                    .col(timestamp_with_time_zone(LoyaltyEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(LoyaltyEvents::HandledAt))
                    .foreign_key(&mut shop_fk("fk_loyalty_events_shop", LoyaltyEvents::Table))
                    .foreign_key(&mut customer_fk(
                        "fk_loyalty_events_customer",
                        LoyaltyEvents::Table,
                        LoyaltyEvents::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_loyalty_events_key",
                LoyaltyEvents::Table,
                &["shop_id", "idempotency_key"],
                true,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoyaltyEvents::Table.into_iden(),
            LoyaltyReferrals::Table.into_iden(),
            LoyaltyTierChanges::Table.into_iden(),
            LoyaltyRedemptions::Table.into_iden(),
            LoyaltyRewards::Table.into_iden(),
            PointsLedger::Table.into_iden(),
            LoyaltyMembers::Table.into_iden(),
            LoyaltyPrograms::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::DiscountCodes)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
