//! `/api/…` loyalty JSON for the embedded admin and operators: a customer's
//! points, hand adjustments, the program's rules, rewards, the launch, and
//! the referral and event lists.
use crate::app::AppState;
use crate::commerce::Commerce;
use crate::loyalty::launch::{launch, launch_texts};
use crate::loyalty::members::Members;
use crate::loyalty::redemption::{RewardInput, Rewards};
use crate::loyalty::referrals::Referrals;
use crate::loyalty::rules::ProgramRules;
use crate::loyalty::{Loyalty, Programs, views};
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/customers/{id}/loyalty", web::get().to(customer_loyalty))
        .route(
            "/customers/{id}/loyalty/adjustments",
            web::post().to(adjust),
        )
        .route("/loyalty/program", web::get().to(program))
        .route("/loyalty/program", web::put().to(save_program))
        .route("/loyalty/rewards", web::get().to(rewards))
        .route("/loyalty/rewards", web::post().to(create_reward))
        .route("/loyalty/rewards/{id}", web::put().to(update_reward))
        .route("/loyalty/launch", web::post().to(start_launch))
        .route("/loyalty/summary", web::get().to(summary))
        .route("/loyalty/referrals", web::get().to(referrals))
        .route("/loyalty/events", web::get().to(events));
}

async fn customer_loyalty(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let program = Programs::load(&state.db, &shop.record).await?;
    let view = views::customer_loyalty(
        &state.db,
        &program,
        shop.domain.as_str(),
        path.into_inner(),
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("no such customer in this shop"))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
struct Adjustment {
    points: i64,
    reason: String,
}

/// A hand adjustment: a reason is required and the admin user is recorded.
/// An `Idempotency-Key` header makes a retried request count once.
async fn adjust(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<i64>,
    body: web::Json<Adjustment>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let reason = body.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(ApiError::unprocessable(
            "reason_required",
            "say why the points change, in at most 500 characters",
        ));
    }
    if body.points == 0 || body.points.abs() > 1_000_000 {
        return Err(ApiError::unprocessable(
            "invalid_points",
            "points must be a non-zero number between -1000000 and 1000000",
        ));
    }
    let key = crate::web::idempotency_key(&req);
    let now = state.clock.now();
    let row = shop.record.clone();
    let program = Programs::load(&state.db, &row).await?;
    let customer = Commerce::find_customer(&state.db, shop.id, path.into_inner())
        .await?
        .filter(|c| c.redacted_at.is_none())
        .ok_or_else(|| ApiError::not_found("no such customer in this shop"))?;
    let actor = shop.user.clone().unwrap_or_else(|| "admin".into());
    let txn = state.db.begin().await?;
    let applied = Loyalty::adjust(
        &txn,
        &program,
        customer.id,
        body.points,
        reason,
        &actor,
        &format!("{}:{key}", customer.id),
        now,
    )
    .await?;
    txn.commit().await?;
    let view = views::customer_loyalty(
        &state.db,
        &program,
        shop.domain.as_str(),
        customer.shopify_customer_id,
        now,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "applied": applied, "loyalty": view })))
}

async fn program(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let program = Programs::load(&state.db, &shop.record).await?;
    Ok(HttpResponse::Ok().json(json!({
        "enabled": program.enabled,
        "launched_at": program.launched_at,
        "currency": program.currency,
        "rules": program.rules,
        "launch_texts": launch_texts(program.rules.launch.bonus_points),
    })))
}

#[derive(Deserialize)]
struct ProgramInput {
    enabled: Option<bool>,
    rules: ProgramRules,
}

async fn save_program(
    shop: CurrentShop,
    body: web::Json<ProgramInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.rules
        .validate()
        .map_err(|e| ApiError::unprocessable("invalid_rules", e))?;
    let current = Programs::load(&state.db, &shop.record).await?;
    let enabled = body.enabled.unwrap_or(current.enabled);
    Programs::save(&state.db, shop.id, enabled, &body.rules, state.clock.now()).await?;
    program(shop, state).await
}

async fn rewards(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rewards = Rewards::list(&state.db, shop.id, false).await?;
    Ok(
        HttpResponse::Ok().json(json!({ "rewards": rewards.iter().map(|r| json!({
        "id": r.id, "name": r.name, "kind": r.kind, "value": r.value,
        "points_cost": r.points_cost, "active": r.active,
    })).collect::<Vec<_>>() })),
    )
}

async fn create_reward(
    shop: CurrentShop,
    body: web::Json<RewardInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    body.validate()
        .map_err(|e| ApiError::unprocessable("invalid_reward", e))?;
    Rewards::create(&state.db, shop.id, &body, state.clock.now()).await?;
    rewards(shop, state).await.map(|mut r| {
        *r.status_mut() = actix_web::http::StatusCode::CREATED;
        r
    })
}

async fn update_reward(
    shop: CurrentShop,
    path: web::Path<i64>,
    body: web::Json<RewardInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    body.validate()
        .map_err(|e| ApiError::unprocessable("invalid_reward", e))?;
    Rewards::update(
        &state.db,
        shop.id,
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("no such reward in this shop"))?;
    rewards(shop, state).await
}

async fn start_launch(
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let row = shop.record.clone();
    let now = state.clock.now();
    Rewards::seed_defaults(&state.db, shop.id, &row.currency, &row.locale, now).await?;
    let report = launch(&state.db, &row, now).await?;
    Ok(HttpResponse::Ok().json(report))
}

async fn summary(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let program = Programs::load(&state.db, &shop.record).await?;
    let counts = Members::count_by_tier(&state.db, shop.id).await?;
    let members_in = |key: &str| counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let by_tier: Vec<_> = program
        .rules
        .tiers
        .tiers
        .iter()
        .map(|t| {
            json!({
                "tier": t.key, "name": t.name,
                "members": members_in(&t.key),
            })
        })
        .collect();
    let outstanding =
        crate::loyalty::ledger::PointsLedger::shop_outstanding(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "enabled": program.enabled,
        "launched_at": program.launched_at,
        "members": counts.iter().map(|(_, n)| n).sum::<i64>(),
        "by_tier": by_tier,
        "points_outstanding": outstanding,
    })))
}

async fn referrals(
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (total, rows) = Referrals::recent(&state.db, shop.id, 200).await?;
    Ok(HttpResponse::Ok().json(json!({
        "total": total,
        "referrals": rows.iter().map(|r| json!({
            "id": r.id, "referrer_customer_id": r.referrer_customer_id,
            "referee_customer_id": r.referee_customer_id, "code": r.code,
            "status": r.status, "refusal_reason": r.refusal_reason,
            "reward_due_at": r.reward_due_at, "rewarded_at": r.rewarded_at,
            "created_at": r.created_at,
        })).collect::<Vec<_>>(),
    })))
}

/// Loyalty moments not yet followed up by an email (the flows read these).
async fn events(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = crate::loyalty::events::LoyaltyEvents::pending(&state.db, shop.id, 200).await?;
    Ok(
        HttpResponse::Ok().json(json!({ "events": rows.iter().map(|e| json!({
        "id": e.id, "kind": e.kind, "customer_id": e.customer_id,
        "payload": e.payload, "created_at": e.created_at,
    })).collect::<Vec<_>>() })),
    )
}
