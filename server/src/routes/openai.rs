//! OpenAI-compatible routes over the loaded LLM: `POST /v1/chat/completions` (plain, JSON-constrained, or
//! streamed as server-sent events) and `GET /v1/models`, so any OpenAI client library can use blogbot's LLM
//! with `base_url = http://<host>:<port>/v1`.
//!
//! Known request fields are typed (a wrong type is a 400); fields this server does not use (`user`,
//! `frequency_penalty`, `logprobs`, ...) are ignored, as OpenAI clients send them freely.

use crate::error::ApiError;
use crate::limits::within;
use crate::routes::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::web::Bytes;
use actix_web::{get, post, web, HttpResponse};
use blogbot_generator::llm::{
    ChatEvent, ChatMessage, ChatRequest, ChatRole, ChatStream, Completion, FinishReason, OutputConstraint, Sampling,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::OwnedSemaphorePermit;

/// `max_tokens` when the request gives none (or the server's limit, if lower).
const DEFAULT_MAX_TOKENS: usize = 256;
/// OpenAI's own limit on stop sequences.
const MAX_STOP_SEQUENCES: usize = 4;

/// `POST /v1/chat/completions` body.
#[derive(Debug, Deserialize)]
pub struct ChatCompletionBody {
    /// Absent, or the loaded model's id (`GET /v1/models`).
    pub model: Option<String>,
    pub messages: Vec<MessageBody>,
    pub max_tokens: Option<usize>,
    /// OpenAI's newer name for `max_tokens`; wins when both are given.
    pub max_completion_tokens: Option<usize>,
    /// 0 to 2; 0 or absent = greedy.
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Accepted for compatibility, not honoured: mistral.rs 0.8.1 has one engine-wide sampling RNG and no
    /// per-request seed. Greedy output is reproducible without it.
    pub seed: Option<i64>,
    /// A string or up to 4 strings.
    pub stop: Option<Value>,
    /// Only 1.
    pub n: Option<usize>,
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
    pub response_format: Option<ResponseFormat>,
    /// Refused when non-empty: no tool calling here.
    pub tools: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct MessageBody {
    pub role: String,
    /// A string, or an array of `{"type": "text", "text": ...}` parts.
    pub content: Value,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    /// Send one more chunk, with `usage` and no choices, before `[DONE]`.
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching `json_schema.schema`, enforced while decoding (always strict).
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Deserialize)]
pub struct JsonSchemaFormat {
    pub name: String,
    /// A JSON schema object; absent = any JSON object.
    pub schema: Option<Value>,
    pub strict: Option<bool>,
    pub description: Option<String>,
}

/// A validated request: what to ask the LLM and how to answer.
struct Validated {
    chat: ChatRequest,
    stream: bool,
    include_usage: bool,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

fn message_text(i: usize, content: &Value) -> Result<String, ApiError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => {
            let mut text = String::new();
            for (j, p) in parts.iter().enumerate() {
                match (p.get("type").and_then(Value::as_str), p.get("text").and_then(Value::as_str)) {
                    (Some("text"), Some(t)) => text.push_str(t),
                    (Some("text"), None) => {
                        return Err(bad(format!("`messages[{i}].content[{j}].text` must be a string")))
                    }
                    (Some(other), _) => {
                        return Err(bad(format!(
                            "`messages[{i}].content[{j}]` is of type `{other}`; only `text` parts are supported"
                        )))
                    }
                    (None, _) => return Err(bad(format!("`messages[{i}].content[{j}]` needs a string `type`"))),
                }
            }
            Ok(text)
        }
        _ => Err(bad(format!("`messages[{i}].content` must be a string or an array of text parts"))),
    }
}

fn stop_sequences(stop: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let stops: Vec<String> = match stop {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| bad("`stop` must be a string or an array of strings")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("`stop` must be a string or an array of strings")),
    };
    if stops.len() > MAX_STOP_SEQUENCES {
        return Err(bad(format!("at most {MAX_STOP_SEQUENCES} stop sequences, got {}", stops.len())));
    }
    if stops.iter().any(String::is_empty) {
        return Err(bad("a stop sequence is empty"));
    }
    Ok(stops)
}

fn constraint(format: Option<ResponseFormat>) -> Result<Option<OutputConstraint>, ApiError> {
    let any_object = || OutputConstraint::JsonSchema(json!({"type": "object"}));
    Ok(match format {
        None | Some(ResponseFormat::Text) => None,
        Some(ResponseFormat::JsonObject) => Some(any_object()),
        Some(ResponseFormat::JsonSchema { json_schema: f }) => {
            let name_ok = !f.name.is_empty()
                && f.name.len() <= 64
                && f.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !name_ok {
                return Err(bad("`response_format.json_schema.name` must be 1-64 letters, digits, `_` or `-`"));
            }
            match f.schema {
                None => Some(any_object()),
                Some(s @ Value::Object(_)) => Some(OutputConstraint::JsonSchema(s)),
                Some(_) => return Err(bad("`response_format.json_schema.schema` must be a JSON schema object")),
            }
        }
    })
}

fn validate(state: &AppState, body: ChatCompletionBody) -> Result<Validated, ApiError> {
    let model_id = &state.llm.info().model_id;
    if let Some(m) = &body.model {
        if m != model_id {
            return Err(ApiError::NotFound(format!("model `{m}` does not exist; this server serves `{model_id}`")));
        }
    }
    if body.messages.is_empty() {
        return Err(bad("`messages` is empty"));
    }
    let mut messages = Vec::with_capacity(body.messages.len());
    let mut chars = 0;
    for (i, m) in body.messages.iter().enumerate() {
        let role = match m.role.as_str() {
            // `developer` is OpenAI's newer name for the system role.
            "system" | "developer" => ChatRole::System,
            "user" => ChatRole::User,
            "assistant" => ChatRole::Assistant,
            other => {
                return Err(bad(format!(
                    "`messages[{i}].role` is `{other}`; supported roles are system, user and assistant"
                )))
            }
        };
        let text = message_text(i, &m.content)?;
        if text.contains('\0') {
            return Err(bad(format!("`messages[{i}].content` contains a NUL character")));
        }
        chars += text.chars().count();
        messages.push(ChatMessage::new(role, text));
    }
    if chars > state.limits.max_text_chars {
        return Err(bad(format!(
            "the messages have {chars} characters in all; the limit is {}",
            state.limits.max_text_chars
        )));
    }
    let limit = state.limits.max_completion_tokens;
    let max_tokens = body.max_completion_tokens.or(body.max_tokens).unwrap_or(DEFAULT_MAX_TOKENS.min(limit));
    if max_tokens == 0 || max_tokens > limit {
        return Err(bad(format!("`max_tokens` must be between 1 and {limit}, got {max_tokens}")));
    }
    let n = body.n.unwrap_or(1);
    if n != 1 {
        return Err(bad(format!("`n` must be 1 (one choice per request), got {n}")));
    }
    if body.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(bad("`tools` are not supported"));
    }
    let mut temperature = body.temperature;
    if let Some(t) = temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(bad(format!("`temperature` must be between 0 and 2, got {t}")));
        }
    }
    if let Some(p) = body.top_p {
        if !(0.0..=1.0).contains(&p) {
            return Err(bad(format!("`top_p` must be between 0 and 1, got {p}")));
        }
        if p == 0.0 {
            // The smallest nucleus is the most likely token.
            temperature = None;
        }
    }
    let sampling = Sampling {
        max_tokens,
        temperature,
        top_k: None,
        top_p: body.top_p,
        stop: stop_sequences(body.stop.as_ref())?,
    };
    Ok(Validated {
        chat: ChatRequest { messages, constraint: constraint(body.response_format)?, sampling },
        stream: body.stream.unwrap_or(false),
        include_usage: body.stream_options.is_some_and(|o| o.include_usage),
    })
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn usage(c: &Completion) -> Value {
    json!({
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "total_tokens": c.prompt_tokens + c.completion_tokens,
    })
}

fn finish(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
    }
}

fn log_completion(c: &Completion, stream: bool) {
    tracing::info!(
        stream,
        prompt_tokens = c.prompt_tokens,
        completion_tokens = c.completion_tokens,
        finish = finish(c.finish_reason),
        ms = (c.seconds * 1000.0) as u64,
        prefill_tok_s = c.prefill_tok_per_sec,
        decode_tok_s = c.decode_tok_per_sec,
        "chat completion"
    );
}

#[utoipa::path(post, path = "/v1/chat/completions", tag = "openai", summary = "OpenAI-compatible chat completion over the loaded LLM: messages, max_tokens, temperature, top_p, stop, stream, response_format json_schema/json_object (scope classify)", responses((status = 200, description = "chat.completion, or text/event-stream of chat.completion.chunk when stream is true"), (status = 400, description = "Invalid input", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Unknown model", body = ErrorBody), (status = 429, description = "Queue full; see Retry-After", body = ErrorBody), (status = 503, description = "Timed out", body = ErrorBody)))]
#[post("/v1/chat/completions")]
pub async fn chat_completions(
    state: web::Data<AppState>,
    body: web::Json<ChatCompletionBody>,
) -> Result<HttpResponse, ApiError> {
    let req = validate(&state, body.into_inner())?;
    let slot = state.admission.llm.admit()?;
    let meta = ChunkMeta {
        id: format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        created: unix_now(),
        model: state.llm.info().model_id.clone(),
    };
    if req.stream {
        return respond_streaming(state, req, meta, slot).await;
    }
    let c = within(state.limits.llm_timeout, "chat completion", async { Ok(state.llm.chat(&req.chat).await?) }).await?;
    log_completion(&c, false);
    Ok(HttpResponse::Ok().json(json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": c.text},
            "logprobs": null,
            "finish_reason": finish(c.finish_reason),
        }],
        "usage": usage(&c),
    })))
}

/// What every chunk of one streamed completion repeats.
struct ChunkMeta {
    id: String,
    created: u64,
    model: String,
}

impl ChunkMeta {
    fn chunk(&self, choices: Value, usage: Option<Value>) -> Bytes {
        let mut c = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let Some(u) = usage {
            c["usage"] = u;
        }
        sse(&c)
    }

    fn delta(&self, delta: Value, finish_reason: Option<&str>) -> Bytes {
        self.chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]), None)
    }
}

fn sse(v: &Value) -> Bytes {
    Bytes::from(format!("data: {v}\n\n"))
}

/// An error after the stream has begun: OpenAI's clients raise on a chunk with an `error` key.
fn sse_error(e: &ApiError) -> Bytes {
    if let ApiError::Internal(m) = e {
        tracing::error!(error = %m, "chat stream failed");
    }
    sse(&json!({"error": {"code": e.code(), "message": e.to_string()}}))
}

/// The state of one SSE response, moved from chunk to chunk.
struct SseState {
    events: ChatStream,
    /// An event already received (the first one, read before answering).
    pending: Option<ChatEvent>,
    meta: ChunkMeta,
    include_usage: bool,
    deadline: tokio::time::Instant,
    limit_s: f64,
    started: Instant,
    /// Held until the stream ends or the client goes away.
    _slot: OwnedSemaphorePermit,
}

impl SseState {
    /// The next piece of the body, and whether the stream goes on after it.
    async fn step(&mut self) -> (Bytes, bool) {
        let event = match self.pending.take() {
            Some(e) => Ok(e),
            None => match tokio::time::timeout_at(self.deadline, self.events.next()).await {
                Err(_) => Err(ApiError::TimedOut(format!(
                    "chat completion took longer than its limit of {} s",
                    self.limit_s
                ))),
                Ok(None) => Err(ApiError::Internal("the LLM stream ended early".into())),
                Ok(Some(r)) => r.map_err(ApiError::from),
            },
        };
        match event {
            Ok(ChatEvent::Delta(text)) => (self.meta.delta(json!({"content": text}), None), true),
            Ok(ChatEvent::Done(c)) => {
                log_completion(&c, true);
                let mut out = self.meta.delta(json!({}), Some(finish(c.finish_reason))).to_vec();
                if self.include_usage {
                    out.extend_from_slice(&self.meta.chunk(json!([]), Some(usage(&c))));
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
                (Bytes::from(out), false)
            }
            Err(e) => {
                tracing::warn!(ms = self.started.elapsed().as_millis() as u64, error = %e, "chat stream ended by an error");
                (sse_error(&e), false)
            }
        }
    }
}

/// Answers with `text/event-stream`: a first chunk with the role, one chunk per piece of text, a last one with
/// `finish_reason`, then `data: [DONE]`. The first event is awaited before answering, so a request mistral.rs
/// refuses (a schema it cannot compile, a prompt too long) still gets a JSON error status.
async fn respond_streaming(
    state: web::Data<AppState>,
    req: Validated,
    meta: ChunkMeta,
    slot: OwnedSemaphorePermit,
) -> Result<HttpResponse, ApiError> {
    let limit = state.limits.llm_timeout;
    let deadline = tokio::time::Instant::now() + limit;
    let mut events = state.llm.clone().chat_stream(req.chat).await?;
    let first = match tokio::time::timeout_at(deadline, events.next()).await {
        Err(_) => {
            return Err(ApiError::TimedOut(format!(
                "chat completion took longer than its limit of {} s",
                limit.as_secs_f64()
            )))
        }
        Ok(None) => return Err(ApiError::Internal("the LLM stream ended before any output".into())),
        Ok(Some(r)) => r?,
    };
    let head = meta.delta(json!({"role": "assistant", "content": ""}), None);
    let st = SseState {
        events,
        pending: Some(first),
        meta,
        include_usage: req.include_usage,
        deadline,
        limit_s: limit.as_secs_f64(),
        started: Instant::now(),
        _slot: slot,
    };
    // When the client goes away actix drops this stream, and with it the ChatStream: mistral.rs cancels the
    // sequence at its next token and the admission slot is freed.
    let rest = futures::stream::unfold(Some(st), |st| async move {
        let mut st = st?;
        let (bytes, more) = st.step().await;
        Some((Ok::<_, std::convert::Infallible>(bytes), more.then_some(st)))
    });
    let body = futures::StreamExt::chain(futures::stream::once(async move { Ok::<_, std::convert::Infallible>(head) }), rest);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body))
}

fn model_object(state: &AppState) -> Value {
    // When the model was loaded (the server's start, within its load time); computed once so it never moves.
    static LOADED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let created = *LOADED.get_or_init(|| {
        (SystemTime::now() - state.started.elapsed()).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    });
    json!({"id": state.llm.info().model_id, "object": "model", "created": created, "owned_by": "blogbot"})
}

#[utoipa::path(get, path = "/v1/models", tag = "openai", summary = "OpenAI-compatible model list (scope classify)", responses((status = 200, description = "The loaded LLM")))]
#[get("/v1/models")]
pub async fn models(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"object": "list", "data": [model_object(&state)]}))
}

#[utoipa::path(get, path = "/v1/models/{id}", tag = "openai", summary = "OpenAI-compatible model lookup (scope classify)", params(("id" = String, Path, description = "Model id")), responses((status = 200, description = "The model"), (status = 404, description = "Unknown model", body = ErrorBody)))]
#[get("/v1/models/{id}")]
pub async fn model(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if *id != state.llm.info().model_id {
        return Err(ApiError::NotFound(format!("model `{id}` does not exist")));
    }
    Ok(HttpResponse::Ok().json(model_object(&state)))
}
