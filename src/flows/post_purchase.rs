//! Post-purchase: the confirmation and value email, sent at once — thanks by
//! name, the promised delivery range restated, the items, a warm line about
//! what they bought. Transactional: sent whatever the marketing consent.
use super::context::OrderContext;
use super::templates;
use crate::clock::Clock;
use crate::delivery::DeliveryPromises;
use crate::delivery::format::arrival_text;
use crate::emails::{Outbox, OutgoingEmail};
use crate::i18n::{t, tf};
use crate::scheduler::{Handler, HandlerFuture, Outcome};
use entity::jobs;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use serde_json::json;
use std::sync::Arc;

pub struct PostPurchase {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
}

impl Handler for PostPurchase {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            match self.prepare(job).await {
                Ok(outcome) => outcome,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        })
    }
}

impl PostPurchase {
    async fn prepare(&self, job: &jobs::Model) -> Result<Outcome, DbErr> {
        let cx = match OrderContext::load(&self.db, job).await? {
            Ok(cx) => cx,
            Err(skip) => return Ok(skip),
        };
        let (order, shop, items, lang) = (&cx.order, &cx.shop, &cx.items, cx.lang);
        let promise = DeliveryPromises::for_order(&self.db, order.id).await?;
        let shop_name = cx.shop_name.clone();
        let first_name = cx.first_name().map(str::to_owned);
        let greeting = match &first_name {
            Some(name) => tf(lang, "email.post_purchase.greeting", &[("name", name)]),
            None => t(lang, "email.post_purchase.greeting_anonymous"),
        };
        let product = items.first().map(|li| li.title.clone()).unwrap_or_default();
        let texts = json!({
            "greeting": greeting,
            "thanks": tf(lang, "email.post_purchase.thanks", &[("order", &order.name), ("shop", &shop_name)]),
            "delivery": promise.as_ref().map(|p| arrival_text(lang, p.promised_earliest, p.promised_latest)).unwrap_or_default(),
            "delivery_note": t(lang, "email.post_purchase.delivery_note"),
            "warm": tf(lang, "email.post_purchase.warm", &[("product", &product)]),
            "signature": tf(lang, "email.post_purchase.signature", &[("shop", &shop_name)]),
        });
        let globals = json!({
            "lang": lang,
            "shop_name": shop_name,
            "texts": texts,
            "items": items.iter().map(|li| json!({"title": li.title, "quantity": li.quantity})).collect::<Vec<_>>(),
        });
        let (html, text) = match templates::render("post_purchase", &globals) {
            Ok(rendered) => rendered,
            Err(e) => return Ok(Outcome::Retry(e.to_string())),
        };
        let subject = match &first_name {
            Some(name) => tf(
                lang,
                "email.post_purchase.subject",
                &[("name", name), ("order", &order.name)],
            ),
            None => tf(
                lang,
                "email.post_purchase.subject_anonymous",
                &[("order", &order.name)],
            ),
        };
        let now = self.clock.now();
        let email = OutgoingEmail {
            shop_id: shop.id,
            customer_id: order.customer_id,
            flow: "post_purchase".into(),
            marketing: false,
            locale: lang.to_owned(),
            to: cx.to.clone(),
            subject,
            html,
            text,
            unsubscribe_url: None,
            reply_to: shop.email.clone(),
            key: format!("email:post_purchase:{}", order.id),
            send_at: now,
        };
        let txn = self.db.begin().await?;
        Outbox::queue(&txn, email, now).await?;
        txn.commit().await?;
        Ok(Outcome::Done)
    }
}
