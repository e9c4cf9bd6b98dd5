use sea_orm::entity::prelude::*;

/// An order as the platform last described it. Money is in minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub shopify_order_id: i64,
    pub customer_id: Option<i64>,
    pub shopify_customer_id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub total_minor: i64,
    pub total_discounts_minor: i64,
    pub financial_status: String,
    pub fulfillment_status: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub processed_at: Option<DateTimeUtc>,
    pub platform_created_at: Option<DateTimeUtc>,
    pub platform_updated_at: Option<DateTimeUtc>,
    pub shipping_name: Option<String>,
    pub shipping_address1: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_zip: Option<String>,
    pub shipping_country_code: Option<String>,
    pub browser_ip: Option<String>,
    pub source_name: Option<String>,
    pub referring_site: Option<String>,
    pub landing_site: Option<String>,
    pub customer_locale: Option<String>,
    pub tags: String,
    /// Discount codes the shopper used, comma-separated.
    pub discount_codes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shops::Entity",
        from = "Column::ShopId",
        to = "super::shops::Column::Id",
        on_delete = "Cascade"
    )]
    Shop,
    #[sea_orm(
        belongs_to = "super::customers::Entity",
        from = "Column::CustomerId",
        to = "super::customers::Column::Id",
        on_delete = "SetNull"
    )]
    Customer,
    #[sea_orm(has_many = "super::order_line_items::Entity")]
    LineItems,
}

impl Related<super::shops::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Shop.def()
    }
}

impl Related<super::customers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::order_line_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LineItems.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
