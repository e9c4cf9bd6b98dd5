//! `/api/flows…` and `/api/surveys`: the shop's lifecycle flows (on/off,
//! timings, pacing), each flow's email previewed with sample values in any
//! language, the lapse window the win-back uses, and the survey scores.
use crate::app::AppState;
use crate::flows::daily::{histories, lapse_window};
use crate::flows::preview::sample;
use crate::flows::{Flow, FlowSettings};
use crate::shops::ShopSettings;
use crate::surveys::Surveys;
use crate::web::ApiError;
use crate::web::admin::pages::requested_locale;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/flows/settings", web::get().to(settings))
        .route("/flows/settings", web::put().to(save_settings))
        .route("/flows/preview/{flow}", web::get().to(preview))
        .route("/surveys", web::get().to(surveys));
}

async fn describe(
    state: &AppState,
    shop: &CurrentShop,
    settings: &FlowSettings,
) -> Result<Value, ApiError> {
    let all = histories(&state.db, shop.id).await?;
    let (days, learned, sample) = lapse_window(settings, &all);
    Ok(json!({
        "settings": settings,
        "lapse": {"days": days, "learned": learned, "repeat_customers": sample},
        "flows": Flow::ALL.iter().map(|f| json!({
            "key": f.key(), "marketing": f.is_marketing(), "enabled": settings.enabled(*f),
        })).collect::<Vec<_>>(),
    }))
}

async fn settings(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings: FlowSettings = ShopSettings::load(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(describe(&state, &shop, &settings).await?))
}

/// Saves the whole settings document; every field out of bounds is named.
async fn save_settings(
    req: HttpRequest,
    shop: CurrentShop,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let settings: FlowSettings = serde_json::from_value(body.into_inner())
        .map_err(|e| ApiError::unprocessable("invalid_settings", e.to_string()))?;
    let invalid: Vec<(String, &str)> = settings
        .validate()
        .into_iter()
        .map(|i| (i.field, i.key))
        .collect();
    if let Some(refused) = crate::web::error::invalid_fields("invalid_settings", lang, &invalid) {
        return Ok(refused);
    }
    ShopSettings::save(&state.db, shop.id, &settings, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(describe(&state, &shop, &settings).await?))
}

#[derive(Deserialize)]
struct PreviewQuery {
    format: Option<String>,
}

/// A flow's email with sample values, in the asked language: HTML
/// (sandboxed, as the outbox preview) or `?format=json` with subject and text.
async fn preview(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<String>,
    query: web::Query<PreviewQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let flow =
        Flow::parse(&path.into_inner()).ok_or_else(|| ApiError::not_found("no such flow"))?;
    let lang = requested_locale(&req, &shop);
    let today = crate::clock::local_date(state.clock.now(), crate::clock::shop_tz(&shop.timezone));
    let name = shop.name.clone().unwrap_or_else(|| shop.domain.to_string());
    let email =
        sample(flow, lang, &name, shop.domain.as_str(), today).map_err(ApiError::internal)?;
    if query.format.as_deref() == Some("json") {
        return Ok(HttpResponse::Ok().json(json!({
            "flow": flow.key(), "locale": lang, "marketing": flow.is_marketing(),
            "subject": email.subject, "text": email.text, "html": email.html,
        })));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'",
        ))
        .body(email.html))
}

#[derive(Deserialize)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn day(raw: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request("invalid_date", "dates are YYYY-MM-DD")),
    }
}

/// NPS, CSAT and check-in answers given between `from` and `to` (inclusive,
/// shop time; the last 90 days by default), with the latest comments.
async fn surveys(
    shop: CurrentShop,
    query: web::Query<Period>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tz = crate::clock::shop_tz(&shop.timezone);
    let today = crate::clock::local_date(state.clock.now(), tz);
    let to = day(query.to.as_deref(), today)?;
    let from = day(query.from.as_deref(), today - Duration::days(89))?;
    if from > to {
        return Err(ApiError::bad_request(
            "invalid_period",
            "from must not be after to",
        ));
    }
    let start = crate::flows::rules::local_time(from, 0, tz);
    let end = crate::flows::rules::local_time(to + Duration::days(1), 0, tz);
    let summary = Surveys::summary(&state.db, shop.id, start, end).await?;
    let recent = Surveys::recent(&state.db, shop.id, 50).await?;
    Ok(HttpResponse::Ok().json(json!({
        "from": from, "to": to, "summary": summary,
        "recent": recent.iter().map(|r| json!({
            "order_id": r.order_id, "question": r.kind, "score": r.score,
            "comment": r.comment, "locale": r.locale, "answered_at": r.updated_at,
        })).collect::<Vec<_>>(),
    })))
}
