use sea_orm::entity::prelude::*;

/// One line of a return: which order line, how many, and what they were paid.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub return_id: i64,
    /// Our `order_line_items.id`.
    pub line_item_id: i64,
    pub shopify_line_item_id: i64,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub value_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::return_requests::Entity",
        from = "Column::ReturnId",
        to = "super::return_requests::Column::Id",
        on_delete = "Cascade"
    )]
    Return,
}

impl Related<super::return_requests::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Return.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
