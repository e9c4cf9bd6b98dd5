//! The survey a few days after delivery (3 by default): NPS (0–10) and CSAT
//! (1–5) in one email, each answer one click that is recorded at once, with
//! an optional comment page after. Marketing: consent and unsubscribe.
use super::compose::{Composed, Letter};
use super::context::{OrderContext, gate};
use super::settings::Flow;
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::shopify::ShopDomain;
use crate::shops::ShopSettings;
use crate::surveys::link::answer_url;
use crate::surveys::{FeedbackLink, Question};
use entity::jobs;
use serde_json::json;

pub struct SurveyAsk {
    pub letter: Letter,
    pub product: String,
    pub shop: ShopDomain,
    /// The signed feedback token every answer link carries.
    pub token: String,
}

impl SurveyAsk {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let nps: Vec<_> = (0..=10)
            .map(|n| {
                let n = n.to_string();
                json!({"label": n, "url": answer_url(&self.shop, &self.token, Question::Nps, &n, l.lang)})
            })
            .collect();
        let csat: Vec<_> = (1..=5)
            .map(|n| {
                let n = n.to_string();
                json!({
                    "label": format!("{n} · {}", l.text(&format!("csat_{n}"), &[])),
                    "url": answer_url(&self.shop, &self.token, Question::Csat, &n, l.lang),
                })
            })
            .collect();
        let texts = json!({
            "nps_question": l.text("nps_question", &[("shop", &l.shop_name)]),
            "nps_low": l.text("nps_low", &[]),
            "nps_high": l.text("nps_high", &[]),
            "csat_question": l.text("csat_question", &[]),
            "one_click": l.text("one_click", &[]),
        });
        let intro = l.text("intro", &[("product", &self.product)]);
        let subject = l.subject(&[]);
        l.render(
            "survey",
            subject,
            &[intro],
            texts,
            json!({"nps": nps, "csat": csat}),
        )
    }
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let cx = match OrderContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(Flow::Survey, &settings, cx.customer.as_ref()) {
        return Ok(Step::Skip(why.into()));
    }
    let Some(customer) = cx.customer.as_ref() else {
        return Ok(Step::Skip("a guest order: no consent to ask".into()));
    };
    let now = deps.clock.now();
    let domain = ShopDomain::from_stored(cx.shop.domain.clone());
    let token = FeedbackLink {
        shop: &domain,
        order_id: cx.order.id,
        customer_id: Some(customer.id),
    }
    .token(&deps.secret, now);
    let ask = SurveyAsk {
        letter: cx.letter(Flow::Survey, deps),
        product: cx.product(),
        shop: domain,
        token,
    };
    let composed = ask.compose()?;
    let email = ask.letter.outgoing(
        composed,
        &cx.shop,
        Some(customer.id),
        cx.to.clone(),
        format!("email:survey:{}", cx.order.id),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}
