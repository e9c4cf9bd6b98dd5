//! The reviews' background work, safe to run from several instances: write
//! each product's summary to its metafields until the platform has the
//! latest version, and delete files whose rows are gone.
use super::platform::write_summary;
use super::summary::Summary;
use crate::media::MediaStore;
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::AdminApi;
use crate::shops::{Shops, TokenCipher};
use chrono::{DateTime, Utc};
use entity::{media_trash, review_products, shops};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Products synced per round, files deleted per round.
const BATCH: u64 = 200;
/// A file that cannot be deleted after this many tries is left for an operator (logged).
const MAX_DELETE_ATTEMPTS: i32 = 20;
/// A summary the platform keeps refusing waits for the next change to it.
const MAX_SYNC_ATTEMPTS: i32 = 12;
/// How long a worker may hold a product while it writes the metafield.
const LEASE_SECONDS: i64 = 120;

async fn release(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    review_products::Entity::update_many()
        .col_expr(
            review_products::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(review_products::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReviewJobReport {
    pub metafields_written: usize,
    pub metafields_failed: usize,
    pub files_deleted: usize,
    pub files_failed: usize,
}

pub struct ReviewJobs;

impl ReviewJobs {
    pub async fn run_due(
        db: &impl ConnectionTrait,
        api: &AdminApi,
        cipher: &TokenCipher,
        media: &MediaStore,
        media_base: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewJobReport, DbErr> {
        let mut report = ReviewJobReport::default();
        Self::sync_metafields(db, api, media_base, cipher, None, now, &mut report).await?;
        Self::empty_trash(db, media, now, &mut report).await?;
        Ok(report)
    }

    /// Writes every product summary the platform has not got yet (of one
    /// shop, or all). A failure is recorded and retried next round.
    pub async fn sync_metafields(
        db: &impl ConnectionTrait,
        api: &AdminApi,
        media_base: &str,
        cipher: &TokenCipher,
        shop_id: Option<i64>,
        now: DateTime<Utc>,
        report: &mut ReviewJobReport,
    ) -> Result<(), DbErr> {
        let mut due = review_products::Entity::find()
            .filter(
                Expr::col(review_products::Column::SyncedVersion)
                    .lt(Expr::col(review_products::Column::Version)),
            )
            .filter(review_products::Column::SyncAttempts.lt(MAX_SYNC_ATTEMPTS))
            .filter(
                review_products::Column::NextAttemptAt
                    .is_null()
                    .or(review_products::Column::NextAttemptAt.lte(now)),
            )
            .filter(
                review_products::Column::LeaseUntil
                    .is_null()
                    .or(review_products::Column::LeaseUntil.lt(now)),
            );
        if let Some(shop_id) = shop_id {
            due = due.filter(review_products::Column::ShopId.eq(shop_id));
        }
        let due = due
            .order_by_asc(review_products::Column::SyncAttempts)
            .order_by_asc(review_products::Column::UpdatedAt)
            .limit(BATCH)
            .all(db)
            .await?;
        let mut shops_seen: Vec<shops::Model> = Vec::new();
        for row in due {
            // Claim the row: one writer per product at a time, so an older
            // summary can never land on the platform after a newer one.
            let claimed = review_products::Entity::update_many()
                .col_expr(
                    review_products::Column::LeaseUntil,
                    Expr::value(now + chrono::Duration::seconds(LEASE_SECONDS)),
                )
                .filter(review_products::Column::Id.eq(row.id))
                .filter(
                    review_products::Column::LeaseUntil
                        .is_null()
                        .or(review_products::Column::LeaseUntil.lt(now)),
                )
                .exec(db)
                .await?;
            if claimed.rows_affected == 0 {
                continue;
            }
            // Re-read what was claimed: another writer may have moved it on.
            let Some(row) = review_products::Entity::find_by_id(row.id).one(db).await? else {
                continue;
            };
            let shop = match shops_seen.iter().find(|s| s.id == row.shop_id) {
                Some(shop) => shop.clone(),
                None => match shops::Entity::find_by_id(row.shop_id).one(db).await? {
                    Some(shop) => {
                        shops_seen.push(shop.clone());
                        shop
                    }
                    None => continue,
                },
            };
            // The demo shop exists only here: its preview reads the summary
            // from this table, and there is no platform to write to.
            if shop.domain == crate::demo::DEMO_SHOP {
                review_products::Entity::update_many()
                    .col_expr(
                        review_products::Column::SyncedVersion,
                        Expr::value(row.version),
                    )
                    .col_expr(
                        review_products::Column::LeaseUntil,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(review_products::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
                continue;
            }
            // Uninstalled shops get their metafields when they come back.
            let (Some(token), Ok(domain)) = (
                Shops::access_token(cipher, &shop).filter(|_| shop.uninstalled_at.is_none()),
                ShopDomain::parse(&shop.domain),
            ) else {
                release(db, row.id).await?;
                continue;
            };
            let summary: Summary = match serde_json::from_value(row.summary.clone()) {
                Ok(summary) => Summary::resolved(summary, media_base),
                Err(e) => {
                    tracing::error!(product = row.shopify_product_id, error = %e, "unreadable review summary");
                    release(db, row.id).await?;
                    continue;
                }
            };
            let result =
                write_summary(api, &domain, &token, row.shopify_product_id, &summary).await;
            // Only the version that was written is marked; a newer one stays due.
            let update = review_products::Entity::update_many()
                .filter(review_products::Column::Id.eq(row.id));
            let no_time: Option<DateTime<Utc>> = None;
            match result {
                Ok(()) => {
                    update
                        .col_expr(
                            review_products::Column::SyncedVersion,
                            Expr::value(row.version),
                        )
                        .col_expr(review_products::Column::SyncAttempts, Expr::value(0))
                        .col_expr(
                            review_products::Column::LastError,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(review_products::Column::SyncedAt, Expr::value(now))
                        .col_expr(review_products::Column::NextAttemptAt, Expr::value(no_time))
                        .col_expr(review_products::Column::LeaseUntil, Expr::value(no_time))
                        .exec(db)
                        .await?;
                    report.metafields_written += 1;
                }
                Err(e) => {
                    tracing::warn!(product = row.shopify_product_id, error = %e, "review metafield not written; will retry");
                    // 1, 2, 4 … minutes apart, at most a day.
                    let wait = Ord::min(1i64 << Ord::clamp(row.sync_attempts, 0, 11), 1440);
                    update
                        .col_expr(
                            review_products::Column::SyncAttempts,
                            Expr::col(review_products::Column::SyncAttempts).add(1),
                        )
                        .col_expr(
                            review_products::Column::LastError,
                            Expr::value(e.to_string()),
                        )
                        .col_expr(
                            review_products::Column::NextAttemptAt,
                            Expr::value(now + chrono::Duration::minutes(wait)),
                        )
                        .col_expr(review_products::Column::LeaseUntil, Expr::value(no_time))
                        .exec(db)
                        .await?;
                    report.metafields_failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Deletes queued files from the media store; the row goes once the file is gone.
    pub async fn empty_trash(
        db: &impl ConnectionTrait,
        media: &MediaStore,
        now: DateTime<Utc>,
        report: &mut ReviewJobReport,
    ) -> Result<(), DbErr> {
        let due = media_trash::Entity::find()
            .filter(media_trash::Column::Attempts.lt(MAX_DELETE_ATTEMPTS))
            .filter(media_trash::Column::NotBefore.lte(now))
            .order_by_asc(media_trash::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        for row in due {
            match media.delete(&row.key).await {
                Ok(()) => {
                    media_trash::Entity::delete_by_id(row.id).exec(db).await?;
                    report.files_deleted += 1;
                }
                Err(e) => {
                    tracing::warn!(key = %row.key, error = %e, "media file not deleted; will retry");
                    media_trash::Entity::update_many()
                        .col_expr(
                            media_trash::Column::Attempts,
                            Expr::col(media_trash::Column::Attempts).add(1),
                        )
                        .filter(media_trash::Column::Id.eq(row.id))
                        .exec(db)
                        .await?;
                    report.files_failed += 1;
                }
            }
        }
        Ok(())
    }
}
