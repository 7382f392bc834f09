//! `POST /classify`: does a post contain personal data, which types, where; with the model that said so.

use crate::error::ApiError;
use crate::limits::within;
use crate::routes::check_text;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;

/// Most texts in one request.
pub const MAX_TEXTS: usize = 64;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub text: Option<String>,
    pub texts: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/classify", tag = "classifier", summary = "Does a post contain personal data, which types, where; with the model that said so (scope classify)", request_body = ClassifyRequest, responses((status = 200, description = "One result per text, with the model's id, version and metrics"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Key lacks the scope", body = ErrorBody), (status = 413, description = "Body too large", body = ErrorBody), (status = 429, description = "Queue full; see Retry-After", body = ErrorBody), (status = 503, description = "No model yet (bootstrap progress) or timed out", body = ErrorBody)))]
#[post("/classify")]
pub async fn classify(state: web::Data<AppState>, req: web::Json<ClassifyRequest>) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let texts = match req.into_inner() {
        ClassifyRequest { text: Some(t), texts: None } => vec![t],
        ClassifyRequest { text: None, texts: Some(ts) } if !ts.is_empty() && ts.len() <= MAX_TEXTS => ts,
        ClassifyRequest { text: None, texts: Some(ts) } => {
            return Err(ApiError::BadRequest(format!("`texts` must hold 1 to {MAX_TEXTS} texts, got {}", ts.len())))
        }
        _ => return Err(ApiError::BadRequest("give exactly one of `text` or `texts`".into())),
    };
    for t in &texts {
        check_text("text", t, state.limits.max_text_chars)?;
    }
    if state.service.current().is_none() {
        return Err(state.no_model_error());
    }
    let _slot = state.admission.classify.admit()?;
    let (preds, model) = within(state.limits.classify_timeout, "classification", async {
        state.service.classify(texts).await.map_err(ApiError::Internal)
    })
    .await?;
    let results: Vec<_> = preds
        .into_iter()
        .map(|p| {
            json!({
                "violation": p.violation, "suspected": p.suspected, "score": p.score,
                "types": p.types.iter().map(|(t, s)| json!({"type": t, "score": s})).collect::<Vec<_>>(),
                "spans": p.spans,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"model": model, "results": results, "took_ms": started.elapsed().as_millis() as u64})))
}
