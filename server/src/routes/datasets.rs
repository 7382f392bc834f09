//! `POST /datasets` (a background build), `GET /datasets`, `GET /datasets/{id}`.

use crate::error::ApiError;
use crate::routes::check_text;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use blogbot_common::PiiType;
use blogbot_generator::corpus::{inline_posts, load_posts};
use blogbot_generator::dataset::{BuildSpec, MAX_SIZE};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    /// A folder, .jsonl or .csv on the server's disk; the embedded corpus when neither this nor `posts_inline`.
    pub posts: Option<String>,
    pub posts_inline: Option<Vec<String>>,
    pub size: usize,
    pub positive_ratio: Option<f64>,
    pub seed: Option<u64>,
    #[schema(value_type = Option<Vec<String>>)]
    pub types: Option<Vec<PiiType>>,
    /// `false` = template sentences only (fast, no LLM); default true.
    pub use_llm: Option<bool>,
    /// Share of the LLM-eligible records the LLM writes, the rest taking template sentences (0 to 1, default 1).
    pub llm_share: Option<f64>,
}

#[utoipa::path(post, path = "/datasets", tag = "generator", summary = "Build a labelled dataset in the background (scope admin)", request_body = CreateDataset, responses((status = 202, description = "Job id"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Key lacks the scope", body = ErrorBody), (status = 429, description = "Too many jobs", body = ErrorBody)))]
#[post("/datasets")]
pub async fn create(state: web::Data<AppState>, req: web::Json<CreateDataset>) -> Result<HttpResponse, ApiError> {
    let req = req.into_inner();
    let mut spec = BuildSpec::new(req.size, req.seed.unwrap_or_else(rand::random));
    spec.positive_ratio = req.positive_ratio.unwrap_or(0.5);
    spec.types = req.types.clone().unwrap_or_default();
    spec.llm_share = req.llm_share.unwrap_or(1.0);
    // The promotion set's held-out posts never enter a dataset.
    spec.exclude = state.trainer.promotion.roots.clone();
    spec.vetter = state.service.vetter();
    spec.check()?;
    let posts = match (&req.posts, &req.posts_inline) {
        (Some(_), Some(_)) => return Err(ApiError::BadRequest("give `posts` or `posts_inline`, not both".into())),
        (None, Some(texts)) => {
            if texts.is_empty() || texts.len() > state.limits.max_inline_posts {
                return Err(ApiError::BadRequest(format!(
                    "`posts_inline` must hold 1 to {} posts",
                    state.limits.max_inline_posts
                )));
            }
            for t in texts {
                check_text("posts_inline[]", t, state.limits.max_text_chars)?;
            }
            let p = inline_posts(texts);
            if p.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "no inline post has the {} characters a record needs",
                    blogbot_generator::corpus::MIN_PIECE_CHARS
                )));
            }
            p
        }
        (path, None) => {
            let path = path.as_ref().map(PathBuf::from).unwrap_or_else(|| state.default_posts.clone());
            if !path.exists() {
                return Err(ApiError::BadRequest(format!("`posts`: {} does not exist on the server", path.display())));
            }
            load_posts(&path)?
        }
    };
    let dataset_id = crate::jobs_kinds::new_dataset_id();
    let use_llm = req.use_llm.unwrap_or(true);
    let params = json!({
        "dataset_id": dataset_id, "size": spec.size, "positive_ratio": spec.positive_ratio, "seed": spec.seed,
        "types": spec.types, "posts": req.posts, "posts_inline": req.posts_inline.as_ref().map(|p| p.len()),
        "source_posts": posts.len(), "use_llm": use_llm, "llm_share": spec.llm_share, "max_size": MAX_SIZE,
    });
    let st = state.clone();
    let id = dataset_id.clone();
    let job_id = state.jobs.submit("dataset", params, move |ctx| async move {
        let llm = use_llm.then(|| st.llm.clone());
        crate::jobs_kinds::build_dataset(&ctx, llm.as_deref(), &posts, &spec, &st.data_dir, &st.db, &id, crate::jobs_kinds::Part::WHOLE)
            .await
    })?;
    Ok(HttpResponse::Accepted().json(json!({"job_id": job_id, "dataset_id": dataset_id})))
}

#[utoipa::path(get, path = "/datasets", tag = "generator", summary = "Stored datasets (scope classify)", responses((status = 200, description = "Datasets")))]
#[get("/datasets")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows: Vec<_> = state
        .db
        .datasets()?
        .into_iter()
        .map(|d| json!({"id": d.id, "created_at": d.created_at, "size": d.size, "seed": d.seed, "model_id": d.model_id,
                        "job_id": d.job_id}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"datasets": rows})))
}

#[utoipa::path(get, path = "/datasets/{id}", tag = "generator", summary = "One dataset and its report (scope classify)", params(("id" = String, Path, description = "Dataset id")), responses((status = 200, description = "The dataset"), (status = 404, description = "Unknown id", body = ErrorBody)))]
#[get("/datasets/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let d = state.db.dataset(&id)?.ok_or_else(|| ApiError::NotFound(format!("no dataset `{id}`")))?;
    Ok(HttpResponse::Ok().json(d))
}
