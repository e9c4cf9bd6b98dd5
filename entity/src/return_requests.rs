use sea_orm::entity::prelude::*;

/// A return (RMA): what the shopper sends back from one order, why, what
/// they would like instead, and where it stands. Money in minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    /// The RMA number printed on the slip (`R1042-1`).
    pub number: String,
    /// Our `orders.id`.
    pub order_id: i64,
    /// Our `customers.id`.
    pub customer_id: Option<i64>,
    pub email: Option<String>,
    pub locale: String,
    /// requested | approved | rejected | label_issued | in_transit | received | refunded | credited | exchanged
    pub status: String,
    /// refund | store_credit | exchange
    pub outcome: String,
    pub reason: String,
    pub comment: Option<String>,
    pub shop_pays_label: bool,
    /// What the returned lines were paid.
    pub value_minor: i64,
    /// What store credit would give (with the bonus).
    pub credit_minor: i64,
    pub currency: String,
    pub exchange_variant_id: Option<i64>,
    pub exchange_variant_title: Option<String>,
    pub rejection_reason: Option<String>,
    pub tracking: Option<String>,
    /// The platform's refund id, the credit code, or the exchange order.
    pub settled_reference: Option<String>,
    /// Why the last attempt to settle failed (retryable).
    pub last_error: Option<String>,
    pub case_id: Option<i64>,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::return_items::Entity")]
    Items,
}

impl Related<super::return_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
