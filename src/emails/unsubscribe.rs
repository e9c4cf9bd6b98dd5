//! One-click unsubscribe (RFC 8058). Every marketing email carries a link
//! naming the shop and the customer, signed with a key derived from the app
//! secret for this purpose only; it never expires. A mail client POSTs to it
//! (`List-Unsubscribe-Post`); a person who clicks it sees a page with one
//! button, so link scanners cannot unsubscribe anybody. Unsubscribing records
//! the customer's consent as withdrawn and skips their queued marketing mail.
use super::{QUEUED, SEND_JOB, SKIPPED};
use crate::scheduler::Queue;
use chrono::{DateTime, Utc};
use entity::{customers, emails};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeClaims {
    pub aud: String,
    /// Our shop id.
    pub shop: i64,
    /// Our customer id.
    pub customer: i64,
}

const AUDIENCE: &str = "flywheel-unsubscribe";

const PURPOSE: &str = "flywheel unsubscribe v1";

/// The token in a customer's unsubscribe link.
pub fn token(secret: &[u8], shop_id: i64, customer_id: i64) -> String {
    let claims = UnsubscribeClaims {
        aud: AUDIENCE.into(),
        shop: shop_id,
        customer: customer_id,
    };
    crate::shopify::session_token::sign_for_purpose(secret, PURPOSE, &claims)
}

/// The link itself, under the app's public URL.
pub fn url(app_url: &url::Url, secret: &[u8], shop_id: i64, customer_id: i64) -> String {
    format!(
        "{}/unsubscribe/{}",
        app_url.as_str().trim_end_matches('/'),
        token(secret, shop_id, customer_id)
    )
}

pub fn verify(secret: &[u8], token: &str) -> Option<UnsubscribeClaims> {
    crate::shopify::session_token::verify_for_purpose(secret, PURPOSE, AUDIENCE, &["aud"], token)
}

/// Withdraws the customer's marketing consent and skips their queued
/// marketing emails; returns how many were skipped. Safe to repeat.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    claims: &UnsubscribeClaims,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let Some(customer) = customers::Entity::find_by_id(claims.customer)
        .filter(customers::Column::ShopId.eq(claims.shop))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    customers::Entity::update_many()
        .col_expr(
            customers::Column::EmailMarketingConsent,
            Expr::value("unsubscribed"),
        )
        .col_expr(customers::Column::UpdatedAt, Expr::value(now))
        .filter(customers::Column::Id.eq(customer.id))
        .exec(db)
        .await?;
    let marketing: Vec<i64> = emails::Entity::find()
        .filter(emails::Column::ShopId.eq(claims.shop))
        .filter(emails::Column::CustomerId.eq(customer.id))
        .filter(emails::Column::Marketing.eq(true))
        .filter(emails::Column::Status.eq(QUEUED))
        .select_only()
        .column(emails::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if marketing.is_empty() {
        return Ok(Some(0));
    }
    emails::Entity::update_many()
        .col_expr(emails::Column::Status, Expr::value(SKIPPED))
        .col_expr(
            emails::Column::LastError,
            Expr::value("the customer unsubscribed"),
        )
        .filter(emails::Column::Id.is_in(marketing.clone()))
        .exec(db)
        .await?;
    let skipped = Queue::skip_queued(
        db,
        claims.shop,
        |job| {
            job.kind == SEND_JOB
                && job.payload["email_id"]
                    .as_i64()
                    .is_some_and(|id| marketing.contains(&id))
        },
        "the customer unsubscribed",
        now,
    )
    .await?;
    Ok(Some(skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_the_customer_and_cannot_be_forged() {
        let t = token(b"secret", 3, 42);
        let claims = verify(b"secret", &t).expect("valid");
        assert_eq!((claims.shop, claims.customer), (3, 42));
        assert!(verify(b"other", &t).is_none());
        // A review link or session token is not an unsubscribe token.
        let session = crate::shopify::session_token::sign(
            &crate::shopify::ShopDomain::parse("a.myshopify.com").expect("shop"),
            "key",
            b"secret",
            Utc::now().timestamp(),
            60,
        );
        assert!(verify(b"secret", &session).is_none());
    }
}
