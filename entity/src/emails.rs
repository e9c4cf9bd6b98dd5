use sea_orm::entity::prelude::*;

/// One email, rendered: the outbox row and its delivery state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    /// Our `customers.id`.
    pub customer_id: Option<i64>,
    pub flow: String,
    /// Marketing mail needs consent and carries a one-click unsubscribe.
    pub marketing: bool,
    pub locale: String,
    pub to_address: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Extra headers (`List-Unsubscribe`, `Reply-To`…) as a JSON object.
    pub headers: Json,
    /// queued | sent | outbox | skipped
    pub status: String,
    pub message_id: Option<String>,
    pub idempotency_key: String,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
