//! The one HMAC helper, and the three ways the platform signs requests:
//! the OAuth/admin-launch query `hmac`, the app-proxy `signature`, and the
//! webhook `X-Shopify-Hmac-Sha256` header. Verification takes `now` so the
//! platform's published vectors can be checked; the server passes the clock.
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// The platform libraries' tolerance for a request's `timestamp`.
pub const MAX_SKEW_SECONDS: i64 = 90;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the request carries no {0}")]
    Missing(&'static str),
    #[error("the signature does not match")]
    Mismatch,
    #[error("the request's timestamp is too far from now")]
    Stale,
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length")
}

pub fn hmac_sha256(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let mut m = mac(secret);
    m.update(message);
    m.finalize().into_bytes().into()
}

/// A key for one purpose, derived from the app secret, so a token or hash
/// made for one use never passes for another (nor for the app's own).
pub fn purpose_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    hmac_sha256(secret, purpose.as_bytes())
}

/// A stable, pseudonymous hex id for `value` within `purpose` (rate limits,
/// votes, one-review-per-order keys): never the value itself.
pub fn keyed_hash(secret: &[u8], purpose: &str, value: &str) -> String {
    hex::encode(hmac_sha256(secret, format!("{purpose}:{value}").as_bytes()))
}

/// Constant-time check of `expected` against HMAC-SHA256(secret, message).
pub fn verify_hmac(secret: &[u8], message: &[u8], expected: &[u8]) -> bool {
    let mut m = mac(secret);
    m.update(message);
    m.verify_slice(expected).is_ok()
}

/// Constant-time check of a `keyed_hash` (or its leading part, at least 16
/// bytes) of `value` within `purpose`.
pub fn verify_keyed_hash(secret: &[u8], purpose: &str, value: &str, given_hex: &str) -> bool {
    let Ok(given) = hex::decode(given_hex) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(format!("{purpose}:{value}").as_bytes());
    given.len() >= 16 && m.verify_truncated_left(&given).is_ok()
}

/// Decoded query pairs, in their original order, repeats kept.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The first non-empty value of `key` in decoded query pairs: the one place requests' parameters are read.
pub fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Decoded pairs back into a query string.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The query with its `hmac` added, as the platform sends an admin launch or OAuth callback.
pub fn signed_admin_query(secret: &[u8], mut pairs: Vec<(String, String)>) -> String {
    let hmac = sign_admin_query(secret, &pairs);
    pairs.push(("hmac".to_owned(), hmac));
    encode_query(&pairs)
}

/// The query with its `signature` added, as the app proxy forwards a shopper's request.
pub fn signed_app_proxy_query(secret: &[u8], mut pairs: Vec<(String, String)>) -> String {
    let signature = sign_app_proxy(secret, &pairs);
    pairs.push(("signature".to_owned(), signature));
    encode_query(&pairs)
}

fn check_timestamp(pairs: &[(String, String)], now: DateTime<Utc>) -> Result<(), SignatureError> {
    let ts: i64 = query_value(pairs, "timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(SignatureError::Missing("timestamp"))?;
    if (now.timestamp() - ts).abs() > MAX_SKEW_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// OAuth callback / admin launch message: every parameter but `hmac` and
/// `signature`, sorted, `key=value` joined with `&`.
pub fn admin_query_message(pairs: &[(String, String)]) -> String {
    let mut kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "hmac" && k != "signature")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    kept.sort();
    kept.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn sign_admin_query(secret: &[u8], pairs: &[(String, String)]) -> String {
    hex::encode(hmac_sha256(secret, admin_query_message(pairs).as_bytes()))
}

/// Checks an OAuth callback or admin launch query.
pub fn verify_admin_query(
    secret: &[u8],
    pairs: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let given = query_value(pairs, "hmac").ok_or(SignatureError::Missing("hmac"))?;
    let given = hex::decode(given).map_err(|_| SignatureError::Mismatch)?;
    if !verify_hmac(secret, admin_query_message(pairs).as_bytes(), &given) {
        return Err(SignatureError::Mismatch);
    }
    check_timestamp(pairs, now)
}

/// App proxy message: every parameter but `signature`, sorted, repeated
/// keys' values joined by `,`, `key=value` concatenated with no separator.
pub fn app_proxy_message(pairs: &[(String, String)]) -> String {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != "signature") {
        grouped.entry(k).or_default().push(v);
    }
    grouped
        .iter()
        .map(|(k, vs)| format!("{k}={}", vs.join(",")))
        .collect()
}

pub fn sign_app_proxy(secret: &[u8], pairs: &[(String, String)]) -> String {
    hex::encode(hmac_sha256(secret, app_proxy_message(pairs).as_bytes()))
}

pub fn verify_app_proxy(
    secret: &[u8],
    pairs: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let given = query_value(pairs, "signature").ok_or(SignatureError::Missing("signature"))?;
    let given = hex::decode(given).map_err(|_| SignatureError::Mismatch)?;
    if !verify_hmac(secret, app_proxy_message(pairs).as_bytes(), &given) {
        return Err(SignatureError::Mismatch);
    }
    check_timestamp(pairs, now)
}

pub fn sign_webhook(secret: &[u8], body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(secret, body))
}

/// Checks `X-Shopify-Hmac-Sha256` (base64) over the raw body bytes.
pub fn verify_webhook(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing("X-Shopify-Hmac-Sha256 header"))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    if verify_hmac(secret, body, &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).expect("valid timestamp")
    }

    /// Changes one character of `s` at `index` to a different one of the same kind.
    fn tamper(s: &str, index: usize) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        chars[index] = match chars[index] {
            '0' => '1',
            'a' => 'b',
            c if c.is_ascii_digit() => '0',
            _ => 'a',
        };
        chars.into_iter().collect()
    }

    const OAUTH_QUERY: &str = "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173";
    const OAUTH_HMAC: &str = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf";

    #[test]
    fn oauth_vector_verifies() {
        let query = format!("{OAUTH_QUERY}&hmac={OAUTH_HMAC}");
        let pairs = query_pairs(&query);
        assert_eq!(sign_admin_query(b"hush", &pairs), OAUTH_HMAC);
        assert_eq!(verify_admin_query(b"hush", &pairs, at(1337178173)), Ok(()));
    }

    #[test]
    fn oauth_vector_fails_with_any_change() {
        for i in 0..OAUTH_HMAC.len() {
            let query = format!("{OAUTH_QUERY}&hmac={}", tamper(OAUTH_HMAC, i));
            let pairs = query_pairs(&query);
            assert_eq!(
                verify_admin_query(b"hush", &pairs, at(1337178173)),
                Err(SignatureError::Mismatch)
            );
        }
        let changed_query = OAUTH_QUERY.replace("some-shop", "some-shoq");
        let pairs = query_pairs(&format!("{changed_query}&hmac={OAUTH_HMAC}"));
        assert_eq!(
            verify_admin_query(b"hush", &pairs, at(1337178173)),
            Err(SignatureError::Mismatch)
        );
        let pairs = query_pairs(&format!("{OAUTH_QUERY}&hmac={OAUTH_HMAC}"));
        assert_eq!(
            verify_admin_query(b"husH", &pairs, at(1337178173)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn oauth_vector_is_stale_today() {
        let pairs = query_pairs(&format!("{OAUTH_QUERY}&hmac={OAUTH_HMAC}"));
        assert_eq!(
            verify_admin_query(b"hush", &pairs, Utc::now()),
            Err(SignatureError::Stale)
        );
    }

    const PROXY_QUERY: &str = "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555";
    const PROXY_SIGNATURE: &str =
        "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb";

    #[test]
    fn app_proxy_vector_verifies() {
        let pairs = query_pairs(&format!("{PROXY_QUERY}&signature={PROXY_SIGNATURE}"));
        assert_eq!(
            app_proxy_message(&pairs),
            "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555"
        );
        assert_eq!(verify_app_proxy(b"hush", &pairs, at(1317327555)), Ok(()));
    }

    #[test]
    fn app_proxy_vector_fails_with_any_change() {
        for i in 0..PROXY_SIGNATURE.len() {
            let pairs = query_pairs(&format!(
                "{PROXY_QUERY}&signature={}",
                tamper(PROXY_SIGNATURE, i)
            ));
            assert_eq!(
                verify_app_proxy(b"hush", &pairs, at(1317327555)),
                Err(SignatureError::Mismatch)
            );
        }
        let changed = PROXY_QUERY.replace("logged_in_customer_id=1", "logged_in_customer_id=2");
        let pairs = query_pairs(&format!("{changed}&signature={PROXY_SIGNATURE}"));
        assert_eq!(
            verify_app_proxy(b"hush", &pairs, at(1317327555)),
            Err(SignatureError::Mismatch)
        );
        let pairs = query_pairs(&format!("{PROXY_QUERY}&signature={PROXY_SIGNATURE}"));
        assert_eq!(
            verify_app_proxy(b"hush", &pairs, at(1317327555 + 3600)),
            Err(SignatureError::Stale)
        );
        let unsigned = query_pairs(PROXY_QUERY);
        assert_eq!(
            verify_app_proxy(b"hush", &unsigned, at(1317327555)),
            Err(SignatureError::Missing("signature"))
        );
    }

    #[test]
    fn webhook_signature_round_trips_and_rejects_tampering() {
        let body = br#"{"id":820982911946154508,"email":"jon@example.com"}"#;
        let header = sign_webhook(b"hush", body);
        assert_eq!(verify_webhook(b"hush", body, Some(&header)), Ok(()));
        for i in 0..header.len() - 1 {
            let bad = tamper(&header, i);
            assert!(verify_webhook(b"hush", body, Some(&bad)).is_err(), "{bad}");
        }
        let mut changed = body.to_vec();
        changed[10] = b'9';
        assert_eq!(
            verify_webhook(b"hush", &changed, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert!(verify_webhook(b"hush", body, None).is_err());
    }
}
