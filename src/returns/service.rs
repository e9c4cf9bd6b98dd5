//! Returns in the database: finding an order the way a shopper can (number
//! and email, the same answer for a wrong email as for no order), what of it
//! may go back and until when, opening the return with its lines, and every
//! transition — each written with who made it, guarded so two people cannot
//! move the same return at once, and followed by the shopper's status email.
use super::rules::{self, NotReturnable, Outcome, ReturnPolicy};
use crate::scheduler::{NewJob, Queue};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    delivery_promises, fulfillments, order_line_items, orders, return_events, return_items,
    return_requests,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// The job kind of a return's status email.
pub const STATUS_EMAIL_JOB: &str = "flow.return_status";

/// An order line as the portal shows it: how many may go back, or why not.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnableLine {
    pub line_item_id: i64,
    /// The platform's line id, for the refund.
    pub shopify_line_item_id: i64,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub available: Result<i32, NotReturnable>,
}

/// An order's returnable view.
#[derive(Debug, Clone, Serialize)]
pub struct Returnable {
    pub order_id: i64,
    pub order_name: String,
    pub currency: String,
    /// Delivery, else fulfilment, else the order date.
    pub counted_from: NaiveDate,
    pub deadline: NaiveDate,
    pub lines: Vec<ReturnableLine>,
    /// Variants the shop has sold of each returned product, for an exchange.
    pub exchange_variants: HashMap<i64, Vec<(i64, String)>>,
}

impl Returnable {
    pub fn any_returnable(&self) -> bool {
        self.lines.iter().any(|l| l.available.is_ok())
    }
}

/// What a shopper asks to send back.
#[derive(Debug, Clone)]
pub struct NewReturn {
    /// (our line id, quantity)
    pub lines: Vec<(i64, i32)>,
    pub reason: String,
    pub comment: Option<String>,
    pub outcome: Outcome,
    pub exchange_variant_id: Option<i64>,
    pub locale: String,
    /// One return per submission (a form sent twice opens one).
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReturnError {
    #[error(transparent)]
    Db(#[from] DbErr),
    /// The shopper's choice does not fit the policy: the locale key says why.
    #[error("{key}")]
    Refused {
        key: &'static str,
        date: Option<NaiveDate>,
    },
    /// The move is not allowed from the return's state.
    #[error("a return that is {from} cannot be {action}")]
    Illegal { from: String, action: String },
}

fn refused(key: &'static str) -> ReturnError {
    ReturnError::Refused { key, date: None }
}

pub struct Returns;

impl Returns {
    /// The order with this number whose email is `email` (case-insensitive);
    /// None when there is no such order or the address does not match.
    pub async fn lookup(
        db: &impl ConnectionTrait,
        shop_id: i64,
        number: &str,
        email: &str,
    ) -> Result<Option<orders::Model>, DbErr> {
        let number = number.trim().trim_start_matches('#');
        let email = email.trim();
        if number.is_empty() || email.is_empty() {
            return Ok(None);
        }
        let candidates = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::Name.is_in([format!("#{number}"), number.to_owned()]))
            .all(db)
            .await?;
        Ok(candidates.into_iter().find(|o| {
            o.cancelled_at.is_none()
                && o.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }))
    }

    /// A logged-in customer's orders of the last year, newest first.
    pub async fn orders_of(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<orders::Model>, DbErr> {
        orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(orders::Column::CustomerId.eq(customer_id))
            .filter(orders::Column::CancelledAt.is_null())
            .filter(orders::Column::ProcessedAt.gt(now - chrono::Duration::days(365)))
            .order_by_desc(orders::Column::ProcessedAt)
            .limit(20)
            .all(db)
            .await
    }

    /// The day the return window starts counting for an order.
    async fn counted_from(
        db: &impl ConnectionTrait,
        order: &orders::Model,
        tz: chrono_tz::Tz,
    ) -> Result<NaiveDate, DbErr> {
        let delivered = delivery_promises::Entity::find()
            .filter(delivery_promises::Column::OrderId.eq(order.id))
            .one(db)
            .await?
            .and_then(|p| p.delivered_at);
        let fulfilled = fulfillments::Entity::find()
            .filter(fulfillments::Column::OrderId.eq(order.id))
            .all(db)
            .await?;
        let delivered = delivered.or_else(|| fulfilled.iter().filter_map(|f| f.delivered_at).max());
        let shipped = fulfilled.iter().filter_map(|f| f.platform_created_at).max();
        let at = delivered
            .or(shipped)
            .or(order.processed_at)
            .unwrap_or(order.created_at);
        Ok(crate::clock::local_date(at, tz))
    }

    /// What of `order` may go back on `today`, per the policy.
    pub async fn returnable(
        db: &impl ConnectionTrait,
        policy: &ReturnPolicy,
        order: &orders::Model,
        tz: chrono_tz::Tz,
        today: NaiveDate,
    ) -> Result<Returnable, DbErr> {
        let counted_from = Self::counted_from(db, order, tz).await?;
        let deadline = policy.deadline(counted_from);
        let lines = order_line_items::Entity::find()
            .filter(order_line_items::Column::OrderId.eq(order.id))
            .order_by_asc(order_line_items::Column::Id)
            .all(db)
            .await?;
        let taken = Self::returned_quantities(db, order.id).await?;
        let products: Vec<i64> = lines.iter().filter_map(|l| l.product_id).collect();
        let tags = crate::commerce::Commerce::product_tags(db, order.shop_id, &products).await?;
        let mut exchange_variants: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        if policy.allow_exchange && !products.is_empty() {
            let sold: Vec<(Option<i64>, Option<i64>, Option<String>)> =
                order_line_items::Entity::find()
                    .filter(order_line_items::Column::ShopId.eq(order.shop_id))
                    .filter(order_line_items::Column::ProductId.is_in(products))
                    .filter(order_line_items::Column::VariantId.is_not_null())
                    .select_only()
                    .column(order_line_items::Column::ProductId)
                    .column(order_line_items::Column::VariantId)
                    .column(order_line_items::Column::VariantTitle)
                    .distinct()
                    .into_tuple()
                    .all(db)
                    .await?;
            for (product, variant, title) in sold {
                if let (Some(product), Some(variant)) = (product, variant) {
                    let list = exchange_variants.entry(product).or_default();
                    if !list.iter().any(|(v, _)| *v == variant) {
                        list.push((variant, title.unwrap_or_else(|| format!("#{variant}"))));
                    }
                }
            }
        }
        let lines = lines
            .into_iter()
            .map(|l| ReturnableLine {
                available: policy.line(
                    l.product_id,
                    l.product_id
                        .and_then(|p| tags.get(&p))
                        .map_or("", String::as_str),
                    l.quantity,
                    taken.get(&l.id).copied().unwrap_or(0),
                    &order.tags,
                    deadline,
                    today,
                ),
                line_item_id: l.id,
                shopify_line_item_id: l.shopify_line_item_id,
                product_id: l.product_id,
                variant_id: l.variant_id,
                title: l.title,
                variant_title: l.variant_title,
                quantity: l.quantity,
                unit_price_minor: l.price_minor,
            })
            .collect();
        Ok(Returnable {
            order_id: order.id,
            order_name: order.name.clone(),
            currency: order.currency.clone(),
            counted_from,
            deadline,
            lines,
            exchange_variants,
        })
    }

    /// Quantities of each line already in returns that were not rejected.
    async fn returned_quantities(
        db: &impl ConnectionTrait,
        order_id: i64,
    ) -> Result<HashMap<i64, i32>, DbErr> {
        let rows: Vec<(i64, i32)> = return_items::Entity::find()
            .inner_join(return_requests::Entity)
            .filter(return_requests::Column::OrderId.eq(order_id))
            .filter(return_requests::Column::Status.ne(rules::REJECTED))
            .select_only()
            .column(return_items::Column::LineItemId)
            .column(return_items::Column::Quantity)
            .into_tuple()
            .all(db)
            .await?;
        let mut taken = HashMap::new();
        for (line, quantity) in rows {
            *taken.entry(line).or_insert(0) += quantity;
        }
        Ok(taken)
    }

    /// Opens a return for the shopper's choice, checked against the policy;
    /// a repeat of the same submission returns the first.
    pub async fn request(
        db: &sea_orm::DatabaseConnection,
        policy: &ReturnPolicy,
        order: &orders::Model,
        view: &Returnable,
        ask: NewReturn,
        now: DateTime<Utc>,
    ) -> Result<return_requests::Model, ReturnError> {
        if let Some(existing) = return_requests::Entity::find()
            .filter(return_requests::Column::ShopId.eq(order.shop_id))
            .filter(return_requests::Column::IdempotencyKey.eq(ask.key.as_str()))
            .one(db)
            .await?
        {
            return Ok(existing);
        }
        if !policy.reasons.contains(&ask.reason) {
            return Err(refused("returns.error.reason"));
        }
        if !policy.allows(ask.outcome) {
            return Err(refused("returns.error.outcome"));
        }
        let mut chosen = Vec::new();
        for (line_id, quantity) in ask.lines.iter().filter(|(_, q)| *q > 0) {
            let line = view
                .lines
                .iter()
                .find(|l| l.line_item_id == *line_id)
                .ok_or(refused("returns.error.line"))?;
            match line.available {
                Ok(left) if *quantity <= left => chosen.push((line, *quantity)),
                Ok(_) => return Err(refused("returns.error.quantity")),
                Err(NotReturnable::WindowClosed(date)) => {
                    return Err(ReturnError::Refused {
                        key: "returns.error.window_closed",
                        date: Some(date),
                    });
                }
                Err(_) => return Err(refused("returns.error.not_returnable")),
            }
        }
        if chosen.is_empty() {
            return Err(refused("returns.error.nothing"));
        }
        let exchange = match (ask.outcome, ask.exchange_variant_id) {
            (Outcome::Exchange, Some(variant)) => {
                let found = chosen.iter().find_map(|(line, _)| {
                    line.product_id
                        .and_then(|p| view.exchange_variants.get(&p))
                        .and_then(|vs| vs.iter().find(|(v, _)| *v == variant))
                });
                Some(found.cloned().ok_or(refused("returns.error.variant"))?)
            }
            (Outcome::Exchange, None) => return Err(refused("returns.error.variant")),
            _ => None,
        };
        // What was paid: lines at their price, less their share of the order's discounts.
        let listed: i64 = view
            .lines
            .iter()
            .map(|l| l.unit_price_minor * i64::from(l.quantity))
            .sum();
        let paid = (order.subtotal_minor, listed);
        let value: i64 = chosen
            .iter()
            .map(|(l, q)| rules::line_value(l.unit_price_minor, *q, paid))
            .sum();
        let txn = db.begin().await?;
        let previous = return_requests::Entity::find()
            .filter(return_requests::Column::OrderId.eq(order.id))
            .count(&txn)
            .await?;
        let number = format!("R{}-{}", order.name.trim_start_matches('#'), previous + 1);
        let request = return_requests::ActiveModel {
            shop_id: Set(order.shop_id),
            number: Set(number),
            order_id: Set(order.id),
            customer_id: Set(order.customer_id),
            email: Set(order.email.clone()),
            locale: Set(crate::i18n::negotiate(Some(&ask.locale)).to_owned()),
            status: Set(rules::REQUESTED.to_owned()),
            outcome: Set(ask.outcome.key().to_owned()),
            reason: Set(ask.reason.clone()),
            comment: Set(ask
                .comment
                .map(|c| {
                    crate::text::clean_text(&c)
                        .chars()
                        .take(2000)
                        .collect::<String>()
                })
                .filter(|c| !c.is_empty())),
            shop_pays_label: Set(policy.shop_pays_label(&ask.reason)),
            value_minor: Set(value),
            credit_minor: Set(policy.credit_for(value)),
            currency: Set(order.currency.clone()),
            exchange_variant_id: Set(exchange.as_ref().map(|(v, _)| *v)),
            exchange_variant_title: Set(exchange.map(|(_, t)| t)),
            idempotency_key: Set(ask.key.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (line, quantity) in &chosen {
            return_items::ActiveModel {
                shop_id: Set(order.shop_id),
                return_id: Set(request.id),
                line_item_id: Set(line.line_item_id),
                shopify_line_item_id: Set(line.shopify_line_item_id),
                product_id: Set(line.product_id),
                variant_id: Set(line.variant_id),
                title: Set(line.title.clone()),
                variant_title: Set(line.variant_title.clone()),
                quantity: Set(*quantity),
                unit_price_minor: Set(line.unit_price_minor),
                value_minor: Set(rules::line_value(line.unit_price_minor, *quantity, paid)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        Self::record(
            &txn,
            &request,
            None,
            rules::REQUESTED,
            "request",
            "shopper",
            None,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(request)
    }

    /// One transition, written with who made it and followed by the status email.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        db: &impl ConnectionTrait,
        request: &return_requests::Model,
        from: Option<&str>,
        to: &str,
        action: &str,
        actor: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        return_events::ActiveModel {
            shop_id: Set(request.shop_id),
            return_id: Set(request.id),
            from_status: Set(from.map(str::to_owned)),
            to_status: Set(to.to_owned()),
            action: Set(action.to_owned()),
            actor: Set(actor.chars().take(255).collect()),
            note: Set(note.map(str::to_owned)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let email = NewJob::new(
            STATUS_EMAIL_JOB,
            format!("flow:return_status:{}:{to}", request.id),
            now,
        )
        .for_shop(request.shop_id)
        .payload(
            json!({"return_id": request.id, "status": to, "customer_id": request.customer_id}),
        );
        Queue::enqueue(db, email, now).await?;
        Ok(())
    }

    /// Moves the return by `action` if its state allows it (409 otherwise);
    /// `changes` are written with it (a rejection reason, tracking, the
    /// settlement's reference).
    pub async fn transition(
        db: &sea_orm::DatabaseConnection,
        request: &return_requests::Model,
        action: &str,
        actor: &str,
        note: Option<&str>,
        changes: Vec<(return_requests::Column, sea_orm::Value)>,
        now: DateTime<Utc>,
    ) -> Result<return_requests::Model, ReturnError> {
        let illegal = || ReturnError::Illegal {
            from: request.status.clone(),
            action: action.to_owned(),
        };
        let to = rules::next(&request.status, action).ok_or_else(illegal)?;
        let txn = db.begin().await?;
        let mut update = return_requests::Entity::update_many()
            .col_expr(return_requests::Column::Status, Expr::value(to))
            .col_expr(return_requests::Column::UpdatedAt, Expr::value(now));
        for (column, value) in changes {
            update = update.col_expr(column, Expr::value(value));
        }
        if rules::is_final(to) {
            update = update.col_expr(return_requests::Column::SettledAt, Expr::value(now));
        }
        let moved = update
            .filter(return_requests::Column::Id.eq(request.id))
            .filter(return_requests::Column::Status.eq(request.status.as_str()))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            // Someone else moved it first.
            txn.rollback().await?;
            return Err(illegal());
        }
        Self::record(
            &txn,
            request,
            Some(&request.status),
            to,
            action,
            actor,
            note,
            now,
        )
        .await?;
        txn.commit().await?;
        return_requests::Entity::find_by_id(request.id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("return {}", request.id)).into())
    }

    pub async fn find(
        db: &impl ConnectionTrait,
        shop_id: i64,
        id: i64,
    ) -> Result<Option<return_requests::Model>, DbErr> {
        return_requests::Entity::find_by_id(id)
            .filter(return_requests::Column::ShopId.eq(shop_id))
            .one(db)
            .await
    }

    pub async fn by_number(
        db: &impl ConnectionTrait,
        shop_id: i64,
        number: &str,
    ) -> Result<Option<return_requests::Model>, DbErr> {
        return_requests::Entity::find()
            .filter(return_requests::Column::ShopId.eq(shop_id))
            .filter(return_requests::Column::Number.eq(number))
            .one(db)
            .await
    }

    pub async fn items(
        db: &impl ConnectionTrait,
        return_id: i64,
    ) -> Result<Vec<return_items::Model>, DbErr> {
        return_items::Entity::find()
            .filter(return_items::Column::ReturnId.eq(return_id))
            .order_by_asc(return_items::Column::Id)
            .all(db)
            .await
    }

    pub async fn history(
        db: &impl ConnectionTrait,
        return_id: i64,
    ) -> Result<Vec<return_events::Model>, DbErr> {
        return_events::Entity::find()
            .filter(return_events::Column::ReturnId.eq(return_id))
            .order_by_asc(return_events::Column::CreatedAt)
            .order_by_asc(return_events::Column::Id)
            .all(db)
            .await
    }

    /// The shop's returns in `status` (all when None), newest first.
    pub async fn list(
        db: &impl ConnectionTrait,
        shop_id: i64,
        status: Option<&str>,
        limit: u64,
    ) -> Result<Vec<return_requests::Model>, DbErr> {
        let mut query =
            return_requests::Entity::find().filter(return_requests::Column::ShopId.eq(shop_id));
        if let Some(status) = status {
            query = query.filter(return_requests::Column::Status.eq(status));
        }
        query
            .order_by_desc(return_requests::Column::CreatedAt)
            .order_by_desc(return_requests::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }

    /// Returns per status.
    pub async fn counts(
        db: &impl ConnectionTrait,
        shop_id: i64,
    ) -> Result<Vec<(String, i64)>, DbErr> {
        return_requests::Entity::find()
            .filter(return_requests::Column::ShopId.eq(shop_id))
            .select_only()
            .column(return_requests::Column::Status)
            .column_as(return_requests::Column::Id.count(), "n")
            .group_by(return_requests::Column::Status)
            .into_tuple()
            .all(db)
            .await
    }

    /// Records why the last settlement failed (the return stays `received`).
    pub async fn note_failure(
        db: &impl ConnectionTrait,
        request: &return_requests::Model,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        return_requests::Entity::update_many()
            .col_expr(return_requests::Column::LastError, Expr::value(error))
            .col_expr(return_requests::Column::UpdatedAt, Expr::value(now))
            .filter(return_requests::Column::Id.eq(request.id))
            .exec(db)
            .await?;
        Ok(())
    }
}

const STATUS_PURPOSE: &str = "flywheel return status v1";

/// The stable secret in a return's status link (it never expires: the
/// shopper keeps the email).
pub fn status_token(secret: &[u8], shop_id: i64, return_id: i64) -> String {
    let mut token = crate::shopify::signature::keyed_hash(
        secret,
        STATUS_PURPOSE,
        &format!("{shop_id}:{return_id}"),
    );
    token.truncate(32);
    token
}

/// Whether `token` is the status link's secret for this return.
pub fn status_token_valid(secret: &[u8], shop_id: i64, return_id: i64, token: &str) -> bool {
    crate::shopify::signature::verify_keyed_hash(
        secret,
        STATUS_PURPOSE,
        &format!("{shop_id}:{return_id}"),
        token,
    )
}

/// The return's status page on the shop, through the app proxy.
pub fn status_url(shop_domain: &str, number: &str, token: &str, lang: &str) -> String {
    format!("https://{shop_domain}/apps/flywheel/returns/status?r={number}&t={token}&locale={lang}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_links_verify_for_their_return_only() {
        let token = status_token(b"secret", 3, 42);
        assert_eq!(token.len(), 32);
        assert!(status_token_valid(b"secret", 3, 42, &token));
        assert!(!status_token_valid(b"secret", 3, 43, &token));
        assert!(!status_token_valid(b"other", 3, 42, &token));
        assert!(!status_token_valid(
            b"secret",
            3,
            42,
            &format!("0{}", &token[1..])
        ));
        assert!(!status_token_valid(b"secret", 3, 42, "zz"));
    }
}
