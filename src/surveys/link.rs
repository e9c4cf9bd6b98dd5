//! The signed link behind every answer button in an email: it names the shop,
//! the order and the customer, and expires after `VALID_DAYS`. Signed HS256
//! with a key derived from the app secret for this purpose only, so it is no
//! review link, unsubscribe link or session token (nor they one of these).
use super::score::Question;
use crate::shopify::ShopDomain;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const AUDIENCE: &str = "flywheel-feedback";
const PURPOSE: &str = "flywheel feedback link v1";
pub const VALID_DAYS: i64 = 90;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackClaims {
    pub aud: String,
    pub shop: String,
    /// Our order id.
    pub order: i64,
    /// Our customer id, when the order had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<i64>,
    pub exp: i64,
}

pub struct FeedbackLink<'a> {
    pub shop: &'a ShopDomain,
    pub order_id: i64,
    pub customer_id: Option<i64>,
}

impl FeedbackLink<'_> {
    pub fn token(&self, secret: &[u8], now: DateTime<Utc>) -> String {
        let claims = FeedbackClaims {
            aud: AUDIENCE.to_owned(),
            shop: self.shop.to_string(),
            order: self.order_id,
            customer: self.customer_id,
            exp: (now + Duration::days(VALID_DAYS)).timestamp(),
        };
        crate::shopify::session_token::sign_for_purpose(secret, PURPOSE, &claims)
    }

    /// The page on the shop (through the app proxy) that records `answer`.
    pub fn answer_url(&self, token: &str, question: Question, answer: &str, lang: &str) -> String {
        answer_url(self.shop, token, question, answer, lang)
    }
}

/// The answer link for a token already signed.
pub fn answer_url(
    shop: &ShopDomain,
    token: &str,
    question: Question,
    answer: &str,
    lang: &str,
) -> String {
    format!(
        "https://{shop}/apps/flywheel/feedback?t={token}&q={}&a={answer}&locale={lang}",
        question.key()
    )
}

/// The claims, when the token is ours, for this shop, and not expired.
pub fn verify(
    token: &str,
    secret: &[u8],
    shop: &ShopDomain,
    now: DateTime<Utc>,
) -> Option<FeedbackClaims> {
    let claims: FeedbackClaims = crate::shopify::session_token::verify_for_purpose(
        secret,
        PURPOSE,
        AUDIENCE,
        &["aud", "exp"],
        token,
    )?;
    (claims.shop == shop.as_str() && claims.exp > now.timestamp()).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_for_their_shop_until_they_expire() {
        let shop = ShopDomain::parse("bottega.myshopify.com").expect("shop");
        let other = ShopDomain::parse("other.myshopify.com").expect("shop");
        let now = Utc::now();
        let link = FeedbackLink {
            shop: &shop,
            order_id: 12,
            customer_id: Some(3),
        };
        let token = link.token(b"secret", now);
        let claims = verify(&token, b"secret", &shop, now).expect("valid");
        assert_eq!((claims.order, claims.customer), (12, Some(3)));
        assert!(verify(&token, b"secret", &other, now).is_none());
        assert!(verify(&token, b"nope", &shop, now).is_none());
        assert!(
            verify(
                &token,
                b"secret",
                &shop,
                now + Duration::days(VALID_DAYS + 1)
            )
            .is_none()
        );
        let unsubscribe = crate::emails::unsubscribe::token(b"secret", 1, 3);
        assert!(verify(&unsubscribe, b"secret", &shop, now).is_none());
        assert_eq!(
            link.answer_url("T", Question::Nps, "9", "fr"),
            "https://bottega.myshopify.com/apps/flywheel/feedback?t=T&q=nps&a=9&locale=fr"
        );
    }
}
