use sea_orm::entity::prelude::*;

/// Something a loyalty email should follow up (tier reached, points expiring, launch, referral rewarded); the flows read and mark them handled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: Option<i64>,
    pub kind: String,
    pub payload: Json,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
    pub handled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
