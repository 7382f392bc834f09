//! The instruct LLM, run in-process through mistral.rs from a local GGUF file.
//!
//! Loading never touches the network: the path is absolute, the tokenizer and chat template come from the GGUF
//! metadata, and no Hugging Face token is read (`TokenSource::None`). mistral.rs runs its own engine thread;
//! requests are async and may come from any task.

use crate::error::GeneratorError;
use candle_core::quantized::gguf_file;
use mistralrs::{Constraint, GgufModelBuilder, RequestBuilder, StopTokens, TextMessageRole, TokenSource};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// One completion and what it cost.
#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
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

/// A loaded LLM.
pub struct Llm {
    model: mistralrs::Model,
    info: LlmInfo,
}

/// Reads the GGUF header: architecture and dominant quantization of the 2-D weights.
pub fn inspect_gguf(path: &Path) -> Result<(String, String), GeneratorError> {
    let bad = |e: String| GeneratorError::Model(format!("{}: not a readable GGUF file: {e}", path.display()));
    let mut f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let content = gguf_file::Content::read(&mut f).map_err(|e| bad(e.to_string()))?;
    let arch = match content.metadata.get("general.architecture") {
        Some(gguf_file::Value::String(s)) => s.clone(),
        _ => return Err(bad("no general.architecture".into())),
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for t in content.tensor_infos.values() {
        if t.shape.dims().len() == 2 {
            *counts.entry(format!("{:?}", t.ggml_dtype)).or_default() += 1;
        }
    }
    let quant = counts.into_iter().max_by_key(|(_, n)| *n).map(|(q, _)| q).unwrap_or_else(|| "unknown".into());
    Ok((arch, quant))
}

impl Llm {
    /// Loads a GGUF file. `sha256` is the checksum already verified by the caller (weights manifest).
    pub async fn load(path: &Path, sha256: String, device: DeviceSpec) -> Result<Self, GeneratorError> {
        let started = Instant::now();
        let path = std::path::absolute(path)
            .map_err(|e| GeneratorError::Model(format!("{}: {e}", path.display())))?;
        let (architecture, quantization) = inspect_gguf(&path)?;
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
        Ok(Self { model, info })
    }

    pub fn info(&self) -> &LlmInfo {
        &self.info
    }

    /// One chat completion.
    pub async fn complete(&self, req: &CompletionRequest<'_>) -> Result<Completion, GeneratorError> {
        let started = Instant::now();
        // The deterministic sampler replaces every sampling parameter, max_len included: set it first.
        let mut rb = RequestBuilder::new().set_deterministic_sampler();
        if let Some(t) = req.temperature {
            rb = rb.set_sampler_temperature(t).set_sampler_topk(40).set_sampler_topp(0.95);
        }
        rb = rb.set_sampler_max_len(req.max_tokens);
        if let Some(stop) = req.stop {
            rb = rb.set_sampler_stop_toks(StopTokens::Seqs(vec![stop.to_string()]));
        }
        if let Some(g) = &req.grammar {
            rb = rb.set_constraint(Constraint::Lark(g.clone()));
        }
        if !req.system.is_empty() {
            rb = rb.add_message(TextMessageRole::System, req.system);
        }
        rb = rb.add_message(TextMessageRole::User, req.user);
        let resp = self
            .model
            .send_chat_request(rb)
            .await
            .map_err(|e| GeneratorError::Llm(format!("{e:#}")))?;
        let text = resp
            .choices
            .first()
            .and_then(|c| c.message.content.clone())
            .unwrap_or_default();
        Ok(Completion {
            text,
            prompt_tokens: resp.usage.prompt_tokens,
            completion_tokens: resp.usage.completion_tokens,
            seconds: started.elapsed().as_secs_f64(),
            prefill_tok_per_sec: resp.usage.avg_prompt_tok_per_sec as f64,
            decode_tok_per_sec: resp.usage.avg_compl_tok_per_sec as f64,
        })
    }
}
