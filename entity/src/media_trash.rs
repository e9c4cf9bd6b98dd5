use sea_orm::entity::prelude::*;

/// A media file whose row is gone and whose bytes are still to be deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_trash")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub key: String,
    pub attempts: i32,
    /// Not deleted before then: an upload in flight reserves its keys here,
    /// and removes the rows when its review is stored.
    pub not_before: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
