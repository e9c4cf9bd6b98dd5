//! Cases: opened once per cause (a check-in answer, a contact form, a
//! return), timed against the shop's standards from the moment they open,
//! answered (the first reply stops the first timer and emails the
//! customer), judged minor or major, resolved, reopened when the customer
//! writes again. Every step is an event in the case's history.
use super::rules::{self, ANSWERED, OPEN, RESOLVED, Severity, SupportSettings, Timer, timer};
use crate::emails::Outbox;
use crate::flows::compose::Letter;
use crate::flows::support_reply::CaseReply;
use crate::flows::{Flow, FlowError};
use crate::i18n::negotiate;
use crate::shops::ShopSettings;
use chrono::{DateTime, Utc};
use entity::{shops, support_case_events, support_cases};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Digest;

/// The most a message or reply keeps.
pub const MAX_MESSAGE: usize = 5000;

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub shop_id: i64,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    /// checkin | contact | return | merchant
    pub source: &'static str,
    pub category: String,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub locale: String,
    pub message: String,
    /// One case per cause: `checkin:{order}`, `contact:{hash}`, `return:{rma}`.
    pub key: String,
}

/// A case as the merchant reads it: its timers and what can be given.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: CaseRow,
    pub first_reply: Timer,
    pub resolution: Timer,
    pub breached: bool,
    pub menu: Vec<rules::Remedy>,
}

/// The stored case, in the API's words.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub source: String,
    pub category: String,
    pub severity: Option<String>,
    pub suggested_severity: String,
    pub status: String,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub locale: String,
    pub message: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Cases per state, and how many broke the standards.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CaseCounts {
    pub open: u64,
    pub answered: u64,
    pub resolved: u64,
    pub first_reply_breached: u64,
    pub resolution_breached: u64,
}

pub fn view(
    case: &support_cases::Model,
    settings: &SupportSettings,
    now: DateTime<Utc>,
) -> CaseView {
    let first_reply = timer(case.first_reply_due, case.first_replied_at, now);
    let resolution = timer(case.resolution_due, case.resolved_at, now);
    let severity = case.severity.as_deref().and_then(Severity::parse);
    CaseView {
        case: CaseRow {
            id: case.id,
            customer_id: case.customer_id,
            order_id: case.order_id,
            source: case.source.clone(),
            category: case.category.clone(),
            severity: case.severity.clone(),
            suggested_severity: Severity::suggested(&case.category).key().to_owned(),
            status: case.status.clone(),
            customer_name: case.customer_name.clone(),
            customer_email: case.customer_email.clone(),
            locale: case.locale.clone(),
            message: case.message.clone(),
            opened_at: case.opened_at,
            resolved_at: case.resolved_at,
        },
        breached: first_reply.breached || resolution.breached,
        first_reply,
        resolution,
        menu: if case.status == RESOLVED {
            Vec::new()
        } else {
            settings.menu(severity)
        },
    }
}

fn clip(text: &str) -> String {
    text.trim().chars().take(MAX_MESSAGE).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Email(#[from] FlowError),
    /// The case's state does not allow it (a reply to a resolved case).
    #[error("the case is {0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(&'static str),
}

pub struct Cases;

impl Cases {
    /// Opens the case for its cause once; a repeat with new words adds them
    /// to the case (and reopens it if it was resolved). Returns the case and
    /// whether it is new.
    pub async fn open(
        db: &impl ConnectionTrait,
        new: NewCase,
        now: DateTime<Utc>,
    ) -> Result<(support_cases::Model, bool), DbErr> {
        let settings: SupportSettings = ShopSettings::load(db, new.shop_id).await?;
        let (reply_due, resolution_due) = settings.due(now);
        let message = clip(&new.message);
        let category = if rules::CATEGORIES.contains(&new.category.as_str()) {
            new.category.clone()
        } else {
            "other".to_owned()
        };
        let inserted = support_cases::Entity::insert(support_cases::ActiveModel {
            shop_id: Set(new.shop_id),
            customer_id: Set(new.customer_id),
            order_id: Set(new.order_id),
            source: Set(new.source.to_owned()),
            category: Set(category),
            severity: Set(None),
            status: Set(OPEN.to_owned()),
            customer_name: Set(new.customer_name.clone()),
            customer_email: Set(new.customer_email.clone()),
            locale: Set(negotiate(Some(&new.locale)).to_owned()),
            message: Set(message.clone()),
            opened_at: Set(now),
            first_reply_due: Set(reply_due),
            resolution_due: Set(resolution_due),
            first_replied_at: Set(None),
            resolved_at: Set(None),
            idempotency_key: Set(new.key.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            support_cases::Column::ShopId,
            support_cases::Column::IdempotencyKey,
        ])
        .exec_without_returning(db)
        .await?;
        let created = crate::db::inserted(inserted);
        let case = support_cases::Entity::find()
            .filter(support_cases::Column::ShopId.eq(new.shop_id))
            .filter(support_cases::Column::IdempotencyKey.eq(new.key.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("case {}", new.key)))?;
        if created {
            Self::record(
                db,
                &case,
                "opened",
                "customer",
                Some(&message),
                json!({"source": new.source}),
                "opened".into(),
                now,
            )
            .await?;
            return Ok((case, true));
        }
        if message.is_empty() || message == case.message {
            return Ok((case, false));
        }
        let hash = hex::encode(sha2::Sha256::digest(message.as_bytes()));
        let added = Self::record(
            db,
            &case,
            "customer_message",
            "customer",
            Some(&message),
            json!({}),
            format!("msg:{}", &hash[..16]),
            now,
        )
        .await?;
        if added && case.status == RESOLVED {
            Self::set_status(db, &case, OPEN, None, now).await?;
            Self::record(
                db,
                &case,
                "reopened",
                "customer",
                None,
                json!({}),
                format!("reopen:{}", &hash[..16]),
                now,
            )
            .await?;
        }
        let case = Self::require(db, case.shop_id, case.id).await?;
        Ok((case, false))
    }

    async fn require(
        db: &impl ConnectionTrait,
        shop_id: i64,
        id: i64,
    ) -> Result<support_cases::Model, DbErr> {
        Self::find(db, shop_id, id)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("case {id}")))
    }

    /// One step of a case's history, once per `key`; true when written.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        db: &impl ConnectionTrait,
        case: &support_cases::Model,
        kind: &str,
        actor: &str,
        body: Option<&str>,
        data: Value,
        key: String,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let result = support_case_events::Entity::insert(support_case_events::ActiveModel {
            shop_id: Set(case.shop_id),
            case_id: Set(case.id),
            kind: Set(kind.to_owned()),
            actor: Set(actor.chars().take(255).collect()),
            body: Set(body.map(str::to_owned)),
            data: Set(data),
            status: Set("done".to_owned()),
            idempotency_key: Set(format!("case:{}:{key}", case.id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            support_case_events::Column::ShopId,
            support_case_events::Column::IdempotencyKey,
        ])
        .exec_without_returning(db)
        .await?;
        Ok(crate::db::inserted(result))
    }

    async fn set_status(
        db: &impl ConnectionTrait,
        case: &support_cases::Model,
        status: &str,
        resolved_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        support_cases::Entity::update_many()
            .col_expr(support_cases::Column::Status, Expr::value(status))
            .col_expr(support_cases::Column::ResolvedAt, Expr::value(resolved_at))
            .col_expr(support_cases::Column::UpdatedAt, Expr::value(now))
            .filter(support_cases::Column::Id.eq(case.id))
            .exec(db)
            .await?;
        Ok(())
    }

    pub async fn find(
        db: &impl ConnectionTrait,
        shop_id: i64,
        id: i64,
    ) -> Result<Option<support_cases::Model>, DbErr> {
        support_cases::Entity::find_by_id(id)
            .filter(support_cases::Column::ShopId.eq(shop_id))
            .one(db)
            .await
    }

    pub async fn history(
        db: &impl ConnectionTrait,
        case_id: i64,
    ) -> Result<Vec<support_case_events::Model>, DbErr> {
        support_case_events::Entity::find()
            .filter(support_case_events::Column::CaseId.eq(case_id))
            .order_by_asc(support_case_events::Column::CreatedAt)
            .order_by_asc(support_case_events::Column::Id)
            .all(db)
            .await
    }

    /// The shop's cases in `status` (all when None), the most urgent first:
    /// open ones by the first reply due, then the rest newest first.
    pub async fn list(
        db: &impl ConnectionTrait,
        shop_id: i64,
        status: Option<&str>,
        limit: u64,
    ) -> Result<Vec<support_cases::Model>, DbErr> {
        let mut query =
            support_cases::Entity::find().filter(support_cases::Column::ShopId.eq(shop_id));
        if let Some(status) = status {
            query = query.filter(support_cases::Column::Status.eq(status));
        }
        let mut cases = query
            .order_by_desc(support_cases::Column::OpenedAt)
            .order_by_desc(support_cases::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        cases.sort_by_key(|c| {
            (
                c.status == RESOLVED,
                c.status == ANSWERED,
                if c.status == OPEN {
                    c.first_reply_due.timestamp()
                } else {
                    -c.opened_at.timestamp()
                },
            )
        });
        Ok(cases)
    }

    pub async fn counts(
        db: &impl ConnectionTrait,
        shop_id: i64,
        now: DateTime<Utc>,
    ) -> Result<CaseCounts, DbErr> {
        let of = || support_cases::Entity::find().filter(support_cases::Column::ShopId.eq(shop_id));
        let status = |s: &'static str| of().filter(support_cases::Column::Status.eq(s));
        let late_reply = of()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        Expr::col(support_cases::Column::FirstRepliedAt)
                            .gt(Expr::col(support_cases::Column::FirstReplyDue)),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(support_cases::Column::FirstRepliedAt.is_null())
                            .add(support_cases::Column::FirstReplyDue.lt(now)),
                    ),
            )
            .count(db)
            .await?;
        let late_resolution = of()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        Expr::col(support_cases::Column::ResolvedAt)
                            .gt(Expr::col(support_cases::Column::ResolutionDue)),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(support_cases::Column::ResolvedAt.is_null())
                            .add(support_cases::Column::ResolutionDue.lt(now)),
                    ),
            )
            .count(db)
            .await?;
        Ok(CaseCounts {
            open: status(OPEN).count(db).await?,
            answered: status(ANSWERED).count(db).await?,
            resolved: status(RESOLVED).count(db).await?,
            first_reply_breached: late_reply,
            resolution_breached: late_resolution,
        })
    }

    /// The merchant's reply: recorded, the first timer stopped, and emailed
    /// to the customer in their language (with `code` when a remedy gave one).
    #[allow(clippy::too_many_arguments)]
    pub async fn reply(
        db: &sea_orm::DatabaseConnection,
        shop: &shops::Model,
        case: &support_cases::Model,
        actor: &str,
        body: &str,
        code: Option<String>,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, CaseError> {
        if !rules::allows(&case.status, "reply") {
            return Err(CaseError::Conflict(case.status.clone()));
        }
        let body = clip(body);
        if body.is_empty() {
            return Err(CaseError::Invalid("support.error.reply_required"));
        }
        let txn = db.begin().await?;
        let written = Self::record(
            &txn,
            case,
            "reply",
            actor,
            Some(&body),
            json!({"code": code}),
            format!("reply:{key}"),
            now,
        )
        .await?;
        if !written {
            txn.rollback().await?;
            return Ok(false);
        }
        support_cases::Entity::update_many()
            .col_expr(
                support_cases::Column::FirstRepliedAt,
                Expr::value(case.first_replied_at.unwrap_or(now)),
            )
            .col_expr(
                support_cases::Column::Status,
                Expr::value(if case.status == OPEN {
                    ANSWERED
                } else {
                    case.status.as_str()
                }),
            )
            .col_expr(support_cases::Column::UpdatedAt, Expr::value(now))
            .filter(support_cases::Column::Id.eq(case.id))
            .exec(&txn)
            .await?;
        if let Some(to) = case.customer_email.clone().filter(|e| !e.is_empty()) {
            let letter = Letter {
                flow: Flow::SupportReply,
                lang: negotiate(Some(&case.locale)),
                shop_name: shop.name.clone().unwrap_or_else(|| shop.domain.clone()),
                first_name: case
                    .customer_name
                    .as_deref()
                    .and_then(|n| n.split_whitespace().next())
                    .map(str::to_owned),
                unsubscribe_url: None,
            };
            let composed = CaseReply {
                letter: letter.clone(),
                case_number: case.id,
                reply: body,
                code,
            }
            .compose()
            .map_err(FlowError::from)?;
            let email = letter.outgoing(
                composed,
                shop,
                case.customer_id,
                to,
                format!("email:case:{}:{key}", case.id),
                now,
            );
            Outbox::queue(&txn, email, now).await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    pub async fn set_severity(
        db: &impl ConnectionTrait,
        case: &support_cases::Model,
        severity: Severity,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CaseError> {
        if !rules::allows(&case.status, "severity") {
            return Err(CaseError::Conflict(case.status.clone()));
        }
        support_cases::Entity::update_many()
            .col_expr(support_cases::Column::Severity, Expr::value(severity.key()))
            .col_expr(support_cases::Column::UpdatedAt, Expr::value(now))
            .filter(support_cases::Column::Id.eq(case.id))
            .exec(db)
            .await?;
        Self::record(
            db,
            case,
            "severity",
            actor,
            None,
            json!({"severity": severity.key()}),
            format!("severity:{}:{}", severity.key(), now.timestamp_millis()),
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn resolve(
        db: &impl ConnectionTrait,
        case: &support_cases::Model,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CaseError> {
        if !rules::allows(&case.status, "resolve") {
            return Err(CaseError::Conflict(case.status.clone()));
        }
        Self::set_status(db, case, RESOLVED, Some(now), now).await?;
        Self::record(
            db,
            case,
            "resolved",
            actor,
            None,
            json!({}),
            format!("resolved:{}", now.timestamp_millis()),
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn reopen(
        db: &impl ConnectionTrait,
        case: &support_cases::Model,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CaseError> {
        if !rules::allows(&case.status, "reopen") {
            return Err(CaseError::Conflict(case.status.clone()));
        }
        let status = if case.first_replied_at.is_some() {
            ANSWERED
        } else {
            OPEN
        };
        Self::set_status(db, case, status, None, now).await?;
        Self::record(
            db,
            case,
            "reopened",
            actor,
            None,
            json!({}),
            format!("reopened:{}", now.timestamp_millis()),
            now,
        )
        .await?;
        Ok(())
    }

    /// `customers/redact`: the customer's name, address and words leave
    /// their cases; the cases stay, anonymous, for the response figures.
    pub async fn redact_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: Option<i64>,
        email: Option<&str>,
    ) -> Result<(), DbErr> {
        let mut matches = sea_orm::Condition::any();
        if let Some(id) = customer_id {
            matches = matches.add(support_cases::Column::CustomerId.eq(id));
        }
        if let Some(email) = email.filter(|e| !e.is_empty()) {
            matches = matches.add(support_cases::Column::CustomerEmail.eq(email));
        }
        if customer_id.is_none() && email.is_none_or(str::is_empty) {
            return Ok(());
        }
        let ids: Vec<i64> = support_cases::Entity::find()
            .filter(support_cases::Column::ShopId.eq(shop_id))
            .filter(matches)
            .select_only()
            .column(support_cases::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            return Ok(());
        }
        support_cases::Entity::update_many()
            .col_expr(
                support_cases::Column::CustomerId,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                support_cases::Column::CustomerName,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                support_cases::Column::CustomerEmail,
                Expr::value(Option::<String>::None),
            )
            .col_expr(support_cases::Column::Message, Expr::value("[redacted]"))
            .filter(support_cases::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
        support_case_events::Entity::update_many()
            .col_expr(
                support_case_events::Column::Body,
                Expr::value(Option::<String>::None),
            )
            .filter(support_case_events::Column::CaseId.is_in(ids))
            .filter(support_case_events::Column::Actor.eq("customer"))
            .exec(db)
            .await?;
        Ok(())
    }
}
