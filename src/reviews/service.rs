//! Submitting, listing, voting on and moderating reviews. A submission is
//! checked in two steps so that nothing is stored for a bad one: `prepare`
//! validates the text, the verified-buyer link and the rate limits before any
//! photo is decoded; `create` stores the review and its already-processed
//! photos in one transaction, publishing it at once when the policy allows.
use super::moderation::{HoldReason, fingerprint, hold_reasons};
use super::policy::ReviewPolicy;
use super::summary::{self, ReviewView, Summary};
use super::token::{self, TokenError};
use super::{HIDDEN, PENDING, PUBLISHED, REJECTED};
use crate::commerce::Commerce;
use crate::loyalty::{Activity, Loyalty, Programs};
use crate::shopify::ShopDomain;
use crate::shopify::signature::keyed_hash;
use crate::text::{clean_text, plausible_email};
use chrono::{DateTime, Duration, Utc};
use entity::{
    customers, order_line_items, orders, review_photos, review_settings, review_votes, reviews,
    shops,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    TransactionTrait,
};
use serde::Serialize;

pub const MAX_TITLE: usize = 120;
pub const MAX_BODY: usize = 5000;
pub const MAX_NAME: usize = 60;
pub const MAX_EMAIL: usize = 255;
pub const MAX_REPLY: usize = 2000;
pub const MAX_PHOTOS: usize = 5;
/// Reviews per storefront page (the metafield carries the first one).
pub const PER_PAGE: u64 = summary::FIRST_PAGE;

/// What the shopper sent, before any check.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub rating: Option<i64>,
    pub title: String,
    pub body: String,
    pub name: String,
    pub email: String,
    pub locale: String,
    /// The verified-buyer link's token, if the shopper came from the email.
    pub token: Option<String>,
    /// How many photos came with it (they are processed after `prepare`).
    pub photo_count: usize,
}

/// Who is submitting.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The platform's id of the logged-in shopper (app proxy `logged_in_customer_id`).
    pub shopify_customer_id: Option<i64>,
    pub ip: Option<String>,
}

/// A submission that passed every check but the photos.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub shop_id: i64,
    pub product_id: i64,
    pub variant_id: Option<i64>,
    pub product_title: String,
    pub rating: i16,
    pub title: String,
    pub body: String,
    pub author_name: Option<String>,
    pub email: Option<String>,
    pub locale: String,
    pub verified: bool,
    /// Keyed hash of (platform order, product) when verified: one review each.
    pub verified_key: Option<String>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub ip_hash: Option<String>,
    pub holds: Vec<HoldReason>,
}

/// A photo already processed and written to the media store.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub display_key: String,
    pub thumb_key: String,
    pub width: u32,
    pub height: u32,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// A field is missing or out of range: the code and the locale key of the sentence.
    #[error("invalid review: {code}")]
    Invalid {
        code: &'static str,
        key: &'static str,
    },
    #[error(transparent)]
    Link(#[from] TokenError),
    #[error("the product is not in the order the link was sent for")]
    ProductNotInOrder,
    #[error("the order the link was sent for is not known here")]
    UnknownOrder,
    #[error("this shop only accepts reviews from verified buyers")]
    VerifiedOnly,
    #[error("too many reviews from this shopper; try again later")]
    RateLimited,
    #[error("this product of this order has already been reviewed")]
    AlreadyReviewed,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl SubmitError {
    fn invalid(code: &'static str, key: &'static str) -> SubmitError {
        SubmitError::Invalid { code, key }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Helpful,
    WithPhotos,
}

impl Sort {
    pub fn parse(value: Option<&str>) -> Option<Sort> {
        match value.unwrap_or("newest") {
            "" | "newest" => Some(Sort::Newest),
            "helpful" => Some(Sort::Helpful),
            "photos" => Some(Sort::WithPhotos),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Helpful => "helpful",
            Sort::WithPhotos => "photos",
        }
    }
}

/// One storefront page of a product's reviews.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub product_id: i64,
    pub summary: Summary,
    pub reviews: Vec<ReviewView>,
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
    pub sort: &'static str,
}

/// What the merchant does to a review.
#[derive(Debug, Clone)]
pub enum Action {
    Approve,
    Reject { reason: Option<String> },
    Unpublish,
    Feature(bool),
    Reply(Option<String>),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject { .. } => "reject",
            Action::Unpublish => "unpublish",
            Action::Feature(true) => "feature",
            Action::Feature(false) => "unfeature",
            Action::Reply(_) => "reply",
        }
    }
}

/// The states each moderation action applies to: `moderate` refuses the
/// rest with `Illegal`, and the admin page offers only these.
pub const ACTION_STATES: [(&str, &[&str]); 6] = [
    ("approve", &[PENDING, HIDDEN, REJECTED]),
    ("reject", &[PENDING, HIDDEN]),
    ("unpublish", &[PUBLISHED]),
    ("feature", &[PENDING, PUBLISHED, HIDDEN]),
    ("unfeature", &[PENDING, PUBLISHED, HIDDEN]),
    ("reply", &[PENDING, PUBLISHED, HIDDEN]),
];

/// Whether `action` (by name) applies to a review in `status`.
pub fn allows(action: &str, status: &str) -> bool {
    ACTION_STATES
        .iter()
        .any(|(a, states)| *a == action && states.contains(&status))
}

#[derive(Debug, thiserror::Error)]
pub enum ModerateError {
    #[error("no such review")]
    NotFound,
    #[error("a {from} review cannot be {action}d")]
    Illegal { from: String, action: &'static str },
    /// The reason or reply is longer than `MAX_REPLY` characters.
    #[error("the text is longer than {MAX_REPLY} characters")]
    TooLong,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub struct Reviews;

impl Reviews {
    pub async fn policy(db: &impl ConnectionTrait, shop_id: i64) -> Result<ReviewPolicy, DbErr> {
        let Some(row) = review_settings::Entity::find()
            .filter(review_settings::Column::ShopId.eq(shop_id))
            .one(db)
            .await?
        else {
            return Ok(ReviewPolicy::default());
        };
        serde_json::from_value(row.policy).map_err(|e| {
            DbErr::Custom(format!(
                "review policy of shop {shop_id} is unreadable: {e}"
            ))
        })
    }

    /// Saves a policy the caller has validated.
    pub async fn save_policy(
        db: &impl ConnectionTrait,
        shop_id: i64,
        policy: &ReviewPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let json = serde_json::to_value(policy).map_err(|e| DbErr::Custom(e.to_string()))?;
        review_settings::Entity::insert(review_settings::ActiveModel {
            shop_id: Set(shop_id),
            policy: Set(json),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(review_settings::Column::ShopId)
                .update_columns([
                    review_settings::Column::Policy,
                    review_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }

    /// Every check but the photos: fields, the verified-buyer link, the
    /// shop's policy, the rate limits and copies of earlier reviews.
    #[tracing::instrument(skip_all, fields(shop = shop.id))]
    pub async fn prepare(
        db: &impl ConnectionTrait,
        secret: &[u8],
        shop: &shops::Model,
        input: &ReviewInput,
        identity: &Identity,
        now: DateTime<Utc>,
    ) -> Result<Prepared, SubmitError> {
        let policy = Self::policy(db, shop.id).await?;
        let product_id = input
            .product_id
            .filter(|id| *id > 0)
            .ok_or(SubmitError::invalid(
                "invalid_product",
                "reviews.error.product",
            ))?;
        let rating = input
            .rating
            .filter(|r| (1..=5).contains(r))
            .ok_or(SubmitError::invalid(
                "invalid_rating",
                "reviews.error.rating",
            ))? as i16;
        let title = clean_text(&input.title);
        let body = clean_text(&input.body);
        let name = clean_text(&input.name);
        let email = input.email.trim().to_lowercase();
        if body.is_empty() {
            return Err(SubmitError::invalid(
                "body_required",
                "reviews.error.body_required",
            ));
        }
        if body.chars().count() > MAX_BODY {
            return Err(SubmitError::invalid(
                "body_too_long",
                "reviews.error.body_too_long",
            ));
        }
        if title.chars().count() > MAX_TITLE {
            return Err(SubmitError::invalid(
                "title_too_long",
                "reviews.error.title_too_long",
            ));
        }
        if name.chars().count() > MAX_NAME {
            return Err(SubmitError::invalid(
                "name_too_long",
                "reviews.error.name_too_long",
            ));
        }
        if !email.is_empty() && (email.len() > MAX_EMAIL || !plausible_email(&email)) {
            return Err(SubmitError::invalid("invalid_email", "reviews.error.email"));
        }
        if input.photo_count > MAX_PHOTOS {
            return Err(SubmitError::invalid(
                "too_many_photos",
                "reviews.error.too_many_photos",
            ));
        }
        let domain = ShopDomain::parse(&shop.domain)
            .map_err(|e| DbErr::Custom(format!("stored shop domain is invalid: {e}")))?;

        // The verified-buyer link, when the shopper came from the email.
        let claims = match input.token.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(token::verify(t, secret, &domain, now)?),
            None => None,
        };
        if let Some(claims) = &claims
            && !claims.products.contains(&product_id)
        {
            return Err(SubmitError::ProductNotInOrder);
        }
        if claims.is_none() && !policy.allow_unverified {
            return Err(SubmitError::VerifiedOnly);
        }
        let shopify_customer = claims
            .as_ref()
            .and_then(|c| c.customer)
            .or(identity.shopify_customer_id);
        let customer = match shopify_customer {
            Some(id) => Commerce::find_customer(db, shop.id, id)
                .await?
                .filter(|c| c.redacted_at.is_none()),
            None => None,
        };
        let order = match &claims {
            Some(c) => Some(
                Commerce::find_order(db, shop.id, c.order)
                    .await?
                    .ok_or(SubmitError::UnknownOrder)?,
            ),
            None => None,
        };
        let verified_key = claims.as_ref().map(|c| {
            keyed_hash(
                secret,
                "review-verified",
                &format!("{}:{product_id}", c.order),
            )
        });
        if let Some(key) = &verified_key {
            let taken = reviews::Entity::find()
                .filter(reviews::Column::ShopId.eq(shop.id))
                .filter(reviews::Column::VerifiedKey.eq(key.as_str()))
                .count(db)
                .await?;
            if taken > 0 {
                return Err(SubmitError::AlreadyReviewed);
            }
        }

        // Rate limits: per address per hour, per customer per day.
        let ip_hash = identity
            .ip
            .as_deref()
            .map(|ip| keyed_hash(secret, "review-ip", ip));
        if let Some(hash) = &ip_hash {
            let recent = reviews::Entity::find()
                .filter(reviews::Column::ShopId.eq(shop.id))
                .filter(reviews::Column::IpHash.eq(hash.as_str()))
                .filter(reviews::Column::CreatedAt.gt(now - Duration::hours(1)))
                .count(db)
                .await?;
            if recent >= u64::from(policy.max_per_ip_per_hour) {
                return Err(SubmitError::RateLimited);
            }
        }
        if let Some(customer) = &customer {
            let recent = reviews::Entity::find()
                .filter(reviews::Column::ShopId.eq(shop.id))
                .filter(reviews::Column::CustomerId.eq(customer.id))
                .filter(reviews::Column::CreatedAt.gt(now - Duration::days(1)))
                .count(db)
                .await?;
            if recent >= u64::from(policy.max_per_customer_per_day) {
                return Err(SubmitError::RateLimited);
            }
        }

        let verified = claims.is_some();
        let mut holds = hold_reasons(&policy, rating, verified, &title, &body);
        if policy.hold_spam
            && Self::is_copy(
                db,
                shop.id,
                &body,
                ip_hash.as_deref(),
                customer.as_ref(),
                now,
            )
            .await?
        {
            holds.push(HoldReason::Duplicate);
        }

        let full_name = if name.is_empty() {
            customer
                .as_ref()
                .map(|c| {
                    format!(
                        "{} {}",
                        c.first_name.as_deref().unwrap_or_default(),
                        c.last_name.as_deref().unwrap_or_default()
                    )
                })
                .unwrap_or_default()
        } else {
            name
        };
        let email = if email.is_empty() {
            customer.as_ref().and_then(|c| c.email.clone())
        } else {
            Some(email)
        };
        let product_title =
            Self::product_title(db, shop.id, product_id, order.as_ref().map(|o| o.id)).await?;
        Ok(Prepared {
            shop_id: shop.id,
            product_id,
            variant_id: input.variant_id.filter(|v| *v > 0),
            product_title,
            rating,
            title,
            body,
            author_name: policy.author_name(&full_name),
            email,
            locale: crate::i18n::negotiate(Some(&input.locale)).to_owned(),
            verified,
            verified_key,
            customer_id: customer.map(|c| c.id),
            order_id: order.map(|o| o.id),
            ip_hash,
            holds,
        })
    }

    /// The same text from the same shopper in the last 30 days.
    async fn is_copy(
        db: &impl ConnectionTrait,
        shop_id: i64,
        body: &str,
        ip_hash: Option<&str>,
        customer: Option<&customers::Model>,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let mut who = Condition::any();
        if let Some(hash) = ip_hash {
            who = who.add(reviews::Column::IpHash.eq(hash));
        }
        if let Some(customer) = customer {
            who = who.add(reviews::Column::CustomerId.eq(customer.id));
        }
        if who.is_empty() {
            return Ok(false);
        }
        let earlier: Vec<String> = reviews::Entity::find()
            .filter(reviews::Column::ShopId.eq(shop_id))
            .filter(reviews::Column::CreatedAt.gt(now - Duration::days(30)))
            .filter(who)
            .select_only()
            .column(reviews::Column::Body)
            .order_by_desc(reviews::Column::Id)
            .limit(50)
            .into_tuple()
            .all(db)
            .await?;
        let print = fingerprint(body);
        Ok(!print.is_empty() && earlier.iter().any(|b| fingerprint(b) == print))
    }

    /// The product's title as the shop sold it, for the merchant's queue.
    async fn product_title(
        db: &impl ConnectionTrait,
        shop_id: i64,
        product_id: i64,
        order_id: Option<i64>,
    ) -> Result<String, DbErr> {
        let mut query = order_line_items::Entity::find()
            .filter(order_line_items::Column::ShopId.eq(shop_id))
            .filter(order_line_items::Column::ProductId.eq(product_id));
        if let Some(order_id) = order_id {
            query = query.filter(order_line_items::Column::OrderId.eq(order_id));
        }
        let title: Option<String> = query
            .select_only()
            .column(order_line_items::Column::Title)
            .order_by_desc(order_line_items::Column::Id)
            .into_tuple()
            .one(db)
            .await?;
        Ok(title.unwrap_or_default())
    }

    /// Stores the review and its photos; publishes it (refreshing the
    /// product's summary and crediting loyalty points) when nothing holds it.
    #[tracing::instrument(skip_all, fields(shop = prepared.shop_id, product = prepared.product_id))]
    pub async fn create(
        db: &DatabaseConnection,
        shop: &shops::Model,
        prepared: Prepared,
        photos: &[StoredPhoto],
        now: DateTime<Utc>,
    ) -> Result<reviews::Model, SubmitError> {
        let publish = prepared.holds.is_empty();
        let txn = db.begin().await?;
        let inserted = reviews::ActiveModel {
            shop_id: Set(prepared.shop_id),
            shopify_product_id: Set(prepared.product_id),
            shopify_variant_id: Set(prepared.variant_id),
            product_title: Set(prepared.product_title),
            customer_id: Set(prepared.customer_id),
            order_id: Set(prepared.order_id),
            rating: Set(prepared.rating),
            title: Set(prepared.title),
            body: Set(prepared.body),
            author_name: Set(prepared.author_name),
            email: Set(prepared.email),
            locale: Set(prepared.locale),
            verified: Set(prepared.verified),
            verified_key: Set(prepared.verified_key),
            status: Set(if publish { PUBLISHED } else { PENDING }.to_owned()),
            hold_reasons: Set(prepared
                .holds
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(",")),
            featured: Set(false),
            helpful_votes: Set(0),
            photo_count: Set(photos.len() as i32),
            ip_hash: Set(prepared.ip_hash),
            points_credited: Set(false),
            created_at: Set(now),
            published_at: Set(publish.then_some(now)),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let review = match inserted {
            Ok(review) => review,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(SubmitError::AlreadyReviewed);
            }
            Err(e) => return Err(e.into()),
        };
        // The files were reserved for deletion while they had no row; now they have one.
        let keys: Vec<String> = photos
            .iter()
            .flat_map(|p| [p.display_key.clone(), p.thumb_key.clone()])
            .collect();
        super::privacy::keep(&txn, &keys).await?;
        for (position, photo) in photos.iter().enumerate() {
            review_photos::ActiveModel {
                shop_id: Set(review.shop_id),
                review_id: Set(review.id),
                position: Set(position as i16),
                display_key: Set(photo.display_key.clone()),
                thumb_key: Set(photo.thumb_key.clone()),
                width: Set(photo.width as i32),
                height: Set(photo.height as i32),
                thumb_width: Set(photo.thumb_width as i32),
                thumb_height: Set(photo.thumb_height as i32),
                bytes: Set(photo.bytes as i64),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        let review = if publish {
            summary::refresh(&txn, review.shop_id, review.shopify_product_id, now).await?;
            Self::credit_points(&txn, shop, review, now).await?
        } else {
            review
        };
        txn.commit().await?;
        Ok(review)
    }

    /// Loyalty points for a published review, once: review or photo review.
    /// Only a customer who bought the product earns them, and only for their
    /// first review of it, so reviews cannot be farmed for points.
    async fn credit_points(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        review: reviews::Model,
        now: DateTime<Utc>,
    ) -> Result<reviews::Model, DbErr> {
        let Some(customer_id) = review.customer_id.filter(|_| !review.points_credited) else {
            return Ok(review);
        };
        let bought = order_line_items::Entity::find()
            .filter(order_line_items::Column::ShopId.eq(shop.id))
            .filter(order_line_items::Column::ProductId.eq(review.shopify_product_id))
            .inner_join(orders::Entity)
            .filter(orders::Column::CustomerId.eq(customer_id))
            .filter(orders::Column::CancelledAt.is_null())
            .count(db)
            .await?
            > 0;
        let earlier = reviews::Entity::find()
            .filter(reviews::Column::ShopId.eq(shop.id))
            .filter(reviews::Column::CustomerId.eq(customer_id))
            .filter(reviews::Column::ShopifyProductId.eq(review.shopify_product_id))
            .filter(reviews::Column::PointsCredited.eq(true))
            .count(db)
            .await?
            > 0;
        if !bought || earlier {
            return Ok(review);
        }
        let program = Programs::load(db, shop).await?;
        let activity = if review.photo_count > 0 {
            Activity::PhotoReview {
                review_id: review.id,
            }
        } else {
            Activity::Review {
                review_id: review.id,
            }
        };
        let credited = Loyalty::credit_activity(db, &program, customer_id, &activity, now).await?;
        if !credited {
            return Ok(review);
        }
        let mut row: reviews::ActiveModel = review.into();
        row.points_credited = Set(true);
        row.update(db).await
    }

    /// One page of a product's published reviews, in the order asked.
    pub async fn page(
        db: &impl ConnectionTrait,
        media_base: &str,
        shop_id: i64,
        product_id: i64,
        sort: Sort,
        page: u64,
    ) -> Result<Page, DbErr> {
        let summary = summary::stored(db, shop_id, product_id).await?;
        let total = u64::try_from(match sort {
            Sort::WithPhotos => summary.with_photos,
            _ => summary.count,
        })
        .unwrap_or(0);
        let pages = total.div_ceil(PER_PAGE).max(1);
        let page = page.clamp(1, pages);
        let mut query = reviews::Entity::find()
            .filter(reviews::Column::ShopId.eq(shop_id))
            .filter(reviews::Column::ShopifyProductId.eq(product_id))
            .filter(reviews::Column::Status.eq(PUBLISHED))
            .order_by_desc(reviews::Column::Featured);
        query = match sort {
            Sort::Newest => query,
            Sort::Helpful => query.order_by_desc(reviews::Column::HelpfulVotes),
            Sort::WithPhotos => query.filter(reviews::Column::PhotoCount.gt(0)),
        };
        // The page's ids first, from the index alone (deep pages skip index
        // entries, not rows), then those few rows.
        let ids: Vec<i64> = query
            .order_by_desc(reviews::Column::PublishedAt)
            .order_by_desc(reviews::Column::Id)
            .select_only()
            .column(reviews::Column::Id)
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let mut rows = reviews::Entity::find()
            .filter(reviews::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        let reviews = summary::views(db, media_base, rows).await?;
        Ok(Page {
            product_id,
            summary: Summary {
                reviews: Vec::new(),
                ..summary
            }
            .resolved(media_base),
            reviews,
            page,
            pages,
            per_page: PER_PAGE,
            sort: sort.as_str(),
        })
    }

    /// A "helpful" vote; Some(new count) when counted or already counted,
    /// None when the review is not published.
    pub async fn vote(
        db: &DatabaseConnection,
        shop_id: i64,
        review_id: i64,
        voter: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i32>, DbErr> {
        let txn = db.begin().await?;
        let Some(review) = reviews::Entity::find_by_id(review_id)
            .filter(reviews::Column::ShopId.eq(shop_id))
            .filter(reviews::Column::Status.eq(PUBLISHED))
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let inserted = review_votes::Entity::insert(review_votes::ActiveModel {
            shop_id: Set(shop_id),
            review_id: Set(review_id),
            voter: Set(voter.to_owned()),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([review_votes::Column::ReviewId, review_votes::Column::Voter])
        .exec_without_returning(&txn)
        .await?;
        if crate::db::inserted(inserted) {
            use sea_orm::sea_query::ExprTrait;
            reviews::Entity::update_many()
                .col_expr(
                    reviews::Column::HelpfulVotes,
                    Expr::col(reviews::Column::HelpfulVotes).add(1),
                )
                .filter(reviews::Column::Id.eq(review_id))
                .exec(&txn)
                .await?;
            // A review the metafield shows keeps its count current there too.
            let shown = summary::stored(&txn, shop_id, review.shopify_product_id)
                .await?
                .reviews
                .iter()
                .any(|r| r.id == review_id);
            if shown {
                summary::refresh(&txn, shop_id, review.shopify_product_id, now).await?;
            }
        }
        let count: Option<i32> = reviews::Entity::find_by_id(review_id)
            .select_only()
            .column(reviews::Column::HelpfulVotes)
            .into_tuple()
            .one(&txn)
            .await?;
        txn.commit().await?;
        Ok(count)
    }

    pub async fn find(
        db: &impl ConnectionTrait,
        shop_id: i64,
        review_id: i64,
    ) -> Result<Option<reviews::Model>, DbErr> {
        reviews::Entity::find_by_id(review_id)
            .filter(reviews::Column::ShopId.eq(shop_id))
            .one(db)
            .await
    }

    /// The merchant's queue: reviews in `status` (all when None), newest first.
    pub async fn queue(
        db: &impl ConnectionTrait,
        shop_id: i64,
        status: Option<&str>,
        product_id: Option<i64>,
        page: u64,
        per_page: u64,
    ) -> Result<(Vec<reviews::Model>, u64), DbErr> {
        let mut query = reviews::Entity::find().filter(reviews::Column::ShopId.eq(shop_id));
        if let Some(status) = status {
            query = query.filter(reviews::Column::Status.eq(status));
        }
        if let Some(product) = product_id {
            query = query.filter(reviews::Column::ShopifyProductId.eq(product));
        }
        let total = query.clone().count(db).await?;
        let rows = query
            .order_by_desc(reviews::Column::CreatedAt)
            .order_by_desc(reviews::Column::Id)
            .offset(page.saturating_sub(1) * per_page)
            .limit(per_page)
            .all(db)
            .await?;
        Ok((rows, total))
    }

    /// Counts per status, for the queue's tabs.
    pub async fn status_counts(
        db: &impl ConnectionTrait,
        shop_id: i64,
    ) -> Result<Vec<(String, i64)>, DbErr> {
        reviews::Entity::find()
            .filter(reviews::Column::ShopId.eq(shop_id))
            .select_only()
            .column(reviews::Column::Status)
            .column_as(reviews::Column::Id.count(), "n")
            .group_by(reviews::Column::Status)
            .into_tuple()
            .all(db)
            .await
    }

    /// Applies the merchant's action; refuses one the review's state does not allow.
    #[tracing::instrument(skip(db, shop), fields(shop = shop.id))]
    pub async fn moderate(
        db: &DatabaseConnection,
        shop: &shops::Model,
        review_id: i64,
        action: Action,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<reviews::Model, ModerateError> {
        let txn = db.begin().await?;
        let review = Self::find(&txn, shop.id, review_id)
            .await?
            .ok_or(ModerateError::NotFound)?;
        let was_published = review.status == PUBLISHED;
        if !allows(action.name(), &review.status) {
            return Err(ModerateError::Illegal {
                from: review.status.clone(),
                action: action.name(),
            });
        }
        let mut row: reviews::ActiveModel = review.clone().into();
        match &action {
            Action::Approve => {
                row.status = Set(PUBLISHED.to_owned());
                if review.published_at.is_none() {
                    row.published_at = Set(Some(now));
                }
                row.reject_reason = Set(None);
            }
            Action::Reject { reason } => {
                let reason = reason.as_deref().map(clean_text).filter(|r| !r.is_empty());
                if reason
                    .as_ref()
                    .is_some_and(|r| r.chars().count() > MAX_REPLY)
                {
                    return Err(ModerateError::TooLong);
                }
                row.status = Set(REJECTED.to_owned());
                row.reject_reason = Set(reason);
            }
            Action::Unpublish => {
                row.status = Set(HIDDEN.to_owned());
            }
            Action::Feature(on) => {
                row.featured = Set(*on);
            }
            Action::Reply(text) => {
                let text = text.as_deref().map(clean_text).filter(|r| !r.is_empty());
                if text.as_ref().is_some_and(|r| r.chars().count() > MAX_REPLY) {
                    return Err(ModerateError::TooLong);
                }
                row.replied_at = Set(text.as_ref().map(|_| now));
                row.reply = Set(text);
            }
        }
        row.moderated_by = Set(Some(by.to_owned()));
        row.moderated_at = Set(Some(now));
        row.updated_at = Set(now);
        let mut review = row.update(&txn).await?;
        let is_published = review.status == PUBLISHED;
        if was_published || is_published {
            summary::refresh(&txn, shop.id, review.shopify_product_id, now).await?;
        }
        if is_published {
            review = Self::credit_points(&txn, shop, review, now).await?;
        }
        txn.commit().await?;
        Ok(review)
    }
}
