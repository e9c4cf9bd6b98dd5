//! Settling a received return the way the shopper chose: a refund of the
//! returned lines and quantities through the Admin API (partial when the
//! merchant takes back fewer), store credit (a code for the value plus the
//! bonus, or points), or an exchange (the new variant sent at no charge).
//! A failure leaves the return `received` with the reason shown, to retry;
//! nothing is lost. The platform's own `refunds/create` webhook then claws
//! back loyalty points through the usual path, once.
use super::rules::{CreditForm, Outcome, RECEIVED, ReturnPolicy};
use super::service::{ReturnError, Returns};
use crate::commerce::platform::{self, RemedyError, ReplacementLine, ReplacementOrder};
use crate::flows::incentive::Incentive;
use crate::i18n::tf;
use crate::loyalty::rules::RewardKind;
use crate::loyalty::{Loyalty, Programs};
use crate::money::{Money, minor_unit_digits};
use crate::shops::{PlatformDeps, ShopConnection, ShopSettings};
use chrono::{DateTime, Utc};
use entity::{orders, return_requests, shops};
use sea_orm::{EntityTrait, TransactionTrait};

/// Store credit codes last a year.
const CREDIT_VALID_DAYS: i64 = 365;

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error(transparent)]
    Return(#[from] ReturnError),
    #[error("{0}")]
    Invalid(&'static str),
    /// The platform failed: recorded on the return, which stays received.
    #[error("{0}")]
    Platform(String),
}

impl From<sea_orm::DbErr> for SettleError {
    fn from(e: sea_orm::DbErr) -> Self {
        SettleError::Return(ReturnError::Db(e))
    }
}

/// Settles `request`, taking back `quantities` (return item id, quantity)
/// when given (fewer than asked: a partial refund), else everything.
pub async fn settle(
    deps: &PlatformDeps<'_>,
    shop: &shops::Model,
    request: &return_requests::Model,
    quantities: Option<&[(i64, i32)]>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<return_requests::Model, SettleError> {
    let outcome =
        Outcome::parse(&request.outcome).ok_or(SettleError::Invalid("returns.error.outcome"))?;
    if request.status != RECEIVED {
        return Err(ReturnError::Illegal {
            from: request.status.clone(),
            action: outcome.action().to_owned(),
        }
        .into());
    }
    let items = Returns::items(deps.db, request.id).await?;
    let chosen: Vec<_> = items
        .iter()
        .map(|item| {
            let quantity = quantities
                .and_then(|q| q.iter().find(|(id, _)| *id == item.id).map(|(_, n)| *n))
                .unwrap_or(item.quantity)
                .clamp(0, item.quantity);
            (item, quantity)
        })
        .filter(|(_, q)| *q > 0)
        .collect();
    if chosen.is_empty() {
        return Err(SettleError::Invalid("returns.error.nothing"));
    }
    let value: i64 = chosen
        .iter()
        .map(|(item, q)| item.value_minor * i64::from(*q) / i64::from(item.quantity.max(1)))
        .sum();
    let policy: ReturnPolicy = ShopSettings::load(deps.db, shop.id).await?;
    let order = orders::Entity::find_by_id(request.order_id)
        .one(deps.db)
        .await?
        .ok_or(SettleError::Invalid("returns.error.line"))?;
    let note = tf(
        &shop.locale,
        "returns.platform_note",
        &[("rma", &request.number)],
    );
    let result: Result<String, RemedyError> = match outcome {
        Outcome::Refund => match ShopConnection::open(deps.api, deps.cipher, shop)? {
            ShopConnection::Demo => Ok(format!(
                "demo-refund {}",
                Money::new(value, &request.currency).with_currency()
            )),
            ShopConnection::Live {
                api,
                shop: domain,
                token,
            } => {
                let lines: Vec<(i64, i32)> = chosen
                    .iter()
                    .map(|(i, q)| (i.shopify_line_item_id, *q))
                    .collect();
                platform::refund_lines(api, &domain, &token, order.shopify_order_id, &lines, &note)
                    .await
                    .map(|(id, amount)| format!("{id} ({amount} {})", request.currency))
            }
        },
        Outcome::StoreCredit => {
            let credit = policy.credit_for(value);
            match policy.credit_form {
                CreditForm::Code => Incentive {
                    shop,
                    shopify_customer_id: order.shopify_customer_id,
                    key: &format!("return:{}:credit", request.id),
                    prefix: "CREDIT",
                    kind: RewardKind::FixedAmount,
                    value: credit,
                    title: &note,
                    valid_days: CREDIT_VALID_DAYS,
                }
                .issue(deps.api, deps.cipher, deps.secret, now)
                .await
                .map(|(code, _)| code)
                .map_err(|e| RemedyError::Rejected(e.to_string())),
                CreditForm::Points => match request.customer_id {
                    None => Err(RemedyError::Rejected(
                        "a guest order has no points account".into(),
                    )),
                    Some(customer) => {
                        let unit = 10_i64.pow(minor_unit_digits(&request.currency));
                        let points = credit * i64::from(policy.points_per_unit) / unit.max(1);
                        let program = Programs::load(deps.db, shop).await?;
                        let txn = deps.db.begin().await?;
                        Loyalty::adjust(
                            &txn,
                            &program,
                            customer,
                            points,
                            &note,
                            actor,
                            &format!("return:{}", request.id),
                            now,
                        )
                        .await?;
                        txn.commit().await?;
                        Ok(format!("{points} points"))
                    }
                },
            }
        }
        Outcome::Exchange => {
            let variant = request
                .exchange_variant_id
                .ok_or(SettleError::Invalid("returns.error.variant"))?;
            let quantity: i32 = chosen.iter().map(|(_, q)| *q).sum();
            match ShopConnection::open(deps.api, deps.cipher, shop)? {
                ShopConnection::Demo => Ok(format!("{} (demo)", order.name)),
                ShopConnection::Live {
                    api,
                    shop: domain,
                    token,
                } => {
                    let title = tf(
                        &shop.locale,
                        "returns.exchange_title",
                        &[("rma", &request.number)],
                    );
                    let lines = [ReplacementLine {
                        variant_id: variant,
                        quantity,
                    }];
                    let exchange = ReplacementOrder {
                        shopify_customer_id: order.shopify_customer_id,
                        email: order.email.as_deref(),
                        lines: &lines,
                        note: &note,
                        discount_title: &title,
                    };
                    platform::replacement(api, &domain, &token, &exchange)
                        .await
                        .map(|r| r.order_name)
                }
            }
        }
    };
    match result {
        Ok(reference) => {
            let partial =
                chosen.iter().any(|(item, q)| *q < item.quantity) || chosen.len() < items.len();
            let changes = vec![
                (
                    return_requests::Column::SettledReference,
                    sea_orm::Value::from(reference.clone()),
                ),
                (
                    return_requests::Column::LastError,
                    sea_orm::Value::from(Option::<String>::None),
                ),
                (
                    return_requests::Column::ValueMinor,
                    sea_orm::Value::from(value),
                ),
            ];
            let note = if partial {
                format!("{reference} · partial")
            } else {
                reference
            };
            Ok(Returns::transition(
                deps.db,
                request,
                outcome.action(),
                actor,
                Some(&note),
                changes,
                now,
            )
            .await?)
        }
        Err(e) => {
            let reason = e.to_string();
            Returns::note_failure(deps.db, request, &reason, now).await?;
            Err(SettleError::Platform(reason))
        }
    }
}

impl From<crate::shopify::admin_api::AdminApiError> for SettleError {
    fn from(e: crate::shopify::admin_api::AdminApiError) -> Self {
        SettleError::Platform(e.to_string())
    }
}
