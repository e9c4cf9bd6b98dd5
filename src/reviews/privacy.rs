//! Reviews under privacy requests. `customers/redact` anonymises the
//! customer's reviews — author, email, order link, address hash — and, when
//! the shop's policy says so, deletes their photos; the review text and
//! rating stay, as the shop's public record. `shop/redact` removes everything.
//! Files are not deleted inside the transaction: their keys go to
//! `media_trash`, which the job (and the webhook's follow-up) empties.
use super::summary;
use super::{PUBLISHED, Reviews};
use chrono::{DateTime, Utc};
use entity::{media_trash, review_photos, review_products, review_settings, review_votes, reviews};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

fn of_customer(shop_id: i64, customer_id: Option<i64>, email: Option<&str>) -> Option<Condition> {
    let mut any = Condition::any();
    if let Some(id) = customer_id {
        any = any.add(reviews::Column::CustomerId.eq(id));
    }
    if let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) {
        any = any.add(ExprTrait::eq(
            Expr::expr(Func::lower(Expr::col(reviews::Column::Email))),
            email.to_lowercase(),
        ));
    }
    (!any.is_empty()).then(|| {
        Condition::all()
            .add(reviews::Column::ShopId.eq(shop_id))
            .add(any)
    })
}

/// Queues files for deletion from the media store, not before `not_before`.
pub async fn trash(
    db: &impl ConnectionTrait,
    shop_id: i64,
    keys: impl IntoIterator<Item = String>,
    not_before: DateTime<Utc>,
) -> Result<(), DbErr> {
    let keys: Vec<String> = keys.into_iter().collect();
    // In batches, so a shop with many photos stays under the databases' parameter limits.
    for batch in keys.chunks(500) {
        let rows = batch.iter().map(|key| media_trash::ActiveModel {
            shop_id: Set(shop_id),
            key: Set(key.clone()),
            attempts: Set(0),
            not_before: Set(not_before),
            created_at: Set(not_before),
            ..Default::default()
        });
        media_trash::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([media_trash::Column::Key])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Lifts reservations made for an upload whose review is now stored.
pub async fn keep(db: &impl ConnectionTrait, keys: &[String]) -> Result<(), DbErr> {
    for batch in keys.chunks(500) {
        media_trash::Entity::delete_many()
            .filter(media_trash::Column::Key.is_in(batch.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn trash_photos(
    db: &impl ConnectionTrait,
    shop_id: i64,
    review_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let photos = review_photos::Entity::find()
        .filter(review_photos::Column::ShopId.eq(shop_id))
        .filter(review_photos::Column::ReviewId.is_in(review_ids.to_vec()))
        .all(db)
        .await?;
    trash(
        db,
        shop_id,
        photos
            .into_iter()
            .flat_map(|p| [p.display_key, p.thumb_key]),
        now,
    )
    .await?;
    review_photos::Entity::delete_many()
        .filter(review_photos::Column::ShopId.eq(shop_id))
        .filter(review_photos::Column::ReviewId.is_in(review_ids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Anonymises the customer's reviews (and deletes their photos if the shop says so).
pub async fn redact_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: Option<i64>,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(condition) = of_customer(shop_id, customer_id, email) else {
        return Ok(());
    };
    let theirs = reviews::Entity::find().filter(condition).all(db).await?;
    if theirs.is_empty() {
        return Ok(());
    }
    let policy = Reviews::policy(db, shop_id).await?;
    let ids: Vec<i64> = theirs.iter().map(|r| r.id).collect();
    let mut update = reviews::Entity::update_many()
        .col_expr(
            reviews::Column::AuthorName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(reviews::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(reviews::Column::OrderId, Expr::value(Option::<i64>::None))
        .col_expr(
            reviews::Column::CustomerId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(reviews::Column::IpHash, Expr::value(Option::<String>::None))
        .col_expr(reviews::Column::RedactedAt, Expr::value(now))
        .col_expr(reviews::Column::UpdatedAt, Expr::value(now));
    if policy.redact_deletes_photos {
        trash_photos(db, shop_id, &ids, now).await?;
        update = update.col_expr(reviews::Column::PhotoCount, Expr::value(0));
    }
    update
        .filter(reviews::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    let mut products: Vec<i64> = theirs
        .iter()
        .filter(|r| r.status == PUBLISHED)
        .map(|r| r.shopify_product_id)
        .collect();
    products.sort_unstable();
    products.dedup();
    for product in products {
        summary::refresh(db, shop_id, product, now).await?;
    }
    Ok(())
}

/// What we hold on the customer's reviews, for a data request.
pub async fn export_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: Option<i64>,
    email: Option<&str>,
) -> Result<Vec<Value>, DbErr> {
    let Some(condition) = of_customer(shop_id, customer_id, email) else {
        return Ok(Vec::new());
    };
    let theirs = reviews::Entity::find().filter(condition).all(db).await?;
    Ok(theirs
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id, "product_id": r.shopify_product_id, "product_title": r.product_title,
                "rating": r.rating, "title": r.title, "body": r.body,
                "author_name": r.author_name, "email": r.email, "status": r.status,
                "verified": r.verified, "photos": r.photo_count,
                "created_at": r.created_at, "published_at": r.published_at,
            })
        })
        .collect())
}

/// Every review row of the shop, and its files queued for deletion.
pub async fn redact_shop(
    db: &impl ConnectionTrait,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    // Page through the photos so a large shop is not read into memory at once.
    let mut after = 0i64;
    loop {
        let page: Vec<(i64, String, String)> = review_photos::Entity::find()
            .filter(review_photos::Column::ShopId.eq(shop_id))
            .filter(review_photos::Column::Id.gt(after))
            .order_by_asc(review_photos::Column::Id)
            .select_only()
            .columns([
                review_photos::Column::Id,
                review_photos::Column::DisplayKey,
                review_photos::Column::ThumbKey,
            ])
            .limit(1000)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = page.last().map(|p| p.0) else {
            break;
        };
        after = last;
        trash(
            db,
            shop_id,
            page.into_iter()
                .flat_map(|(_, display, thumb)| [display, thumb]),
            now,
        )
        .await?;
    }
    use crate::db::delete_where;
    delete_where::<review_votes::Entity>(db, review_votes::Column::ShopId, shop_id).await?;
    delete_where::<review_photos::Entity>(db, review_photos::Column::ShopId, shop_id).await?;
    delete_where::<reviews::Entity>(db, reviews::Column::ShopId, shop_id).await?;
    delete_where::<review_products::Entity>(db, review_products::Column::ShopId, shop_id).await?;
    delete_where::<review_settings::Entity>(db, review_settings::Column::ShopId, shop_id).await?;
    Ok(())
}
