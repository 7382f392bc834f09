//! The instruct LLM, run in-process through mistral.rs from a local GGUF file.
//!
//! Loading never touches the network: the path is absolute, the tokenizer and chat template come from the GGUF
//! metadata, and no Hugging Face token is read (`TokenSource::None`). mistral.rs runs its own engine thread;
//! requests are async and may come from any task.
//!
//! [`Llm::chat`] and [`Llm::chat_stream`] take a whole conversation, an optional output constraint and sampling
//! options (the server's OpenAI-compatible routes use them); [`Llm::complete`] is the one-system-one-user form
//! the generator uses.

use crate::error::GeneratorError;
use candle_core::quantized::gguf_file;
use mistralrs::{Constraint, GgufModelBuilder, RequestBuilder, Response, StopTokens, TextMessageRole, TokenSource};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Architectures mistral.rs 0.8.1 loads from GGUF; checked before loading so a wrong file fails with a clear message.
pub const SUPPORTED_ARCHITECTURES: &[&str] =
    &["llama", "mistral", "phi2", "phi3", "starcoder2", "qwen2", "qwen3", "qwen3moe", "gemma", "gemma2"];

/// Where a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeviceSpec {
    Cpu,
    Cuda(usize),
}

impl std::str::FromStr for DeviceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| format!("unknown device `{other}`: use cpu, cuda or cuda:N")),
        }
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// What `/ready` and every generated record say about the loaded LLM.
#[derive(Debug, Clone, Serialize)]
pub struct LlmInfo {
    /// File stem, e.g. `SmolLM2-135M-Instruct.Q8_0`; recorded in each record's `generator.model_id`.
    pub model_id: String,
    pub file: PathBuf,
    pub sha256: String,
    pub architecture: String,
    /// The dominant tensor type of the weight matrices (`Q8_0`, `Q4_1`, ...).
    pub quantization: String,
    pub device: String,
    pub load_ms: u64,
}

/// Why decoding ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// End of turn, a stop sequence, or a completed constraint.
    Stop,
    /// `max_tokens` (or the model's context) was reached.
    Length,
}

/// One completion and what it cost.
#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub finish_reason: FinishReason,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub seconds: f64,
    /// mistral.rs's own timing of the prompt (prefill) and of decoding, in tokens per second.
    pub prefill_tok_per_sec: f64,
    pub decode_tok_per_sec: f64,
}

/// How to sample one completion.
#[derive(Debug, Clone)]
pub struct CompletionRequest<'a> {
    pub system: &'a str,
    pub user: &'a str,
    /// A Lark grammar the output must match (llguidance syntax).
    pub grammar: Option<String>,
    pub max_tokens: usize,
    /// `None` = greedy (reproducible); `Some(t)` = sampled at temperature `t`.
    pub temperature: Option<f64>,
    /// Stop when the output contains this text.
    pub stop: Option<&'a str>,
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self { role, content: content.into() }
    }
}

/// What the output must match, enforced token by token by llguidance inside mistral.rs.
#[derive(Debug, Clone)]
pub enum OutputConstraint {
    /// A Lark grammar (llguidance syntax).
    Lark(String),
    /// A JSON schema. The output is compact JSON (no free whitespace, which a small model can otherwise fill
    /// until `max_tokens`) unless the schema carries its own `x-guidance` options.
    JsonSchema(serde_json::Value),
}

/// How to sample.
#[derive(Debug, Clone)]
pub struct Sampling {
    pub max_tokens: usize,
    /// `None` or `<= 0` = greedy (reproducible); otherwise sampled at this temperature.
    pub temperature: Option<f64>,
    /// Only when sampled: keep the `k` most likely tokens (`None` = all).
    pub top_k: Option<usize>,
    /// Only when sampled: nucleus sampling threshold (`None` = 1).
    pub top_p: Option<f64>,
    /// Stop before the first of these texts; it is not part of the output.
    pub stop: Vec<String>,
}

impl Sampling {
    fn sampled_temperature(&self) -> Option<f64> {
        self.temperature.filter(|t| *t > 0.0)
    }
}

/// A conversation to continue.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    pub constraint: Option<OutputConstraint>,
    pub sampling: Sampling,
}

/// What a streamed chat completion yields: decoded text as it comes, then the whole completion once.
#[derive(Debug, Clone)]
pub enum ChatEvent {
    /// New text; never part of a stop sequence.
    Delta(String),
    /// The last event: the full text (as [`Llm::chat`] would give it), finish reason, usage and timing.
    Done(Completion),
}

/// The events of one streamed completion (also a `futures::Stream`). Dropping it cancels the request inside
/// mistral.rs within a token or two (when the forwarding task next finds no receiver).
pub struct ChatStream {
    rx: tokio::sync::mpsc::Receiver<Result<ChatEvent, GeneratorError>>,
}

impl ChatStream {
    /// The next event; `None` after `Done` or an error.
    pub async fn next(&mut self) -> Option<Result<ChatEvent, GeneratorError>> {
        self.rx.recv().await
    }
}

impl futures::Stream for ChatStream {
    type Item = Result<ChatEvent, GeneratorError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// A loaded LLM.
pub struct Llm {
    model: mistralrs::Model,
    info: LlmInfo,
    /// The vocabulary's end-of-text tokens (`<|endoftext|>`, `</s>`, ...), sent as stop sequences with every
    /// constrained request. llguidance allows only its EOS token once a constraint is complete, and that is not
    /// always the token mistral.rs ends a chat turn on (SmolLM2: `<|endoftext|>` vs `<|im_end|>`); without the
    /// stop, decoding would go on, invisibly, to `max_tokens`.
    end_of_text: Vec<String>,
    stats: StatsCell,
}

/// Counters over every completion since load (metrics).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LlmStats {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// mistral.rs's timing of the most recent completion.
    pub last_prefill_tok_per_sec: f64,
    pub last_decode_tok_per_sec: f64,
}

#[derive(Debug, Default)]
struct StatsCell(std::sync::Mutex<LlmStats>);

impl StatsCell {
    fn record(&self, c: &Completion) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.requests += 1;
        s.prompt_tokens += c.prompt_tokens as u64;
        s.completion_tokens += c.completion_tokens as u64;
        s.last_prefill_tok_per_sec = c.prefill_tok_per_sec;
        s.last_decode_tok_per_sec = c.decode_tok_per_sec;
    }
}

/// End-of-text token names llguidance (toktrie_hf_tokenizers) takes as EOS.
const END_OF_TEXT_NAMES: &[&str] = &["</s>", "<|endoftext|>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<eos>"];

/// What `load` reads from a GGUF header.
struct GgufHeader {
    architecture: String,
    quantization: String,
    end_of_text: Vec<String>,
}

fn read_gguf_header(path: &Path) -> Result<GgufHeader, GeneratorError> {
    let bad = |e: String| GeneratorError::Model(format!("{}: not a readable GGUF file: {e}", path.display()));
    let mut f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let content = gguf_file::Content::read(&mut f).map_err(|e| bad(e.to_string()))?;
    let architecture = match content.metadata.get("general.architecture") {
        Some(gguf_file::Value::String(s)) => s.clone(),
        _ => return Err(bad("no general.architecture".into())),
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for t in content.tensor_infos.values() {
        if t.shape.dims().len() == 2 {
            *counts.entry(format!("{:?}", t.ggml_dtype)).or_default() += 1;
        }
    }
    let quantization =
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(q, _)| q).unwrap_or_else(|| "unknown".into());
    let end_of_text = match content.metadata.get("tokenizer.ggml.tokens") {
        Some(gguf_file::Value::Array(tokens)) => tokens
            .iter()
            .filter_map(|t| match t {
                gguf_file::Value::String(s) if END_OF_TEXT_NAMES.contains(&s.as_str()) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(GgufHeader { architecture, quantization, end_of_text })
}

/// Reads the GGUF header: architecture and dominant quantization of the 2-D weights.
pub fn inspect_gguf(path: &Path) -> Result<(String, String), GeneratorError> {
    let h = read_gguf_header(path)?;
    Ok((h.architecture, h.quantization))
}

/// mistral.rs's error as ours: a request it refuses (bad grammar or schema, prompt too long) is the caller's.
fn llm_error(e: mistralrs::error::Error) -> GeneratorError {
    match e {
        mistralrs::error::Error::RequestValidation(m) => GeneratorError::InvalidInput(m),
        other => GeneratorError::Llm(format!("{other:#}")),
    }
}

fn finish_reason(s: &str) -> FinishReason {
    if s == "length" {
        FinishReason::Length
    } else {
        FinishReason::Stop
    }
}

/// How much of `text` a stream may show: everything before the first stop sequence, and otherwise all but a
/// tail that could still grow into one. Returns the byte length to show and whether a stop sequence was found.
fn visible_prefix(text: &str, stops: &[String]) -> (usize, bool) {
    if let Some(at) = stops.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min() {
        return (at, true);
    }
    let mut end = text.len();
    for s in stops {
        // The longest proper prefix of `s` that `text` ends with.
        for (i, _) in s.char_indices().skip(1) {
            if text.ends_with(&s[..i]) {
                end = end.min(text.len() - i);
            }
        }
    }
    (end, false)
}

impl Llm {
    /// Loads a GGUF file. `sha256` is the checksum already verified by the caller (weights manifest).
    pub async fn load(path: &Path, sha256: String, device: DeviceSpec) -> Result<Self, GeneratorError> {
        let started = Instant::now();
        let path = std::path::absolute(path)
            .map_err(|e| GeneratorError::Model(format!("{}: {e}", path.display())))?;
        let GgufHeader { architecture, quantization, end_of_text } = read_gguf_header(&path)?;
        if !SUPPORTED_ARCHITECTURES.contains(&architecture.as_str()) {
            return Err(GeneratorError::Model(format!(
                "{}: GGUF architecture `{architecture}` is not one mistral.rs loads ({})",
                path.display(),
                SUPPORTED_ARCHITECTURES.join(", ")
            )));
        }
        let dir = path.parent().unwrap_or(Path::new("/")).to_string_lossy().to_string();
        let file = path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
        let mut builder = GgufModelBuilder::new(dir, vec![file.clone()])
            .with_token_source(TokenSource::None)
            // One sequence at a time per request keeps the CPU's two cores on one decode; the engine still
            // interleaves concurrent requests.
            .with_max_num_seqs(8)
            .with_prefix_cache_n(None);
        match device {
            DeviceSpec::Cpu => builder = builder.with_force_cpu(),
            // GgufModelBuilder picks the best device itself (cuda:0 in a `cuda` build); it ignores an explicit one.
            DeviceSpec::Cuda(0) => {}
            DeviceSpec::Cuda(n) => {
                return Err(GeneratorError::Model(format!(
                    "the LLM loads on cuda:0 only (mistral.rs GgufModelBuilder); asked for cuda:{n}: set CUDA_VISIBLE_DEVICES={n} and use cuda:0"
                )))
            }
        }
        let model = builder
            .build()
            .await
            .map_err(|e| GeneratorError::Model(format!("{}: mistral.rs could not load it: {e:#}", path.display())))?;
        let model_id = file.trim_end_matches(".gguf").to_string();
        let info = LlmInfo {
            model_id,
            file: path,
            sha256,
            architecture,
            quantization,
            device: device.to_string(),
            load_ms: started.elapsed().as_millis() as u64,
        };
        tracing::info!(model = %info.model_id, quant = %info.quantization, ms = info.load_ms, "LLM loaded");
        Ok(Self { model, info, end_of_text, stats: StatsCell::default() })
    }

    pub fn info(&self) -> &LlmInfo {
        &self.info
    }

    /// One completion of a system prompt (may be empty) and a user message.
    pub async fn complete(&self, req: &CompletionRequest<'_>) -> Result<Completion, GeneratorError> {
        let mut messages = Vec::with_capacity(2);
        if !req.system.is_empty() {
            messages.push(ChatMessage::new(ChatRole::System, req.system));
        }
        messages.push(ChatMessage::new(ChatRole::User, req.user));
        let sampled = req.temperature.is_some();
        let sampling = Sampling {
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            top_k: sampled.then_some(40),
            top_p: sampled.then_some(0.95),
            stop: req.stop.map(|s| vec![s.to_string()]).unwrap_or_default(),
        };
        self.chat(&ChatRequest { messages, constraint: req.grammar.clone().map(OutputConstraint::Lark), sampling }).await
    }

    /// One chat completion of a whole conversation.
    pub async fn chat(&self, req: &ChatRequest) -> Result<Completion, GeneratorError> {
        let started = Instant::now();
        let resp = self.model.send_chat_request(self.request(req)?).await.map_err(llm_error)?;
        let choice = resp.choices.first();
        let done = Completion {
            text: choice.and_then(|c| c.message.content.clone()).unwrap_or_default(),
            finish_reason: finish_reason(choice.map(|c| c.finish_reason.as_str()).unwrap_or("stop")),
            prompt_tokens: resp.usage.prompt_tokens,
            completion_tokens: resp.usage.completion_tokens,
            seconds: started.elapsed().as_secs_f64(),
            prefill_tok_per_sec: resp.usage.avg_prompt_tok_per_sec as f64,
            decode_tok_per_sec: resp.usage.avg_compl_tok_per_sec as f64,
        };
        self.stats.record(&done);
        Ok(done)
    }

    /// Counters over every completion since load.
    pub fn stats(&self) -> LlmStats {
        *self.stats.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One chat completion, streamed. A task on the current tokio runtime moves mistral.rs's chunks to the
    /// returned stream (it only forwards; decoding stays on mistral.rs's engine thread). Stop sequences never
    /// reach the stream: text that could still become one is held back until it is clear.
    pub async fn chat_stream(self: Arc<Self>, req: ChatRequest) -> Result<ChatStream, GeneratorError> {
        let rb = self.request(&req)?;
        let stops = req.sampling.stop;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let started = Instant::now();
            let mut stream = match self.model.stream_chat_request(rb).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(llm_error(e))).await;
                    return;
                }
            };
            let (mut text, mut shown, mut stopped) = (String::new(), 0usize, false);
            while let Some(resp) = stream.next().await {
                let chunk = match resp {
                    Response::Chunk(c) => c,
                    Response::ValidationError(e) => {
                        let _ = tx.send(Err(GeneratorError::InvalidInput(e.to_string()))).await;
                        return;
                    }
                    Response::InternalError(e) => {
                        let _ = tx.send(Err(GeneratorError::Llm(e.to_string()))).await;
                        return;
                    }
                    Response::ModelError(e, _) => {
                        let _ = tx.send(Err(GeneratorError::Llm(e))).await;
                        return;
                    }
                    _ => {
                        let _ = tx.send(Err(GeneratorError::Llm("unexpected response in a chat stream".into()))).await;
                        return;
                    }
                };
                let Some(choice) = chunk.choices.first() else { continue };
                if !stopped {
                    text.push_str(choice.delta.content.as_deref().unwrap_or(""));
                    let (end, found) = visible_prefix(&text, &stops);
                    stopped = found;
                    if end > shown {
                        // A send fails only when the receiver is gone: returning drops mistral.rs's stream,
                        // which cancels the sequence at its next token.
                        if tx.send(Ok(ChatEvent::Delta(text[shown..end].to_string()))).await.is_err() {
                            return;
                        }
                        shown = end;
                    }
                    if stopped {
                        text.truncate(end);
                    }
                }
                if let Some(reason) = &choice.finish_reason {
                    // A held-back tail that never became a stop sequence is text after all.
                    if shown < text.len() && tx.send(Ok(ChatEvent::Delta(text[shown..].to_string()))).await.is_err() {
                        return;
                    }
                    let usage = chunk.usage.as_ref();
                    let done = Completion {
                        text: text.trim_start().to_string(),
                        finish_reason: if stopped { FinishReason::Stop } else { finish_reason(reason) },
                        prompt_tokens: usage.map_or(0, |u| u.prompt_tokens),
                        completion_tokens: usage.map_or(0, |u| u.completion_tokens),
                        seconds: started.elapsed().as_secs_f64(),
                        prefill_tok_per_sec: usage.map_or(0.0, |u| u.avg_prompt_tok_per_sec as f64),
                        decode_tok_per_sec: usage.map_or(0.0, |u| u.avg_compl_tok_per_sec as f64),
                    };
                    self.stats.record(&done);
                    let _ = tx.send(Ok(ChatEvent::Done(done))).await;
                    return;
                }
            }
            let _ = tx.send(Err(GeneratorError::Llm("the LLM stream ended without a finish reason".into()))).await;
        });
        Ok(ChatStream { rx })
    }

    /// The mistral.rs request for `req`.
    fn request(&self, req: &ChatRequest) -> Result<RequestBuilder, GeneratorError> {
        if req.messages.is_empty() {
            return Err(GeneratorError::InvalidInput("a chat request needs at least one message".into()));
        }
        if req.sampling.max_tokens == 0 {
            return Err(GeneratorError::InvalidInput("max_tokens must be at least 1".into()));
        }
        let s = &req.sampling;
        // The deterministic sampler replaces every sampling parameter, max_len included: set it first.
        let mut rb = RequestBuilder::new().set_deterministic_sampler();
        if let Some(t) = s.sampled_temperature() {
            // top_k 0 = no top-k cut (the deterministic sampler's top_k is 1).
            rb = rb.set_sampler_temperature(t).set_sampler_topk(s.top_k.unwrap_or(0));
            if let Some(p) = s.top_p {
                rb = rb.set_sampler_topp(p);
            }
        }
        rb = rb.set_sampler_max_len(s.max_tokens);
        let mut stops = s.stop.clone();
        if let Some(c) = &req.constraint {
            stops.extend(self.end_of_text.iter().cloned());
            rb = rb.set_constraint(match c {
                OutputConstraint::Lark(g) => Constraint::Lark(g.clone()),
                OutputConstraint::JsonSchema(schema) => {
                    let mut schema = schema.clone();
                    if let Some(obj) = schema.as_object_mut() {
                        obj.entry("x-guidance").or_insert_with(|| serde_json::json!({"whitespace_flexible": false}));
                    }
                    Constraint::JsonSchema(schema)
                }
            });
        }
        if !stops.is_empty() {
            rb = rb.set_sampler_stop_toks(StopTokens::Seqs(stops));
        }
        for m in &req.messages {
            let role = match m.role {
                ChatRole::System => TextMessageRole::System,
                ChatRole::User => TextMessageRole::User,
                ChatRole::Assistant => TextMessageRole::Assistant,
            };
            rb = rb.add_message(role, &m.content);
        }
        Ok(rb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stops(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_stream_holds_back_what_could_become_a_stop_sequence() {
        let st = stops(&["END", "\n\n"]);
        assert_eq!(visible_prefix("hello", &st), (5, false));
        assert_eq!(visible_prefix("hello E", &st), (6, false));
        assert_eq!(visible_prefix("hello EN", &st), (6, false));
        assert_eq!(visible_prefix("hello END and more", &st), (6, true));
        assert_eq!(visible_prefix("a\n", &st), (1, false));
        assert_eq!(visible_prefix("a\n\nb END", &st), (1, true));
        assert_eq!(visible_prefix("héllo wö", &stops(&["ö!"])), ("héllo w".len(), false));
        assert_eq!(visible_prefix("anything", &[]), (8, false));
    }
}
