//! HTTP routes. Each handler validates its input, calls the generator / classifier / job manager, and maps
//! failures through `ApiError`.

pub mod classify;
pub mod datasets;
pub mod generate;
pub mod health;
pub mod jobs;
pub mod models;
pub mod openai;
pub mod openapi;

use crate::error::ApiError;
use actix_web::web;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(health::metrics)
        .service(openapi::spec)
        .service(generate::generate)
        .service(datasets::create)
        .service(datasets::list)
        .service(datasets::get)
        .service(jobs::list)
        .service(jobs::get)
        .service(jobs::cancel)
        .service(classify::classify)
        .service(models::train)
        .service(models::retrain)
        .service(models::list)
        .service(models::rollback)
        .service(models::get)
        .service(models::promote)
        .service(openai::chat_completions)
        .service(openai::models)
        .service(openai::model);
}

/// Unknown routes and methods: a JSON 404.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

/// Checks a text field: not empty, not over the limit (in characters), no NUL bytes.
pub fn check_text(field: &str, text: &str, max_chars: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(format!("`{field}` is empty")));
    }
    let n = text.chars().count();
    if n > max_chars {
        return Err(ApiError::BadRequest(format!("`{field}` has {n} characters; the limit is {max_chars}")));
    }
    if text.contains('\0') {
        return Err(ApiError::BadRequest(format!("`{field}` contains a NUL character")));
    }
    Ok(())
}
