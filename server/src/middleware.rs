//! The middleware every request passes: a request id and tracing span, metrics and an access log line
//! (`observe`), then the API-key check (`authenticate`).

use crate::auth::authorize;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A caller's `x-request-id` when it is short and plain, or a new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Request id, span, metrics and one log line per request.
pub async fn observe(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_string());
    let path = req.path().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let res = next.call(req).instrument(span.clone()).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    let secs = started.elapsed().as_secs_f64();
    if let Some(state) = state {
        state.metrics.observe(&route, &method, status, secs);
    }
    span.in_scope(|| tracing::info!(target: "blogbot::http", status, ms = (secs * 1000.0) as u64, "{method} {path}"));
    let mut res = res?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Rejects a request whose key (or peer, without keys) lacks the route's scope, before any handler runs.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let decision = {
        let keys = req.app_data::<web::Data<AppState>>().and_then(|s| s.api_keys.as_deref());
        let auth = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let peer = req.peer_addr().map(|a| a.ip());
        authorize(keys, peer, auth, req.method(), req.path())
    };
    match decision {
        Ok(_) => next.call(req).await.map(ServiceResponse::map_into_left_body),
        Err(e) => {
            tracing::warn!(code = e.code(), "request refused");
            Ok(req.into_response(e.error_response()).map_into_right_body())
        }
    }
}
