use sea_orm::entity::prelude::*;

/// One platform delivery, keyed by `X-Shopify-Webhook-Id` so a retry is recognised.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_domain: String,
    #[sea_orm(unique)]
    pub webhook_id: String,
    pub topic: String,
    pub event_id: Option<String>,
    pub triggered_at: Option<DateTimeUtc>,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    /// `processed` or `ignored` (unknown topic, unknown shop).
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
