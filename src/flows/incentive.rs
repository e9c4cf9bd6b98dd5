//! Discount codes the flows and remedies give (a reorder discount, a
//! win-back offer, store credit): single-use, for one customer, created on
//! the platform. The code is derived from the cause's key with a key of its
//! own, so a retried job asks for the same code, and the platform's "code
//! taken" answer means an earlier attempt already created it.
use crate::loyalty::members::CODE_ALPHABET;
use crate::loyalty::platform::{DiscountSpec, PlatformError, create_discount_code};
use crate::loyalty::rules::RewardKind;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use crate::shops::{ShopConnection, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::shops;

const PURPOSE: &str = "flywheel incentive code v1";

/// `PREFIX-XXXXXXXX`, stable for `key`, unguessable without the secret.
pub fn code_for(secret: &[u8], prefix: &str, key: &str) -> String {
    let digest = crate::shopify::signature::hmac_sha256(
        &crate::shopify::signature::purpose_key(secret, PURPOSE),
        key.as_bytes(),
    );
    let tail: String = digest
        .iter()
        .take(8)
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{prefix}-{tail}")
}

/// A code to give.
pub struct Incentive<'a> {
    pub shop: &'a shops::Model,
    pub shopify_customer_id: Option<i64>,
    /// The cause: one code per key, ever.
    pub key: &'a str,
    pub prefix: &'a str,
    pub kind: RewardKind,
    /// Whole percent, or minor units for a fixed amount.
    pub value: i64,
    /// What the merchant sees in the platform's discount list.
    pub title: &'a str,
    pub valid_days: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum IncentiveError {
    #[error(transparent)]
    Api(#[from] AdminApiError),
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl Incentive<'_> {
    /// Creates the code on the platform (once) and returns it with its expiry.
    pub async fn issue(
        &self,
        api: &AdminApi,
        cipher: &TokenCipher,
        secret: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), IncentiveError> {
        let code = code_for(secret, self.prefix, self.key);
        let ends = now + Duration::days(self.valid_days);
        let (api, shop, token) = match ShopConnection::open(api, cipher, self.shop)? {
            ShopConnection::Demo => return Ok((code, ends)),
            ShopConnection::Live { api, shop, token } => (api, shop, token),
        };
        let spec = DiscountSpec {
            title: self.title,
            code: &code,
            kind: self.kind,
            value: self.value,
            currency: &self.shop.currency,
            customer_id: self.shopify_customer_id,
            starts_at: now,
            ends_at: Some(ends),
        };
        match create_discount_code(api, &shop, &token, &spec).await {
            Ok(_) | Err(PlatformError::CodeTaken) => Ok((code, ends)),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_per_cause_and_differ_between_causes() {
        let a = code_for(b"secret", "BACK", "winback:1:2");
        assert_eq!(a, code_for(b"secret", "BACK", "winback:1:2"));
        assert_ne!(a, code_for(b"secret", "BACK", "winback:1:3"));
        assert_ne!(a, code_for(b"other", "BACK", "winback:1:2"));
        assert!(a.starts_with("BACK-") && a.len() == 13, "{a}");
    }
}
