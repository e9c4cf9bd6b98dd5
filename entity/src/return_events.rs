use sea_orm::entity::prelude::*;

/// One transition of a return: from, to, by which move, who, when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub return_id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub action: String,
    /// `shopper`, `system`, or the merchant's user.
    pub actor: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
