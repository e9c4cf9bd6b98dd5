//! What every flow loads when its job runs, and the checks that skip a job
//! no longer relevant: the order gone or cancelled, the customer redacted or
//! unsubscribed, the flow switched off, no address to write to.
use super::FlowDeps;
use super::compose::Letter;
use super::settings::{Audience, Flow, FlowSettings};
use crate::i18n::negotiate;
use crate::scheduler::Outcome;
use entity::{customers, jobs, order_line_items, orders, shops};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// Why `flow` must not write to `customer` now, if it must not: the flow is
/// off, marketing without consent, or transactional mail the shop keeps to
/// subscribers.
pub fn gate(
    flow: Flow,
    settings: &FlowSettings,
    customer: Option<&customers::Model>,
) -> Option<&'static str> {
    let subscribed = customer.is_some_and(|c| c.email_marketing_consent == "subscribed");
    // They wrote to the shop or asked for a return: they always hear back.
    if matches!(flow, Flow::SupportReply | Flow::ReturnStatus) {
        return None;
    }
    if !settings.enabled(flow) {
        Some("the flow is switched off")
    } else if flow.is_marketing() && !subscribed {
        Some("no email marketing consent")
    } else if !flow.is_marketing()
        && settings.transactional_audience == Audience::Subscribed
        && !subscribed
    {
        Some("the shop sends order emails to subscribers only")
    } else {
        None
    }
}

/// The language to write to a customer in: theirs, else the order's, else the shop's.
fn language(
    customer: Option<&customers::Model>,
    order: Option<&orders::Model>,
    shop: &shops::Model,
) -> &'static str {
    negotiate(
        customer
            .and_then(|c| c.locale.as_deref())
            .or(order.and_then(|o| o.customer_locale.as_deref()))
            .or(Some(shop.locale.as_str())),
    )
}

/// A customer-centred flow's recipient (win-back, VIP, birthdays…).
pub struct CustomerContext {
    pub customer: customers::Model,
    pub shop: shops::Model,
    pub to: String,
    pub lang: &'static str,
    pub shop_name: String,
}

impl CustomerContext {
    /// The letter `flow` writes to this customer.
    pub fn letter(&self, flow: Flow, deps: &FlowDeps) -> Letter {
        deps.letter(
            flow,
            self.lang,
            &self.shop_name,
            self.first_name(),
            self.shop.id,
            Some(self.customer.id),
        )
    }

    pub fn first_name(&self) -> Option<&str> {
        self.customer
            .first_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
    }

    /// Loads the job's customer; `Err(outcome)` when the job should not run.
    pub async fn load(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
    ) -> Result<Result<CustomerContext, Outcome>, DbErr> {
        let skip = |why: &str| Ok(Err(Outcome::Skip(why.to_owned())));
        let Some(customer_id) = job.payload["customer_id"].as_i64() else {
            return skip("the job names no customer");
        };
        let Some(customer) = customers::Entity::find_by_id(customer_id).one(db).await? else {
            return skip("the customer is gone");
        };
        if customer.redacted_at.is_some() {
            return skip("the customer was redacted");
        }
        let Some(to) = customer.email.clone().filter(|e| !e.is_empty()) else {
            return skip("no email address");
        };
        let Some(shop) = shops::Entity::find_by_id(customer.shop_id).one(db).await? else {
            return skip("the shop is gone");
        };
        if shop.uninstalled_at.is_some() {
            return skip("the shop uninstalled the app");
        }
        // Customers rarely carry a locale; the language they last shopped in does.
        let last_order = orders::Entity::find()
            .filter(orders::Column::CustomerId.eq(customer.id))
            .filter(orders::Column::CustomerLocale.is_not_null())
            .order_by_desc(orders::Column::Id)
            .one(db)
            .await?;
        let lang = language(Some(&customer), last_order.as_ref(), &shop);
        let shop_name = shop.name.clone().unwrap_or_else(|| shop.domain.clone());
        Ok(Ok(CustomerContext {
            customer,
            shop,
            to,
            lang,
            shop_name,
        }))
    }
}

pub struct OrderContext {
    pub order: orders::Model,
    pub customer: Option<customers::Model>,
    pub shop: shops::Model,
    pub items: Vec<order_line_items::Model>,
    pub to: String,
    pub lang: &'static str,
    pub shop_name: String,
}

impl OrderContext {
    /// The letter `flow` writes about this order.
    pub fn letter(&self, flow: Flow, deps: &FlowDeps) -> Letter {
        let customer = self.customer.as_ref().map(|c| c.id);
        deps.letter(
            flow,
            self.lang,
            &self.shop_name,
            self.first_name(),
            self.shop.id,
            customer,
        )
    }

    pub fn first_name(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.first_name.as_deref())
            .filter(|n| !n.trim().is_empty())
    }

    /// The first item's title ("your order" when there is none).
    pub fn product(&self) -> String {
        self.items
            .first()
            .map(|li| li.title.clone())
            .unwrap_or_else(|| crate::i18n::t(self.lang, "email.your_order"))
    }

    /// Loads the job's order; `Err(outcome)` when the job should not run.
    pub async fn load(
        db: &impl ConnectionTrait,
        job: &jobs::Model,
    ) -> Result<Result<OrderContext, Outcome>, DbErr> {
        let skip = |why: &str| Ok(Err(Outcome::Skip(why.to_owned())));
        let Some(order_id) = job.payload["order_id"].as_i64() else {
            return skip("the job names no order");
        };
        let Some(order) = orders::Entity::find_by_id(order_id).one(db).await? else {
            return skip("the order is gone");
        };
        if order.cancelled_at.is_some() {
            return skip("the order was cancelled");
        }
        let customer = match order.customer_id {
            Some(id) => customers::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        if customer.as_ref().is_some_and(|c| c.redacted_at.is_some()) {
            return skip("the customer was redacted");
        }
        let Some(to) = customer
            .as_ref()
            .and_then(|c| c.email.clone())
            .or_else(|| order.email.clone())
        else {
            return skip("no email address");
        };
        let Some(shop) = shops::Entity::find_by_id(order.shop_id).one(db).await? else {
            return skip("the shop is gone");
        };
        if shop.uninstalled_at.is_some() {
            return skip("the shop uninstalled the app");
        }
        let lang = language(customer.as_ref(), Some(&order), &shop);
        let items = order_line_items::Entity::find()
            .filter(order_line_items::Column::OrderId.eq(order.id))
            .all(db)
            .await?;
        let shop_name = shop.name.clone().unwrap_or_else(|| shop.domain.clone());
        Ok(Ok(OrderContext {
            order,
            customer,
            shop,
            items,
            to,
            lang,
            shop_name,
        }))
    }
}
