//! Fine-tuning loop.
//!
//! Records are cut into windows exactly as at inference ([`build_examples`]), each window labelled from the
//! spans it contains. Each epoch shuffles the windows with a seeded generator, groups windows of similar length
//! (so per-batch padding stays small) and takes one AdamW step per batch under a linear warm-up / decay
//! schedule. After each epoch the model is scored on the validation set; the best epoch (binary F1, then typed
//! span F1) is kept, training stops after `patience` epochs without improvement, and the document threshold
//! that maximises validation F1 is stored in the model.

use crate::batch::{TrainBatch, TrainExample};
use crate::bert::Dropout;
use crate::checkpoint::{self, CheckpointState, BEST_DIR};
use crate::error::{Error, Result};
use crate::eval::{choose_threshold, metrics_at, Metrics};
use crate::infer::Classifier;
use crate::loss::{losses, ClassWeights};
use crate::model::{PiiModel, TOKENIZER_FILE, WEIGHTS_FILE};
use crate::optim::{lr_at, Optim};
use crate::tags::{bio_tags, tag_kind, TAG_O};
use crate::tokenize::{windows, PiiTokenizer};
use blogbot_common::{PiiType, Record};
use candle_core::Device;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Hyper-parameters. Every field has a default, so a JSON body may set only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    pub epochs: usize,
    /// Peak learning rate (after warm-up).
    pub lr: f64,
    /// Windows per optimizer step.
    pub batch_size: usize,
    /// Window length in tokens, `[CLS]`/`[SEP]` included.
    pub max_len: usize,
    /// Overlap between consecutive windows of a long text, in tokens.
    pub stride: usize,
    /// Seeds shuffling, dropout and head initialisation.
    pub seed: u64,
    /// Fraction of the total steps spent warming the learning rate up from 0.
    pub warmup_ratio: f64,
    /// Epochs without validation improvement before stopping.
    pub patience: usize,
    pub weight_decay: f64,
    /// Dropout on hidden states (embeddings, attention and feed-forward outputs, head inputs).
    pub dropout: f32,
    /// Stop after this many optimizer steps in total (tests, or a deliberately weaker challenger model).
    pub max_steps: Option<usize>,
    /// Global gradient-norm clip; `None` disables clipping.
    pub max_grad_norm: Option<f64>,
    /// Weight of positive windows in the document loss; `None`: negatives / positives, clamped to [0.1, 10].
    pub doc_pos_weight: Option<f32>,
    /// Weight of positive windows in every per-type loss; `None`: per type, negatives / positives, clamped to
    /// [1, 10].
    pub type_pos_weight: Option<f32>,
    /// Loss weight of entity tokens relative to `O` tokens; `None`: sqrt(#O / #entity), clamped to [1, 10]
    /// (the square root because the full ratio makes the tagger over-predict spans).
    pub tag_non_o_weight: Option<f32>,
    /// Learning-rate multiplier for the freshly initialised heads. Randomly initialised linear heads need far
    /// larger steps than the pre-trained encoder: on a 482-record template data set, 2 epochs at 5e-5 reached
    /// validation F1 0.930 and typed-overlap span F1 0.10 with 1x, 0.957 and 0.25 with 20x.
    pub head_lr_scale: f64,
    /// Share of the windows without any span that each epoch trains on (a fresh seeded draw per epoch); windows
    /// with a span are always kept. Most windows of a blog-length record hold no personal data, so below 1 an
    /// epoch covers the same records in fewer steps, which lets a time-boxed run see more records.
    pub span_free_keep: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 3,
            lr: 5e-5,
            batch_size: 16,
            max_len: 256,
            stride: 64,
            seed: 0,
            warmup_ratio: 0.1,
            patience: 2,
            weight_decay: 0.01,
            dropout: 0.1,
            max_steps: None,
            max_grad_norm: Some(1.0),
            doc_pos_weight: None,
            type_pos_weight: None,
            tag_non_o_weight: None,
            head_lr_scale: 20.0,
            span_free_keep: 1.0,
        }
    }
}

/// Reported after every optimizer step, and once more after each validation pass (with `val_metrics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// Optimizer steps taken so far (1-based after the first step).
    pub step: usize,
    pub total_steps: usize,
    /// Loss of the last batch (total of the three heads).
    pub loss: f32,
    pub lr: f64,
    /// Training windows per second over the current epoch.
    pub examples_per_sec: f32,
    /// Validation metrics at the validation-chosen threshold; only on the end-of-epoch report.
    pub val_metrics: Option<Metrics>,
}

/// One epoch's summary, kept in checkpoints and in the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    pub epoch: usize,
    pub steps: usize,
    pub mean_loss: f32,
    pub val_f1: Option<f64>,
    pub val_span_f1: Option<f64>,
    pub threshold: Option<f32>,
    pub seconds: f32,
    pub examples_per_sec: f32,
}

/// What to train on and where.
pub struct TrainInput<'a> {
    /// Directory with the pre-trained encoder: `config.json`, `model.safetensors`, `tokenizer.json`.
    pub encoder_dir: &'a Path,
    pub train: &'a [Record],
    /// May be empty: then there is no early stopping and the threshold stays 0.5.
    pub val: &'a [Record],
    /// Where per-epoch checkpoints go; training resumes from the newest one found there.
    pub checkpoint_dir: Option<&'a Path>,
    pub device: Device,
}

/// The result of [`train`].
pub struct TrainOutcome {
    /// The best model (by validation) with its validation-chosen threshold; save it with `Classifier::save`.
    pub classifier: Classifier,
    pub best_epoch: Option<usize>,
    pub steps: usize,
    /// Validation metrics of the returned model.
    pub val_metrics: Option<Metrics>,
    pub history: Vec<EpochSummary>,
    /// The checkpoint the run resumed from, if any.
    pub resumed_from: Option<PathBuf>,
}

/// Windows and targets for `records`, cut exactly as [`Classifier::score`] cuts texts.
pub fn build_examples(
    tok: &PiiTokenizer,
    records: &[Record],
    max_len: usize,
    stride: usize,
) -> Result<Vec<TrainExample>> {
    let mut out = Vec::new();
    for r in records {
        let enc = tok.encode(&r.text)?;
        let tags = bio_tags(&enc.offsets, &r.spans);
        for w in windows(enc.len(), max_len, stride)? {
            let mut types = [false; PiiType::ALL.len()];
            for &t in &tags[w.clone()] {
                if let Some((ty, _)) = tag_kind(t) {
                    types[ty.index()] = true;
                }
            }
            let mut wt = Vec::with_capacity(w.len() + 2);
            wt.push(TAG_O);
            wt.extend_from_slice(&tags[w.clone()]);
            wt.push(TAG_O);
            out.push(TrainExample {
                ids: tok.window_input(&enc, &w),
                shapes: tok.window_shapes(&enc, &w),
                tags: wt,
                doc: types.iter().any(|&b| b),
                types,
            });
        }
    }
    Ok(out)
}

/// The examples one epoch trains on: every window with a span, and each window without one with probability
/// `keep`. Depends only on (`seed`, `epoch`), so a resumed run sees the same selection.
pub fn epoch_examples(has_span: &[bool], keep: f64, seed: u64, epoch: usize) -> Vec<usize> {
    if keep >= 1.0 {
        return (0..has_span.len()).collect();
    }
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0xA24B_AED4_963E_E407).wrapping_add(epoch as u64));
    (0..has_span.len()).filter(|&i| has_span[i] || rng.random_bool(keep.max(0.0))).collect()
}

/// Batches of example indices for one epoch: a seeded shuffle of `idx`, then length-sorted chunks of 50 batches
/// cut into batches, then the batch order shuffled again. Depends only on (`seed`, `epoch`), so a resumed run
/// sees the same order.
pub fn epoch_batches(lengths: &[usize], mut idx: Vec<usize>, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(epoch as u64));
    idx.shuffle(&mut rng);
    let mut batches = Vec::new();
    for chunk in idx.chunks_mut(batch_size * 50) {
        chunk.sort_by_key(|&i| lengths[i]);
        batches.extend(chunk.chunks(batch_size).map(|c| c.to_vec()));
    }
    batches.shuffle(&mut rng);
    batches
}

fn class_weights(examples: &[TrainExample], cfg: &TrainConfig) -> ClassWeights {
    let pos = examples.iter().filter(|e| e.doc).count().max(1) as f32;
    // The windows an epoch actually sees: span-free ones are sampled at `span_free_keep`.
    let keep = cfg.span_free_keep.clamp(0.0, 1.0) as f32;
    let neg = (examples.iter().filter(|e| !e.doc).count() as f32 * keep).max(1.0);
    let doc = cfg.doc_pos_weight.unwrap_or((neg / pos).clamp(0.1, 10.0));
    let type_pos = (0..PiiType::ALL.len())
        .map(|k| {
            cfg.type_pos_weight.unwrap_or_else(|| {
                let p = examples.iter().filter(|e| e.types[k]).count();
                if p == 0 { 1.0 } else { ((examples.len() - p) as f32 / p as f32).clamp(1.0, 10.0) }
            })
        })
        .collect();
    let (mut o, mut ent) = (0f32, 0f32);
    for e in examples {
        for &t in &e.tags[1..e.tags.len() - 1] {
            if t == TAG_O {
                o += 1.0
            } else {
                ent += 1.0
            }
        }
    }
    let non_o = cfg.tag_non_o_weight.unwrap_or((o / ent.max(1.0)).sqrt().clamp(1.0, 10.0));
    ClassWeights { doc_pos: doc, type_pos, non_o }
}

fn validate_config(cfg: &TrainConfig) -> Result<()> {
    if cfg.batch_size == 0
        || cfg.epochs == 0
        || cfg.lr.is_nan()
        || cfg.lr <= 0.0
        || !(0.0..1.0).contains(&cfg.warmup_ratio)
        || !(cfg.span_free_keep > 0.0 && cfg.span_free_keep <= 1.0)
    {
        return Err(Error::Config(format!(
            "need batch_size > 0, epochs > 0, lr > 0, warmup_ratio in [0, 1) and span_free_keep in (0, 1]; got {cfg:?}"
        )));
    }
    windows(0, cfg.max_len, cfg.stride).map(|_| ())
}

/// Fine-tunes the encoder in `input.encoder_dir` on `input.train`. `progress` is called after every step;
/// setting `cancel` stops the run with [`Error::Cancelled`] before the next step (the last epoch checkpoint
/// stays on disk).
pub fn train(
    input: &TrainInput,
    cfg: &TrainConfig,
    cancel: &AtomicBool,
    mut progress: impl FnMut(TrainProgress),
) -> Result<TrainOutcome> {
    validate_config(cfg)?;
    crate::alloc::tune_allocator();
    if input.train.is_empty() {
        return Err(Error::Config("no training records".into()));
    }
    let device = &input.device;
    let ids = input.train.iter().chain(input.val).map(|r| (r.id.as_str(), r.text.len()));
    let fingerprint = checkpoint::fingerprint(ids);

    let resume = match input.checkpoint_dir {
        Some(dir) => checkpoint::latest(dir)?,
        None => None,
    };
    let (classifier, mut state, resumed_from) = match resume {
        Some((dir, state)) => {
            if state.config != *cfg || state.data_fingerprint != fingerprint {
                return Err(Error::Config(format!(
                    "checkpoint {} was written for other hyper-parameters or data; use a fresh checkpoint directory",
                    dir.display()
                )));
            }
            tracing::info!(checkpoint = %dir.display(), epoch = state.epoch, step = state.global_step, "resuming");
            let model = PiiModel::load(&dir, device, true)?;
            let tok = PiiTokenizer::from_file(&dir.join(TOKENIZER_FILE))?;
            (Classifier::new(model, tok), state, Some(dir))
        }
        None => {
            let model = PiiModel::from_pretrained(input.encoder_dir, cfg.max_len, cfg.stride, cfg.seed, device)?;
            let tok = PiiTokenizer::from_file(&input.encoder_dir.join(TOKENIZER_FILE))?;
            let state = CheckpointState {
                epoch: 0,
                global_step: 0,
                total_steps: 0,
                best_score: None,
                best_epoch: None,
                best_threshold: None,
                best_metrics: None,
                bad_epochs: 0,
                finished: false,
                config: cfg.clone(),
                data_fingerprint: fingerprint,
                history: Vec::new(),
            };
            (Classifier::new(model, tok), state, None)
        }
    };
    let mut classifier = classifier;
    let examples = build_examples(classifier.tokenizer(), input.train, cfg.max_len, cfg.stride)?;
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    let weights = class_weights(&examples, cfg);
    let has_span: Vec<bool> = examples.iter().map(|e| e.doc).collect();
    let span_windows = has_span.iter().filter(|&&b| b).count();
    // Each epoch's sample is fixed by (seed, epoch), so the schedule knows every epoch's exact step count.
    let epoch_windows: Vec<usize> =
        (1..=cfg.epochs).map(|e| epoch_examples(&has_span, cfg.span_free_keep, cfg.seed, e).len()).collect();
    let per_epoch = epoch_windows.first().copied().unwrap_or(0);
    let all_steps: usize = epoch_windows.iter().map(|w| w.div_ceil(cfg.batch_size)).sum();
    let total_steps = all_steps.min(cfg.max_steps.unwrap_or(usize::MAX)).max(1);
    let warmup = (cfg.warmup_ratio * total_steps as f64).ceil() as usize;
    state.total_steps = total_steps;
    tracing::info!(
        records = input.train.len(),
        windows = examples.len(),
        span_windows,
        windows_per_epoch = per_epoch,
        ?weights,
        total_steps,
        "training"
    );

    let mut best = match (&input.checkpoint_dir, state.best_epoch) {
        (Some(dir), Some(_)) => Some(candle_core::safetensors::load(dir.join(BEST_DIR).join(WEIGHTS_FILE), device)?),
        _ => None,
    };
    let mut optim = Optim::new(classifier.model().named_vars(), cfg.weight_decay, cfg.head_lr_scale)?;
    let val_texts: Vec<&str> = input.val.iter().map(|r| r.text.as_str()).collect();
    let type_threshold = classifier.model().config().type_threshold;

    while !state.finished && state.epoch < cfg.epochs {
        let epoch = state.epoch + 1;
        let started = Instant::now();
        let dropout = Dropout::new(cfg.dropout, cfg.seed ^ (epoch as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93))?;
        let (mut loss_sum, mut steps, mut seen) = (0f64, 0usize, 0usize);
        let chosen = epoch_examples(&has_span, cfg.span_free_keep, cfg.seed, epoch);
        for idx in epoch_batches(&lengths, chosen, cfg.batch_size, cfg.seed, epoch) {
            if cfg.max_steps.is_some_and(|m| state.global_step >= m) {
                state.finished = true;
                break;
            }
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            let exs: Vec<&TrainExample> = idx.iter().map(|&i| &examples[i]).collect();
            let batch = TrainBatch::new(&exs, classifier.tokenizer().pad_id(), weights.non_o, device)?;
            let out = classifier.model().forward(&batch.ids, &batch.shapes, &batch.mask, Some(&dropout))?;
            let l = losses(&out, &batch, &weights)?;
            let loss = l.total.to_scalar::<f32>()?;
            if !loss.is_finite() {
                return Err(Error::Diverged { step: state.global_step, loss });
            }
            let mut grads = l.total.backward()?;
            let lr = lr_at(state.global_step, total_steps, warmup, cfg.lr);
            optim.step(&mut grads, lr, cfg.max_grad_norm, state.global_step)?;
            state.global_step += 1;
            steps += 1;
            seen += exs.len();
            loss_sum += loss as f64;
            let eps = seen as f32 / started.elapsed().as_secs_f32().max(1e-6);
            tracing::debug!(
                epoch,
                step = state.global_step,
                loss,
                lr,
                windows = exs.len(),
                tokens = batch.tokens,
                "step"
            );
            progress(TrainProgress {
                epoch,
                step: state.global_step,
                total_steps,
                loss,
                lr,
                examples_per_sec: eps,
                val_metrics: None,
            });
        }
        if cfg.max_steps.is_some_and(|m| state.global_step >= m) {
            state.finished = true;
        }
        let seconds = started.elapsed().as_secs_f32();
        let mut summary = EpochSummary {
            epoch,
            steps,
            mean_loss: if steps == 0 { 0.0 } else { (loss_sum / steps as f64) as f32 },
            val_f1: None,
            val_span_f1: None,
            threshold: None,
            seconds,
            examples_per_sec: seen as f32 / seconds.max(1e-6),
        };
        let mut is_best = false;
        if !input.val.is_empty() {
            let scored = classifier.score(&val_texts)?;
            let t = choose_threshold(input.val, &scored);
            let m = metrics_at(input.val, &scored, t, type_threshold);
            let key = (m.binary.f1, m.spans.overlap_typed.f1);
            summary.val_f1 = Some(key.0);
            summary.val_span_f1 = Some(key.1);
            summary.threshold = Some(t);
            tracing::info!(epoch, val_f1 = key.0, val_span_f1 = key.1, threshold = t, "validation");
            progress(TrainProgress {
                epoch,
                step: state.global_step,
                total_steps,
                loss: summary.mean_loss,
                lr: lr_at(state.global_step, total_steps, warmup, cfg.lr),
                examples_per_sec: summary.examples_per_sec,
                val_metrics: Some(m.clone()),
            });
            if state.best_score.is_none_or(|b| key > b) {
                state.best_score = Some(key);
                state.best_epoch = Some(epoch);
                state.best_threshold = Some(t);
                state.best_metrics = Some(m);
                state.bad_epochs = 0;
                best = Some(classifier.model().snapshot()?);
                is_best = true;
            } else {
                state.bad_epochs += 1;
                if state.bad_epochs >= cfg.patience.max(1) {
                    tracing::info!(epoch, "early stop: no validation improvement for {} epochs", state.bad_epochs);
                    state.finished = true;
                }
            }
        }
        state.history.push(summary);
        state.epoch = epoch;
        if state.epoch >= cfg.epochs {
            state.finished = true;
        }
        if let Some(dir) = input.checkpoint_dir {
            // The checkpoint holds the *current* weights with the best threshold so far; `best/` the best ones.
            if let Some(t) = state.best_threshold {
                classifier.set_threshold(t);
            }
            checkpoint::save(dir, &classifier, &state, is_best)?;
        }
    }

    if let Some(weights) = &best {
        classifier.model().set_weights(weights)?;
    }
    if let Some(t) = state.best_threshold {
        classifier.set_threshold(t);
    }
    Ok(TrainOutcome {
        classifier,
        best_epoch: state.best_epoch,
        steps: state.global_step,
        val_metrics: state.best_metrics,
        history: state.history,
        resumed_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_order_is_seeded_complete_and_length_grouped() {
        let lengths: Vec<usize> = (0..1000).map(|i| (i * 37) % 250 + 3).collect();
        let all_idx = || (0..lengths.len()).collect::<Vec<_>>();
        let a = epoch_batches(&lengths, all_idx(), 16, 7, 1);
        assert_eq!(a, epoch_batches(&lengths, all_idx(), 16, 7, 1));
        assert_ne!(a, epoch_batches(&lengths, all_idx(), 16, 7, 2));
        assert_ne!(a, epoch_batches(&lengths, all_idx(), 16, 8, 1));
        let mut all: Vec<usize> = a.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        // Length grouping: the padded size of an epoch is far below padding everything to its batch's random mix.
        let padded: usize = a.iter().map(|b| b.len() * b.iter().map(|&i| lengths[i]).max().unwrap()).sum();
        let real: usize = lengths.iter().sum();
        assert!((padded as f64) < 1.2 * real as f64, "padded {padded} vs real {real}");
    }

    #[test]
    fn span_free_windows_are_sampled_per_epoch_and_span_windows_always_kept() {
        let has_span: Vec<bool> = (0..2000).map(|i| i % 4 == 0).collect();
        assert_eq!(epoch_examples(&has_span, 1.0, 3, 1), (0..2000).collect::<Vec<_>>());
        let a = epoch_examples(&has_span, 0.25, 3, 1);
        assert_eq!(a, epoch_examples(&has_span, 0.25, 3, 1));
        assert_ne!(a, epoch_examples(&has_span, 0.25, 3, 2));
        assert!((0..2000).step_by(4).all(|i| a.contains(&i)), "a span window was dropped");
        let free = a.iter().filter(|&&i| !has_span[i]).count();
        assert!((300..450).contains(&free), "kept {free} of 1500 span-free windows at 0.25");
        assert!(validate_config(&TrainConfig { span_free_keep: 0.0, ..TrainConfig::default() }).is_err());
    }

    #[test]
    fn class_weights_follow_the_data() {
        let mk = |doc: bool, tags: Vec<u32>| TrainExample { ids: vec![0; tags.len()], shapes: vec![0; tags.len()], tags, doc, types: [doc; 11] };
        let ex = vec![mk(true, vec![0, 1, 0, 0, 0, 0]), mk(false, vec![0, 0, 0, 0]), mk(false, vec![0, 0, 0])];
        let w = class_weights(&ex, &TrainConfig::default());
        assert_eq!(w.doc_pos, 2.0);
        assert!((w.non_o - 6f32.sqrt()).abs() < 1e-6); // 6 O tokens, 1 entity token
        assert_eq!(w.type_pos, vec![2.0; 11]); // every type positive in 1 of 3 windows
        let cfg = TrainConfig {
            doc_pos_weight: Some(1.0),
            type_pos_weight: Some(4.0),
            tag_non_o_weight: Some(3.0),
            ..TrainConfig::default()
        };
        assert_eq!(class_weights(&ex, &cfg), ClassWeights { doc_pos: 1.0, type_pos: vec![4.0; 11], non_o: 3.0 });
    }

    #[test]
    fn config_defaults_and_partial_json() {
        let c: TrainConfig = serde_json::from_str(r#"{"epochs": 5, "max_steps": 10}"#).unwrap();
        assert_eq!((c.epochs, c.lr, c.batch_size, c.max_len, c.seed, c.patience), (5, 5e-5, 16, 256, 0, 2));
        assert_eq!(c.max_steps, Some(10));
        assert!((c.warmup_ratio - 0.1).abs() < 1e-12);
        assert!(validate_config(&TrainConfig { stride: 300, ..TrainConfig::default() }).is_err());
    }
}
