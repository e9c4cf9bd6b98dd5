use sea_orm::entity::prelude::*;

/// One append-only movement of points. Balance = sum of `delta`; outstanding debt = sum of `debt_delta`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub delta: i64,
    /// Points owed but not taken (a clawback larger than the balance, floored at zero).
    pub debt_delta: i64,
    pub reason: String,
    /// What caused it: `order:{id}`, `refund:{id}`, `redemption:{id}`, `review:{id}` …
    pub source_ref: Option<String>,
    /// Unique per shop: the same cause never moves points twice.
    pub idempotency_key: String,
    pub note: Option<String>,
    /// Who made a manual adjustment (the admin user), for the audit trail.
    pub actor: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
