//! The verified-buyer link: a signed, expiring token naming the shop, the
//! order, the customer and the products they bought. The review-request email
//! carries it; a review submitted with it is marked verified. Signed HS256
//! with a key derived from the app secret for this one purpose, so it can
//! never pass for a session token (nor one of those for it).
use crate::shopify::ShopDomain;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const AUDIENCE: &str = "flywheel-review";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewClaims {
    pub aud: String,
    /// The shop's myshopify domain.
    pub shop: String,
    /// The platform's order id.
    pub order: i64,
    /// The platform's customer id, when the order had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<i64>,
    /// The platform's product ids the order contained.
    pub products: Vec<i64>,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the review link has expired")]
    Expired,
    #[error("the review link is not valid")]
    Invalid,
    #[error("the review link belongs to another shop")]
    OtherShop,
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "review_link_expired",
            TokenError::Invalid | TokenError::OtherShop => "invalid_review_link",
        }
    }
}

const PURPOSE: &str = "flywheel review link v1";

pub struct ReviewLink<'a> {
    pub shop: &'a ShopDomain,
    pub shopify_order_id: i64,
    pub shopify_customer_id: Option<i64>,
    pub products: Vec<i64>,
}

impl ReviewLink<'_> {
    pub fn sign(&self, secret: &[u8], now: DateTime<Utc>, valid_days: u32) -> String {
        let claims = ReviewClaims {
            aud: AUDIENCE.to_owned(),
            shop: self.shop.to_string(),
            order: self.shopify_order_id,
            customer: self.shopify_customer_id,
            products: self.products.clone(),
            iat: now.timestamp(),
            exp: (now + Duration::days(i64::from(valid_days))).timestamp(),
        };
        crate::shopify::session_token::sign_for_purpose(secret, PURPOSE, &claims)
    }

    /// The page a shopper lands on from the email: the shop's app proxy.
    pub fn url(&self, secret: &[u8], now: DateTime<Utc>, valid_days: u32) -> String {
        format!(
            "https://{}/apps/flywheel/reviews/write?token={}",
            self.shop,
            self.sign(secret, now, valid_days)
        )
    }
}

/// Checks the signature, the audience, the shop and the expiry (against our clock).
pub fn verify(
    token: &str,
    secret: &[u8],
    shop: &ShopDomain,
    now: DateTime<Utc>,
) -> Result<ReviewClaims, TokenError> {
    // Expiry is checked below against the app's clock, not the system's.
    let claims: ReviewClaims = crate::shopify::session_token::verify_for_purpose(
        secret,
        PURPOSE,
        AUDIENCE,
        &["aud", "exp"],
        token,
    )
    .ok_or(TokenError::Invalid)?;
    if claims.shop != shop.as_str() {
        return Err(TokenError::OtherShop);
    }
    if claims.exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(shop: &ShopDomain) -> ReviewLink<'_> {
        ReviewLink {
            shop,
            shopify_order_id: 1001,
            shopify_customer_id: Some(7),
            products: vec![11, 12],
        }
    }

    #[test]
    fn a_fresh_link_verifies_and_names_the_order() {
        let shop = ShopDomain::parse("bottega.myshopify.com").expect("valid");
        let now = Utc::now();
        let token = link(&shop).sign(b"secret", now, 60);
        let claims = verify(&token, b"secret", &shop, now + Duration::days(59)).expect("valid");
        assert_eq!(claims.order, 1001);
        assert_eq!(claims.customer, Some(7));
        assert_eq!(claims.products, vec![11, 12]);
        assert!(
            link(&shop)
                .url(b"secret", now, 60)
                .starts_with("https://bottega.myshopify.com/apps/flywheel/reviews/write?token=")
        );
    }

    #[test]
    fn expired_forged_and_foreign_links_are_refused() {
        let shop = ShopDomain::parse("bottega.myshopify.com").expect("valid");
        let other = ShopDomain::parse("other.myshopify.com").expect("valid");
        let now = Utc::now();
        let token = link(&shop).sign(b"secret", now, 60);
        assert_eq!(
            verify(&token, b"secret", &shop, now + Duration::days(61)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&token, b"other secret", &shop, now),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify(&token, b"secret", &other, now),
            Err(TokenError::OtherShop)
        );
        // A session token signed with the app secret itself is not a review link.
        let session =
            crate::shopify::session_token::sign(&shop, "key", b"secret", now.timestamp(), 60);
        assert_eq!(
            verify(&session, b"secret", &shop, now),
            Err(TokenError::Invalid)
        );
        // Tampered payload.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert_eq!(
            verify(&parts.join("."), b"secret", &shop, now),
            Err(TokenError::Invalid)
        );
    }
}
