use sea_orm::entity::prelude::*;

/// A referral from a member's code: claimed (welcome code issued), qualified by the referee's first paid order, then rewarded after the return window, or refused with a reason.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub referrer_customer_id: i64,
    pub referee_customer_id: Option<i64>,
    pub referee_email: Option<String>,
    pub code: String,
    pub welcome_code: Option<String>,
    pub welcome_discount_gid: Option<String>,
    pub order_id: Option<i64>,
    /// `claimed`, `qualified`, `rewarded`, `refused`.
    pub status: String,
    pub refusal_reason: Option<String>,
    pub qualified_at: Option<DateTimeUtc>,
    pub reward_due_at: Option<DateTimeUtc>,
    pub rewarded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
