//! Training and the model registry: `POST /train`, `POST /retrain`, `GET /models`, `GET /models/{id}`,
//! `POST /models/{id}/promote`, `POST /models/rollback`.

use crate::error::ApiError;
use crate::registry::CHAMPION;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use blogbot_classifier::TrainConfig;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    pub dataset_id: String,
    pub epochs: Option<usize>,
    pub lr: Option<f64>,
    pub batch_size: Option<usize>,
    pub seed: Option<u64>,
    pub max_len: Option<usize>,
    /// Stop after this many optimizer steps (a quick or deliberately weak model).
    pub max_steps: Option<usize>,
    /// Share of the windows without personal data each epoch trains on, in (0, 1] (default 1).
    pub span_free_keep: Option<f64>,
}

impl TrainRequest {
    fn config(&self) -> Result<TrainConfig, ApiError> {
        let mut c = TrainConfig::default();
        if let Some(e) = self.epochs {
            if !(1..=50).contains(&e) {
                return Err(ApiError::BadRequest(format!("`epochs` must be 1 to 50, got {e}")));
            }
            c.epochs = e;
        }
        if let Some(lr) = self.lr {
            if !(lr > 0.0 && lr <= 1e-2) {
                return Err(ApiError::BadRequest(format!("`lr` must be in (0, 0.01], got {lr}")));
            }
            c.lr = lr;
        }
        if let Some(b) = self.batch_size {
            if !(1..=256).contains(&b) {
                return Err(ApiError::BadRequest(format!("`batch_size` must be 1 to 256, got {b}")));
            }
            c.batch_size = b;
        }
        if let Some(m) = self.max_len {
            if !(16..=512).contains(&m) {
                return Err(ApiError::BadRequest(format!("`max_len` must be 16 to 512, got {m}")));
            }
            c.max_len = m;
            c.stride = c.stride.min(m / 4);
        }
        if let Some(s) = self.max_steps {
            if s == 0 {
                return Err(ApiError::BadRequest("`max_steps` must be at least 1".into()));
            }
            c.max_steps = Some(s);
        }
        if let Some(k) = self.span_free_keep {
            if !(k > 0.0 && k <= 1.0) {
                return Err(ApiError::BadRequest(format!("`span_free_keep` must be in (0, 1], got {k}")));
            }
            c.span_free_keep = k;
        }
        c.seed = self.seed.unwrap_or(0);
        Ok(c)
    }
}

#[utoipa::path(post, path = "/train", tag = "models", summary = "Train a challenger on a dataset, evaluate, promote if it wins (scope admin)", request_body = TrainRequest, responses((status = 202, description = "Job id"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Key lacks the scope", body = ErrorBody), (status = 429, description = "Too many jobs", body = ErrorBody)))]
#[post("/train")]
pub async fn train(state: web::Data<AppState>, req: web::Json<TrainRequest>) -> Result<HttpResponse, ApiError> {
    let cfg = req.config()?;
    if state.db.dataset(&req.dataset_id)?.is_none() {
        return Err(ApiError::NotFound(format!("no dataset `{}`", req.dataset_id)));
    }
    let job_id = crate::jobs_kinds::submit_training(&state, req.dataset_id.clone(), cfg)?;
    Ok(HttpResponse::Accepted().json(json!({"job_id": job_id})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrainRequest {
    pub size: Option<usize>,
    pub seed: Option<u64>,
}

#[utoipa::path(post, path = "/retrain", tag = "models", summary = "Fresh dataset, challenger, promotion if it wins (scope admin)", request_body(content = RetrainRequest, description = "Optional"), responses((status = 202, description = "Job id"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Key lacks the scope", body = ErrorBody), (status = 429, description = "Too many jobs", body = ErrorBody)))]
#[post("/retrain")]
pub async fn retrain(state: web::Data<AppState>, req: Option<web::Json<RetrainRequest>>) -> Result<HttpResponse, ApiError> {
    let (size, seed) = req.map(|r| (r.size, r.seed)).unwrap_or((None, None));
    let size = size.unwrap_or(state.retrain_size);
    if !(10..=blogbot_generator::dataset::MAX_SIZE).contains(&size) {
        return Err(ApiError::BadRequest(format!("`size` must be 10 to {}", blogbot_generator::dataset::MAX_SIZE)));
    }
    let job_id = crate::jobs_kinds::submit_retrain(&state, "retrain", size, seed.unwrap_or_else(rand::random))?;
    Ok(HttpResponse::Accepted().json(json!({"job_id": job_id})))
}

#[utoipa::path(get, path = "/models", tag = "models", summary = "Registered models, aliases and decisions (scope classify)", responses((status = 200, description = "Models")))]
#[get("/models")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let models: Vec<_> = state
        .db
        .models()?
        .into_iter()
        .map(|m| json!({"id": m.id, "version": m.version, "created_at": m.created_at, "dataset_id": m.dataset_id,
                        "base_encoder": m.base_encoder, "metrics": m.metrics.get("summary")}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "models": models,
        "aliases": {"champion": state.db.alias(CHAMPION)?, "challenger": state.db.alias(crate::registry::CHALLENGER)?},
        "decisions": state.db.decisions()?,
    })))
}

#[utoipa::path(get, path = "/models/{id}", tag = "models", summary = "One model with its metrics (scope classify)", params(("id" = String, Path, description = "Model id")), responses((status = 200, description = "The model"), (status = 404, description = "Unknown id", body = ErrorBody)))]
#[get("/models/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let m = state.db.model(&id)?.ok_or_else(|| ApiError::NotFound(format!("no model `{id}`")))?;
    Ok(HttpResponse::Ok().json(m))
}

#[utoipa::path(post, path = "/models/{id}/promote", tag = "models", summary = "Make a model champion, recorded as manual (scope admin)", params(("id" = String, Path, description = "Model id")), responses((status = 200, description = "Promoted"), (status = 404, description = "Unknown id", body = ErrorBody)))]
#[post("/models/{id}/promote")]
pub async fn promote(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if state.db.model(&id)?.is_none() {
        return Err(ApiError::NotFound(format!("no model `{id}`")));
    }
    let trainer = state.trainer.clone();
    let id = id.into_inner();
    let meta = web::block(move || trainer.force_champion(&id, "manual", "promoted by hand (POST /models/{id}/promote)"))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(json!({"champion": meta})))
}

#[utoipa::path(post, path = "/models/rollback", tag = "models", summary = "Put the previous champion back (scope admin)", responses((status = 200, description = "Rolled back"), (status = 409, description = "Nothing to roll back to", body = ErrorBody)))]
#[post("/models/rollback")]
pub async fn rollback(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let current = state.db.alias(CHAMPION)?.ok_or_else(|| ApiError::Conflict("there is no champion".into()))?;
    let previous = state
        .db
        .decisions()?
        .into_iter()
        .find(|d| d.model_id == current && matches!(d.kind.as_str(), "promoted" | "manual" | "rollback"))
        .and_then(|d| d.previous_champion)
        .ok_or_else(|| ApiError::Conflict(format!("champion `{current}` has no previous champion to roll back to")))?;
    let trainer = state.trainer.clone();
    let reason = format!("rolled back from {current}");
    let meta = web::block(move || trainer.force_champion(&previous, "rollback", &reason))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(json!({"champion": meta, "previous": current})))
}
