//! Probes: `/health` (the process is up) and `/ready` (models loaded, with what was loaded).

use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "ready": true,
        "models": state.models(),
        "classifier": state.service.current(),
        "bootstrap_job": state.bootstrap_job.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        "uptime_s": state.started.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
