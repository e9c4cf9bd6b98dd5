use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub order_id: Option<i64>,
    pub shopify_refund_id: i64,
    pub shopify_order_id: i64,
    /// Money returned to the shopper, in minor units of `currency`.
    pub amount_minor: i64,
    pub currency: String,
    pub note: Option<String>,
    pub platform_created_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
