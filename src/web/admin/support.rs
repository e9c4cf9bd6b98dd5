//! `/api/support…`: make-it-right for the merchant — the standards and the
//! remedy menu, the cases with their timers and breach flags, and the moves
//! on a case (reply, judge, give a remedy, resolve, reopen).
use crate::app::AppState;
use crate::i18n::t;
use crate::scheduler::Queue;
use crate::shops::PlatformDeps;
use crate::shops::ShopSettings;
use crate::support::remedies::{GiveError, give};
use crate::support::rules::STATUSES;
use crate::support::service::{CaseError, view};
use crate::support::standards::publish_job;
use crate::support::{Cases, RemedyKind, Severity, SupportSettings};
use crate::web::ApiError;
use crate::web::admin::pages::requested_locale;
use crate::web::session::CurrentShop;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::support_cases;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/support/settings", web::get().to(settings))
        .route("/support/settings", web::put().to(save_settings))
        .route("/support/cases", web::get().to(list))
        .route("/support/cases/{id}", web::get().to(one))
        .route("/support/cases/{id}/reply", web::post().to(reply))
        .route("/support/cases/{id}/severity", web::post().to(severity))
        .route("/support/cases/{id}/remedies", web::post().to(remedy))
        .route("/support/cases/{id}/{action}", web::post().to(transition));
}

fn case_error(e: CaseError, lang: &str) -> ApiError {
    match e {
        CaseError::Conflict(status) => ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            crate::i18n::tf(
                lang,
                "support.error.state",
                &[("status", &t(lang, &format!("support.status.{status}")))],
            ),
        ),
        CaseError::Invalid(key) => ApiError::unprocessable("invalid_case_input", t(lang, key)),
        CaseError::Db(e) => e.into(),
        CaseError::Email(e) => ApiError::internal(e),
    }
}

async fn settings(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings: SupportSettings = ShopSettings::load(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "settings": settings, "menu": settings.menu(None) })))
}

async fn save_settings(
    req: HttpRequest,
    shop: CurrentShop,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let settings: SupportSettings = serde_json::from_value(body.into_inner())
        .map_err(|e| ApiError::unprocessable("invalid_settings", e.to_string()))?;
    if let Some(refused) =
        crate::web::error::invalid_fields("invalid_settings", lang, &settings.validate())
    {
        return Ok(refused);
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    ShopSettings::save(&txn, shop.id, &settings, now).await?;
    // The storefront block reads the standards from the shop's metafields.
    Queue::enqueue(&txn, publish_job(shop.id, now), now).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(json!({ "settings": settings, "menu": settings.menu(None) })))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    shop: CurrentShop,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "all");
    if let Some(status) = status
        && !STATUSES.contains(&status)
    {
        return Err(ApiError::bad_request(
            "invalid_status",
            format!("status must be one of {}", STATUSES.join(", ")),
        ));
    }
    let now = state.clock.now();
    let settings: SupportSettings = ShopSettings::load(&state.db, shop.id).await?;
    let cases = Cases::list(&state.db, shop.id, status, 200).await?;
    let counts = Cases::counts(&state.db, shop.id, now).await?;
    Ok(HttpResponse::Ok().json(json!({
        "standards": {"first_reply_hours": settings.first_reply_hours, "resolution_hours": settings.resolution_hours},
        "counts": counts,
        "cases": cases.iter().map(|c| view(c, &settings, now)).collect::<Vec<_>>(),
    })))
}

async fn find(
    state: &AppState,
    shop: &CurrentShop,
    id: i64,
) -> Result<support_cases::Model, ApiError> {
    Cases::find(&state.db, shop.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such case in this shop"))
}

/// The case with its timers, remedy menu and history.
async fn case_body(state: &AppState, shop: &CurrentShop, id: i64) -> Result<Value, ApiError> {
    let case = find(state, shop, id).await?;
    let settings: SupportSettings = ShopSettings::load(&state.db, shop.id).await?;
    let events = Cases::history(&state.db, case.id).await?;
    Ok(json!({
        "case": view(&case, &settings, state.clock.now()),
        "events": events.iter().map(|e| json!({
            "id": e.id, "kind": e.kind, "actor": e.actor, "body": e.body, "data": e.data,
            "status": e.status, "at": e.created_at, "updated_at": e.updated_at,
        })).collect::<Vec<_>>(),
    }))
}

async fn one(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(case_body(&state, &shop, path.into_inner()).await?))
}

fn actor(shop: &CurrentShop) -> String {
    shop.user.clone().unwrap_or_else(|| "admin".into())
}

#[derive(Deserialize)]
struct ReplyBody {
    body: String,
}

/// A reply, emailed to the customer; `Idempotency-Key` makes a retry count once.
async fn reply(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<i64>,
    body: web::Json<ReplyBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let case = find(&state, &shop, path.into_inner()).await?;
    let key = crate::web::idempotency_key(&req);
    Cases::reply(
        &state.db,
        &shop.record,
        &case,
        &actor(&shop),
        &body.body,
        None,
        &key,
        state.clock.now(),
    )
    .await
    .map_err(|e| case_error(e, lang))?;
    Ok(HttpResponse::Ok().json(case_body(&state, &shop, case.id).await?))
}

#[derive(Deserialize)]
struct SeverityBody {
    severity: String,
}

async fn severity(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<i64>,
    body: web::Json<SeverityBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let severity = Severity::parse(&body.severity)
        .ok_or_else(|| ApiError::unprocessable("invalid_severity", "severity is minor or major"))?;
    let case = find(&state, &shop, path.into_inner()).await?;
    Cases::set_severity(&state.db, &case, severity, &actor(&shop), state.clock.now())
        .await
        .map_err(|e| case_error(e, lang))?;
    Ok(HttpResponse::Ok().json(case_body(&state, &shop, case.id).await?))
}

#[derive(Deserialize)]
struct RemedyBody {
    kind: String,
}

/// One click: the remedy is given through the platform (or the ledger).
async fn remedy(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<i64>,
    body: web::Json<RemedyBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let kind = RemedyKind::parse(&body.kind).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_remedy",
            "kind is points, store_credit, replacement or partial_refund",
        )
    })?;
    let case = find(&state, &shop, path.into_inner()).await?;
    let deps = PlatformDeps {
        db: &state.db,
        api: &state.admin,
        cipher: &state.cipher,
        secret: state.api_secret(),
    };
    match give(
        &deps,
        &shop.record,
        &case,
        kind,
        &actor(&shop),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(HttpResponse::Ok().json(case_body(&state, &shop, case.id).await?)),
        Err(GiveError::Case(e)) => Err(case_error(e, lang)),
        Err(GiveError::AlreadyGiven) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_given",
            t(lang, "support.error.already_given"),
        )),
        Err(GiveError::InProgress) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "in_progress",
            t(lang, "support.error.in_progress"),
        )),
        Err(GiveError::NotOffered(key)) => {
            Err(ApiError::unprocessable("not_offered", t(lang, key)))
        }
        Err(GiveError::Platform(reason)) => Err(ApiError::bad_gateway(crate::i18n::tf(
            lang,
            "support.error.platform",
            &[("reason", &reason)],
        ))),
    }
}

/// Resolve or reopen: the two moves that change only the case's state.
async fn transition(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<(i64, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let (id, action) = path.into_inner();
    let case = find(&state, &shop, id).await?;
    let (actor, now) = (actor(&shop), state.clock.now());
    match action.as_str() {
        "resolve" => Cases::resolve(&state.db, &case, &actor, now).await,
        "reopen" => Cases::reopen(&state.db, &case, &actor, now).await,
        _ => return Err(ApiError::not_found("no such move on a case")),
    }
    .map_err(|e| case_error(e, lang))?;
    Ok(HttpResponse::Ok().json(case_body(&state, &shop, case.id).await?))
}
