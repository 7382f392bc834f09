//! `POST /generate`: inject personal data into one post, synchronously.

use crate::error::ApiError;
use crate::limits::within;
use crate::routes::check_text;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use blogbot_common::{Method, PiiType, Span};
use blogbot_generator::dataset::choose_types;
use blogbot_generator::inject::{inject, Carried, InjectConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    pub text: String,
    /// Types to inject, all in each result; one to three random types when absent.
    #[schema(value_type = Option<Vec<String>>)]
    pub types: Option<Vec<PiiType>>,
    /// Results to make, 1 to 8.
    pub n: Option<usize>,
    pub seed: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct GenerateResult {
    pub text: String,
    pub spans: Vec<Span>,
    pub method: Method,
}

#[utoipa::path(post, path = "/generate", tag = "generator", summary = "Inject fake personal data into one post with the LLM; every value's span is returned (scope classify)", request_body = GenerateRequest, responses((status = 200, description = "Texts with spans"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Key lacks the scope", body = ErrorBody), (status = 429, description = "Queue full; see Retry-After", body = ErrorBody), (status = 503, description = "Timed out", body = ErrorBody)))]
#[post("/generate")]
pub async fn generate(state: web::Data<AppState>, req: web::Json<GenerateRequest>) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let req = req.into_inner();
    check_text("text", &req.text, state.limits.max_text_chars)?;
    let n = req.n.unwrap_or(1);
    if n == 0 || n > state.limits.max_generate_n {
        return Err(ApiError::BadRequest(format!("`n` must be between 1 and {}, got {n}", state.limits.max_generate_n)));
    }
    let mut types = req.types.unwrap_or_default();
    types.dedup();
    if types.len() > 6 {
        return Err(ApiError::BadRequest(format!("at most 6 types per result, got {}", types.len())));
    }
    let text = blogbot_generator::corpus::clean_text(&req.text);
    let seed = req.seed.unwrap_or_else(rand::random);
    let _slot = state.admission.llm.admit()?;
    let results = within(state.limits.llm_timeout, "generation", async {
        let mut results = Vec::with_capacity(n);
        for i in 0..n {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(i as u64));
            let tys = if types.is_empty() { choose_types(&PiiType::ALL, &mut rng) } else { types.clone() };
            let carried: Vec<Carried> = tys.into_iter().map(|t| Carried::pii(t, &mut rng)).collect();
            let out = inject(Some(&state.llm), &text, &carried, &mut rng, &InjectConfig::default()).await?;
            results.push(GenerateResult { text: out.text, spans: out.spans, method: out.method });
        }
        Ok(results)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "model": state.models().into_iter().next(),
        "seed": seed,
        "results": results,
        "took_ms": started.elapsed().as_millis() as u64,
    })))
}
