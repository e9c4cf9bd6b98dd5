//! `/api/returns…`: the merchant's returns queue — the policy, the returns
//! by status, one return with its lines, photos and history, the moves
//! (approve, reject with a reason, issue the label, mark shipped or
//! received), settling (refund by line and quantity, store credit, exchange)
//! and opening a make-it-right case from a return.
use crate::app::AppState;
use crate::i18n::t;
use crate::returns::rules::{ACTIONS, STATUSES};
use crate::returns::service::{status_token, status_url};
use crate::returns::settle::{SettleError, settle};
use crate::returns::{ReturnError, ReturnPolicy, Returns};
use crate::shops::PlatformDeps;
use crate::shops::ShopSettings;
use crate::support::{Cases, NewCase};
use crate::web::ApiError;
use crate::web::admin::pages::requested_locale;
use crate::web::session::CurrentShop;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::{return_photos, return_requests};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/returns/policy", web::get().to(policy))
        .route("/returns/policy", web::put().to(save_policy))
        .route("/returns", web::get().to(list))
        .route("/returns/{id}", web::get().to(one))
        .route("/returns/{id}/settle", web::post().to(settle_return))
        .route("/returns/{id}/case", web::post().to(open_case))
        .route("/returns/{id}/{action}", web::post().to(transition));
}

fn return_error(e: ReturnError, lang: &str) -> ApiError {
    match e {
        ReturnError::Illegal { from, action } => ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            crate::i18n::tf(
                lang,
                "returns.error.illegal",
                &[
                    ("status", &t(lang, &format!("returns.status.{from}"))),
                    ("action", &action),
                ],
            ),
        ),
        ReturnError::Refused { key, .. } => ApiError::unprocessable("refused", t(lang, key)),
        ReturnError::Db(e) => e.into(),
    }
}

async fn policy(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let policy: ReturnPolicy = ShopSettings::load(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "policy": policy, "reasons": crate::returns::rules::REASONS })))
}

async fn save_policy(
    req: HttpRequest,
    shop: CurrentShop,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let policy: ReturnPolicy = serde_json::from_value(body.into_inner())
        .map_err(|e| ApiError::unprocessable("invalid_policy", e.to_string()))?;
    if let Some(refused) =
        crate::web::error::invalid_fields("invalid_policy", lang, &policy.validate())
    {
        return Ok(refused);
    }
    let now = state.clock.now();
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    ShopSettings::save(&txn, shop.id, &policy, now).await?;
    // The policy badges read the window from the shop's app-data metafields.
    crate::scheduler::Queue::enqueue(
        &txn,
        crate::support::standards::publish_job(shop.id, now),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "policy": policy, "reasons": crate::returns::rules::REASONS })))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

fn summary(r: &return_requests::Model) -> Value {
    json!({
        "id": r.id, "number": r.number, "order_id": r.order_id, "customer_id": r.customer_id,
        "email": r.email, "status": r.status, "outcome": r.outcome, "reason": r.reason,
        "value_minor": r.value_minor, "credit_minor": r.credit_minor, "currency": r.currency,
        "shop_pays_label": r.shop_pays_label, "created_at": r.created_at, "updated_at": r.updated_at,
        "last_error": r.last_error, "settled_reference": r.settled_reference, "case_id": r.case_id,
    })
}

async fn list(
    shop: CurrentShop,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = crate::web::status_filter(query.status.as_deref(), &STATUSES)?;
    let returns = Returns::list(&state.db, shop.id, status, 200).await?;
    let counts = Returns::counts(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "counts": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        "returns": returns.iter().map(summary).collect::<Vec<_>>(),
    })))
}

async fn find(
    state: &AppState,
    shop: &CurrentShop,
    id: i64,
) -> Result<return_requests::Model, ApiError> {
    Returns::find(&state.db, shop.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such return in this shop"))
}

async fn detail(state: &AppState, shop: &CurrentShop, id: i64) -> Result<Value, ApiError> {
    let r = find(state, shop, id).await?;
    let items = Returns::items(&state.db, r.id).await?;
    let history = Returns::history(&state.db, r.id).await?;
    let photos = return_photos::Entity::find()
        .filter(return_photos::Column::ReturnId.eq(r.id))
        .all(&state.db)
        .await?;
    let base = crate::reviews::media_base(&state.app_url);
    let now = state.clock.now();
    let actions: Vec<&str> = ACTIONS
        .iter()
        .filter(|(name, from, _)| {
            from.contains(&r.status.as_str()) && !matches!(*name, "refund" | "credit" | "exchange")
        })
        .map(|(name, _, _)| *name)
        .collect();
    let mut body = summary(&r);
    body["comment"] = json!(r.comment);
    body["rejection_reason"] = json!(r.rejection_reason);
    body["tracking"] = json!(r.tracking);
    body["exchange_variant"] = json!(r.exchange_variant_title);
    body["status_url"] = json!(status_url(
        &shop.domain.to_string(),
        &r.number,
        &status_token(state.api_secret(), shop.id, r.id),
        &r.locale
    ));
    body["actions"] = json!(actions);
    body["settle"] = json!(r.status == crate::returns::rules::RECEIVED);
    body["items"] = json!(items.iter().map(|i| json!({
        "id": i.id, "title": i.title, "variant_title": i.variant_title, "quantity": i.quantity,
        "unit_price_minor": i.unit_price_minor, "value_minor": i.value_minor,
    })).collect::<Vec<_>>());
    body["photos"] = json!(photos.iter().map(|p| json!({
        "thumb": crate::reviews::signed_media_url(state.api_secret(), &base, &p.thumb_key, now),
        "display": crate::reviews::signed_media_url(state.api_secret(), &base, &p.display_key, now),
    })).collect::<Vec<_>>());
    body["history"] = json!(
        history
            .iter()
            .map(|e| json!({
                "from": e.from_status, "to": e.to_status, "action": e.action, "actor": e.actor,
                "note": e.note, "at": e.created_at,
            }))
            .collect::<Vec<_>>()
    );
    Ok(body)
}

async fn one(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(detail(&state, &shop, path.into_inner()).await?))
}

fn actor(shop: &CurrentShop) -> String {
    shop.user.clone().unwrap_or_else(|| "admin".into())
}

#[derive(Deserialize, Default)]
struct MoveBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    tracking: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// approve | reject | issue_label | ship | receive.
async fn transition(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<(i64, String)>,
    body: Option<web::Json<MoveBody>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let (id, action) = path.into_inner();
    if !ACTIONS.iter().any(|(a, _, _)| *a == action)
        || matches!(action.as_str(), "refund" | "credit" | "exchange")
    {
        return Err(ApiError::not_found("no such move on a return"));
    }
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let r = find(&state, &shop, id).await?;
    let mut changes = Vec::new();
    if action == "reject" {
        let reason = body
            .reason
            .as_deref()
            .map(crate::text::clean_text)
            .filter(|r| !r.is_empty());
        let Some(reason) = reason else {
            return Err(ApiError::unprocessable(
                "reason_required",
                t(lang, "returns.error.rejection_reason"),
            ));
        };
        changes.push((
            return_requests::Column::RejectionReason,
            sea_orm::Value::from(Some(reason)),
        ));
    }
    if let Some(tracking) = body
        .tracking
        .as_deref()
        .map(crate::text::clean_text)
        .filter(|t| !t.is_empty())
    {
        changes.push((
            return_requests::Column::Tracking,
            sea_orm::Value::from(Some(tracking)),
        ));
    }
    Returns::transition(
        &state.db,
        &r,
        &action,
        &actor(&shop),
        body.note.as_deref(),
        changes,
        state.clock.now(),
    )
    .await
    .map_err(|e| return_error(e, lang))?;
    Ok(HttpResponse::Ok().json(detail(&state, &shop, id).await?))
}

#[derive(Deserialize, Default)]
struct SettleBody {
    /// (return item id, quantity) to take back; all when missing.
    #[serde(default)]
    lines: Option<Vec<SettleLine>>,
}

#[derive(Deserialize)]
struct SettleLine {
    item_id: i64,
    quantity: i32,
}

async fn settle_return(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<i64>,
    body: Option<web::Json<SettleBody>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let id = path.into_inner();
    let r = find(&state, &shop, id).await?;
    let lines: Option<Vec<(i64, i32)>> = body
        .and_then(|b| b.into_inner().lines)
        .map(|l| l.into_iter().map(|l| (l.item_id, l.quantity)).collect());
    let deps = PlatformDeps {
        db: &state.db,
        api: &state.admin,
        cipher: &state.cipher,
        secret: state.api_secret(),
    };
    match settle(
        &deps,
        &shop.record,
        &r,
        lines.as_deref(),
        &actor(&shop),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(HttpResponse::Ok().json(detail(&state, &shop, id).await?)),
        Err(SettleError::Return(e)) => Err(return_error(e, lang)),
        Err(SettleError::Invalid(key)) => {
            Err(ApiError::unprocessable("invalid_settlement", t(lang, key)))
        }
        Err(SettleError::Platform(reason)) => Err(ApiError::bad_gateway(crate::i18n::tf(
            lang,
            "returns.error.platform",
            &[("reason", &reason)],
        ))),
    }
}

/// Opens (once) a make-it-right case for the return.
async fn open_case(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let r = find(&state, &shop, path.into_inner()).await?;
    let now = state.clock.now();
    let customer = match r.customer_id {
        Some(id) => {
            entity::customers::Entity::find_by_id(id)
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let category = match r.reason.as_str() {
        "damaged" => "damaged",
        "wrong_item" => "wrong_item",
        _ => "other",
    };
    let message = [
        format!(
            "{} · {}",
            r.number,
            t(&r.locale, &format!("returns.reason.{}", r.reason))
        ),
        r.comment.clone().unwrap_or_default(),
    ]
    .join("\n");
    let (case, _) = Cases::open(
        &state.db,
        NewCase {
            shop_id: shop.id,
            customer_id: r.customer_id,
            order_id: Some(r.order_id),
            source: "return",
            category: category.into(),
            customer_name: customer.and_then(|c| c.first_name),
            customer_email: r.email.clone(),
            locale: r.locale.clone(),
            message: message.trim().to_owned(),
            key: format!("return:{}", r.id),
        },
        now,
    )
    .await?;
    return_requests::Entity::update_many()
        .col_expr(
            return_requests::Column::CaseId,
            sea_orm::sea_query::Expr::value(case.id),
        )
        .filter(return_requests::Column::Id.eq(r.id))
        .exec(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "case_id": case.id })))
}
