use sea_orm::entity::prelude::*;

/// One backfill of a shop's history: from the platform's Bulk Operations
/// (`source` = `bulk`, in `stage` `orders` then `customers`) or a file
/// (`jsonl`, `csv`), with its progress so far.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "history_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub source: String,
    pub stage: String,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub bulk_operation_id: Option<String>,
    /// Objects the platform has exported so far (its running count).
    pub object_count: i64,
    /// Lines of the result written to the tables (a resume point).
    pub lines_done: i64,
    pub customers: i64,
    pub orders: i64,
    pub line_items: i64,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
