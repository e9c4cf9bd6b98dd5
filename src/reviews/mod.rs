//! Reviews with real photos: shoppers write them (verified through a signed
//! link from the review-request email, or not, as the shop allows), the
//! moderation policy publishes or holds them, the merchant approves, rejects,
//! replies and features, and the storefront shows them — the summary and the
//! first page straight from a product metafield, the rest through the app proxy.
pub mod jobs;
pub mod moderation;
pub mod platform;
pub mod policy;
pub mod privacy;
pub mod service;
pub mod summary;
pub mod token;

pub use policy::ReviewPolicy;
pub use service::{
    Action, Identity, ModerateError, Prepared, ReviewInput, Reviews, Sort, StoredPhoto, SubmitError,
};

pub const PENDING: &str = "pending";
pub const PUBLISHED: &str = "published";
pub const REJECTED: &str = "rejected";
/// Was published, taken down by the merchant.
pub const HIDDEN: &str = "hidden";
pub const STATUSES: [&str; 4] = [PENDING, PUBLISHED, REJECTED, HIDDEN];

/// Where a stored photo is served from: `{app_url}/media/{key}`; the key
/// itself under an empty base.
pub fn photo_url(media_base: &str, key: &str) -> String {
    if media_base.is_empty() {
        return key.to_owned();
    }
    format!("{}/{key}", media_base.trim_end_matches('/'))
}

/// The media base for an app URL.
pub fn media_base(app_url: &url::Url) -> String {
    format!("{}/media", app_url.as_str().trim_end_matches('/'))
}

/// How long a signed photo link (for the merchant's queue) stays valid.
pub const SIGNED_PHOTO_SECONDS: i64 = 3600;

fn photo_message(key: &str, expires: i64) -> String {
    format!("media:{key}:{expires}")
}

/// Photos of reviews that are not published are not public: the merchant's
/// queue links to them with an expiring signature instead.
pub fn sign_photos(
    photos: &mut [summary::PhotoView],
    secret: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) {
    use crate::shopify::signature::hmac_sha256;
    let expires = now.timestamp() + SIGNED_PHOTO_SECONDS;
    let sign = |url: &mut String| {
        if let Some((_, key)) = url.split_once("/media/") {
            let sig = hex::encode(hmac_sha256(secret, photo_message(key, expires).as_bytes()));
            url.push_str(&format!("?expires={expires}&sig={sig}"));
        }
    };
    for photo in photos {
        sign(&mut photo.thumb);
        sign(&mut photo.display);
    }
}

/// A link to a private photo (`{base}/{key}`) that works for an hour.
pub fn signed_media_url(
    secret: &[u8],
    base: &str,
    key: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let expires = now.timestamp() + SIGNED_PHOTO_SECONDS;
    let sig = hex::encode(crate::shopify::signature::hmac_sha256(
        secret,
        photo_message(key, expires).as_bytes(),
    ));
    format!("{base}/{key}?expires={expires}&sig={sig}")
}

/// Whether `sig` is this app's signature of `key` until `expires`, still valid at `now`.
pub fn photo_signature_valid(
    secret: &[u8],
    key: &str,
    expires: i64,
    sig: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    expires > now.timestamp()
        && expires <= now.timestamp() + SIGNED_PHOTO_SECONDS
        && hex::decode(sig).is_ok_and(|sig| {
            crate::shopify::signature::verify_hmac(
                secret,
                photo_message(key, expires).as_bytes(),
                &sig,
            )
        })
}

/// Whether the photo stored under `key` belongs to a published review.
pub async fn photo_is_public(
    db: &impl sea_orm::ConnectionTrait,
    key: &str,
) -> Result<bool, sea_orm::DbErr> {
    use entity::{review_photos, reviews};
    use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};
    let found = review_photos::Entity::find()
        .filter(
            Condition::any()
                .add(review_photos::Column::DisplayKey.eq(key))
                .add(review_photos::Column::ThumbKey.eq(key)),
        )
        .inner_join(reviews::Entity)
        .filter(reviews::Column::Status.eq(PUBLISHED))
        .count(db)
        .await?;
    Ok(found > 0)
}
