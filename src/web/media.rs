//! `GET /media/{key}`: review photos, public and immutable (keys are random
//! and never reused), from the local directory or the S3-compatible bucket.
use super::ApiError;
use crate::app::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

pub async fn photo(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    if !key.starts_with("reviews/") {
        return Err(ApiError::not_found("no such photo"));
    }
    let found = state.media.get(&key).await.map_err(|e| match e {
        crate::media::StoreError::BadKey(_) => ApiError::not_found("no such photo"),
        other => ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "media_unavailable",
            format!("the photo store is not answering: {other}"),
        ),
    })?;
    let (bytes, content_type) = found.ok_or_else(|| ApiError::not_found("no such photo"))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
