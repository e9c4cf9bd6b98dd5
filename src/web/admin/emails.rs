//! `/api/emails…`: the outbox — every email the shop's flows wrote, where it
//! stands (queued, sent, kept in the outbox, skipped), and each one rendered.
use crate::app::AppState;
use crate::emails::Outbox;
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::{HttpResponse, web};
use entity::emails;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/emails", web::get().to(list))
        .route("/emails/{id}", web::get().to(one))
        .route("/emails/{id}/preview", web::get().to(preview));
}

fn summary(e: &emails::Model) -> serde_json::Value {
    json!({
        "id": e.id, "flow": e.flow, "status": e.status, "marketing": e.marketing,
        "locale": e.locale, "to": e.to_address, "subject": e.subject,
        "created_at": e.created_at, "sent_at": e.sent_at, "last_error": e.last_error,
    })
}

async fn list(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let recent = Outbox::recent(&state.db, shop.id, 200).await?;
    Ok(
        HttpResponse::Ok()
            .json(json!({ "emails": recent.iter().map(summary).collect::<Vec<_>>() })),
    )
}

async fn find(state: &AppState, shop: &CurrentShop, id: i64) -> Result<emails::Model, ApiError> {
    emails::Entity::find_by_id(id)
        .filter(emails::Column::ShopId.eq(shop.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("no such email in this shop"))
}

async fn one(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let email = find(&state, &shop, path.into_inner()).await?;
    let mut body = summary(&email);
    body["text"] = json!(email.text);
    body["headers"] = email.headers.clone();
    Ok(HttpResponse::Ok().json(body))
}

/// The email's HTML as the customer sees it, sandboxed: no scripts, no
/// requests beyond images, not framed by anybody else.
async fn preview(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let email = find(&state, &shop, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'",
        ))
        .body(email.html))
}
