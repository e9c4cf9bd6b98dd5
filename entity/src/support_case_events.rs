use sea_orm::entity::prelude::*;

/// One step in a case's history: opened, a reply, a customer message, a
/// remedy (with its platform result), resolved or reopened.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_case_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub case_id: i64,
    pub kind: String,
    /// Who: `customer`, `system`, or the merchant's user.
    pub actor: String,
    pub body: Option<String>,
    pub data: Json,
    /// done | pending | failed (remedies wait on the platform)
    pub status: String,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
