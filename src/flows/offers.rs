//! Offers that follow a purchase: replenishment ("running low?" some days
//! after a product the shop says runs out, with a one-click reorder link and
//! a small discount) and complete-the-set (a product that goes with what
//! they bought, when they do not have it yet). Both marketing.
use super::compose::{Composed, Letter, button};
use super::context::{OrderContext, gate};
use super::incentive::Incentive;
use super::settings::{Flow, FlowSettings};
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step, flow_job, fresh};
use crate::delivery::format::date_text;
use crate::loyalty::rules::RewardKind;
use crate::scheduler::NewJob;
use crate::shops::ShopSettings;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{jobs, order_line_items, orders};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

/// Days a flow's discount code stays valid.
pub const CODE_VALID_DAYS: i64 = 14;

/// The offer jobs a paid order starts, per the shop's rules.
pub async fn jobs_for_order(
    db: &impl ConnectionTrait,
    settings: &FlowSettings,
    shop_id: i64,
    order: &orders::Model,
    bought: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<NewJob>, DbErr> {
    let wants_replenish =
        settings.replenishment.enabled && !settings.replenishment.rules.is_empty();
    let wants_set =
        settings.complete_the_set.enabled && !settings.complete_the_set.pairs.is_empty();
    if order.customer_id.is_none() || !(wants_replenish || wants_set) {
        return Ok(Vec::new());
    }
    let items = order_line_items::Entity::find()
        .filter(order_line_items::Column::OrderId.eq(order.id))
        .all(db)
        .await?;
    let has = |product: i64| items.iter().any(|li| li.product_id == Some(product));
    let mut jobs = Vec::new();
    if wants_replenish {
        for li in &items {
            let Some(rule) = li.product_id.and_then(|p| settings.replenish_rule(p)) else {
                continue;
            };
            let at = bought + Duration::days(i64::from(rule.after_days));
            if fresh(at, now) {
                jobs.push(flow_job(
                    Flow::Replenishment,
                    shop_id,
                    format!("flow:replenishment:{}:{}", order.id, rule.product_id),
                    at,
                    json!({"order_id": order.id, "customer_id": order.customer_id,
                        "product_id": rule.product_id, "variant_id": li.variant_id,
                        "quantity": li.quantity}),
                ));
            }
        }
    }
    if wants_set {
        let at = bought + Duration::days(i64::from(settings.complete_the_set.after_days));
        for pair in &settings.complete_the_set.pairs {
            if has(pair.product_id) && !has(pair.suggest_product_id) && fresh(at, now) {
                jobs.push(flow_job(
                    Flow::CompleteTheSet,
                    shop_id,
                    format!(
                        "flow:complete_the_set:{}:{}",
                        order.id, pair.suggest_product_id
                    ),
                    at,
                    json!({"order_id": order.id, "customer_id": order.customer_id,
                        "product_id": pair.product_id, "suggest_product_id": pair.suggest_product_id}),
                ));
            }
        }
    }
    Ok(jobs)
}

/// A discount code in an email: the code, its percent and last day.
#[derive(Debug, Clone)]
pub struct Code {
    pub code: String,
    pub percent: u32,
    pub until: NaiveDate,
}

pub struct Offer {
    pub letter: Letter,
    /// What they bought.
    pub product: String,
    /// Replenishment: days since; complete-the-set: what goes with it.
    pub days: i64,
    pub suggestion: Option<String>,
    pub code: Option<Code>,
    pub url: String,
}

impl Offer {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let suggestion = self.suggestion.clone().unwrap_or_default();
        let args = [
            ("product", self.product.as_str()),
            ("days", &self.days.to_string()),
            ("suggest", suggestion.as_str()),
        ];
        let texts = match &self.code {
            Some(code) => json!({
                "code_intro": l.text("code_intro", &[("percent", &code.percent.to_string()), ("suggest", &suggestion)]),
                "code_terms": crate::i18n::tf(l.lang, "email.code_terms", &[("date", &date_text(l.lang, code.until))]),
            }),
            None => json!({}),
        };
        let data = json!({
            "code": self.code.as_ref().map(|c| c.code.clone()),
            "button": button(l.text("button", &args), self.url.clone()),
        });
        l.render(
            "offer",
            l.subject(&args),
            &[l.text("intro", &args)],
            texts,
            data,
        )
    }
}

/// The shop's page that applies `code` and lands on `path`.
pub fn discount_link(shop_domain: &str, code: Option<&str>, path: &str) -> String {
    match code {
        Some(code) => format!(
            "https://{shop_domain}/discount/{code}?redirect={}",
            url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        ),
        None => format!("https://{shop_domain}{path}"),
    }
}

/// Whether the customer bought `product_id` in a live order other than `except`
/// (and, when `after` is set, later than it).
async fn bought_again(
    db: &impl ConnectionTrait,
    customer_id: i64,
    product_id: i64,
    except: i64,
    after: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let mut query = orders::Entity::find()
        .inner_join(order_line_items::Entity)
        .filter(orders::Column::CustomerId.eq(customer_id))
        .filter(orders::Column::Id.ne(except))
        .filter(orders::Column::CancelledAt.is_null())
        .filter(order_line_items::Column::ProductId.eq(product_id));
    if let Some(after) = after {
        query = query.filter(orders::Column::ProcessedAt.gt(after));
    }
    Ok(query
        .select_only()
        .column(orders::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model, flow: Flow) -> Result<Step, FlowError> {
    let cx = match OrderContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings: FlowSettings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(flow, &settings, cx.customer.as_ref()) {
        return Ok(Step::Skip(why.into()));
    }
    let Some(customer) = cx.customer.as_ref() else {
        return Ok(Step::Skip("a guest order: no consent to ask".into()));
    };
    let product_id = job.payload["product_id"].as_i64().unwrap_or_default();
    let product = cx
        .items
        .iter()
        .find(|li| li.product_id == Some(product_id))
        .map(|li| li.title.clone())
        .unwrap_or_else(|| cx.product());
    let now = deps.clock.now();
    let bought = cx.order.processed_at.unwrap_or(cx.order.created_at);
    let domain = cx.shop.domain.as_str();
    let (percent, suggestion, path, prefix, title_key) = match flow {
        Flow::Replenishment => {
            if settings.replenish_rule(product_id).is_none() {
                return Ok(Step::Skip(
                    "the shop no longer reminds about this product".into(),
                ));
            }
            if bought_again(&deps.db, customer.id, product_id, cx.order.id, Some(bought)).await? {
                return Ok(Step::Skip("they already reordered".into()));
            }
            let variant = job.payload["variant_id"].as_i64();
            let quantity = job.payload["quantity"].as_i64().unwrap_or(1).max(1);
            let path = variant.map_or_else(|| "/".to_owned(), |v| format!("/cart/{v}:{quantity}"));
            (
                settings.replenishment.discount_percent,
                None,
                path,
                "REFILL",
                "flows.discount_title.replenishment",
            )
        }
        _ => {
            let suggest_id = job.payload["suggest_product_id"]
                .as_i64()
                .unwrap_or_default();
            let Some(pair) = settings
                .complete_the_set
                .pairs
                .iter()
                .find(|p| p.product_id == product_id && p.suggest_product_id == suggest_id)
            else {
                return Ok(Step::Skip(
                    "the shop no longer suggests this pairing".into(),
                ));
            };
            if bought_again(&deps.db, customer.id, suggest_id, 0, None).await? {
                return Ok(Step::Skip("they already have it".into()));
            }
            let path = if pair.suggest_path.is_empty() {
                "/".to_owned()
            } else {
                pair.suggest_path.clone()
            };
            (
                settings.complete_the_set.discount_percent,
                Some(pair.suggest_title.clone()),
                path,
                "SET",
                "flows.discount_title.complete_the_set",
            )
        }
    };
    let code = if percent > 0 {
        let key = job.idempotency_key.clone();
        let title = crate::i18n::t(&cx.shop.locale, title_key);
        let (code, ends) = Incentive {
            shop: &cx.shop,
            shopify_customer_id: Some(customer.shopify_customer_id),
            key: &key,
            prefix,
            kind: RewardKind::Percentage,
            value: i64::from(percent),
            title: &title,
            valid_days: CODE_VALID_DAYS,
        }
        .issue(&deps.admin, &deps.cipher, &deps.secret, now)
        .await?;
        let tz = crate::clock::shop_tz(&cx.shop.timezone);
        Some(Code {
            code,
            percent,
            until: crate::clock::local_date(ends, tz),
        })
    } else {
        None
    };
    let url = if flow == Flow::Replenishment {
        // A cart permalink fills the cart and applies the code in one click.
        match &code {
            Some(c) if path.starts_with("/cart/") => {
                format!("https://{domain}{path}?discount={}", c.code)
            }
            _ => discount_link(domain, code.as_ref().map(|c| c.code.as_str()), &path),
        }
    } else {
        discount_link(domain, code.as_ref().map(|c| c.code.as_str()), &path)
    };
    let offer = Offer {
        letter: cx.letter(flow, deps),
        product,
        days: super::rules::days_between(bought, now),
        suggestion,
        code,
        url,
    };
    let composed = offer.compose()?;
    let email = offer.letter.outgoing(
        composed,
        &cx.shop,
        Some(customer.id),
        cx.to.clone(),
        format!("email:{}", job.idempotency_key.trim_start_matches("flow:")),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discount_links_apply_the_code_and_land_on_the_page() {
        assert_eq!(
            discount_link("bottega.myshopify.com", Some("SET-AB12"), "/products/strap"),
            "https://bottega.myshopify.com/discount/SET-AB12?redirect=%2Fproducts%2Fstrap"
        );
        assert_eq!(
            discount_link("bottega.myshopify.com", None, "/products/strap"),
            "https://bottega.myshopify.com/products/strap"
        );
    }
}
