use sea_orm::entity::prelude::*;

/// A shopper's review of a product, and what the shop did with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub shopify_product_id: i64,
    pub shopify_variant_id: Option<i64>,
    pub product_title: String,
    /// Our `customers.id`, when the reviewer is known.
    pub customer_id: Option<i64>,
    /// Our `orders.id`, when the review came through a verified link.
    pub order_id: Option<i64>,
    pub rating: i16,
    pub title: String,
    pub body: String,
    /// What the storefront shows ("Giulia R."); None = anonymous.
    pub author_name: Option<String>,
    pub email: Option<String>,
    pub locale: String,
    pub verified: bool,
    /// Keyed hash of (platform order, product) for a verified review: unique per shop.
    pub verified_key: Option<String>,
    /// pending | published | rejected | hidden
    pub status: String,
    /// Why moderation held it, comma-separated (low_rating, link, profanity…).
    pub hold_reasons: String,
    pub featured: bool,
    pub helpful_votes: i32,
    pub photo_count: i32,
    pub reply: Option<String>,
    pub replied_at: Option<DateTimeUtc>,
    /// Keyed hash of the submitter's IP, for rate limits; never the address itself.
    pub ip_hash: Option<String>,
    pub moderated_by: Option<String>,
    pub moderated_at: Option<DateTimeUtc>,
    pub reject_reason: Option<String>,
    pub points_credited: bool,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub redacted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::review_photos::Entity")]
    Photos,
}

impl Related<super::review_photos::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Photos.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
