use sea_orm::entity::prelude::*;

/// A "make it right" case: what went wrong, for whom, and the response
/// timers (first reply and resolution due) against the shop's standards.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    /// Our `customers.id`.
    pub customer_id: Option<i64>,
    /// Our `orders.id`.
    pub order_id: Option<i64>,
    /// checkin | contact | return | merchant
    pub source: String,
    /// damaged | wrong_item | missing | late | other
    pub category: String,
    /// minor | major, once the merchant has judged it
    pub severity: Option<String>,
    /// open | answered | resolved
    pub status: String,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub locale: String,
    pub message: String,
    pub opened_at: DateTimeUtc,
    pub first_reply_due: DateTimeUtc,
    pub resolution_due: DateTimeUtc,
    pub first_replied_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
