use sea_orm::entity::prelude::*;

/// A customer's answer about one order: `nps` (0–10), `csat` (1–5) or the
/// delivery `checkin` (1 = all went well, 0 = something went wrong).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_responses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    /// Our `orders.id`.
    pub order_id: i64,
    /// Our `customers.id`.
    pub customer_id: Option<i64>,
    pub kind: String,
    pub score: i16,
    pub comment: Option<String>,
    pub locale: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
