//! `GET /jobs`, `GET /jobs/{id}`, `DELETE /jobs/{id}` (cancel).

use crate::error::ApiError;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, web, HttpResponse};

#[utoipa::path(get, path = "/jobs", tag = "jobs", summary = "Recent jobs with state and progress (scope classify)", responses((status = 200, description = "Jobs")))]
#[get("/jobs")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(serde_json::json!({"jobs": state.db.jobs(200)?})))
}

#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", summary = "One job (scope classify)", params(("id" = String, Path, description = "Job id")), responses((status = 200, description = "The job"), (status = 404, description = "Unknown id", body = ErrorBody)))]
#[get("/jobs/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let job = state.db.job(&id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(HttpResponse::Ok().json(job))
}

#[utoipa::path(delete, path = "/jobs/{id}", tag = "jobs", summary = "Ask a queued or running job to stop (scope admin)", params(("id" = String, Path, description = "Job id")), responses((status = 202, description = "Cancel requested"), (status = 404, description = "Unknown id", body = ErrorBody), (status = 409, description = "Already finished", body = ErrorBody)))]
#[delete("/jobs/{id}")]
pub async fn cancel(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.jobs.cancel(&id)?;
    let job = state.db.job(&id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"id": job.id, "state": job.state, "cancel_requested": true})))
}
