//! Review request: N days after delivery (7 by default), the verified review
//! link for the order's products, with the loyalty points a review earns.
//! Marketing: only with the customer's consent, with one-click unsubscribe.
use super::context::OrderContext;
use super::templates;
use crate::clock::Clock;
use crate::emails::unsubscribe;
use crate::emails::{Outbox, OutgoingEmail};
use crate::i18n::{t, tf};
use crate::loyalty::Programs;
use crate::reviews::Reviews;
use crate::reviews::token::ReviewLink;
use crate::scheduler::{Handler, HandlerFuture, Outcome};
use crate::shopify::ShopDomain;
use entity::jobs;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use serde_json::json;
use std::sync::Arc;

/// Days after delivery the request goes out.
pub const DAYS_AFTER_DELIVERY: i64 = 7;

pub struct ReviewRequest {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub secret: Vec<u8>,
    pub app_url: url::Url,
}

impl Handler for ReviewRequest {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            match self.prepare(job).await {
                Ok(outcome) => outcome,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        })
    }
}

impl ReviewRequest {
    async fn prepare(&self, job: &jobs::Model) -> Result<Outcome, DbErr> {
        let cx = match OrderContext::load(&self.db, job).await? {
            Ok(cx) => cx,
            Err(skip) => return Ok(skip),
        };
        let Some(customer) = cx.customer.as_ref() else {
            return Ok(Outcome::Skip("a guest order: no consent to ask".into()));
        };
        if customer.email_marketing_consent != "subscribed" {
            return Ok(Outcome::Skip("no email marketing consent".into()));
        }
        let mut products: Vec<i64> = cx.items.iter().filter_map(|li| li.product_id).collect();
        products.sort_unstable();
        products.dedup();
        if products.is_empty() {
            return Ok(Outcome::Skip("nothing to review".into()));
        }
        let Ok(domain) = ShopDomain::parse(&cx.shop.domain) else {
            return Ok(Outcome::Skip("the shop's domain is not valid".into()));
        };
        let now = self.clock.now();
        let policy = Reviews::policy(&self.db, cx.shop.id).await?;
        let review_url = ReviewLink {
            shop: &domain,
            shopify_order_id: cx.order.shopify_order_id,
            shopify_customer_id: customer.shopify_customer_id.into(),
            products,
        }
        .url(&self.secret, now, policy.link_valid_days);
        let program = Programs::load(&self.db, &cx.shop).await?;
        let lang = cx.lang;
        let product = cx.product();
        let points = if program.enabled && program.rules.review_points > 0 {
            tf(
                lang,
                "email.review_request.points",
                &[
                    ("points", &program.rules.review_points.to_string()),
                    (
                        "photo_points",
                        &program.rules.photo_review_points.to_string(),
                    ),
                ],
            )
        } else {
            String::new()
        };
        let greeting = match cx.first_name() {
            Some(name) => tf(lang, "email.post_purchase.greeting", &[("name", name)]),
            None => t(lang, "email.post_purchase.greeting_anonymous"),
        };
        let unsubscribe_url =
            unsubscribe::url(&self.app_url, &self.secret, cx.shop.id, customer.id);
        let globals = json!({
            "lang": lang,
            "shop_name": cx.shop_name,
            "review_url": review_url,
            "unsubscribe_url": unsubscribe_url,
            "texts": {
                "greeting": greeting,
                "ask": tf(lang, "email.review_request.ask", &[("product", &product)]),
                "button": t(lang, "email.review_request.button"),
                "points": points,
                "signature": tf(lang, "email.post_purchase.signature", &[("shop", &cx.shop_name)]),
                "why": t(lang, "email.review_request.why"),
                "unsubscribe": t(lang, "email.unsubscribe"),
            },
        });
        let (html, text) = match templates::render("review_request", &globals) {
            Ok(rendered) => rendered,
            Err(e) => return Ok(Outcome::Retry(e.to_string())),
        };
        let subject = match cx.first_name() {
            Some(name) => tf(
                lang,
                "email.review_request.subject",
                &[("name", name), ("product", &product)],
            ),
            None => tf(
                lang,
                "email.review_request.subject_anonymous",
                &[("product", &product)],
            ),
        };
        let email = OutgoingEmail {
            shop_id: cx.shop.id,
            customer_id: Some(customer.id),
            flow: "review_request".into(),
            marketing: true,
            locale: lang.to_owned(),
            to: cx.to.clone(),
            subject,
            html,
            text,
            unsubscribe_url: Some(unsubscribe_url),
            reply_to: cx.shop.email.clone(),
            key: format!("email:review_request:{}", cx.order.id),
            send_at: now,
        };
        let txn = self.db.begin().await?;
        Outbox::queue(&txn, email, now).await?;
        txn.commit().await?;
        Ok(Outcome::Done)
    }
}
