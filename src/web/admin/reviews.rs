//! `/api/reviews…`: the moderation queue and its actions, the shop's review
//! policy, and verified review links for an order (what the review-request
//! email sends).
use crate::app::AppState;
use crate::i18n::{t, tf};
use crate::reviews::summary::views;
use crate::reviews::token::ReviewLink;
use crate::reviews::{Action, ModerateError, ReviewPolicy, Reviews, STATUSES, media_base};
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use entity::{fulfillments, order_line_items, orders};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(queue))
        .route("/reviews/policy", web::get().to(policy))
        .route("/reviews/policy", web::put().to(save_policy))
        .route("/reviews/links", web::post().to(link))
        .route("/reviews/{id}/{action}", web::post().to(moderate));
}

#[derive(Deserialize)]
struct QueueQuery {
    status: Option<String>,
    product_id: Option<i64>,
    page: Option<u64>,
}

/// Reviews per page of the moderation queue (the API and the page).
pub const QUEUE_PAGE: u64 = 25;

async fn queue(
    shop: CurrentShop,
    query: web::Query<QueueQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = crate::web::status_filter(query.status.as_deref(), &STATUSES)?;
    let page = query.page.unwrap_or(1).max(1);
    let (rows, total) = Reviews::queue(
        &state.db,
        shop.id,
        status,
        query.product_id,
        page,
        QUEUE_PAGE,
    )
    .await?;
    let counts = Reviews::status_counts(&state.db, shop.id).await?;
    let base = media_base(&state.app_url);
    let mut shown = views(&state.db, &base, rows.clone()).await?;
    let now = state.clock.now();
    for view in &mut shown {
        crate::reviews::sign_photos(&mut view.photos, state.api_secret(), now);
    }
    let reviews: Vec<_> = rows
        .iter()
        .zip(shown)
        .map(|(row, view)| {
            json!({
                "id": row.id,
                "status": row.status,
                "product_id": row.shopify_product_id,
                "product_title": row.product_title,
                "rating": row.rating,
                "title": row.title,
                "body": row.body,
                "author": row.author_name,
                "email": row.email,
                "locale": row.locale,
                "verified": row.verified,
                "featured": row.featured,
                "helpful": row.helpful_votes,
                "hold_reasons": row.hold_reasons.split(',').filter(|r| !r.is_empty()).collect::<Vec<_>>(),
                "reject_reason": row.reject_reason,
                "reply": row.reply,
                "photos": view.photos,
                "points_credited": row.points_credited,
                "created_at": row.created_at,
                "published_at": row.published_at,
                "moderated_by": row.moderated_by,
                "moderated_at": row.moderated_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "reviews": reviews,
        "total": total,
        "page": page,
        "pages": total.div_ceil(QUEUE_PAGE).max(1),
        "counts": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
    })))
}

async fn policy(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let policy = Reviews::policy(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "policy": policy })))
}

async fn save_policy(
    shop: CurrentShop,
    body: web::Json<ReviewPolicy>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let problems = body.problems();
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_policy",
            problems.join("; "),
        ));
    }
    Reviews::save_policy(&state.db, shop.id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(json!({ "policy": body.into_inner() })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ModerationInput {
    reason: Option<String>,
    reply: Option<String>,
    featured: Option<bool>,
}

async fn moderate(
    shop: CurrentShop,
    path: web::Path<(i64, String)>,
    body: Option<web::Json<ModerationInput>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let input = body.map(web::Json::into_inner).unwrap_or_default();
    let action = match action.as_str() {
        "approve" => Action::Approve,
        "reject" => Action::Reject {
            reason: input.reason,
        },
        "unpublish" => Action::Unpublish,
        "feature" => Action::Feature(input.featured.unwrap_or(true)),
        "unfeature" => Action::Feature(false),
        "reply" => Action::Reply(input.reply),
        other => {
            return Err(ApiError::not_found(format!(
                "no action `{other}`: approve, reject, unpublish, feature, unfeature or reply"
            )));
        }
    };
    let lang = crate::i18n::negotiate(Some(&shop.locale));
    let by = shop.user.clone().unwrap_or_else(|| "admin".to_owned());
    let review = Reviews::moderate(&state.db, &shop.record, id, action, &by, state.clock.now())
        .await
        .map_err(|e| match e {
            ModerateError::NotFound => ApiError::not_found("no such review in this shop"),
            ModerateError::Illegal { ref from, action } => ApiError::new(
                StatusCode::CONFLICT,
                "illegal_transition",
                tf(
                    lang,
                    "reviews.moderation.illegal",
                    &[
                        (
                            "status",
                            &t(lang, &format!("reviews.admin.state.{from}")).to_lowercase(),
                        ),
                        ("action", &t(lang, &format!("reviews.admin.{action}"))),
                    ],
                ),
            ),
            ModerateError::TooLong => ApiError::unprocessable(
                "text_too_long",
                tf(
                    lang,
                    "reviews.moderation.too_long",
                    &[("max", &crate::reviews::service::MAX_REPLY.to_string())],
                ),
            ),
            ModerateError::Db(db) => ApiError::from(db),
        })?;
    crate::web::storefront::reviews::sync_soon(&state, shop.id);
    Ok(HttpResponse::Ok().json(json!({
        "id": review.id,
        "status": review.status,
        "featured": review.featured,
        "reply": review.reply,
        "points_credited": review.points_credited,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkInput {
    /// The platform's order id.
    order_id: i64,
}

/// A verified review link for an order: the page where the buyer reviews
/// each product they received.
async fn link(
    shop: CurrentShop,
    body: web::Json<LinkInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let order = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop.id))
        .filter(orders::Column::ShopifyOrderId.eq(body.order_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("no such order in this shop"))?;
    // The request goes out after delivery: a cancelled or undelivered order has nothing to review yet.
    if order.cancelled_at.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "order_cancelled",
            "the order was cancelled; there is nothing to review",
        ));
    }
    let delivered = fulfillments::Entity::find()
        .filter(fulfillments::Column::ShopId.eq(shop.id))
        .filter(fulfillments::Column::ShopifyOrderId.eq(order.shopify_order_id))
        .filter(
            sea_orm::Condition::any()
                .add(fulfillments::Column::DeliveredAt.is_not_null())
                .add(fulfillments::Column::ShipmentStatus.eq("delivered")),
        )
        .count(&state.db)
        .await?
        > 0;
    if !delivered {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_delivered",
            "the order has not been delivered yet; the review link is sent after delivery",
        ));
    }
    let mut products: Vec<i64> = order_line_items::Entity::find()
        .filter(order_line_items::Column::OrderId.eq(order.id))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|li| li.product_id)
        .collect();
    products.sort_unstable();
    products.dedup();
    if products.is_empty() {
        return Err(ApiError::unprocessable(
            "nothing_to_review",
            "the order has no products to review",
        ));
    }
    let policy = Reviews::policy(&state.db, shop.id).await?;
    let link = ReviewLink {
        shop: &shop.domain,
        shopify_order_id: order.shopify_order_id,
        shopify_customer_id: order.shopify_customer_id,
        products: products.clone(),
    };
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(json!({
        "url": link.url(state.api_secret(), now, policy.link_valid_days),
        "token": link.sign(state.api_secret(), now, policy.link_valid_days),
        "products": products,
        "expires_at": now + chrono::Duration::days(i64::from(policy.link_valid_days)),
    })))
}
