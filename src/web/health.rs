//! `GET /healthz` for load balancers: 200 when the database answers.
use crate::app::AppState;
use crate::db;
use actix_web::{HttpResponse, web::Data};
use serde_json::json;

pub async fn healthz(state: Data<AppState>) -> HttpResponse {
    if db::is_healthy(&state.db).await {
        HttpResponse::Ok().json(json!({"status": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({"error": "unavailable", "message": "the database does not answer"}))
    }
}
