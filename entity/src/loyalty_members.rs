use sea_orm::entity::prelude::*;

/// A customer enrolled in the program. The balance is not here: it is derived from `points_ledger`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub referral_code: String,
    /// The tier key as last evaluated (`bronze`, `silver`, `gold`, or the shop's own).
    pub tier: String,
    pub tier_changed_at: Option<DateTimeUtc>,
    pub enrolled_at: DateTimeUtc,
    /// `order`, `signup`, `launch`, `referral`, `manual`.
    pub enrolled_via: String,
    pub birthday_month: Option<i16>,
    pub birthday_day: Option<i16>,
    /// The last earning or redemption: points expire after a period without one.
    pub last_activity_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
