use sea_orm::entity::prelude::*;

/// A product's published-review summary, and whether the platform's metafield
/// has caught up with it (`synced_version` < `version` means a write is due).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub shopify_product_id: i64,
    pub summary: Json,
    pub version: i64,
    pub synced_version: i64,
    pub sync_attempts: i32,
    pub last_error: Option<String>,
    pub synced_at: Option<DateTimeUtc>,
    /// A worker writing the metafield holds the row until then.
    pub lease_until: Option<DateTimeUtc>,
    /// After a failed write, not before then (exponential backoff).
    pub next_attempt_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
