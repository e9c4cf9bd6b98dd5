//! `/proxy/reviews…`: the reviews block's list, sort and pages, the write
//! form (multipart, with up to five photos), helpful votes, and the page a
//! review-request email links to. Errors come in the shopper's language.
//! A form posted without script gets a page back (`application/liquid`, so it
//! sits inside the shop's theme); a script asking for JSON gets JSON.
use crate::app::AppState;
use crate::i18n::{t, tf};
use crate::media::{PhotoError, PhotoLimits, ProcessedPhoto};
use crate::reviews::service::MAX_PHOTOS;
use crate::reviews::token::{self, TokenError};
use crate::reviews::{
    Identity, ReviewInput, Reviews, Sort, StoredPhoto, SubmitError, media_base, privacy,
};
use crate::shopify::ShopDomain;
use crate::shopify::signature::keyed_hash;
use crate::shopify::signature::{query_pairs, query_value};
use crate::web::ApiError;
use crate::web::body::read_limited;
use crate::web::proxy::StorefrontRequest;
use crate::web::storefront::{shopper_error, storefront_page, text};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use entity::{order_line_items, orders};
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(list))
        .route("/reviews", web::post().to(submit))
        .route("/reviews/write", web::get().to(write_page))
        .route("/reviews/{id}/helpful", web::post().to(helpful));
}

/// Five photos at the size limit, plus the text fields.
const MAX_SUBMISSION_BYTES: usize = MAX_PHOTOS * 8 * 1024 * 1024 + 256 * 1024;
/// Any one text field.
const MAX_FIELD_BYTES: usize = 32 * 1024;

async fn list(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let pairs = query_pairs(req.query_string());
    let product_id = query_value(&pairs, "product_id")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            shopper_error(
                StatusCode::BAD_REQUEST,
                "invalid_product",
                lang,
                "reviews.error.product",
            )
        })?;
    let sort = Sort::parse(query_value(&pairs, "sort")).ok_or_else(|| {
        shopper_error(
            StatusCode::BAD_REQUEST,
            "invalid_sort",
            lang,
            "reviews.error.sort",
        )
    })?;
    let page = match query_value(&pairs, "page") {
        None | Some("") => 1,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| {
                shopper_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_page",
                    lang,
                    "reviews.error.page",
                )
            })?,
    };
    let page = Reviews::page(
        &state.db,
        &media_base(&state.app_url),
        request.shop_id,
        product_id,
        sort,
        page,
    )
    .await?;
    // The same for every shopper: the theme's CDN may keep it a minute.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(page))
}

/// Whether the caller is a script wanting JSON (else a plain form post wanting a page).
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn submit_error(e: SubmitError, lang: &str) -> ApiError {
    match e {
        SubmitError::Invalid { code, key } => {
            shopper_error(StatusCode::UNPROCESSABLE_ENTITY, code, lang, key)
        }
        SubmitError::Link(TokenError::Expired) => shopper_error(
            StatusCode::UNAUTHORIZED,
            "review_link_expired",
            lang,
            "reviews.error.link_expired",
        ),
        SubmitError::Link(_) => shopper_error(
            StatusCode::UNAUTHORIZED,
            "invalid_review_link",
            lang,
            "reviews.error.link_invalid",
        ),
        SubmitError::UnknownOrder => shopper_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_order",
            lang,
            "reviews.error.unknown_order",
        ),
        SubmitError::ProductNotInOrder => shopper_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "product_not_in_order",
            lang,
            "reviews.error.not_in_order",
        ),
        SubmitError::VerifiedOnly => shopper_error(
            StatusCode::FORBIDDEN,
            "verified_buyers_only",
            lang,
            "reviews.error.verified_only",
        ),
        SubmitError::RateLimited => shopper_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            lang,
            "reviews.error.rate_limited",
        ),
        SubmitError::AlreadyReviewed => shopper_error(
            StatusCode::CONFLICT,
            "already_reviewed",
            lang,
            "reviews.error.already_reviewed",
        ),
        SubmitError::Db(db) => ApiError::from(db),
    }
}

fn photo_error(e: &PhotoError, lang: &str, index: usize) -> ApiError {
    let (status, key) = match e {
        PhotoError::UnsupportedType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "reviews.error.photo_type",
        ),
        PhotoError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "reviews.error.photo_size"),
        PhotoError::TooManyPixels { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "reviews.error.photo_pixels",
        ),
        PhotoError::Corrupt(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "reviews.error.photo_unreadable",
        ),
    };
    ApiError::new(
        status,
        e.code(),
        tf(lang, key, &[("number", &(index + 1).to_string())]),
    )
}

/// The form's fields and files, read from a body already held in memory.
async fn read_form(
    req: &HttpRequest,
    body: web::Bytes,
    lang: &str,
) -> Result<(ReviewInput, Vec<Vec<u8>>), ApiError> {
    // Never echo what the client sent (field names included): the message may
    // end up on a page the platform renders as Liquid.
    let bad = |_why: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_form",
            t(lang, "reviews.error.malformed"),
        )
    };
    let mut multipart = Multipart::new(
        req.headers(),
        futures_util::stream::once(async move { Ok::<_, actix_web::error::PayloadError>(body) }),
    );
    let mut input = ReviewInput::default();
    let mut photos: Vec<Vec<u8>> = Vec::new();
    let limits = PhotoLimits::default();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .is_some();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad(e.to_string()))?;
            data.extend_from_slice(&chunk);
            let limit = if is_file {
                limits.max_bytes
            } else {
                MAX_FIELD_BYTES
            };
            if data.len() > limit {
                return Err(if is_file {
                    photo_error(&PhotoError::TooLarge { limit }, lang, photos.len())
                } else {
                    bad(format!("the field `{name}` is too long"))
                });
            }
        }
        if name == "photos" || name == "photos[]" {
            // An empty file input still sends a part with no bytes.
            if !data.is_empty() {
                photos.push(data);
            }
            continue;
        }
        let text = String::from_utf8(data)
            .map_err(|_| bad(format!("the field `{name}` is not UTF-8 text")))?;
        let number = |text: &str| -> Result<Option<i64>, ApiError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(format!("the field `{name}` is not a number")))
        };
        match name.as_str() {
            "product_id" => input.product_id = number(&text)?,
            "variant_id" => input.variant_id = number(&text)?,
            "rating" => input.rating = number(&text)?,
            "title" => input.title = text,
            "body" => input.body = text,
            "name" => input.name = text,
            "email" => input.email = text,
            "token" => input.token = Some(text),
            "locale" => input.locale = text,
            // Unknown fields (a theme's extras) are ignored.
            _ => {}
        }
    }
    input.photo_count = photos.len();
    Ok((input, photos))
}

async fn submit(
    req: HttpRequest,
    request: StorefrontRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let json_wanted = wants_json(&req);
    let result = submit_inner(&req, &request, payload, &state, lang).await;
    if json_wanted {
        return result;
    }
    // A plain form post: the same outcome as a page inside the theme.
    Ok(match result {
        Ok(response) => response,
        Err(e) => storefront_page(
            &req,
            e.status,
            &t(lang, "reviews.write.problem"),
            &format!("<p>{}</p>", text(&e.message)),
            lang,
        ),
    })
}

async fn submit_inner(
    req: &HttpRequest,
    request: &StorefrontRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
    lang: &'static str,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("multipart/form-data") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart_required",
            t(lang, "reviews.error.multipart"),
        ));
    }
    let body = read_limited(payload, MAX_SUBMISSION_BYTES)
        .await
        .map_err(|e| match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => shopper_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                lang,
                "reviews.error.too_large",
            ),
            _ => shopper_error(
                StatusCode::BAD_REQUEST,
                "malformed_form",
                lang,
                "reviews.error.malformed",
            ),
        })?;
    let (mut input, photos) = read_form(req, body, lang).await?;
    if input.locale.is_empty() {
        input.locale = lang.to_owned();
    }
    let now = state.clock.now();
    let identity = Identity {
        shopify_customer_id: request.customer_id,
        ip: req
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned),
    };
    let prepared = Reviews::prepare(
        &state.db,
        state.api_secret(),
        &request.record,
        &input,
        &identity,
        now,
    )
    .await
    .map_err(|e| submit_error(e, lang))?;

    let ready = process_photos(photos, lang).await?;
    let stored = store_photos(state, "reviews", request.shop_id, ready, lang).await?;
    let review = match Reviews::create(&state.db, &request.record, prepared, &stored, now).await {
        Ok(review) => review,
        Err(e) => {
            // The files have no row: queue them for deletion (or delete them now).
            let keys: Vec<String> = stored
                .iter()
                .flat_map(|p| [p.display_key.clone(), p.thumb_key.clone()])
                .collect();
            forget_photos(state, &keys).await;
            return Err(submit_error(e, lang));
        }
    };
    if review.status == crate::reviews::PUBLISHED {
        sync_soon(state, request.shop_id);
    }
    let message = if review.status == crate::reviews::PUBLISHED {
        t(lang, "reviews.submitted.published")
    } else {
        t(lang, "reviews.submitted.pending")
    };
    if !wants_json(req) {
        return Ok(storefront_page(
            req,
            StatusCode::CREATED,
            &t(lang, "reviews.write.thanks"),
            &format!("<p>{}</p>", text(&message)),
            lang,
        ));
    }
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(json!({
            "id": review.id,
            "status": review.status,
            "verified": review.verified,
            "photos": review.photo_count,
            "message": message,
        })))
}

fn photo_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// How long an upload's files are reserved before the job may take them for orphans.
const UPLOAD_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// The display and thumbnail keys of one uploaded photo.
fn photo_keys(prefix: &str, shop_id: i64, id: &str) -> [String; 2] {
    [
        format!("{prefix}/{shop_id}/{id}.jpg"),
        format!("{prefix}/{shop_id}/{id}-thumb.jpg"),
    ]
}

/// Decodes and re-encodes every photo before any is stored (one bad file
/// stores nothing), at most one decoding per core at a time.
pub(crate) async fn process_photos(
    photos: Vec<Vec<u8>>,
    lang: &str,
) -> Result<Vec<ProcessedPhoto>, ApiError> {
    let limits = PhotoLimits::default();
    let slot = photo_slots().acquire().await.map_err(ApiError::internal)?;
    let processed: Vec<Result<ProcessedPhoto, PhotoError>> = web::block(move || {
        photos
            .iter()
            .map(|p| crate::media::process(p, &limits))
            .collect()
    })
    .await
    .map_err(ApiError::internal)?;
    drop(slot);
    processed
        .into_iter()
        .enumerate()
        .map(|(index, photo)| photo.map_err(|e| photo_error(&e, lang, index)))
        .collect()
}

/// Stores processed photos under `prefix/{shop}/` (`reviews`, `returns`),
/// reserved for deletion until the caller keeps them with the row they belong to.
pub(crate) async fn store_photos(
    state: &AppState,
    prefix: &str,
    shop_id: i64,
    photos: Vec<ProcessedPhoto>,
    lang: &str,
) -> Result<Vec<StoredPhoto>, ApiError> {
    let keys: Vec<[String; 2]> = photos
        .iter()
        .map(|_| photo_keys(prefix, shop_id, &uuid::Uuid::new_v4().simple().to_string()))
        .collect();
    // Reserved for deletion before they exist: should the process die before
    // the review is stored, the job removes them; `create` lifts the reservation.
    let all: Vec<String> = keys.iter().flatten().cloned().collect();
    privacy::trash(
        &state.db,
        shop_id,
        all.clone(),
        state.clock.now() + UPLOAD_GRACE,
    )
    .await?;
    let mut stored: Vec<StoredPhoto> = Vec::with_capacity(photos.len());
    for (photo, [display_key, thumb_key]) in photos.into_iter().zip(keys) {
        let bytes = photo.display.len();
        let put = async {
            state
                .media
                .put(&display_key, photo.display, "image/jpeg")
                .await?;
            state.media.put(&thumb_key, photo.thumb, "image/jpeg").await
        };
        if let Err(e) = put.await {
            forget_photos(state, &all).await;
            tracing::error!(error = %e, "review photo not stored");
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "photo_store_unavailable",
                t(lang, "reviews.error.photo_store"),
            ));
        }
        stored.push(StoredPhoto {
            display_key,
            thumb_key,
            width: photo.width,
            height: photo.height,
            thumb_width: photo.thumb_width,
            thumb_height: photo.thumb_height,
            bytes,
        });
    }
    Ok(stored)
}

/// Files written for a review that was not stored: deleted now; any the
/// store would not delete keep their reservation, and the job removes them.
pub(crate) async fn forget_photos(state: &AppState, keys: &[String]) {
    let mut deleted = Vec::new();
    for key in keys {
        if state.media.delete(key).await.is_ok() {
            deleted.push(key.clone());
        }
    }
    if let Err(e) = privacy::keep(&state.db, &deleted).await {
        tracing::warn!(error = %e, "deleted review photos stay queued; the job will skip them");
    }
}

/// Writes the product's metafields now rather than at the next job round.
pub fn sync_soon(state: &web::Data<AppState>, shop_id: i64) {
    if !state.background_jobs {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut report = Default::default();
        let now = state.clock.now();
        if let Err(e) = crate::reviews::jobs::ReviewJobs::sync_metafields(
            &state.db,
            &state.admin,
            &media_base(&state.app_url),
            &state.cipher,
            Some(shop_id),
            now,
            &mut report,
        )
        .await
        {
            tracing::warn!(error = %e, "review metafields not written; the job will retry");
        }
    });
}

async fn helpful(
    req: HttpRequest,
    request: StorefrontRequest,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let voter = match request.customer_id {
        Some(id) => format!("customer:{id}"),
        None => format!(
            "ip:{}",
            req.connection_info()
                .realip_remote_addr()
                .unwrap_or_default()
        ),
    };
    let voter = keyed_hash(state.api_secret(), "review-vote", &voter);
    let count = Reviews::vote(
        &state.db,
        request.shop_id,
        path.into_inner(),
        &voter,
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| {
        shopper_error(
            StatusCode::NOT_FOUND,
            "not_found",
            lang,
            "reviews.error.not_found",
        )
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(json!({ "helpful": count })))
}

/// The page the review-request email links to: one form per product of the
/// order, each carrying the verified-buyer token.
async fn write_page(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let pairs = query_pairs(req.query_string());
    let raw = query_value(&pairs, "token").unwrap_or_default().to_owned();
    let shop = ShopDomain::parse(&request.record.domain).map_err(ApiError::internal)?;
    let claims = match token::verify(&raw, state.api_secret(), &shop, state.clock.now()) {
        Ok(claims) => claims,
        Err(e) => {
            let key = if e == TokenError::Expired {
                "reviews.error.link_expired"
            } else {
                "reviews.error.link_invalid"
            };
            return Ok(storefront_page(
                &req,
                StatusCode::UNAUTHORIZED,
                &t(lang, "reviews.write.title"),
                &format!("<p>{}</p>", text(&t(lang, key))),
                lang,
            ));
        }
    };
    let order = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(request.shop_id))
        .filter(orders::Column::ShopifyOrderId.eq(claims.order))
        .one(&state.db)
        .await?;
    let items = match &order {
        Some(order) => {
            order_line_items::Entity::find()
                .filter(order_line_items::Column::OrderId.eq(order.id))
                .all(&state.db)
                .await?
        }
        None => Vec::new(),
    };
    let title_of = |product: i64| {
        items
            .iter()
            .find(|li| li.product_id == Some(product))
            .map(|li| li.title.clone())
            .unwrap_or_else(|| t(lang, "reviews.write.your_product"))
    };
    let preview = if query_value(&pairs, "fw_preview") == Some("1") {
        "&amp;fw_preview=1"
    } else {
        ""
    };
    let mut body = format!("<p>{}</p>", text(&t(lang, "reviews.write.intro")));
    for product in &claims.products {
        let stars: String = (1..=5)
            .rev()
            .map(|n| {
                format!(
                    "<label><input type=\"radio\" name=\"rating\" value=\"{n}\" required{checked}> {label}</label>",
                    checked = if n == 5 { " checked" } else { "" },
                    label = text(&tf(lang, "reviews.write.stars", &[("count", &n.to_string())])),
                )
            })
            .collect();
        body.push_str(&format!(
            "<form method=\"post\" action=\"/apps/flywheel/reviews?locale={lang}{preview}\" enctype=\"multipart/form-data\">\
<h2>{product_title}</h2>\
<input type=\"hidden\" name=\"product_id\" value=\"{product}\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\">\
<input type=\"hidden\" name=\"locale\" value=\"{lang}\">\
<fieldset class=\"fw-stars\"><legend>{rating}</legend>{stars}</fieldset>\
<label for=\"t{product}\">{title}</label><input type=\"text\" id=\"t{product}\" name=\"title\" maxlength=\"120\">\
<label for=\"b{product}\">{review}</label><textarea id=\"b{product}\" name=\"body\" rows=\"5\" maxlength=\"5000\" required></textarea>\
<label for=\"p{product}\">{photos}</label><input type=\"file\" id=\"p{product}\" name=\"photos\" multiple accept=\"image/jpeg,image/png,image/webp\">\
<button type=\"submit\">{submit}</button></form>",
            product_title = text(&title_of(*product)),
            token = text(&raw),
            rating = text(&t(lang, "reviews.write.rating")),
            title = text(&t(lang, "reviews.write.title_label")),
            review = text(&t(lang, "reviews.write.body_label")),
            photos = text(&t(lang, "reviews.write.photos_label")),
            submit = text(&t(lang, "reviews.write.submit")),
        ));
    }
    Ok(storefront_page(
        &req,
        StatusCode::OK,
        &t(lang, "reviews.write.title"),
        &body,
        lang,
    ))
}
