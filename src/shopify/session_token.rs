//! App Bridge session tokens: HS256 JWTs signed with the app secret whose
//! `dest` names the shop the merchant is working in.
use super::ShopDomain;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub iss: String,
    pub dest: String,
    pub aud: String,
    pub sub: Option<String>,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: Option<String>,
    pub sid: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionTokenError {
    #[error("the session token is invalid: {0}")]
    Invalid(String),
    #[error("the session token has expired")]
    Expired,
    #[error("the session token is for another app")]
    WrongAudience,
    #[error("the session token does not name a shop")]
    BadDestination,
}

/// A verified session: the shop it is for and the merchant user, if any.
#[derive(Debug, Clone)]
pub struct Session {
    pub shop: ShopDomain,
    pub user_id: Option<String>,
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

pub fn verify(token: &str, api_key: &str, secret: &[u8]) -> Result<Session, SessionTokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[api_key]);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf", "aud"]);
    let data = jsonwebtoken::decode::<SessionClaims>(
        token,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => SessionTokenError::Expired,
        jsonwebtoken::errors::ErrorKind::InvalidAudience => SessionTokenError::WrongAudience,
        other => SessionTokenError::Invalid(format!("{other:?}")),
    })?;
    let claims = data.claims;
    let dest = host_of(&claims.dest).ok_or(SessionTokenError::BadDestination)?;
    // The issuer is the shop's admin; a token whose issuer and destination differ is forged.
    if host_of(&claims.iss).as_deref() != Some(dest.as_str()) {
        return Err(SessionTokenError::BadDestination);
    }
    let shop = ShopDomain::parse(&dest).map_err(|_| SessionTokenError::BadDestination)?;
    Ok(Session {
        shop,
        user_id: claims.sub,
    })
}

/// Signs a session token as App Bridge would: for the demo's launch links, tests and benches.
pub fn sign(shop: &ShopDomain, api_key: &str, secret: &[u8], now: i64, ttl: i64) -> String {
    let claims = SessionClaims {
        iss: format!("https://{shop}/admin"),
        dest: format!("https://{shop}"),
        aud: api_key.to_owned(),
        sub: Some("1".into()),
        exp: now + ttl,
        nbf: now - 1,
        iat: now - 1,
        jti: Some(uuid::Uuid::new_v4().to_string()),
        sid: None,
    };
    sign_claims(&claims, secret)
}

pub fn sign_claims(claims: &SessionClaims, secret: &[u8]) -> String {
    // Encoding a plain struct with an HMAC key cannot fail.
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 encoding of plain claims")
}

/// Signs app-issued claims (review links, unsubscribe links) with the key for
/// `purpose`; the claims carry their own `aud`.
pub fn sign_for_purpose<T: Serialize>(secret: &[u8], purpose: &str, claims: &T) -> String {
    // Encoding plain claims with an HMAC key cannot fail.
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&super::signature::purpose_key(secret, purpose)),
    )
    .expect("HS256 encoding of plain claims")
}

/// Checks the signature (key for `purpose`) and the audience; expiry, when
/// the claims have one, is the caller's to check against the app's clock.
pub fn verify_for_purpose<T: serde::de::DeserializeOwned>(
    secret: &[u8],
    purpose: &str,
    audience: &str,
    required: &[&str],
    token: &str,
) -> Option<T> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.validate_exp = false;
    validation.set_required_spec_claims(required);
    jsonwebtoken::decode::<T>(
        token.trim(),
        &DecodingKey::from_secret(&super::signature::purpose_key(secret, purpose)),
        &validation,
    )
    .ok()
    .map(|data| data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> ShopDomain {
        ShopDomain::parse("a-shop.myshopify.com").expect("valid")
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn good_token_names_the_shop() {
        let token = sign(&shop(), "key", b"secret", now(), 60);
        let session = verify(&token, "key", b"secret").expect("valid token");
        assert_eq!(session.shop, shop());
    }

    #[test]
    fn expired_wrong_audience_wrong_secret_are_refused() {
        let expired = sign(&shop(), "key", b"secret", now() - 600, 60);
        assert_eq!(
            verify(&expired, "key", b"secret").unwrap_err(),
            SessionTokenError::Expired
        );
        let token = sign(&shop(), "other-app", b"secret", now(), 60);
        assert_eq!(
            verify(&token, "key", b"secret").unwrap_err(),
            SessionTokenError::WrongAudience
        );
        let token = sign(&shop(), "key", b"not-the-secret", now(), 60);
        assert!(matches!(
            verify(&token, "key", b"secret"),
            Err(SessionTokenError::Invalid(_))
        ));
    }

    #[test]
    fn not_yet_valid_is_refused_beyond_the_leeway() {
        let mut claims: SessionClaims = serde_json::from_value(serde_json::json!({
            "iss": "https://a-shop.myshopify.com/admin", "dest": "https://a-shop.myshopify.com",
            "aud": "key", "exp": now() + 600, "nbf": now() + 300, "iat": now()
        }))
        .expect("claims");
        let token = sign_claims(&claims, b"secret");
        assert!(verify(&token, "key", b"secret").is_err());
        claims.nbf = now() + 2;
        let token = sign_claims(&claims, b"secret");
        assert!(verify(&token, "key", b"secret").is_ok(), "within leeway");
    }

    #[test]
    fn destination_must_be_the_issuing_shop() {
        let mut claims: SessionClaims = serde_json::from_value(serde_json::json!({
            "iss": "https://a-shop.myshopify.com/admin", "dest": "https://b-shop.myshopify.com",
            "aud": "key", "exp": now() + 60, "nbf": now() - 1, "iat": now()
        }))
        .expect("claims");
        let token = sign_claims(&claims, b"secret");
        assert_eq!(
            verify(&token, "key", b"secret").unwrap_err(),
            SessionTokenError::BadDestination
        );
        claims.iss = "https://evil.example.com/admin".into();
        claims.dest = "https://evil.example.com".into();
        let token = sign_claims(&claims, b"secret");
        assert_eq!(
            verify(&token, "key", b"secret").unwrap_err(),
            SessionTokenError::BadDestination
        );
    }
}
