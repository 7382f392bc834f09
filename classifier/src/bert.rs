//! A BERT encoder written for fine-tuning.
//!
//! candle-transformers has a BERT, but it is built for inference: it uses candle-nn's fused `layer_norm` and
//! `softmax_last_dim` kernels, which have **no backward pass**. Gradients silently stop at them, so the
//! embeddings and every layer below the last layer norm would never train, and the attention query/key weights
//! would stay frozen even in the top layer. This module therefore runs layer norm, the attention softmax and GELU
//! through [`crate::fused`]'s CPU kernels, which have their own backward pass, and composes them from elementary
//! tensor ops (all differentiable) on other devices; `tests/gradients.rs` checks that one optimizer step changes
//! every trainable tensor.
//!
//! Weights are fetched through a [`VarBuilder`]: built over a [`candle_nn::VarMap`] every weight is a trainable
//! `Var`; built over a plain tensor store (inference) nothing records a graph. [`load_pretrained`] fills a
//! `VarMap` from any `BertModel` checkpoint, with or without the `bert.` prefix, ignoring pooler and MLM heads.

use crate::error::{Error, Result};
use crate::fused;
use crate::int8::QuantLinear;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Embedding, Init, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The subset of a Hugging Face `config.json` that a BERT encoder needs. Unknown fields are ignored, so any
/// `BertModel` / `BertForTokenClassification` config parses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    /// `gelu` (erf, the original BERT), `gelu_new` / `gelu_pytorch_tanh` (tanh approximation) or `relu`.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Longest input the position table covers; windows are cut below it.
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: u32,
    /// Only `absolute` is implemented; checked in [`BertConfig::validate`] so a relative-position model fails
    /// loudly instead of producing garbage.
    #[serde(default = "default_pos_type")]
    pub position_embedding_type: String,
    /// The Hub name the checkpoint was converted from, kept to name the base encoder in saved models.
    #[serde(rename = "_name_or_path", default, skip_serializing_if = "Option::is_none")]
    pub name_or_path: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_max_pos() -> usize {
    512
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_pos_type() -> String {
    "absolute".into()
}

impl BertConfig {
    /// Reads and validates a `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let cfg: BertConfig = serde_json::from_str(&text).map_err(|e| Error::json(path, e))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Rejects configurations this encoder would silently mis-compute.
    pub fn validate(&self) -> Result<()> {
        if self.num_attention_heads == 0 || !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::Config(format!(
                "hidden_size {} is not divisible by num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        if self.position_embedding_type != "absolute" {
            return Err(Error::Config(format!(
                "position_embedding_type `{}` is not supported (only `absolute`)",
                self.position_embedding_type
            )));
        }
        Activation::parse(&self.hidden_act)?;
        Ok(())
    }
}

/// Feed-forward non-linearity. All variants map to candle unary ops that have a backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Result<Self> {
        match name {
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(Error::Config(format!("hidden_act `{other}` is not supported"))),
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::GeluErf if fused::applies(x) => fused::gelu_erf(x),
            Activation::GeluErf => x.gelu_erf(),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

/// Inverted dropout with its own seeded generator.
///
/// candle's CPU random generator cannot be seeded, so `candle_nn::ops::dropout` would make training runs
/// irreproducible; the masks are drawn here instead and uploaded as tensors. Attention-probability dropout is
/// left out: its masks are `heads x len x len` per sequence, which costs more than it helps on short fine-tunes.
pub struct Dropout {
    p: f32,
    rng: Mutex<StdRng>,
}

impl Dropout {
    /// `p` is the probability of zeroing an activation, in `[0, 1)`.
    pub fn new(p: f32, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::Config(format!("dropout must be in [0, 1), got {p}")));
        }
        Ok(Self { p, rng: Mutex::new(StdRng::seed_from_u64(seed)) })
    }

    /// Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)`.
    pub fn apply(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if self.p == 0.0 {
            return Ok(x.clone());
        }
        let n = x.elem_count();
        let cut = (self.p as f64 * u32::MAX as f64) as u32;
        let keep = 1.0 / (1.0 - self.p);
        let mask: Vec<f32> = {
            // A poisoned lock only means another thread panicked mid-draw; the generator state is still valid.
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            (0..n).map(|_| if rng.random::<u32>() < cut { 0.0 } else { keep }).collect()
        };
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x * mask
    }
}

fn maybe_dropout(d: Option<&Dropout>, x: Tensor) -> candle_core::Result<Tensor> {
    match d {
        Some(d) => d.apply(&x),
        None => Ok(x),
    }
}

/// Layer normalisation over the last dimension from mean and variance, so that it has a backward pass (the
/// fused `candle_nn::ops::layer_norm` does not).
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Builds from explicit tensors (tests compare it against the fused kernel).
    pub fn new(weight: Tensor, bias: Tensor, eps: f64) -> Self {
        Self { weight, bias, eps }
    }

    fn load(size: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(size, "weight", Init::Const(1.0))?;
        let bias = vb.get_with_hints(size, "bias", Init::Const(0.0))?;
        Ok(Self { weight, bias, eps })
    }

    /// `layer_norm(x + residual)`: one fused pass when no gradient is tracked (see [`fused::add_layer_norm`]).
    fn forward_residual(&self, x: &Tensor, residual: &Tensor) -> candle_core::Result<Tensor> {
        let tracked = [x, residual, &self.weight, &self.bias].iter().any(|t| t.track_op());
        if fused::applies(x) && !tracked {
            return fused::add_layer_norm(x, residual, &self.weight, &self.bias, self.eps);
        }
        self.forward(&(x + residual)?)
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if fused::applies(x) {
            return fused::layer_norm(x, &self.weight, &self.bias, self.eps);
        }
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}

/// Softmax over the last dimension as `exp(x - max) / sum`, differentiable (unlike the fused
/// `candle_nn::ops::softmax_last_dim`). The max is detached: softmax is shift-invariant, so it needs no gradient.
pub fn softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    e.broadcast_div(&sum)
}

/// `log(softmax(x))` over the last dimension, stable for large logits; used by the token loss.
pub fn log_softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x.broadcast_sub(&max)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&lse)
}

/// A dense layer with BERT's initialisation (normal(0, 0.02) weights, zero bias) for tensors the checkpoint
/// does not have, i.e. the task heads.
pub fn linear(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Linear> {
    let weight = vb.get_with_hints((out_dim, in_dim), "weight", Init::Randn { mean: 0.0, stdev: 0.02 })?;
    let bias = vb.get_with_hints(out_dim, "bias", Init::Const(0.0))?;
    Ok(Linear { weight, bias, int8: None })
}

/// A dense layer, `x @ weight^T + bias`: [`fused::linear`] on the CPU, candle-nn's `Linear` elsewhere.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
    bias: Tensor,
    /// Set by [`Linear::quantize_int8`] (inference only): the int8 copy the forward pass then uses.
    int8: Option<Arc<QuantLinear>>,
}

impl Linear {
    /// Switches this layer to int8 matmuls (no gradients) when the CPU and shape allow; returns whether it did.
    pub fn quantize_int8(&mut self) -> Result<bool> {
        let (n, k) = self.weight.dims2()?;
        if !self.weight.device().is_cpu() || !QuantLinear::supported(n, k) {
            return Ok(false);
        }
        self.int8 = Some(Arc::new(QuantLinear::new(&self.weight, &self.bias)?));
        Ok(true)
    }

    /// `act(self.forward(x))`; an int8 layer applies GELU in its kernel's epilogue.
    fn forward_act(&self, x: &Tensor, act: Activation) -> candle_core::Result<Tensor> {
        match &self.int8 {
            Some(q) if act == Activation::GeluErf => q.forward_gelu(x),
            _ => act.apply(&self.forward(x)?),
        }
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if let Some(q) = &self.int8 {
            return q.forward(x);
        }
        if fused::applies(x) {
            return fused::linear(x, &self.weight, &self.bias);
        }
        candle_nn::Linear::new(self.weight.clone(), Some(self.bias.clone())).forward(x)
    }
}

fn embedding(n: usize, dim: usize, vb: VarBuilder) -> Result<Embedding> {
    let w = vb.get_with_hints((n, dim), "weight", Init::Randn { mean: 0.0, stdev: 0.02 })?;
    Ok(Embedding::new(w, dim))
}

struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Tensor,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(cfg: &BertConfig, vb: VarBuilder) -> Result<Self> {
        let h = cfg.hidden_size;
        Ok(Self {
            word: embedding(cfg.vocab_size, h, vb.pp("word_embeddings"))?,
            position: embedding(cfg.max_position_embeddings, h, vb.pp("position_embeddings"))?,
            token_type: vb.pp("token_type_embeddings").get_with_hints(
                (cfg.type_vocab_size, h),
                "weight",
                Init::Randn { mean: 0.0, stdev: 0.02 },
            )?,
            norm: LayerNorm::load(h, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
        })
    }

    /// `extra`, `(batch, len, hidden)`, is added to the summed embeddings before the layer norm (the model's
    /// word-shape embeddings, [`crate::shape`]).
    fn forward(&self, ids: &Tensor, extra: Option<&Tensor>, dropout: Option<&Dropout>) -> candle_core::Result<Tensor> {
        let add_extra = |x: Tensor| match extra {
            Some(e) => x + e,
            None => Ok(x),
        };
        if fused::applies(self.word.embeddings()) {
            let x = fused::embeddings(ids, self.word.embeddings(), self.position.embeddings(), &self.token_type)?;
            return maybe_dropout(dropout, self.norm.forward(&add_extra(x)?)?);
        }
        let (_, t) = ids.dims2()?;
        let words = self.word.forward(ids)?;
        let pos_ids = Tensor::arange(0u32, t as u32, ids.device())?;
        let pos = self.position.forward(&pos_ids)?;
        // Single-segment input: every token has type 0. Narrowing (not indexing a constant) keeps the row a
        // view of the trainable table so it receives a gradient.
        let ty = self.token_type.narrow(0, 0, 1)?;
        let x = add_extra(words.broadcast_add(&pos)?.broadcast_add(&ty)?)?;
        maybe_dropout(dropout, self.norm.forward(&x)?)
    }
}

struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    norm: LayerNorm,
    heads: usize,
    head_dim: usize,
}

impl SelfAttention {
    fn load(cfg: &BertConfig, vb: VarBuilder) -> Result<Self> {
        let h = cfg.hidden_size;
        let s = vb.pp("self");
        let o = vb.pp("output");
        Ok(Self {
            query: linear(h, h, s.pp("query"))?,
            key: linear(h, h, s.pp("key"))?,
            value: linear(h, h, s.pp("value"))?,
            output: linear(h, h, o.pp("dense"))?,
            norm: LayerNorm::load(h, cfg.layer_norm_eps, o.pp("LayerNorm"))?,
            heads: cfg.num_attention_heads,
            head_dim: h / cfg.num_attention_heads,
        })
    }

    /// `mask_bias` is `(batch, len)`: 0 on real tokens, a large negative number on padding.
    fn forward(&self, x: &Tensor, mask_bias: &Tensor, dropout: Option<&Dropout>) -> candle_core::Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let (q, k, v) = (self.query.forward(x)?, self.key.forward(x)?, self.value.forward(x)?);
        if dropout.is_none() && fused::applies(x) && ![&q, &k, &v].iter().any(|t| t.track_op()) {
            // Inference: one kernel from the projections to the context, no head transposes.
            let ctx = fused::attention(&q, &k, &v, mask_bias, self.heads)?;
            return self.norm.forward_residual(&self.output.forward(&ctx)?, x);
        }
        let split = |y: Tensor| y.reshape((b, t, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous();
        let (q, k, v) = (split(q)?, split(k)?, split(v)?);
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = q.matmul(&k.t()?)?;
        let probs = if fused::applies(&scores) {
            fused::masked_softmax(&scores, mask_bias, scale)?
        } else {
            softmax_last_dim(&(scores * scale)?.broadcast_add(&mask_bias.reshape((b, 1, 1, t))?)?)?
        };
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, t, h))?;
        let out = maybe_dropout(dropout, self.output.forward(&ctx)?)?;
        self.norm.forward_residual(&out, x)
    }
}

struct Layer {
    attention: SelfAttention,
    intermediate: Linear,
    output: Linear,
    norm: LayerNorm,
    act: Activation,
}

impl Layer {
    fn load(cfg: &BertConfig, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            attention: SelfAttention::load(cfg, vb.pp("attention"))?,
            intermediate: linear(cfg.hidden_size, cfg.intermediate_size, vb.pp("intermediate").pp("dense"))?,
            output: linear(cfg.intermediate_size, cfg.hidden_size, vb.pp("output").pp("dense"))?,
            norm: LayerNorm::load(cfg.hidden_size, cfg.layer_norm_eps, vb.pp("output").pp("LayerNorm"))?,
            act: Activation::parse(&cfg.hidden_act)?,
        })
    }

    fn forward(&self, x: &Tensor, mask_bias: &Tensor, dropout: Option<&Dropout>) -> candle_core::Result<Tensor> {
        let x = self.attention.forward(x, mask_bias, dropout)?;
        let h = self.intermediate.forward_act(&x, self.act)?;
        let out = maybe_dropout(dropout, self.output.forward(&h)?)?;
        self.norm.forward_residual(&out, &x)
    }
}

/// The BERT encoder: embeddings plus `num_hidden_layers` transformer layers, no pooler (the task heads pool).
pub struct BertEncoder {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    config: BertConfig,
}

impl BertEncoder {
    /// Fetches every weight from `vb` with the Hugging Face names (`embeddings.word_embeddings.weight`,
    /// `encoder.layer.0.attention.self.query.weight`, ...) relative to `vb`'s prefix.
    pub fn new(config: &BertConfig, vb: VarBuilder) -> Result<Self> {
        config.validate()?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(config, vb.pp("encoder").pp("layer").pp(i)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { embeddings: Embeddings::load(config, vb.pp("embeddings"))?, layers, config: config.clone() })
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Whether any dense layer runs int8.
    pub fn is_int8(&self) -> bool {
        self.layers.iter().any(|l| l.intermediate.int8.is_some())
    }

    /// Switches every transformer layer's dense layers to int8 (see [`crate::int8`]); returns how many.
    pub fn quantize_int8(&mut self) -> Result<usize> {
        let mut n = 0;
        for layer in &mut self.layers {
            let a = &mut layer.attention;
            for l in [&mut a.query, &mut a.key, &mut a.value, &mut a.output, &mut layer.intermediate, &mut layer.output] {
                n += l.quantize_int8()? as usize;
            }
        }
        Ok(n)
    }

    /// `input_ids` `(batch, len)` u32 and `attention_mask` `(batch, len)` f32 (1 = token, 0 = padding) ->
    /// hidden states `(batch, len, hidden)`. Pass `dropout` only while training.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor, dropout: Option<&Dropout>) -> Result<Tensor> {
        self.forward_with(input_ids, None, attention_mask, dropout)
    }

    /// [`BertEncoder::forward`] with `extra` `(batch, len, hidden)` added to the input embeddings before their
    /// layer norm.
    pub fn forward_with(
        &self,
        input_ids: &Tensor,
        extra: Option<&Tensor>,
        attention_mask: &Tensor,
        dropout: Option<&Dropout>,
    ) -> Result<Tensor> {
        let (b, t) = input_ids.dims2()?;
        if t > self.config.max_position_embeddings {
            return Err(Error::Config(format!(
                "sequence of {t} tokens exceeds max_position_embeddings {}",
                self.config.max_position_embeddings
            )));
        }
        // 1 -> 0, 0 -> -1e4: added to the scores, padding gets exp(-1e4) = 0 weight. -1e4 rather than -inf or
        // f32::MIN so that half precision cannot overflow to NaN.
        let mask_bias = attention_mask.to_dtype(DType::F32)?.affine(1e4, -1e4)?.reshape((b, t))?;
        let mut x = self.embeddings.forward(input_ids, extra, dropout)?;
        for layer in &self.layers {
            x = layer.forward(&x, &mask_bias, dropout)?;
        }
        Ok(x)
    }
}

/// Names a checkpoint may use for our tensor `name` (relative to the encoder): plain, `bert.`-prefixed, and the
/// TF-era `gamma`/`beta` layer-norm names.
fn candidate_names(name: &str) -> Vec<String> {
    let mut base = vec![name.to_string()];
    if let Some(stem) = name.strip_suffix("LayerNorm.weight") {
        base.push(format!("{stem}LayerNorm.gamma"));
    } else if let Some(stem) = name.strip_suffix("LayerNorm.bias") {
        base.push(format!("{stem}LayerNorm.beta"));
    }
    let prefixed: Vec<String> = base.iter().map(|n| format!("bert.{n}")).collect();
    base.extend(prefixed);
    base
}

/// Copies the encoder weights of a `BertModel` checkpoint into the `Var`s of `varmap` whose names start with
/// `prefix` (the model's encoder prefix, e.g. `"bert."`). The checkpoint may name tensors with or without a
/// `bert.` prefix; pooler, MLM and classification-head tensors are ignored. Every encoder `Var` must be found,
/// otherwise a half-random encoder would train without complaint. Returns the number of tensors loaded.
pub fn load_pretrained(varmap: &VarMap, prefix: &str, path: &Path) -> Result<usize> {
    // SAFETY: the file is only read; it must not be modified while mapped, which holds for weight files that
    // the server writes atomically (write then rename).
    let st = unsafe { candle_core::safetensors::MmapedSafetensors::new(path)? };
    let available: HashSet<String> = st.tensors().into_iter().map(|(n, _)| n).collect();
    let vars = varmap.data().lock().unwrap_or_else(|e| e.into_inner());
    let mut loaded = 0;
    for (name, var) in vars.iter() {
        let Some(rel) = name.strip_prefix(prefix) else { continue };
        let found = candidate_names(rel).into_iter().find(|c| available.contains(c));
        let Some(src) = found else {
            return Err(Error::MissingTensor { path: path.to_path_buf(), name: rel.to_string() });
        };
        let t = st.load(&src, var.device())?.to_dtype(var.dtype())?;
        if t.shape() != var.shape() {
            return Err(Error::Config(format!(
                "tensor `{src}` in {} has shape {:?}, the model expects {:?}",
                path.display(),
                t.shape(),
                var.shape()
            )));
        }
        var.set(&t)?;
        loaded += 1;
    }
    Ok(loaded)
}

/// The device to run on: the first CUDA GPU when the crate is built with the `cuda` feature and one is present,
/// otherwise the CPU.
pub fn default_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(d) = Device::new_cuda(0) {
        return d;
    }
    Device::Cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn composed_ops_match_fused_kernels() {
        let dev = Device::Cpu;
        let x = (Tensor::randn(0f32, 3.0, (2, 5, 16), &dev).unwrap() + 7.0).unwrap();
        let w = Tensor::randn(1f32, 0.1, 16, &dev).unwrap();
        let b = Tensor::randn(0f32, 0.1, 16, &dev).unwrap();
        let ours = LayerNorm::new(w.clone(), b.clone(), 1e-12).forward(&x).unwrap();
        let fused = candle_nn::ops::layer_norm(&x, &w, &b, 1e-12).unwrap();
        assert!(max_abs_diff(&ours, &fused) < 1e-4);
        let ours = softmax_last_dim(&x).unwrap();
        let fused = candle_nn::ops::softmax_last_dim(&x).unwrap();
        assert!(max_abs_diff(&ours, &fused) < 1e-5);
        let lsm = log_softmax_last_dim(&x).unwrap().exp().unwrap();
        assert!(max_abs_diff(&lsm, &fused) < 1e-5);
    }

    #[test]
    fn inference_kernels_match_the_training_path() {
        let dev = Device::Cpu;
        let cfg: BertConfig = serde_json::from_value(serde_json::json!({
            "vocab_size": 50, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
            "intermediate_size": 128, "max_position_embeddings": 16
        }))
        .unwrap();
        let varmap = candle_nn::VarMap::new();
        let trainable = BertEncoder::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev)).unwrap();
        let tensors: std::collections::HashMap<String, Tensor> =
            varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().detach())).collect();
        let frozen = BertEncoder::new(&cfg, VarBuilder::from_tensors(tensors, DType::F32, &dev)).unwrap();
        let ids = Tensor::from_vec((0..20u32).map(|i| (i * 7) % 50).collect::<Vec<_>>(), (2, 10), &dev).unwrap();
        let mask: Vec<f32> = (0..20).map(|i| if i >= 16 { 0.0 } else { 1.0 }).collect();
        let mask = Tensor::from_vec(mask, (2, 10), &dev).unwrap();
        let a = trainable.forward(&ids, &mask, None).unwrap();
        assert!(a.track_op(), "the trainable encoder takes the path with gradients");
        let b = frozen.forward(&ids, &mask, None).unwrap();
        assert!(!b.track_op());
        assert!(max_abs_diff(&a, &b) < 1e-4, "differs by {}", max_abs_diff(&a, &b));
    }

    #[test]
    fn composed_ops_have_gradients() {
        let dev = Device::Cpu;
        let x = candle_core::Var::randn(0f32, 1.0, (3, 8), &dev).unwrap();
        let w = candle_core::Var::ones(8, DType::F32, &dev).unwrap();
        let b = candle_core::Var::zeros(8, DType::F32, &dev).unwrap();
        let y = LayerNorm::new(w.as_tensor().clone(), b.as_tensor().clone(), 1e-5).forward(&x).unwrap();
        let target = Tensor::randn(0f32, 1.0, (3, 8), &dev).unwrap();
        let loss = (softmax_last_dim(&y).unwrap() * &target).unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        for v in [&x, &w, &b] {
            let g = grads.get(v.as_tensor()).expect("gradient reaches the input");
            let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(norm > 0.0);
        }
    }

    #[test]
    fn dropout_is_seeded_and_scaled() {
        let x = Tensor::ones((100, 100), DType::F32, &Device::Cpu).unwrap();
        let a = Dropout::new(0.25, 7).unwrap().apply(&x).unwrap();
        let b = Dropout::new(0.25, 7).unwrap().apply(&x).unwrap();
        assert_eq!(max_abs_diff(&a, &b), 0.0);
        let v: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
        let zeros = v.iter().filter(|&&e| e == 0.0).count() as f32 / v.len() as f32;
        assert!((zeros - 0.25).abs() < 0.03, "dropped fraction {zeros}");
        assert!(v.iter().all(|&e| e == 0.0 || (e - 4.0 / 3.0).abs() < 1e-6));
        assert!(Dropout::new(1.0, 0).is_err());
    }

    #[test]
    fn checkpoint_names_cover_prefix_and_gamma_beta() {
        let c = candidate_names("embeddings.LayerNorm.weight");
        assert!(c.contains(&"bert.embeddings.LayerNorm.gamma".to_string()));
        assert!(c.contains(&"embeddings.LayerNorm.weight".to_string()));
        assert_eq!(candidate_names("encoder.layer.0.output.dense.bias").len(), 2);
    }
}
