//! Completing an install, by either grant: store the token, then learn the
//! shop's name, currency and time zone from the Admin API.
use super::{ShopProfile, Shops, TokenCipher};
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use crate::shopify::oauth::AccessToken;
use chrono::{DateTime, Utc};
use entity::shops;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;

const SHOP_PROFILE_QUERY: &str =
    "query ShopProfile { shop { name email currencyCode ianaTimezone } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShopNode {
    name: Option<String>,
    email: Option<String>,
    currency_code: Option<String>,
    iana_timezone: Option<String>,
}

#[derive(Deserialize)]
struct ShopData {
    shop: ShopNode,
}

pub async fn fetch_profile(
    admin: &AdminApi,
    shop: &ShopDomain,
    token: &str,
) -> Result<ShopProfile, AdminApiError> {
    let data: ShopData = admin
        .graphql(shop, token, SHOP_PROFILE_QUERY, serde_json::json!({}))
        .await?;
    Ok(ShopProfile {
        name: data.shop.name,
        email: data.shop.email,
        currency: data.shop.currency_code,
        timezone: data.shop.iana_timezone,
        locale: None,
    })
}

/// Stores the token and, best effort, the shop's profile: an Admin API hiccup
/// must not fail an install that the platform has already granted.
pub async fn complete_install(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    admin: &AdminApi,
    domain: &ShopDomain,
    token: &AccessToken,
    now: DateTime<Utc>,
) -> Result<shops::Model, DbErr> {
    let shop = Shops::install(db, cipher, domain, &token.access_token, &token.scope, now).await?;
    // The history the dashboard needs: imported in the background.
    crate::commerce::history::Imports::begin_at_install(db, shop.id, now).await?;
    match fetch_profile(admin, domain, &token.access_token).await {
        Ok(profile) => Shops::update_profile(db, shop, profile, now).await,
        Err(e) => {
            tracing::warn!(shop = %domain, error = %e, "shop profile not fetched; keeping defaults");
            Ok(shop)
        }
    }
}
