//! Merchant authentication. `/api/*` takes an App Bridge session token
//! (`Authorization: Bearer …`); `/app/*` also accepts the signed admin launch
//! query. Both hand handlers a `CurrentShop`. A valid token for a shop that
//! has no offline token yet is exchanged for one (token-exchange grant).
use super::ApiError;
use crate::app::AppState;
use crate::shopify::ShopDomain;
use crate::shopify::session_token;
use crate::shopify::signature::{query_pairs, query_value, verify_admin_query};
use crate::shops::Shops;
use crate::shops::onboarding::complete_install;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use entity::shops;
use std::future::{Ready, ready};

/// The shop the merchant is working in, resolved once per request.
#[derive(Debug, Clone)]
pub struct CurrentShop {
    pub id: i64,
    pub domain: ShopDomain,
    pub name: Option<String>,
    pub currency: String,
    pub timezone: String,
    pub locale: String,
    pub installed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The admin user (session token `sub`), when the request carries one: the audit trail's "who".
    pub user: Option<String>,
    /// The shop's record as authentication found it, for services that take the model.
    pub record: std::sync::Arc<shops::Model>,
}

impl From<shops::Model> for CurrentShop {
    fn from(s: shops::Model) -> Self {
        CurrentShop {
            id: s.id,
            domain: ShopDomain::from_stored(s.domain.clone()),
            name: s.name.clone(),
            currency: s.currency.clone(),
            timezone: s.timezone.clone(),
            locale: s.locale.clone(),
            installed_at: s.installed_at,
            user: None,
            record: std::sync::Arc::new(s),
        }
    }
}

fn state_of(req: &ServiceRequest) -> Result<Data<AppState>, ApiError> {
    req.app_data::<Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("app state missing"))
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Verifies a session token and returns its installed shop, exchanging the
/// token for an offline token when the shop has none.
async fn shop_for_session_token(state: &AppState, token: &str) -> Result<CurrentShop, ApiError> {
    let session = session_token::verify(token, &state.settings.api_key, state.api_secret())
        .map_err(|e| ApiError::unauthorized("invalid_session_token", e.to_string()))?;
    if let Some(shop) = Shops::find_installed(&state.db, &session.shop).await? {
        let mut shop = CurrentShop::from(shop);
        shop.user = session.user_id;
        return Ok(shop);
    }
    let granted = state
        .oauth()
        .exchange_session_token(&session.shop, token)
        .await
        .map_err(|e| {
            tracing::warn!(shop = %session.shop, error = %e, "token exchange failed");
            ApiError::unauthorized(
                "shop_not_installed",
                "the app is not installed on this shop and the token exchange was refused",
            )
        })?;
    let shop = complete_install(
        &state.db,
        &state.cipher,
        &state.admin,
        &session.shop,
        &granted,
        state.clock.now(),
    )
    .await?;
    tracing::info!(shop = %session.shop, "installed through token exchange");
    let mut shop = CurrentShop::from(shop);
    shop.user = session.user_id;
    Ok(shop)
}

pub async fn require_session_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = state_of(&req)?;
    let token = bearer(&req).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_session_token",
            "send Authorization: Bearer <session token>",
        )
    })?;
    let shop = shop_for_session_token(&state, &token).await?;
    req.extensions_mut().insert(shop);
    next.call(req).await
}

/// `/app/*`: a session token (header or `id_token`), or the admin launch
/// query signed with `hmac`. A signed launch for a shop we do not know yet
/// starts the install.
pub async fn require_admin_launch(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let state = state_of(&req)?;
    let pairs = query_pairs(req.query_string());
    let token = bearer(&req).or_else(|| query_value(&pairs, "id_token").map(str::to_owned));
    let shop = if let Some(token) = token {
        shop_for_session_token(&state, &token).await?
    } else if query_value(&pairs, "hmac").is_some() {
        verify_admin_query(state.api_secret(), &pairs, state.clock.now())
            .map_err(|e| ApiError::unauthorized("invalid_hmac", e.to_string()))?;
        let domain = ShopDomain::parse(query_value(&pairs, "shop").unwrap_or_default())
            .map_err(|e| ApiError::bad_request("invalid_shop", e.to_string()))?;
        match Shops::find_installed(&state.db, &domain)
            .await
            .map_err(ApiError::from)?
        {
            Some(shop) => shop.into(),
            None => {
                let location = format!("/auth?shop={domain}");
                let response = HttpResponse::Found()
                    .insert_header(("Location", location))
                    .finish();
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    } else {
        return Err(ApiError::unauthorized(
            "missing_session_token",
            "open the app from the Shopify admin",
        )
        .into());
    };
    req.extensions_mut().insert(shop);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

impl FromRequest for CurrentShop {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentShop>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::unauthorized("missing_session_token", "not authenticated")
                }),
        )
    }
}
