//! Privacy for returns: a data request exports the customer's returns; a
//! customer's redaction removes their address, words and photos from them
//! (the returns stay, for the shop's figures); a shop's redaction deletes all.
use crate::db::delete_where;
use chrono::{DateTime, Utc};
use entity::{return_events, return_items, return_lookups, return_photos, return_requests};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};

fn whose(customer_id: Option<i64>, email: Option<&str>) -> Option<Condition> {
    let mut any = Condition::any();
    if let Some(id) = customer_id {
        any = any.add(return_requests::Column::CustomerId.eq(id));
    }
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        any = any.add(return_requests::Column::Email.eq(email));
    }
    (customer_id.is_some() || email.is_some_and(|e| !e.is_empty())).then_some(any)
}

pub async fn export_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: Option<i64>,
    email: Option<&str>,
) -> Result<Value, DbErr> {
    let Some(condition) = whose(customer_id, email) else {
        return Ok(json!([]));
    };
    let returns = return_requests::Entity::find()
        .filter(return_requests::Column::ShopId.eq(shop_id))
        .filter(condition)
        .all(db)
        .await?;
    let mut docs = Vec::with_capacity(returns.len());
    for r in returns {
        let items = return_items::Entity::find()
            .filter(return_items::Column::ReturnId.eq(r.id))
            .all(db)
            .await?;
        docs.push(json!({
            "number": r.number, "status": r.status, "outcome": r.outcome, "reason": r.reason,
            "comment": r.comment, "created_at": r.created_at, "tracking": r.tracking,
            "items": items.iter().map(|i| json!({"title": i.title, "quantity": i.quantity})).collect::<Vec<_>>(),
        }));
    }
    Ok(Value::Array(docs))
}

/// The customer's returns keep their figures; their address, words and photos go.
pub async fn redact_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: Option<i64>,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(condition) = whose(customer_id, email) else {
        return Ok(());
    };
    let ids: Vec<i64> = return_requests::Entity::find()
        .filter(return_requests::Column::ShopId.eq(shop_id))
        .filter(condition)
        .select_only()
        .column(return_requests::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    return_requests::Entity::update_many()
        .col_expr(
            return_requests::Column::Email,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            return_requests::Column::Comment,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            return_requests::Column::Tracking,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            return_requests::Column::CustomerId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(return_requests::Column::UpdatedAt, Expr::value(now))
        .filter(return_requests::Column::Id.is_in(ids.clone()))
        .exec(db)
        .await?;
    let photos = return_photos::Entity::find()
        .filter(return_photos::Column::ReturnId.is_in(ids.clone()))
        .all(db)
        .await?;
    let keys: Vec<String> = photos
        .iter()
        .flat_map(|p| [p.display_key.clone(), p.thumb_key.clone()])
        .collect();
    crate::reviews::privacy::trash(db, shop_id, keys, now).await?;
    return_photos::Entity::delete_many()
        .filter(return_photos::Column::ReturnId.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// `shop/redact`: every return of the shop (photos queued for deletion).
pub async fn redact_shop(
    db: &impl ConnectionTrait,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let photos = return_photos::Entity::find()
        .filter(return_photos::Column::ShopId.eq(shop_id))
        .all(db)
        .await?;
    let keys: Vec<String> = photos
        .iter()
        .flat_map(|p| [p.display_key.clone(), p.thumb_key.clone()])
        .collect();
    crate::reviews::privacy::trash(db, shop_id, keys, now).await?;
    delete_where::<return_photos::Entity>(db, return_photos::Column::ShopId, shop_id).await?;
    delete_where::<return_events::Entity>(db, return_events::Column::ShopId, shop_id).await?;
    delete_where::<return_items::Entity>(db, return_items::Column::ShopId, shop_id).await?;
    delete_where::<return_requests::Entity>(db, return_requests::Column::ShopId, shop_id).await?;
    delete_where::<return_lookups::Entity>(db, return_lookups::Column::ShopId, shop_id).await?;
    delete_where::<entity::products::Entity>(db, entity::products::Column::ShopId, shop_id).await?;
    Ok(())
}
