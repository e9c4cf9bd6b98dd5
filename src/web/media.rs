//! `GET /media/{key}`: review and return photos from the local directory or the
//! S3-compatible bucket. Photos of published reviews are public (cached an
//! hour, so taking a review down takes effect soon); any other photo only
//! with the expiring signature the merchant's queue puts on its links (return
//! photos always need it).
use super::ApiError;
use crate::app::AppState;
use crate::shopify::signature::{query_pairs, query_value};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn photo(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let missing = || ApiError::not_found("no such photo");
    // Review photos may be public; return photos are the merchant's only.
    let private_only = key.starts_with("returns/");
    if !key.starts_with("reviews/") && !private_only {
        return Err(missing());
    }
    let pairs = query_pairs(req.query_string());
    let signed = match (query_value(&pairs, "expires"), query_value(&pairs, "sig")) {
        (Some(expires), Some(sig)) => expires.parse::<i64>().is_ok_and(|expires| {
            crate::reviews::photo_signature_valid(
                state.api_secret(),
                &key,
                expires,
                sig,
                state.clock.now(),
            )
        }),
        _ => false,
    };
    if !signed && (private_only || !crate::reviews::photo_is_public(&state.db, &key).await?) {
        return Err(missing());
    }
    let found = state.media.get(&key).await.map_err(|e| match e {
        crate::media::StoreError::BadKey(_) => missing(),
        other => {
            tracing::error!(error = %other, "photo store not answering");
            ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "media_unavailable",
                "the photo is temporarily unavailable; retry later",
            )
        }
    })?;
    let (bytes, content_type) = found.ok_or_else(missing)?;
    let cache = if signed {
        "private, max-age=300"
    } else {
        "public, max-age=3600"
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
