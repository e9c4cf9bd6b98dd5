//! Delivery check-in: on the promised earliest date (or the morning after a
//! delivery nobody promised), "Did everything go well?" with two one-click
//! answers. "Yes" is recorded; "Something went wrong" leads to a short form
//! that opens a make-it-right case. Transactional: it is about their order.
use super::compose::{Composed, Letter};
use super::context::{OrderContext, gate};
use super::settings::Flow;
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step, flow_job};
use crate::delivery::DeliveryPromises;
use crate::delivery::format::arrival_text;
use crate::scheduler::NewJob;
use crate::shopify::ShopDomain;
use crate::shops::ShopSettings;
use crate::support::SupportSettings;
use crate::surveys::{FeedbackLink, Question};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{jobs, orders};
use serde_json::json;

/// The check-in job for an order, at `at` (one per order, whichever schedules it first).
pub fn job(shop_id: i64, order: &orders::Model, at: DateTime<Utc>) -> NewJob {
    flow_job(
        Flow::DeliveryCheckin,
        shop_id,
        format!("flow:delivery_checkin:{}", order.id),
        at,
        json!({ "order_id": order.id, "customer_id": order.customer_id }),
    )
}

pub struct Checkin {
    pub letter: Letter,
    pub order_name: String,
    pub promised: Option<(NaiveDate, NaiveDate)>,
    pub yes_url: String,
    pub no_url: String,
    pub reply_hours: u32,
}

impl Checkin {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let intro = match self.promised {
            Some((a, b)) => l.text(
                "intro_promised",
                &[
                    ("order", &self.order_name),
                    ("range", &arrival_text(l.lang, a, b)),
                ],
            ),
            None => l.text("intro", &[("order", &self.order_name)]),
        };
        let texts = json!({
            "question": l.text("question", &[]),
            "yes": l.text("yes", &[]),
            "no": l.text("no", &[]),
            "promise": l.text("promise", &[("hours", &self.reply_hours.to_string())]),
        });
        let data = json!({ "yes_url": self.yes_url, "no_url": self.no_url });
        let subject = l.subject(&[("order", &self.order_name)]);
        l.render("delivery_checkin", subject, &[intro], texts, data)
    }
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let cx = match OrderContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(Flow::DeliveryCheckin, &settings, cx.customer.as_ref()) {
        return Ok(Step::Skip(why.into()));
    }
    if cx.order.financial_status == "refunded" {
        return Ok(Step::Skip("the order was refunded".into()));
    }
    let support: SupportSettings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    let promise = DeliveryPromises::for_order(&deps.db, cx.order.id).await?;
    let now = deps.clock.now();
    let domain = ShopDomain::from_stored(cx.shop.domain.clone());
    let link = FeedbackLink {
        shop: &domain,
        order_id: cx.order.id,
        customer_id: cx.order.customer_id,
    };
    let token = link.token(&deps.secret, now);
    let checkin = Checkin {
        letter: cx.letter(Flow::DeliveryCheckin, deps),
        order_name: cx.order.name.clone(),
        promised: promise.map(|p| (p.promised_earliest, p.promised_latest)),
        yes_url: link.answer_url(&token, Question::Checkin, "yes", cx.lang),
        no_url: link.answer_url(&token, Question::Checkin, "no", cx.lang),
        reply_hours: support.first_reply_hours,
    };
    let composed = checkin.compose()?;
    let email = checkin.letter.outgoing(
        composed,
        &cx.shop,
        cx.order.customer_id,
        cx.to.clone(),
        format!("email:delivery_checkin:{}", cx.order.id),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}
