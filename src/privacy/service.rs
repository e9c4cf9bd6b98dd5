//! Privacy requests. Every table that holds personal data is named here, so a
//! new table with personal fields must be added to `redact_customer` and
//! `export_customer` — the redaction test scans every table to catch a miss.
use crate::commerce::payload::{CustomerRedactPayload, DataRequestPayload};
use crate::db::delete_where;
use chrono::{DateTime, Utc};
use entity::{
    customers, delivery_promises, delivery_settings, fulfillments, oauth_states, order_line_items,
    orders, privacy_exports, refunds, shops, webhook_events,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{Value, json};

pub struct Privacy;

fn customer_orders_condition(
    shopify_customer_id: i64,
    order_ids: &[i64],
    email: Option<&str>,
) -> Condition {
    let mut any = Condition::any().add(orders::Column::ShopifyCustomerId.eq(shopify_customer_id));
    if !order_ids.is_empty() {
        any = any.add(orders::Column::ShopifyOrderId.is_in(order_ids.to_vec()));
    }
    if let Some(email) = email.filter(|e| !e.trim().is_empty()) {
        any = any.add(ExprTrait::eq(
            Expr::expr(Func::lower(Expr::col(orders::Column::Email))),
            email.trim().to_lowercase(),
        ));
    }
    any
}

impl Privacy {
    /// `customers/data_request`: assembles everything we hold on the customer
    /// and keeps it for the merchant to download. Returns the export's id.
    #[tracing::instrument(skip(db, request), fields(customer = request.customer.id))]
    pub async fn export_customer(
        db: &impl ConnectionTrait,
        shop: &shops::Model,
        request: &DataRequestPayload,
        now: DateTime<Utc>,
    ) -> Result<i64, DbErr> {
        let customer = customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop.id))
            .filter(customers::Column::ShopifyCustomerId.eq(request.customer.id))
            .one(db)
            .await?;
        let email = request
            .customer
            .email
            .clone()
            .or_else(|| customer.as_ref().and_then(|c| c.email.clone()));
        let orders = orders::Entity::find()
            .filter(orders::Column::ShopId.eq(shop.id))
            .filter(customer_orders_condition(
                request.customer.id,
                &request.orders_requested,
                email.as_deref(),
            ))
            .order_by_asc(orders::Column::PlatformCreatedAt)
            .all(db)
            .await?;
        let mut order_docs = Vec::with_capacity(orders.len());
        for order in &orders {
            let items = order_line_items::Entity::find()
                .filter(order_line_items::Column::OrderId.eq(order.id))
                .all(db)
                .await?;
            let order_refunds = refunds::Entity::find()
                .filter(refunds::Column::OrderId.eq(order.id))
                .all(db)
                .await?;
            let order_fulfillments = fulfillments::Entity::find()
                .filter(fulfillments::Column::OrderId.eq(order.id))
                .all(db)
                .await?;
            order_docs.push(json!({
                "id": order.shopify_order_id,
                "name": order.name,
                "email": order.email,
                "currency": order.currency,
                "total_minor": order.total_minor,
                "financial_status": order.financial_status,
                "created_at": order.platform_created_at,
                "cancelled_at": order.cancelled_at,
                "shipping": {
                    "name": order.shipping_name,
                    "address1": order.shipping_address1,
                    "city": order.shipping_city,
                    "zip": order.shipping_zip,
                    "country_code": order.shipping_country_code,
                },
                "browser_ip": order.browser_ip,
                "customer_locale": order.customer_locale,
                "line_items": items.iter().map(|li| json!({
                    "title": li.title, "variant_title": li.variant_title,
                    "quantity": li.quantity, "price_minor": li.price_minor,
                })).collect::<Vec<_>>(),
                "refunds": order_refunds.iter().map(|r| json!({
                    "amount_minor": r.amount_minor, "currency": r.currency,
                    "created_at": r.platform_created_at,
                })).collect::<Vec<_>>(),
                "fulfillments": order_fulfillments.iter().map(|f| json!({
                    "status": f.status, "shipment_status": f.shipment_status,
                    "tracking_company": f.tracking_company, "tracking_number": f.tracking_number,
                    "delivered_at": f.delivered_at,
                })).collect::<Vec<_>>(),
            }));
        }
        let customer_doc = customer.as_ref().map_or(Value::Null, |c| {
            json!({
                "id": c.shopify_customer_id,
                "email": c.email,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "phone": c.phone,
                "locale": c.locale,
                "email_marketing_consent": c.email_marketing_consent,
                "tags": c.tags,
                "created_at": c.platform_created_at,
            })
        });
        let loyalty = match &customer {
            Some(c) => crate::loyalty::privacy::export(db, c.id).await?,
            None => Value::Null,
        };
        let reviews = crate::reviews::privacy::export_customer(
            db,
            shop.id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
        )
        .await?;
        let support = crate::support::privacy::export_customer(
            db,
            shop.id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
        )
        .await?;
        let returns = crate::returns::privacy::export_customer(
            db,
            shop.id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
        )
        .await?;
        let payload = json!({
            "loyalty": loyalty,
            "reviews": reviews,
            "support": support,
            "returns": returns,
            "shop": shop.domain,
            "generated_at": now,
            "data_request_id": request.data_request.as_ref().and_then(|d| d.id),
            "customer": customer_doc,
            "orders": order_docs,
        });
        let export = privacy_exports::ActiveModel {
            shop_id: Set(shop.id),
            shopify_customer_id: Set(request.customer.id),
            data_request_id: Set(request.data_request.as_ref().and_then(|d| d.id)),
            payload: Set(payload),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(export.id)
    }

    /// `customers/redact`: blanks every personal field of the customer and of
    /// their orders, and drops any export made for them. Figures (amounts,
    /// counts, dates) stay, so the shop's metrics do not change.
    #[tracing::instrument(skip(db, request), fields(customer = request.customer.id))]
    pub async fn redact_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        request: &CustomerRedactPayload,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let customer = customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop_id))
            .filter(customers::Column::ShopifyCustomerId.eq(request.customer.id))
            .one(db)
            .await?;
        let email = request
            .customer
            .email
            .clone()
            .or_else(|| customer.as_ref().and_then(|c| c.email.clone()));
        orders::Entity::update_many()
            .col_expr(orders::Column::Email, Expr::value(Option::<String>::None))
            .col_expr(
                orders::Column::ShippingName,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                orders::Column::ShippingAddress1,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                orders::Column::ShippingCity,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                orders::Column::ShippingZip,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                orders::Column::BrowserIp,
                Expr::value(Option::<String>::None),
            )
            .col_expr(orders::Column::Tags, Expr::value(""))
            .col_expr(orders::Column::UpdatedAt, Expr::value(now))
            .filter(orders::Column::ShopId.eq(shop_id))
            .filter(customer_orders_condition(
                request.customer.id,
                &request.orders_to_redact,
                email.as_deref(),
            ))
            .exec(db)
            .await?;
        crate::reviews::privacy::redact_customer(
            db,
            shop_id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
            now,
        )
        .await?;
        crate::support::Cases::redact_customer(
            db,
            shop_id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
        )
        .await?;
        crate::returns::privacy::redact_customer(
            db,
            shop_id,
            customer.as_ref().map(|c| c.id),
            email.as_deref(),
            now,
        )
        .await?;
        if let Some(customer) = &customer {
            crate::emails::outbox::Outbox::redact_customer(db, shop_id, customer.id, now).await?;
            crate::surveys::Surveys::redact_customer(db, shop_id, customer.id).await?;
        }
        if let Some(customer) = customer {
            crate::loyalty::privacy::redact_customer(db, shop_id, customer.id, email.as_deref())
                .await?;
            let mut row: customers::ActiveModel = customer.into();
            row.email = Set(None);
            row.first_name = Set(None);
            row.last_name = Set(None);
            row.phone = Set(None);
            row.tags = Set(String::new());
            row.redacted_at = Set(Some(now));
            row.updated_at = Set(now);
            row.update(db).await?;
        }
        privacy_exports::Entity::delete_many()
            .filter(privacy_exports::Column::ShopId.eq(shop_id))
            .filter(privacy_exports::Column::ShopifyCustomerId.eq(request.customer.id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// `shop/redact`: deletes every row that belongs to the shop.
    #[tracing::instrument(skip(db))]
    pub async fn redact_shop(
        db: &impl ConnectionTrait,
        domain: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if let Some(shop) = shops::Entity::find()
            .filter(shops::Column::Domain.eq(domain))
            .one(db)
            .await?
        {
            // Children first, explicitly, so no row survives even without cascading foreign keys.
            crate::loyalty::privacy::redact_shop(db, shop.id).await?;
            crate::reviews::privacy::redact_shop(db, shop.id, now).await?;
            crate::emails::outbox::Outbox::redact_shop(db, shop.id).await?;
            crate::support::privacy::redact_shop(db, shop.id).await?;
            crate::returns::privacy::redact_shop(db, shop.id, now).await?;
            delete_where::<delivery_promises::Entity>(
                db,
                delivery_promises::Column::ShopId,
                shop.id,
            )
            .await?;
            delete_where::<delivery_settings::Entity>(
                db,
                delivery_settings::Column::ShopId,
                shop.id,
            )
            .await?;
            delete_where::<order_line_items::Entity>(db, order_line_items::Column::ShopId, shop.id)
                .await?;
            delete_where::<entity::history_imports::Entity>(
                db,
                entity::history_imports::Column::ShopId,
                shop.id,
            )
            .await?;
            delete_where::<refunds::Entity>(db, refunds::Column::ShopId, shop.id).await?;
            delete_where::<fulfillments::Entity>(db, fulfillments::Column::ShopId, shop.id).await?;
            delete_where::<orders::Entity>(db, orders::Column::ShopId, shop.id).await?;
            delete_where::<customers::Entity>(db, customers::Column::ShopId, shop.id).await?;
            delete_where::<privacy_exports::Entity>(db, privacy_exports::Column::ShopId, shop.id)
                .await?;
            shops::Entity::delete_by_id(shop.id).exec(db).await?;
        }
        delete_where::<oauth_states::Entity>(db, oauth_states::Column::ShopDomain, domain).await?;
        delete_where::<webhook_events::Entity>(db, webhook_events::Column::ShopDomain, domain)
            .await?;
        Ok(())
    }
}
