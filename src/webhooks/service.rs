//! Records and applies webhook deliveries. The delivery's id is inserted first,
//! in the same transaction as its effects: a repeat finds the id and does
//! nothing; a failure rolls both back so the platform's retry starts clean.
use super::Topic;
use crate::commerce::Upsert;
use crate::commerce::payload::{
    CustomerPayload, CustomerRedactPayload, DataRequestPayload, FulfillmentPayload, OrderPayload,
    RefundPayload,
};
use crate::commerce::{Commerce, CommerceError};
use crate::delivery::DeliveryPromises;
use crate::loyalty::{Loyalty, Programs};
use crate::privacy::Privacy;
use crate::shopify::ShopDomain;
use crate::shops::Shops;
use chrono::{DateTime, Utc};
use entity::{orders, webhook_events};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One verified delivery from the platform.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub webhook_id: String,
    pub topic: String,
    pub shop: ShopDomain,
    pub event_id: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    Processed,
    /// Seen before: nothing done again.
    Duplicate,
    /// Recorded but nothing to do (unknown topic or shop).
    Ignored(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the {topic} payload is not what the platform sends: {reason}")]
    Invalid { topic: String, reason: String },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CommerceError> for WebhookError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::Db(db) => WebhookError::Db(db),
            CommerceError::Invalid(reason) => WebhookError::Invalid {
                topic: String::new(),
                reason,
            },
        }
    }
}

fn payload<T: DeserializeOwned>(delivery: &Delivery) -> Result<T, WebhookError> {
    T::deserialize(&delivery.body).map_err(|e| WebhookError::Invalid {
        topic: delivery.topic.clone(),
        reason: e.to_string(),
    })
}

pub struct WebhookInbox;

impl WebhookInbox {
    #[tracing::instrument(skip(db, delivery), fields(topic = %delivery.topic, shop = %delivery.shop, webhook_id = %delivery.webhook_id))]
    pub async fn receive(
        db: &DatabaseConnection,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<Receipt, WebhookError> {
        let txn = db.begin().await?;
        let recorded = webhook_events::Entity::insert(webhook_events::ActiveModel {
            shop_domain: Set(delivery.shop.as_str().to_owned()),
            webhook_id: Set(delivery.webhook_id.clone()),
            topic: Set(delivery.topic.clone()),
            event_id: Set(delivery.event_id.clone()),
            triggered_at: Set(delivery.triggered_at),
            received_at: Set(now),
            processed_at: Set(None),
            status: Set("received".into()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([webhook_events::Column::WebhookId])
        .exec_without_returning(&txn)
        .await?;
        if !crate::db::inserted(recorded) {
            txn.commit().await?;
            tracing::info!("duplicate delivery; nothing to do");
            return Ok(Receipt::Duplicate);
        }
        let receipt = match Self::apply(&txn, delivery, now).await {
            Ok(receipt) => receipt,
            Err(WebhookError::Invalid { reason, .. }) => {
                return Err(WebhookError::Invalid {
                    topic: delivery.topic.clone(),
                    reason,
                });
            }
            Err(e) => return Err(e),
        };
        let status = match receipt {
            Receipt::Ignored(_) => "ignored",
            _ => "processed",
        };
        // shop/redact removes this very record along with the shop's others.
        if let Some(event) = webhook_events::Entity::find()
            .filter(webhook_events::Column::WebhookId.eq(delivery.webhook_id.as_str()))
            .one(&txn)
            .await?
        {
            let mut row: webhook_events::ActiveModel = event.into();
            row.status = Set(status.into());
            row.processed_at = Set(Some(now));
            row.update(&txn).await?;
        }
        txn.commit().await?;
        Ok(receipt)
    }

    async fn apply(
        txn: &DatabaseTransaction,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<Receipt, WebhookError> {
        let topic = Topic::parse(&delivery.topic);
        if topic == Topic::ShopRedact {
            Privacy::redact_shop(txn, delivery.shop.as_str(), now).await?;
            return Ok(Receipt::Processed);
        }
        if let Topic::Other(name) = &topic {
            tracing::info!(topic = %name, "no handler for this topic");
            return Ok(Receipt::Ignored("unknown topic"));
        }
        let Some(shop) = Shops::find(txn, &delivery.shop).await? else {
            tracing::warn!("delivery for a shop that never installed");
            return Ok(Receipt::Ignored("unknown shop"));
        };
        match topic {
            Topic::AppUninstalled => {
                Shops::mark_uninstalled(txn, shop, now).await?;
            }
            Topic::CustomersCreate | Topic::CustomersUpdate => {
                let customer: CustomerPayload = payload(delivery)?;
                let upsert = Commerce::upsert_customer(txn, shop.id, &customer, now).await?;
                if !matches!(upsert, Upsert::Stale(_)) {
                    let program = Programs::load(txn, &shop).await?;
                    let state = customer.state.as_deref();
                    Loyalty::on_customer(txn, &program, upsert.id(), state, now).await?;
                }
            }
            Topic::OrdersCreate
            | Topic::OrdersUpdated
            | Topic::OrdersPaid
            | Topic::OrdersCancelled => {
                let order: OrderPayload = payload(delivery)?;
                let upsert = Commerce::upsert_order(txn, shop.id, &order, now).await?;
                // Loyalty reads the order as we now hold it, whichever version this was.
                if let Some(stored) = orders::Entity::find_by_id(upsert.id()).one(txn).await? {
                    let program = Programs::load(txn, &shop).await?;
                    Loyalty::on_order(txn, &program, &stored, now).await?;
                    DeliveryPromises::on_order(txn, &shop, &stored, now).await?;
                    crate::flows::Flows::on_order(txn, &shop, &stored, now).await?;
                }
            }
            Topic::RefundsCreate => {
                let refund: RefundPayload = payload(delivery)?;
                Commerce::record_refund(txn, shop.id, &shop.currency, &refund, now).await?;
                let program = Programs::load(txn, &shop).await?;
                Loyalty::on_refund(txn, &program, refund.order_id, now).await?;
            }
            Topic::FulfillmentsCreate | Topic::FulfillmentsUpdate => {
                let fulfillment: FulfillmentPayload = payload(delivery)?;
                Commerce::upsert_fulfillment(txn, shop.id, &fulfillment, now).await?;
                let arrived =
                    DeliveryPromises::on_fulfillment(txn, shop.id, fulfillment.order_id, now)
                        .await?;
                if let Some((order, Some(delivered))) = arrived {
                    crate::flows::Flows::on_delivered(txn, &shop, &order, delivered, now).await?;
                }
            }
            Topic::ProductsCreate | Topic::ProductsUpdate => {
                let product: crate::commerce::payload::ProductPayload = payload(delivery)?;
                Commerce::upsert_product(txn, shop.id, &product, now).await?;
            }
            Topic::CustomersDataRequest => {
                let request: DataRequestPayload = payload(delivery)?;
                let export = Privacy::export_customer(txn, &shop, &request, now).await?;
                tracing::info!(export, "customer data export ready for the merchant");
            }
            Topic::CustomersRedact => {
                let request: CustomerRedactPayload = payload(delivery)?;
                Privacy::redact_customer(txn, shop.id, &request, now).await?;
            }
            Topic::ShopRedact | Topic::Other(_) => unreachable!("handled above"),
        }
        Ok(Receipt::Processed)
    }
}
