use sea_orm::entity::prelude::*;

/// A product as the platform last described it (`products/create|update`):
/// its tags decide, with the return policy, whether it may go back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub shopify_product_id: i64,
    pub title: String,
    /// Comma-separated, as the platform sends them.
    pub tags: String,
    pub vendor: Option<String>,
    pub platform_updated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
