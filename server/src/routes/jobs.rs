//! `GET /jobs`, `GET /jobs/{id}`, `DELETE /jobs/{id}` (cancel).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{delete, get, web, HttpResponse};

#[get("/jobs")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(serde_json::json!({"jobs": state.db.jobs(200)?})))
}

#[get("/jobs/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let job = state.db.job(&id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(HttpResponse::Ok().json(job))
}

#[delete("/jobs/{id}")]
pub async fn cancel(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.jobs.cancel(&id)?;
    let job = state.db.job(&id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"id": job.id, "state": job.state, "cancel_requested": true})))
}
