//! Giving a remedy with one click: points through the ledger, store credit
//! as a single-use code, a replacement order, or part of the money back —
//! each at most once per case. The attempt is recorded before the platform
//! is called; a failure is recorded with its reason and can be tried again,
//! and a success tells the customer (with the code, for store credit).
use super::rules::{self, Remedy, RemedyKind, Severity, SupportSettings};
use super::service::{CaseError, Cases};
use crate::commerce::platform::{self, RemedyError, ReplacementLine, ReplacementOrder};
use crate::flows::incentive::Incentive;
use crate::i18n::{t, tf};
use crate::loyalty::rules::RewardKind;
use crate::loyalty::{Loyalty, Programs};
use crate::money::Money;
use crate::shops::{PlatformDeps, ShopConnection, ShopSettings};
use chrono::{DateTime, Duration, Utc};
use entity::{customers, order_line_items, orders, shops, support_case_events, support_cases};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};

/// A remedy attempt older than this that never finished may be tried again.
const STALE_ATTEMPT_SECONDS: i64 = 120;
/// Store credit codes last a season.
const CREDIT_VALID_DAYS: i64 = 90;

#[derive(Debug, thiserror::Error)]
pub enum GiveError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error("this remedy was already given")]
    AlreadyGiven,
    #[error("this remedy is being given right now")]
    InProgress,
    /// Not on the shop's menu for this case, or missing what it needs.
    #[error("{0}")]
    NotOffered(&'static str),
    /// The platform failed or refused: recorded, and can be tried again.
    #[error("{0}")]
    Platform(String),
}

impl From<DbErr> for GiveError {
    fn from(e: DbErr) -> Self {
        GiveError::Case(CaseError::Db(e))
    }
}

/// Claims the remedy's event: true when this call may give it.
async fn claim(
    db: &impl ConnectionTrait,
    case: &support_cases::Model,
    remedy: Remedy,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<support_case_events::Model, GiveError> {
    let key = format!("case:{}:remedy:{}", case.id, remedy.kind.key());
    let fresh = Cases::record(
        db,
        case,
        "remedy",
        actor,
        None,
        json!({"kind": remedy.kind.key(), "value": remedy.value}),
        format!("remedy:{}", remedy.kind.key()),
        now,
    )
    .await?;
    let event = support_case_events::Entity::find()
        .filter(support_case_events::Column::ShopId.eq(case.shop_id))
        .filter(support_case_events::Column::IdempotencyKey.eq(key.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(key.clone()))?;
    if !fresh {
        match event.status.as_str() {
            "done" => return Err(GiveError::AlreadyGiven),
            "pending" if event.updated_at > now - Duration::seconds(STALE_ATTEMPT_SECONDS) => {
                return Err(GiveError::InProgress);
            }
            _ => {}
        }
    }
    // Marked pending (a fresh event is written `done`; it is not, yet).
    let claimed = support_case_events::Entity::update_many()
        .col_expr(support_case_events::Column::Status, Expr::value("pending"))
        .col_expr(support_case_events::Column::Actor, Expr::value(actor))
        .col_expr(support_case_events::Column::UpdatedAt, Expr::value(now))
        .filter(support_case_events::Column::Id.eq(event.id))
        .filter(support_case_events::Column::UpdatedAt.eq(event.updated_at))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(GiveError::InProgress);
    }
    Ok(event)
}

async fn settle(
    db: &impl ConnectionTrait,
    event: &support_case_events::Model,
    status: &str,
    extra: Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut data = event.data.clone();
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    support_case_events::Entity::update_many()
        .col_expr(support_case_events::Column::Status, Expr::value(status))
        .col_expr(support_case_events::Column::Data, Expr::value(data))
        .col_expr(support_case_events::Column::UpdatedAt, Expr::value(now))
        .filter(support_case_events::Column::Id.eq(event.id))
        .exec(db)
        .await?;
    Ok(())
}

/// What a remedy produced: what to tell the customer, and the platform's reference.
struct Given {
    message: String,
    code: Option<String>,
    reference: String,
}

/// Gives `kind` for `case`; returns the remedy's event once given.
pub async fn give(
    deps: &PlatformDeps<'_>,
    shop: &shops::Model,
    case: &support_cases::Model,
    kind: RemedyKind,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<support_case_events::Model, GiveError> {
    if !rules::allows(&case.status, "remedy") {
        return Err(CaseError::Conflict(case.status.clone()).into());
    }
    let settings: SupportSettings = ShopSettings::load(deps.db, shop.id).await?;
    let severity = case.severity.as_deref().and_then(Severity::parse);
    let remedy = settings
        .menu(severity)
        .into_iter()
        .find(|r| r.kind == kind)
        .ok_or(GiveError::NotOffered("support.error.not_offered"))?;
    let order = match case.order_id {
        Some(id) => orders::Entity::find_by_id(id).one(deps.db).await?,
        None => None,
    };
    if kind.needs_order() && order.is_none() {
        return Err(GiveError::NotOffered("support.error.needs_order"));
    }
    let customer = match case.customer_id {
        Some(id) => customers::Entity::find_by_id(id).one(deps.db).await?,
        None => None,
    };
    if matches!(kind, RemedyKind::Points | RemedyKind::StoreCredit) && customer.is_none() {
        return Err(GiveError::NotOffered("support.error.needs_customer"));
    }
    let event = claim(deps.db, case, remedy, actor, now).await?;
    let result = perform(
        deps,
        shop,
        case,
        remedy,
        order.as_ref(),
        customer.as_ref(),
        actor,
        now,
    )
    .await;
    match result {
        Ok(given) => {
            settle(
                deps.db,
                &event,
                "done",
                json!({"reference": given.reference, "code": given.code}),
                now,
            )
            .await?;
            // The customer hears what was done, in their language.
            Cases::reply(
                deps.db,
                shop,
                case,
                actor,
                &given.message,
                given.code,
                &format!("remedy:{}", kind.key()),
                now,
            )
            .await
            .or_else(|e| match e {
                CaseError::Conflict(_) | CaseError::Invalid(_) => Ok(false),
                other => Err(other),
            })?;
            Ok(support_case_events::Entity::find_by_id(event.id)
                .one(deps.db)
                .await?
                .unwrap_or(event))
        }
        Err(e) => {
            let reason = e.to_string();
            settle(deps.db, &event, "failed", json!({"error": reason}), now).await?;
            Err(GiveError::Platform(reason))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn perform(
    deps: &PlatformDeps<'_>,
    shop: &shops::Model,
    case: &support_cases::Model,
    remedy: Remedy,
    order: Option<&orders::Model>,
    customer: Option<&customers::Model>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Given, RemedyError> {
    let lang = crate::i18n::negotiate(Some(&case.locale));
    let case_note = tf(
        &shop.locale,
        "support.remedy_note",
        &[("case", &case.id.to_string())],
    );
    let key = format!("remedy:case:{}:{}", case.id, remedy.kind.key());
    match remedy.kind {
        RemedyKind::Points => {
            let customer = customer.ok_or_else(|| RemedyError::Rejected("no customer".into()))?;
            let program = Programs::load(deps.db, shop)
                .await
                .map_err(|e| RemedyError::Rejected(e.to_string()))?;
            let txn = deps
                .db
                .begin()
                .await
                .map_err(|e| RemedyError::Rejected(e.to_string()))?;
            Loyalty::adjust(
                &txn,
                &program,
                customer.id,
                remedy.value,
                &case_note,
                actor,
                &key,
                now,
            )
            .await
            .map_err(|e| RemedyError::Rejected(e.to_string()))?;
            txn.commit()
                .await
                .map_err(|e| RemedyError::Rejected(e.to_string()))?;
            Ok(Given {
                message: tf(
                    lang,
                    "support.remedy_message.points",
                    &[("points", &remedy.value.to_string())],
                ),
                code: None,
                reference: format!("points:{}", remedy.value),
            })
        }
        RemedyKind::StoreCredit => {
            let customer = customer.ok_or_else(|| RemedyError::Rejected("no customer".into()))?;
            let title = case_note.clone();
            let (code, _) = Incentive {
                shop,
                shopify_customer_id: Some(customer.shopify_customer_id),
                key: &key,
                prefix: "SORRY",
                kind: RewardKind::FixedAmount,
                value: remedy.value,
                title: &title,
                valid_days: CREDIT_VALID_DAYS,
            }
            .issue(deps.api, deps.cipher, deps.secret, now)
            .await
            .map_err(|e| RemedyError::Rejected(e.to_string()))?;
            let amount = Money::new(remedy.value, &shop.currency).with_currency();
            Ok(Given {
                message: tf(
                    lang,
                    "support.remedy_message.store_credit",
                    &[("amount", &amount)],
                ),
                code: Some(code.clone()),
                reference: code,
            })
        }
        RemedyKind::Replacement => {
            let order = order.ok_or_else(|| RemedyError::Rejected("no order".into()))?;
            let lines: Vec<ReplacementLine> = order_line_items::Entity::find()
                .filter(order_line_items::Column::OrderId.eq(order.id))
                .all(deps.db)
                .await
                .map_err(|e| RemedyError::Rejected(e.to_string()))?
                .into_iter()
                .filter_map(|li| {
                    li.variant_id.map(|variant_id| ReplacementLine {
                        variant_id,
                        quantity: li.quantity.max(1),
                    })
                })
                .collect();
            if lines.is_empty() {
                return Err(RemedyError::Rejected(t(
                    &shop.locale,
                    "support.error.no_variants",
                )));
            }
            let reference = match ShopConnection::open(deps.api, deps.cipher, shop)? {
                ShopConnection::Demo => format!("{} (demo)", order.name),
                ShopConnection::Live {
                    api,
                    shop: domain,
                    token,
                } => {
                    let title = t(&shop.locale, "support.replacement_title");
                    let replacement = ReplacementOrder {
                        shopify_customer_id: order.shopify_customer_id,
                        email: order.email.as_deref(),
                        lines: &lines,
                        note: &case_note,
                        discount_title: &title,
                    };
                    platform::replacement(api, &domain, &token, &replacement)
                        .await?
                        .order_name
                }
            };
            Ok(Given {
                message: tf(
                    lang,
                    "support.remedy_message.replacement",
                    &[("order", &order.name)],
                ),
                code: None,
                reference,
            })
        }
        RemedyKind::PartialRefund => {
            let order = order.ok_or_else(|| RemedyError::Rejected("no order".into()))?;
            let amount = Money::new(
                rules::refund_amount(order.total_minor, u32::try_from(remedy.value).unwrap_or(0)),
                &order.currency,
            );
            let reference = match ShopConnection::open(deps.api, deps.cipher, shop)? {
                ShopConnection::Demo => "demo-refund".to_owned(),
                ShopConnection::Live {
                    api,
                    shop: domain,
                    token,
                } => {
                    platform::refund_amount(
                        api,
                        &domain,
                        &token,
                        order.shopify_order_id,
                        amount.clone(),
                        &case_note,
                    )
                    .await?
                }
            };
            Ok(Given {
                message: tf(
                    lang,
                    "support.remedy_message.partial_refund",
                    &[("amount", &amount.with_currency()), ("order", &order.name)],
                ),
                code: None,
                reference,
            })
        }
    }
}
