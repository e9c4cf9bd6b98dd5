//! Review request: some days after delivery (7 by default), the verified
//! review link for the order's products, with the loyalty points a review
//! earns. Marketing: only with the customer's consent, with one-click
//! unsubscribe.
use super::compose::{Composed, Letter, button};
use super::context::{OrderContext, gate};
use super::settings::Flow;
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::i18n::tf;
use crate::loyalty::Programs;
use crate::reviews::Reviews;
use crate::reviews::token::ReviewLink;
use crate::shopify::ShopDomain;
use crate::shops::ShopSettings;
use entity::jobs;
use serde_json::json;

pub struct ReviewAsk {
    pub letter: Letter,
    pub product: String,
    pub review_url: String,
    /// (points for a review, points with a photo) when the program rewards reviews.
    pub points: Option<(i64, i64)>,
}

impl ReviewAsk {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let points = self
            .points
            .map(|(review, photo)| {
                l.text(
                    "points",
                    &[
                        ("points", &review.to_string()),
                        ("photo_points", &photo.to_string()),
                    ],
                )
            })
            .unwrap_or_default();
        let texts = json!({
            "ask": tf(l.lang, "email.review_request.ask", &[("product", &self.product)]),
            "button": l.text("button", &[]),
            "points": points,
        });
        let subject = l.subject(&[("product", &self.product)]);
        let data = json!({
            "review_url": self.review_url,
            "button": button(l.text("button", &[]), self.review_url.clone()),
        });
        l.render("review_request", subject, &[], texts, data)
    }
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let cx = match OrderContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(Flow::ReviewRequest, &settings, cx.customer.as_ref()) {
        return Ok(Step::Skip(why.into()));
    }
    let Some(customer) = cx.customer.as_ref() else {
        return Ok(Step::Skip("a guest order: no consent to ask".into()));
    };
    let mut products: Vec<i64> = cx.items.iter().filter_map(|li| li.product_id).collect();
    products.sort_unstable();
    products.dedup();
    if products.is_empty() {
        return Ok(Step::Skip("nothing to review".into()));
    }
    let Ok(domain) = ShopDomain::parse(&cx.shop.domain) else {
        return Ok(Step::Skip("the shop's domain is not valid".into()));
    };
    let now = deps.clock.now();
    let policy = Reviews::policy(&deps.db, cx.shop.id).await?;
    let review_url = ReviewLink {
        shop: &domain,
        shopify_order_id: cx.order.shopify_order_id,
        shopify_customer_id: customer.shopify_customer_id.into(),
        products,
    }
    .url(&deps.secret, now, policy.link_valid_days);
    let program = Programs::load(&deps.db, &cx.shop).await?;
    let ask = ReviewAsk {
        letter: cx.letter(Flow::ReviewRequest, deps),
        product: cx.product(),
        review_url,
        points: (program.enabled && program.rules.review_points > 0).then_some((
            program.rules.review_points,
            program.rules.photo_review_points,
        )),
    };
    let composed = ask.compose()?;
    let email = ask.letter.outgoing(
        composed,
        &cx.shop,
        Some(customer.id),
        cx.to.clone(),
        format!("email:review_request:{}", cx.order.id),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}
