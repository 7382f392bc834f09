//! Probes: `/health` (the process is up) and `/ready` (models loaded, with what was loaded); `/metrics`.

use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[utoipa::path(get, path = "/health", tag = "probes", summary = "The process is up (open, no key)", security(()), responses((status = 200, description = "Up")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/ready", tag = "probes", summary = "Models loaded: the LLM, the classifier in service, the bootstrap job (open, no key)", security(()), responses((status = 200, description = "Ready, with what was loaded")))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let bootstrap_job = state.bootstrap_job.lock().unwrap_or_else(|p| p.into_inner()).clone();
    HttpResponse::Ok().json(json!({
        "ready": true,
        "models": state.models(),
        "classifier": state.service.current(),
        "bootstrap_job": bootstrap_job,
        // Which stage of the bootstrap runs and how far it is ("stage 1/2, first champion: ...").
        "bootstrap": bootstrap_job.as_ref().and_then(|id| state.db.job(id).ok().flatten()).map(|j| json!({
            "state": j.state.as_str(), "progress": j.progress, "message": j.message,
        })),
        "uptime_s": state.started.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "probes", summary = "Prometheus metrics in the text format (scope classify)", responses((status = 200, description = "Metrics", content_type = "text/plain"), (status = 401, description = "Missing or unknown API key", body = ErrorBody)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render(&state))
}
