//! A return's status email at each step (requested, approved with the slip,
//! rejected with the reason, received, refunded, credited with the code,
//! exchanged), in the language the shopper asked in, with the stable link to
//! follow it. Transactional: they asked for the return.
use super::compose::{Composed, Letter, button};
use super::settings::Flow;
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::i18n::{negotiate, t, tf};
use crate::money::Money;
use crate::returns::rules::{self, ReturnPolicy};
use crate::returns::service::{status_token, status_url};
use crate::shops::ShopSettings;
use entity::{customers, jobs, orders, return_requests, shops};
use sea_orm::EntityTrait;
use serde_json::json;

pub struct ReturnNote {
    pub letter: Letter,
    pub rma: String,
    pub status: String,
    /// The amount refunded or credited, already formatted.
    pub amount: String,
    pub order_name: String,
    pub rejection: Option<String>,
    pub shop_pays_label: bool,
    pub address: Vec<String>,
    /// The store-credit code, once credited.
    pub code: Option<String>,
    pub exchange: Option<String>,
    pub url: String,
}

impl ReturnNote {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let status = t(l.lang, &format!("returns.status.{}", self.status));
        let args = [
            ("rma", self.rma.as_str()),
            ("amount", self.amount.as_str()),
            ("order", self.order_name.as_str()),
            ("reason", self.rejection.as_deref().unwrap_or("")),
            ("variant", self.exchange.as_deref().unwrap_or("")),
        ];
        let mut paragraphs = vec![tf(
            l.lang,
            &format!("email.return_status.body.{}", self.status),
            &args,
        )];
        if self.status == rules::APPROVED || self.status == rules::LABEL_ISSUED {
            let who = if self.shop_pays_label {
                "email.return_status.label_shop"
            } else {
                "email.return_status.label_customer"
            };
            paragraphs.push(t(l.lang, who));
            if !self.address.is_empty() {
                paragraphs.push(tf(
                    l.lang,
                    "email.return_status.address",
                    &[("address", &self.address.join(", "))],
                ));
            }
        }
        let texts = json!({
            "code_intro": l.text("code_intro", &[]),
            "code_terms": "",
        });
        let data = json!({
            "code": self.code,
            "button": button(l.text("button", &[]), self.url.clone()),
        });
        l.render(
            "offer",
            l.subject(&[("rma", &self.rma), ("status", &status)]),
            &paragraphs,
            texts,
            data,
        )
    }
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let Some(id) = job.payload["return_id"].as_i64() else {
        return Ok(Step::Skip("the job names no return".into()));
    };
    let Some(request) = return_requests::Entity::find_by_id(id)
        .one(&deps.db)
        .await?
    else {
        return Ok(Step::Skip("the return is gone".into()));
    };
    let status = job.payload["status"]
        .as_str()
        .unwrap_or(&request.status)
        .to_owned();
    let Some(to) = request.email.clone().filter(|e| !e.is_empty()) else {
        return Ok(Step::Skip("no email address".into()));
    };
    let Some(shop) = shops::Entity::find_by_id(request.shop_id)
        .one(&deps.db)
        .await?
    else {
        return Ok(Step::Skip("the shop is gone".into()));
    };
    let customer = match request.customer_id {
        Some(c) => customers::Entity::find_by_id(c).one(&deps.db).await?,
        None => None,
    };
    if customer.as_ref().is_some_and(|c| c.redacted_at.is_some()) {
        return Ok(Step::Skip("the customer was redacted".into()));
    }
    let order = orders::Entity::find_by_id(request.order_id)
        .one(&deps.db)
        .await?;
    let policy: ReturnPolicy = ShopSettings::load(&deps.db, shop.id).await?;
    let lang = negotiate(Some(&request.locale));
    let shop_name = shop.name.clone().unwrap_or_else(|| shop.domain.clone());
    let first_name = customer
        .as_ref()
        .and_then(|c| c.first_name.clone())
        .filter(|n| !n.trim().is_empty());
    let amount_minor = if status == rules::CREDITED {
        request.credit_minor
    } else {
        request.value_minor
    };
    let note = ReturnNote {
        letter: deps.letter(
            Flow::ReturnStatus,
            lang,
            &shop_name,
            first_name.as_deref(),
            shop.id,
            request.customer_id,
        ),
        rma: request.number.clone(),
        amount: Money::new(amount_minor, &request.currency).with_currency(),
        order_name: order.map(|o| o.name).unwrap_or_default(),
        rejection: request.rejection_reason.clone(),
        shop_pays_label: request.shop_pays_label,
        address: policy.return_address.lines(),
        code: (status == rules::CREDITED)
            .then(|| request.settled_reference.clone())
            .flatten()
            .filter(|r| r.starts_with("CREDIT-")),
        exchange: request.exchange_variant_title.clone(),
        url: status_url(
            &shop.domain,
            &request.number,
            &status_token(&deps.secret, shop.id, request.id),
            lang,
        ),
        status: status.clone(),
    };
    let composed = note.compose()?;
    let email = note.letter.outgoing(
        composed,
        &shop,
        request.customer_id,
        to,
        format!("email:return:{}:{status}", request.id),
        deps.clock.now(),
    );
    Ok(Step::Send(Box::new(email)))
}
