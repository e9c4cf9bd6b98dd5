//! Post-purchase: the confirmation and value email, sent at once — thanks by
//! name, the promised delivery range restated, the items, a warm line about
//! what they bought. Transactional: sent whatever the marketing consent
//! (unless the shop keeps order emails to subscribers).
use super::compose::{Composed, Letter};
use super::context::{OrderContext, gate};
use super::settings::Flow;
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::delivery::DeliveryPromises;
use crate::delivery::format::arrival_text;
use crate::i18n::{t, tf};
use crate::shops::ShopSettings;
use chrono::NaiveDate;
use entity::jobs;
use serde_json::json;

/// What the confirmation says, whoever it is for.
pub struct Confirmation {
    pub letter: Letter,
    pub order_name: String,
    pub items: Vec<(String, i32)>,
    pub promised: Option<(NaiveDate, NaiveDate)>,
}

impl Confirmation {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let lang = self.letter.lang;
        let shop = &self.letter.shop_name;
        let product = self.items.first().map(|i| i.0.clone()).unwrap_or_default();
        let texts = json!({
            "thanks": tf(lang, "email.post_purchase.thanks", &[("order", &self.order_name), ("shop", shop)]),
            "delivery": self.promised.map(|(a, b)| arrival_text(lang, a, b)).unwrap_or_default(),
            "delivery_note": t(lang, "email.post_purchase.delivery_note"),
            "warm": tf(lang, "email.post_purchase.warm", &[("product", &product)]),
        });
        let items: Vec<_> = self
            .items
            .iter()
            .map(|(title, quantity)| json!({"title": title, "quantity": quantity}))
            .collect();
        let subject = self.letter.subject(&[("order", &self.order_name)]);
        self.letter.render(
            "post_purchase",
            subject,
            &[],
            texts,
            json!({ "items": items }),
        )
    }
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let cx = match OrderContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(Flow::PostPurchase, &settings, cx.customer.as_ref()) {
        return Ok(Step::Skip(why.into()));
    }
    let promise = DeliveryPromises::for_order(&deps.db, cx.order.id).await?;
    let confirmation = Confirmation {
        letter: cx.letter(Flow::PostPurchase, deps),
        order_name: cx.order.name.clone(),
        items: cx
            .items
            .iter()
            .map(|li| (li.title.clone(), li.quantity))
            .collect(),
        promised: promise.map(|p| (p.promised_earliest, p.promised_latest)),
    };
    let composed = confirmation.compose()?;
    let email = confirmation.letter.outgoing(
        composed,
        &cx.shop,
        cx.order.customer_id,
        cx.to.clone(),
        format!("email:post_purchase:{}", cx.order.id),
        deps.clock.now(),
    );
    Ok(Step::Send(Box::new(email)))
}
