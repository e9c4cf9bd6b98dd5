//! OAuth install: `GET /auth` starts it, `GET /auth/callback` finishes it.
//! The state nonce is single-use, kept in the database (so any instance can
//! finish an install another began) and bound to the browser by a cookie.
use super::ApiError;
use crate::app::AppState;
use crate::shopify::oauth::authorize_url;
use crate::shopify::signature::{query_pairs, query_value, verify_admin_query};
use crate::shopify::{ShopDomain, platform_base};
use crate::shops::Shops;
use crate::shops::onboarding::complete_install;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

const STATE_COOKIE: &str = "flywheel_oauth_state";

fn state_cookie(value: &str, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(STATE_COOKIE, value.to_owned())
        .path("/auth")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

pub async fn begin(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req.query_string());
    let shop = ShopDomain::parse(query_value(&pairs, "shop").unwrap_or_default())
        .map_err(|e| ApiError::bad_request("invalid_shop", e.to_string()))?;
    let nonce = Shops::create_oauth_state(&state.db, &shop, state.clock.now()).await?;
    let redirect_uri = format!(
        "{}/auth/callback",
        state.app_url.as_str().trim_end_matches('/')
    );
    let location = authorize_url(
        state.settings.shopify_base_url.as_ref(),
        &shop,
        &state.settings.api_key,
        &state.settings.scopes,
        &redirect_uri,
        &nonce,
    );
    Ok(HttpResponse::Found()
        .insert_header(("Location", location))
        .cookie(state_cookie(&nonce, CookieDuration::minutes(10)))
        .finish())
}

/// Where the merchant lands after install: the app inside their admin.
fn embedded_admin_url(state: &AppState, shop: &ShopDomain, host: Option<&str>) -> String {
    let api_key = &state.settings.api_key;
    let decoded_host = host
        .and_then(|h| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(h.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|h| h.starts_with("admin.shopify.com/") || h.ends_with(".myshopify.com/admin"));
    match (&state.settings.shopify_base_url, decoded_host) {
        (None, Some(host)) => format!("https://{host}/apps/{api_key}"),
        (base, _) => format!(
            "{}/admin/apps/{api_key}",
            platform_base(base.as_ref(), shop)
        ),
    }
}

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req.query_string());
    verify_admin_query(state.api_secret(), &pairs, state.clock.now())
        .map_err(|e| ApiError::unauthorized("invalid_hmac", e.to_string()))?;
    let shop = ShopDomain::parse(query_value(&pairs, "shop").unwrap_or_default())
        .map_err(|e| ApiError::bad_request("invalid_shop", e.to_string()))?;
    let nonce = query_value(&pairs, "state")
        .ok_or_else(|| ApiError::unauthorized("invalid_state", "the callback carries no state"))?;
    let cookie_matches = req.cookie(STATE_COOKIE).is_some_and(|c| c.value() == nonce);
    if !cookie_matches {
        return Err(ApiError::unauthorized(
            "invalid_state",
            "this install was not started in this browser",
        ));
    }
    if !Shops::take_oauth_state(&state.db, &shop, nonce, state.clock.now()).await? {
        return Err(ApiError::unauthorized(
            "invalid_state",
            "the install state is unknown, used or expired",
        ));
    }
    let code = query_value(&pairs, "code")
        .ok_or_else(|| ApiError::bad_request("missing_code", "the callback carries no code"))?;
    let granted = state
        .oauth()
        .exchange_code(&shop, code)
        .await
        .map_err(|e| {
            tracing::warn!(shop = %shop, error = %e, "code exchange failed");
            ApiError::bad_gateway(
                "the platform did not grant an access token; start the install again",
            )
        })?;
    complete_install(
        &state.db,
        &state.cipher,
        &state.admin,
        &shop,
        &granted,
        state.clock.now(),
    )
    .await?;
    tracing::info!(shop = %shop, "installed through OAuth");
    let location = embedded_admin_url(&state, &shop, query_value(&pairs, "host"));
    Ok(HttpResponse::Found()
        .insert_header(("Location", location))
        .cookie(state_cookie("", CookieDuration::ZERO))
        .finish())
}
