//! A product's published reviews at a glance: average, count, histogram, the
//! photo gallery and the first page. Kept in `review_products` whenever the
//! published set changes, answered from there to the storefront, and written
//! to the product's metafields so the theme renders stars, the first page and
//! the JSON-LD in Liquid with no request.
use super::{PUBLISHED, photo_url};
use chrono::{DateTime, Utc};
use entity::{review_photos, review_products, reviews};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Reviews on the first page (the metafield and the JSON-LD).
pub const FIRST_PAGE: u64 = 5;
/// Photos in the gallery above the reviews.
pub const GALLERY: u64 = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub stars: i16,
    pub count: i64,
    pub percent: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoView {
    pub thumb: String,
    pub display: String,
    pub width: i32,
    pub height: i32,
    pub thumb_width: i32,
    pub thumb_height: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_id: Option<i64>,
}

/// One review as the storefront shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: i64,
    pub rating: i16,
    pub title: String,
    pub body: String,
    /// "" when anonymous; the theme shows its own word for it.
    pub author: String,
    pub verified: bool,
    /// The day it was published, YYYY-MM-DD (UTC).
    pub date: String,
    pub helpful: i32,
    pub featured: bool,
    pub reply: Option<String>,
    pub photos: Vec<PhotoView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub average: f64,
    /// The average with one decimal, as shown next to the stars.
    pub average_text: String,
    pub count: i64,
    /// Published reviews with at least one photo.
    pub with_photos: i64,
    /// Five stars first.
    pub histogram: Vec<Bar>,
    pub photos: Vec<PhotoView>,
    pub reviews: Vec<ReviewView>,
}

/// A media base that leaves photo keys as they are (what is stored).
pub const KEYS_ONLY: &str = "";

impl Summary {
    pub fn empty() -> Summary {
        summarise(&HashMap::new(), 0, Vec::new(), Vec::new())
    }

    /// The stored summary with its photo keys turned into URLs under `media_base`.
    pub fn resolved(mut self, media_base: &str) -> Summary {
        let resolve = |p: &mut PhotoView| {
            p.thumb = photo_url(media_base, &p.thumb);
            p.display = photo_url(media_base, &p.display);
        };
        self.photos.iter_mut().for_each(resolve);
        for review in &mut self.reviews {
            review.photos.iter_mut().for_each(resolve);
        }
        self
    }
}

/// Pure: the summary from the count per star rating.
pub fn summarise(
    per_rating: &HashMap<i16, i64>,
    with_photos: i64,
    photos: Vec<PhotoView>,
    reviews: Vec<ReviewView>,
) -> Summary {
    let count: i64 = (1..=5)
        .map(|s| per_rating.get(&s).copied().unwrap_or(0))
        .sum();
    let total: i64 = (1..=5)
        .map(|s| i64::from(s) * per_rating.get(&s).copied().unwrap_or(0))
        .sum();
    let average = if count == 0 {
        0.0
    } else {
        (total as f64 / count as f64 * 10.0).round() / 10.0
    };
    let histogram = (1..=5)
        .rev()
        .map(|stars| {
            let n = per_rating.get(&stars).copied().unwrap_or(0);
            Bar {
                stars,
                count: n,
                percent: if count == 0 {
                    0
                } else {
                    (n * 100 + count / 2) / count
                },
            }
        })
        .collect();
    Summary {
        average,
        average_text: format!("{average:.1}"),
        count,
        with_photos,
        histogram,
        photos,
        reviews,
    }
}

/// The photos of `reviews`, in order, keyed by review.
pub async fn photos_of(
    db: &impl ConnectionTrait,
    media_base: &str,
    review_ids: &[i64],
) -> Result<HashMap<i64, Vec<PhotoView>>, DbErr> {
    let mut by_review: HashMap<i64, Vec<PhotoView>> = HashMap::new();
    if review_ids.is_empty() {
        return Ok(by_review);
    }
    let rows = review_photos::Entity::find()
        .filter(review_photos::Column::ReviewId.is_in(review_ids.to_vec()))
        .order_by_asc(review_photos::Column::ReviewId)
        .order_by_asc(review_photos::Column::Position)
        .all(db)
        .await?;
    for photo in rows {
        by_review
            .entry(photo.review_id)
            .or_default()
            .push(photo_view(media_base, &photo, false));
    }
    Ok(by_review)
}

pub fn photo_view(media_base: &str, photo: &review_photos::Model, with_review: bool) -> PhotoView {
    PhotoView {
        thumb: photo_url(media_base, &photo.thumb_key),
        display: photo_url(media_base, &photo.display_key),
        width: photo.width,
        height: photo.height,
        thumb_width: photo.thumb_width,
        thumb_height: photo.thumb_height,
        review_id: with_review.then_some(photo.review_id),
    }
}

/// Reviews as the storefront shows them, with their photos.
pub async fn views(
    db: &impl ConnectionTrait,
    media_base: &str,
    rows: Vec<reviews::Model>,
) -> Result<Vec<ReviewView>, DbErr> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.photo_count > 0)
        .map(|r| r.id)
        .collect();
    let mut photos = photos_of(db, media_base, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewView {
            photos: photos.remove(&r.id).unwrap_or_default(),
            id: r.id,
            rating: r.rating,
            title: r.title,
            body: r.body,
            author: r.author_name.unwrap_or_default(),
            verified: r.verified,
            date: r
                .published_at
                .unwrap_or(r.created_at)
                .format("%Y-%m-%d")
                .to_string(),
            helpful: r.helpful_votes,
            featured: r.featured,
            reply: r.reply.filter(|s| !s.trim().is_empty()),
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct RatingCount {
    rating: i16,
    n: i64,
}

/// Recomputes the product's summary from its published reviews, stores it and
/// marks the metafield as due for a write. Call inside the transaction that
/// changed the reviews. Photos are stored as media keys; `Summary::resolved`
/// turns them into URLs when the summary leaves us.
pub async fn refresh(
    db: &impl ConnectionTrait,
    shop_id: i64,
    product_id: i64,
    now: DateTime<Utc>,
) -> Result<Summary, DbErr> {
    lock(db, shop_id, product_id, now).await?;
    let published = || {
        reviews::Entity::find()
            .filter(reviews::Column::ShopId.eq(shop_id))
            .filter(reviews::Column::ShopifyProductId.eq(product_id))
            .filter(reviews::Column::Status.eq(PUBLISHED))
    };
    let counts = published()
        .select_only()
        .column(reviews::Column::Rating)
        .column_as(reviews::Column::Id.count(), "n")
        .group_by(reviews::Column::Rating)
        .into_model::<RatingCount>()
        .all(db)
        .await?;
    let per_rating: HashMap<i16, i64> = counts.into_iter().map(|c| (c.rating, c.n)).collect();
    use sea_orm::PaginatorTrait;
    let with_photos = published()
        .filter(reviews::Column::PhotoCount.gt(0))
        .count(db)
        .await? as i64;
    let first_page = published()
        .order_by_desc(reviews::Column::Featured)
        .order_by_desc(reviews::Column::PublishedAt)
        .order_by_desc(reviews::Column::Id)
        .limit(FIRST_PAGE)
        .all(db)
        .await?;
    let first_page = views(db, KEYS_ONLY, first_page).await?;
    let photo_reviews: Vec<i64> = published()
        .filter(reviews::Column::PhotoCount.gt(0))
        .select_only()
        .column(reviews::Column::Id)
        .order_by_desc(reviews::Column::Featured)
        .order_by_desc(reviews::Column::PublishedAt)
        .limit(GALLERY)
        .into_tuple()
        .all(db)
        .await?;
    let gallery = if photo_reviews.is_empty() {
        Vec::new()
    } else {
        let rows = review_photos::Entity::find()
            .filter(review_photos::Column::ReviewId.is_in(photo_reviews.clone()))
            .all(db)
            .await?;
        // Newest review first, each review's photos in order.
        let mut gallery: Vec<(usize, i16, PhotoView)> = rows
            .iter()
            .map(|p| {
                let rank = photo_reviews
                    .iter()
                    .position(|id| *id == p.review_id)
                    .unwrap_or(usize::MAX);
                (rank, p.position, photo_view(KEYS_ONLY, p, true))
            })
            .collect();
        gallery.sort_by_key(|(rank, position, _)| (*rank, *position));
        gallery
            .into_iter()
            .take(GALLERY as usize)
            .map(|(_, _, p)| p)
            .collect()
    };
    let summary = summarise(&per_rating, with_photos, gallery, first_page);
    let json = serde_json::to_value(&summary).map_err(|e| DbErr::Custom(e.to_string()))?;
    review_products::Entity::insert(review_products::ActiveModel {
        shop_id: Set(shop_id),
        shopify_product_id: Set(product_id),
        summary: Set(json),
        version: Set(1),
        synced_version: Set(0),
        sync_attempts: Set(0),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            review_products::Column::ShopId,
            review_products::Column::ShopifyProductId,
        ])
        .update_columns([
            review_products::Column::Summary,
            review_products::Column::UpdatedAt,
        ])
        .value(
            review_products::Column::Version,
            Expr::col((review_products::Entity, review_products::Column::Version)).add(1),
        )
        .value(review_products::Column::SyncAttempts, Expr::value(0))
        .value(
            review_products::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(summary)
}

/// Takes the product's summary row for this transaction before anything is
/// counted (a write, so PostgreSQL row-locks it and SQLite takes its write
/// lock): two changes to one product's reviews cannot both count without
/// seeing each other and leave the older count behind.
async fn lock(
    db: &impl ConnectionTrait,
    shop_id: i64,
    product_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    review_products::Entity::insert(review_products::ActiveModel {
        shop_id: Set(shop_id),
        shopify_product_id: Set(product_id),
        summary: Set(
            serde_json::to_value(Summary::empty()).map_err(|e| DbErr::Custom(e.to_string()))?
        ),
        version: Set(0),
        synced_version: Set(0),
        sync_attempts: Set(0),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            review_products::Column::ShopId,
            review_products::Column::ShopifyProductId,
        ])
        .update_column(review_products::Column::UpdatedAt)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The stored summary, or an empty one for a product nobody has reviewed.
pub async fn stored(
    db: &impl ConnectionTrait,
    shop_id: i64,
    product_id: i64,
) -> Result<Summary, DbErr> {
    let row = review_products::Entity::find()
        .filter(review_products::Column::ShopId.eq(shop_id))
        .filter(review_products::Column::ShopifyProductId.eq(product_id))
        .one(db)
        .await?;
    match row {
        Some(row) => serde_json::from_value(row.summary).map_err(|e| {
            DbErr::Custom(format!(
                "review summary of product {product_id} is unreadable: {e}"
            ))
        }),
        None => Ok(Summary::empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_and_histogram_come_from_the_counts() {
        let counts = HashMap::from([(5, 6), (4, 3), (1, 1)]);
        let s = summarise(&counts, 2, Vec::new(), Vec::new());
        assert_eq!(s.count, 10);
        assert_eq!(s.average, 4.3); // (30 + 12 + 1) / 10
        assert_eq!(s.average_text, "4.3");
        let bars: Vec<(i16, i64, i64)> = s
            .histogram
            .iter()
            .map(|b| (b.stars, b.count, b.percent))
            .collect();
        assert_eq!(
            bars,
            vec![(5, 6, 60), (4, 3, 30), (3, 0, 0), (2, 0, 0), (1, 1, 10)]
        );
    }

    #[test]
    fn no_reviews_is_an_empty_summary_not_a_division_by_zero() {
        let s = Summary::empty();
        assert_eq!(
            (s.count, s.average, s.average_text.as_str()),
            (0, 0.0, "0.0")
        );
        assert!(s.histogram.iter().all(|b| b.percent == 0));
    }
}
