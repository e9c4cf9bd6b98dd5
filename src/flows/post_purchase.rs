//! Post-purchase: the confirmation and value email, sent at once — thanks by
//! name, the promised delivery range restated, the items, a warm line about
//! what they bought. Transactional: sent whatever the marketing consent.
use super::templates;
use crate::clock::Clock;
use crate::delivery::DeliveryPromises;
use crate::delivery::format::arrival_text;
use crate::emails::{Outbox, OutgoingEmail};
use crate::i18n::{negotiate, t, tf};
use crate::scheduler::{Handler, HandlerFuture, Outcome};
use entity::{customers, jobs, order_line_items, orders, shops};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};
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
        let Some(order_id) = job.payload["order_id"].as_i64() else {
            return Ok(Outcome::Skip("the job names no order".into()));
        };
        let Some(order) = orders::Entity::find_by_id(order_id).one(&self.db).await? else {
            return Ok(Outcome::Skip("the order is gone".into()));
        };
        if order.cancelled_at.is_some() {
            return Ok(Outcome::Skip("the order was cancelled".into()));
        }
        let customer = match order.customer_id {
            Some(id) => customers::Entity::find_by_id(id).one(&self.db).await?,
            None => None,
        };
        if customer.as_ref().is_some_and(|c| c.redacted_at.is_some()) {
            return Ok(Outcome::Skip("the customer was redacted".into()));
        }
        let Some(to) = customer
            .as_ref()
            .and_then(|c| c.email.clone())
            .or_else(|| order.email.clone())
        else {
            return Ok(Outcome::Skip("no email address".into()));
        };
        let Some(shop) = shops::Entity::find_by_id(order.shop_id)
            .one(&self.db)
            .await?
        else {
            return Ok(Outcome::Skip("the shop is gone".into()));
        };
        let lang = negotiate(
            customer
                .as_ref()
                .and_then(|c| c.locale.as_deref())
                .or(order.customer_locale.as_deref())
                .or(Some(shop.locale.as_str())),
        );
        let items = order_line_items::Entity::find()
            .filter(order_line_items::Column::OrderId.eq(order.id))
            .all(&self.db)
            .await?;
        let promise = DeliveryPromises::for_order(&self.db, order.id).await?;
        let shop_name = shop.name.clone().unwrap_or_else(|| shop.domain.clone());
        let first_name = customer.as_ref().and_then(|c| c.first_name.clone());
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
            to,
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
