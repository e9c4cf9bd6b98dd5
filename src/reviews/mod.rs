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
