use sea_orm::entity::prelude::*;

/// Points turned into a single-use discount code on the platform. `pending` until the platform confirms; `failed` means the points were given back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub reward_id: Option<i64>,
    pub reward_name: String,
    pub kind: String,
    pub value: i64,
    pub points_cost: i64,
    pub code: String,
    /// `pending`, `issued`, `failed`.
    pub status: String,
    pub discount_gid: Option<String>,
    pub last_error: Option<String>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
