use sea_orm::entity::prelude::*;

/// A member moving between tiers; `mirrored_at` is set once the platform carries the tier as a customer tag.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_tier_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub from_tier: Option<String>,
    pub to_tier: String,
    pub reason: String,
    pub created_at: DateTimeUtc,
    pub mirrored_at: Option<DateTimeUtc>,
    pub mirror_attempts: i32,
    pub mirror_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
