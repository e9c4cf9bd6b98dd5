//! `/api/jobs…`: the shop's background jobs — what is queued, what ran, and
//! the dead letters (jobs that failed every attempt), which can be retried.
use crate::app::AppState;
use crate::scheduler::{Queue, STATUSES};
use crate::web::ApiError;
use crate::web::session::CurrentShop;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/jobs", web::get().to(list))
        .route("/jobs/{id}/retry", web::post().to(retry));
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
    let status = crate::web::status_filter(query.status.as_deref(), &STATUSES)?;
    let jobs = Queue::list(&state.db, shop.id, status, 200).await?;
    let counts = Queue::counts(&state.db, shop.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "counts": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        "jobs": jobs.iter().map(|j| json!({
            "id": j.id, "kind": j.kind, "status": j.status, "run_at": j.run_at,
            "attempts": j.attempts, "max_attempts": j.max_attempts, "last_error": j.last_error,
            "payload": j.payload, "created_at": j.created_at, "finished_at": j.finished_at,
        })).collect::<Vec<_>>(),
    })))
}

async fn retry(
    shop: CurrentShop,
    path: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if !Queue::retry(&state.db, shop.id, id, state.clock.now()).await? {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "not_retryable",
            "only a dead or skipped job of this shop can be retried",
        ));
    }
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "queued"})))
}
