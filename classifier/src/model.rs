//! `PiiModel`: the BERT encoder plus three task heads, and its on-disk format.
//!
//! Heads:
//! - document: one logit, "does this window contain personal data";
//! - types: 11 independent logits (multi-label), one per [`PiiType::ALL`] entry;
//! - tagger: 23 BIO logits per token (see [`crate::tags`]).
//!
//! The two window-level heads read a pooled vector `[CLS ; masked mean ; masked max]`. `[CLS]` is what BERT's
//! pre-training taught to summarise, the mean is what MiniLM's sentence-embedding training used, and the max
//! lets one strongly PII-like token (a single e-mail in a long window) dominate instead of being averaged away.
//!
//! A saved model is a directory: `model.safetensors` (encoder under `bert.`, heads under `head.`, i.e. itself a
//! valid `BertModel` checkpoint), `classifier.json` ([`ModelConfig`]) and `tokenizer.json`.

use crate::bert::{self, BertConfig, BertEncoder, Dropout, Linear};
use crate::error::{Error, Result};
use crate::shape::NUM_SHAPES;
use crate::tags::{tag_names, NUM_TAGS};
use blogbot_common::PiiType;
use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{Init, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Prefix of the encoder's tensors inside a saved model.
pub const ENCODER_PREFIX: &str = "bert";
/// Weights file inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Config file inside a model directory.
pub const CONFIG_FILE: &str = "classifier.json";
/// Tokenizer file inside a model (or encoder) directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// Everything besides the weights that is needed to run a saved model the way it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// The encoder the model was fine-tuned from (Hub name from its config, else its directory name).
    pub base_encoder: String,
    pub encoder: BertConfig,
    /// Window length in tokens, `[CLS]`/`[SEP]` included.
    pub max_len: usize,
    /// Overlap between consecutive windows, in tokens.
    pub stride: usize,
    /// Document score at or above which a text is a violation; chosen on the validation set.
    pub threshold: f32,
    /// Per-type probability at or above which a type is reported.
    #[serde(default = "half")]
    pub type_threshold: f32,
    /// Tagger output order, for readers of the file; checked on load.
    #[serde(default = "tag_names")]
    pub tags: Vec<String>,
    /// Type-head output order; checked on load.
    #[serde(default = "all_types")]
    pub types: Vec<PiiType>,
    /// Whether the model adds a learned word-shape embedding ([`crate::shape`], tensor `head.shape.weight`) to
    /// each token's input embedding. Models saved before it existed lack the field and run without it.
    #[serde(default)]
    pub shape_features: bool,
}

fn half() -> f32 {
    0.5
}
fn all_types() -> Vec<PiiType> {
    PiiType::ALL.to_vec()
}

impl ModelConfig {
    /// Reads `classifier.json` and checks that its label orders are the ones this build uses.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let cfg: ModelConfig = serde_json::from_str(&text).map_err(|e| Error::json(path, e))?;
        if cfg.tags != tag_names() || cfg.types != PiiType::ALL.to_vec() {
            return Err(Error::Config(format!("{} was saved with a different label set", path.display())));
        }
        cfg.encoder.validate()?;
        Ok(cfg)
    }
}

/// Raw head outputs for a batch.
pub struct ModelOutput {
    /// `(batch,)` document logits.
    pub doc_logits: Tensor,
    /// `(batch, 11)` per-type logits.
    pub type_logits: Tensor,
    /// `(batch, len, 23)` BIO logits.
    pub tag_logits: Tensor,
}

/// Where the weights live: trainable `Var`s, or plain tensors for inference (no autograd bookkeeping).
enum Params {
    Vars(VarMap),
    Frozen(HashMap<String, Tensor>),
}

/// The encoder and the three heads.
pub struct PiiModel {
    encoder: BertEncoder,
    /// `(NUM_SHAPES, hidden)` word-shape embeddings, when `config.shape_features`.
    shape: Option<Tensor>,
    doc_head: Linear,
    type_head: Linear,
    tag_head: Linear,
    config: ModelConfig,
    params: Params,
    device: Device,
}

impl PiiModel {
    fn build(config: ModelConfig, vb: VarBuilder, params: Params, device: &Device) -> Result<Self> {
        let h = config.encoder.hidden_size;
        let heads = vb.pp("head");
        let shape = if config.shape_features {
            Some(heads.pp("shape").get_with_hints((NUM_SHAPES, h), "weight", Init::Randn { mean: 0.0, stdev: 0.02 })?)
        } else {
            None
        };
        Ok(Self {
            encoder: BertEncoder::new(&config.encoder, vb.pp(ENCODER_PREFIX))?,
            shape,
            doc_head: bert::linear(3 * h, 1, heads.pp("doc"))?,
            type_head: bert::linear(3 * h, PiiType::ALL.len(), heads.pp("types"))?,
            tag_head: bert::linear(h, NUM_TAGS, heads.pp("tags"))?,
            config,
            params,
            device: device.clone(),
        })
    }

    /// A trainable model from a pre-trained encoder directory (`config.json` + `model.safetensors`), with
    /// freshly initialised heads drawn from `seed` (candle's CPU generator cannot be seeded).
    pub fn from_pretrained(
        encoder_dir: &Path,
        max_len: usize,
        stride: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        let encoder = BertConfig::from_file(&encoder_dir.join("config.json"))?;
        if max_len > encoder.max_position_embeddings {
            return Err(Error::Config(format!(
                "max_len {max_len} exceeds the encoder's {} positions",
                encoder.max_position_embeddings
            )));
        }
        crate::tokenize::windows(0, max_len, stride)?; // validates max_len / stride
        let base_encoder =
            encoder.name_or_path.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| {
                encoder_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            });
        let config = ModelConfig {
            base_encoder,
            encoder,
            max_len,
            stride,
            threshold: 0.5,
            type_threshold: 0.5,
            tags: tag_names(),
            types: all_types(),
            shape_features: true,
        };
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let model = Self::build(config, vb, Params::Vars(varmap.clone()), device)?;
        bert::load_pretrained(&varmap, &format!("{ENCODER_PREFIX}."), &encoder_dir.join(WEIGHTS_FILE))?;
        model.init_heads(seed)?;
        Ok(model)
    }

    /// Re-draws the head weights from normal(0, 0.02) with a seeded generator, biases zero.
    fn init_heads(&self, seed: u64) -> Result<()> {
        let mut rng = StdRng::seed_from_u64(seed);
        for (name, var) in self.named_vars() {
            if !name.starts_with("head.") {
                continue;
            }
            let n = var.elem_count();
            let values: Vec<f32> =
                if name.ends_with(".bias") { vec![0.0; n] } else { (0..n).map(|_| 0.02 * normal(&mut rng)).collect() };
            var.set(&Tensor::from_vec(values, var.shape(), &self.device)?)?;
        }
        Ok(())
    }

    /// Loads a saved model directory. `trainable` gives `Var`s (to resume training); otherwise plain tensors,
    /// which is what inference wants.
    pub fn load(dir: &Path, device: &Device, trainable: bool) -> Result<Self> {
        let config = ModelConfig::from_file(&dir.join(CONFIG_FILE))?;
        let weights = dir.join(WEIGHTS_FILE);
        if trainable {
            let varmap = VarMap::new();
            let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
            let model = Self::build(config, vb, Params::Vars(varmap.clone()), device)?;
            let mut vm = varmap;
            vm.load(&weights)?;
            Ok(model)
        } else {
            if !weights.is_file() {
                return Err(Error::io(&weights, std::io::Error::new(std::io::ErrorKind::NotFound, "no weights")));
            }
            let tensors = candle_core::safetensors::load(&weights, device)?;
            let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, device);
            Self::build(config, vb, Params::Frozen(tensors), device)
        }
    }

    /// Switches the encoder's dense layers to int8 matmuls for inference (see [`crate::int8`]); a no-op for a
    /// trainable model, on other devices, or on CPUs without AVX2 (or VNNI). Returns how many layers switched.
    pub fn quantize_int8(&mut self) -> Result<usize> {
        if self.is_trainable() {
            return Ok(0);
        }
        self.encoder.quantize_int8()
    }

    /// Whether [`PiiModel::quantize_int8`] switched any layer.
    pub fn is_int8(&self) -> bool {
        self.encoder.is_int8()
    }

    /// Writes `model.safetensors` and `classifier.json` into `dir` (created if needed). Each file is written
    /// to a temporary name and renamed, so a reader never sees half a model.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tensors = self.named_tensors();
        let tmp = dir.join(format!("{WEIGHTS_FILE}.tmp"));
        candle_core::safetensors::save(&tensors, &tmp)?;
        let dst = dir.join(WEIGHTS_FILE);
        std::fs::rename(&tmp, &dst).map_err(|e| Error::io(&dst, e))?;
        let json = serde_json::to_string_pretty(&self.config).map_err(|e| Error::json(dir.join(CONFIG_FILE), e))?;
        write_atomic(&dir.join(CONFIG_FILE), json.as_bytes())
    }

    /// Runs the encoder and the heads on `(batch, len)` token ids, word shapes ([`crate::shape`]; ignored by a
    /// model without shape features) and attention mask. `dropout` only while training.
    pub fn forward(&self, ids: &Tensor, shapes: &Tensor, mask: &Tensor, dropout: Option<&Dropout>) -> Result<ModelOutput> {
        let extra = match &self.shape {
            Some(table) => {
                let (b, t) = shapes.dims2()?;
                if ids.dims2()? != (b, t) {
                    return Err(Error::Config(format!("shapes {:?} do not match ids {:?}", shapes.dims(), ids.dims())));
                }
                Some(table.index_select(&shapes.flatten_all()?, 0)?.reshape((b, t, table.dim(1)?))?)
            }
            None => None,
        };
        let hidden = self.encoder.forward_with(ids, extra.as_ref(), mask, dropout)?; // (b, t, h)
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (b, t, 1)
        let cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        let mean = hidden.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)?;
        // Padding pushed to -1e4 so it never wins the max.
        let max = hidden.broadcast_add(&m.affine(1e4, -1e4)?)?.max(1)?;
        let pooled = Tensor::cat(&[cls, mean, max], 1)?;
        let pooled = match dropout {
            Some(d) => d.apply(&pooled)?,
            None => pooled,
        };
        let token_in = match dropout {
            Some(d) => d.apply(&hidden)?,
            None => hidden,
        };
        Ok(ModelOutput {
            doc_logits: self.doc_head.forward(&pooled)?.squeeze(1)?,
            type_logits: self.type_head.forward(&pooled)?,
            tag_logits: self.tag_head.forward(&token_in)?,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// For setting the thresholds chosen on validation data.
    pub fn config_mut(&mut self) -> &mut ModelConfig {
        &mut self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn is_trainable(&self) -> bool {
        matches!(self.params, Params::Vars(_))
    }

    /// The trainable variables with their names, sorted by name (empty for an inference-only model).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut v: Vec<(String, Var)> = match &self.params {
            Params::Vars(vm) => vm
                .data()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            Params::Frozen(_) => Vec::new(),
        };
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// All weights by name, detached from any autograd graph (sharing storage, no copy).
    pub fn named_tensors(&self) -> HashMap<String, Tensor> {
        match &self.params {
            Params::Vars(vm) => vm
                .data()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(k, v)| (k.clone(), v.as_tensor().detach()))
                .collect(),
            Params::Frozen(t) => t.clone(),
        }
    }

    /// An inference view of this model: same storage (later optimizer steps show through), no gradient
    /// tracking, so evaluation during training does not keep every activation alive.
    pub fn frozen(&self) -> Result<PiiModel> {
        let tensors = self.named_tensors();
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, &self.device);
        Self::build(self.config.clone(), vb, Params::Frozen(tensors), &self.device)
    }

    /// Overwrites the weights with `tensors` (same names and shapes), e.g. to restore the best epoch.
    pub fn set_weights(&self, tensors: &HashMap<String, Tensor>) -> Result<()> {
        for (name, var) in self.named_vars() {
            let t = tensors.get(&name).ok_or_else(|| Error::Config(format!("no weights for `{name}`")))?;
            var.set(t)?;
        }
        Ok(())
    }

    /// A deep copy of every weight (for keeping the best epoch in memory).
    pub fn snapshot(&self) -> Result<HashMap<String, Tensor>> {
        self.named_tensors().into_iter().map(|(k, t)| Ok((k, t.copy()?))).collect()
    }
}

/// Standard normal sample (Box-Muller), to avoid a distribution crate for one use.
fn normal(rng: &mut StdRng) -> f32 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// `1 / (1 + exp(-x))`: logits to probabilities at inference time (the losses work on logits directly).
pub fn sigmoid(x: &Tensor) -> candle_core::Result<Tensor> {
    (x.neg()?.exp()? + 1.0)?.recip()
}

/// Converts `(batch, len, tags)` logits to probabilities over the last dimension.
pub fn tag_probs(logits: &Tensor) -> candle_core::Result<Tensor> {
    bert::softmax_last_dim(&logits.to_dtype(DType::F32)?)
}
