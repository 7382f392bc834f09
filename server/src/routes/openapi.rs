//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the route annotations and request types.

use crate::routes::{classify, datasets, generate, health, jobs, models, openai};
use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every error: `{"error": {"code", "message"}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `payload_too_large`,
    /// `unsupported_media_type`, `busy`, `timeout`, `unavailable`, `internal`.
    code: String,
    message: String,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "blogbot", description = "Offline PII detection for blog posts: LLM data generation, a BERT classifier, its registry. \
        Keys are sent as `Authorization: Bearer <key>`; scope `classify` opens /classify, /generate, /v1/* and GET routes, \
        `admin` also opens training, dataset builds, promotion, rollback, retraining and job cancel."),
    paths(
        health::health, health::ready, health::metrics, spec,
        classify::classify, generate::generate,
        datasets::create, datasets::list, datasets::get,
        jobs::list, jobs::get, jobs::cancel,
        models::train, models::retrain, models::list, models::get, models::promote, models::rollback,
        openai::chat_completions, openai::models, openai::model,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/openapi.json", tag = "probes", summary = "This document (scope classify)", responses((status = 200, description = "OpenAPI 3.1 JSON")))]
#[get("/openapi.json")]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_route_with_a_method() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for p in ["/classify", "/generate", "/train", "/models/{id}/promote", "/jobs/{id}", "/metrics", "/openapi.json"] {
            assert!(paths.contains_key(p), "{p} missing");
        }
        assert!(doc["components"]["schemas"]["ClassifyRequest"].is_object());
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
