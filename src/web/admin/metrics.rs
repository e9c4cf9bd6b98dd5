//! `/api/metrics…`: the retention figures for any period (`from`, `to` as
//! local dates, both included; default the last twelve calendar months),
//! the cohorts and segments alone, CSV exports, and the merchant's inputs
//! (margins, acquisition spend, sale periods).
use crate::app::AppState;
use crate::metrics::export::{TABLES, customers_csv, table_csv};
use crate::metrics::{Dashboard, MetricsSettings, Period, dashboard, rules_text};
use crate::shops::ShopSettings;
use crate::web::ApiError;
use crate::web::admin::pages::requested_locale;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics))
        .route("/metrics/settings", web::get().to(settings))
        .route("/metrics/settings", web::put().to(save_settings))
        .route("/metrics/export/{table}", web::get().to(export))
        .route("/cohorts", web::get().to(cohorts))
        .route("/segments", web::get().to(segments))
        .route("/imports", web::get().to(imports));
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

pub(crate) async fn compute(
    shop: &CurrentShop,
    query: &PeriodQuery,
    state: &AppState,
) -> Result<Arc<Dashboard>, ApiError> {
    let now = state.clock.now();
    let tz = crate::clock::shop_tz(&shop.timezone);
    let period = Period::parse(query.from.as_deref(), query.to.as_deref(), now, tz)
        .map_err(|e| ApiError::bad_request("invalid_period", e.to_string()))?;
    Ok(cached(state, shop, period).await?)
}

/// The shop's dashboard for `period`: one computed in the last minute, or a fresh one.
pub(crate) async fn cached(
    state: &AppState,
    shop: &CurrentShop,
    period: Period,
) -> Result<Arc<Dashboard>, sea_orm::DbErr> {
    if let Some(d) = state.dashboards.get(shop.id, period) {
        return Ok(d);
    }
    let d = Arc::new(dashboard(&state.db, &shop.record, period, state.clock.now()).await?);
    state.dashboards.put(shop.id, period, d.clone());
    Ok(d)
}

async fn metrics(
    shop: CurrentShop,
    query: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let d = compute(&shop, &query, &state).await?;
    Ok(HttpResponse::Ok().json(&*d))
}

async fn cohorts(
    shop: CurrentShop,
    query: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let d = compute(&shop, &query, &state).await?;
    Ok(HttpResponse::Ok().json(json!({
        "from": d.from, "to": d.to, "currency": d.currency, "timezone": d.timezone,
        "cohorts": d.cohorts,
    })))
}

async fn segments(
    req: HttpRequest,
    shop: CurrentShop,
    query: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let d = compute(&shop, &query, &state).await?;
    let segments: Vec<Value> = d
        .segments
        .iter()
        .map(|s| {
            json!({
                "key": s.key,
                "name": crate::i18n::t(lang, &format!("metrics.segment.{}", s.key.key())),
                "rule": rules_text(lang, s.key, &d.segment_rules, &d.currency),
                "customers": s.customers,
                "share": s.share,
                "revenue": s.revenue,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "as_of": d.segment_rules.as_of,
        "rules": d.segment_rules,
        "segments": segments,
    })))
}

async fn export(
    req: HttpRequest,
    shop: CurrentShop,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let table = path.into_inner();
    let table = table.strip_suffix(".csv").unwrap_or(&table).to_owned();
    if !TABLES.contains(&table.as_str()) {
        return Err(ApiError::not_found(format!(
            "no such table; one of {}",
            TABLES.join(", ")
        )));
    }
    let d = compute(&shop, &query, &state).await?;
    let body = if table == "customers" {
        customers_csv(&state.db, shop.id, &d, lang).await?
    } else {
        table_csv(&d, &table, lang).unwrap_or_default()
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"flywheel-{table}-{}-{}.csv\"",
                d.from, d.to
            ),
        ))
        .body(body))
}

async fn settings(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings: MetricsSettings = ShopSettings::load(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "settings": settings })))
}

async fn save_settings(
    req: HttpRequest,
    shop: CurrentShop,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let settings: MetricsSettings = serde_json::from_value(body.into_inner())
        .map_err(|e| ApiError::unprocessable("invalid_settings", e.to_string()))?;
    if let Some(refused) =
        crate::web::error::invalid_fields("invalid_settings", lang, &settings.validate())
    {
        return Ok(refused);
    }
    ShopSettings::save(&state.db, shop.id, &settings, state.clock.now()).await?;
    state.dashboards.forget_shop(shop.id);
    Ok(HttpResponse::Ok().json(json!({ "settings": settings })))
}

async fn imports(shop: CurrentShop, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = crate::commerce::history::Imports::recent(&state.db, shop.id, 20).await?;
    let view: Vec<Value> = list
        .iter()
        .map(|i| {
            json!({
                "id": i.id, "source": i.source, "stage": i.stage, "status": i.status,
                "object_count": i.object_count, "lines_done": i.lines_done,
                "customers": i.customers, "orders": i.orders, "line_items": i.line_items,
                "error": i.error, "started_at": i.started_at, "finished_at": i.finished_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "imports": view })))
}
