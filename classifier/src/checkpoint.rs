//! Per-epoch checkpoints, so that a long CPU fine-tune survives a restart.
//!
//! Layout under the checkpoint directory:
//! - `epoch-N/`: a complete model directory (loadable with [`crate::Classifier::load`]) plus `state.json`, the
//!   loop state after epoch `N` (1-based). Only the newest is kept: each is a full copy of the weights.
//! - `best/`: the weights of the best epoch so far on validation, restored at the end of training.
//!
//! Optimizer moments are not saved (they would triple the size); a resumed run restarts AdamW's moving
//! averages, which costs a few steps of slightly noisier updates.

use crate::error::{Error, Result};
use crate::eval::Metrics;
use crate::infer::Classifier;
use crate::model::write_atomic;
use crate::train::{EpochSummary, TrainConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The state file inside an `epoch-N` directory.
pub const STATE_FILE: &str = "state.json";
/// The best-epoch directory.
pub const BEST_DIR: &str = "best";

/// The training loop's state after an epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Epochs completed (1-based number of the last one).
    pub epoch: usize,
    /// Optimizer steps taken so far.
    pub global_step: usize,
    pub total_steps: usize,
    /// Best validation (binary F1, typed overlap span F1) so far.
    pub best_score: Option<(f64, f64)>,
    pub best_epoch: Option<usize>,
    /// Threshold chosen on validation for the best epoch.
    pub best_threshold: Option<f32>,
    pub best_metrics: Option<Metrics>,
    /// Epochs since the last improvement (early stopping counter).
    pub bad_epochs: usize,
    /// True when training ended (all epochs, early stop or `max_steps`); resuming then only restores the result.
    pub finished: bool,
    /// The hyper-parameters; a resume with different ones is refused.
    pub config: TrainConfig,
    /// Hash of the training and validation record ids, so that a resume on other data is refused.
    pub data_fingerprint: String,
    pub history: Vec<EpochSummary>,
}

fn epoch_dir(root: &Path, epoch: usize) -> PathBuf {
    root.join(format!("epoch-{epoch}"))
}

/// Writes `epoch-N/` (model, tokenizer, state) and, when `is_best`, `best/`; then removes older epoch dirs.
pub fn save(root: &Path, classifier: &Classifier, state: &CheckpointState, is_best: bool) -> Result<PathBuf> {
    let dir = epoch_dir(root, state.epoch);
    classifier.save(&dir)?;
    let json = serde_json::to_string_pretty(state).map_err(|e| Error::json(dir.join(STATE_FILE), e))?;
    // The state is written last: an epoch directory without it is incomplete and ignored by `latest`.
    write_atomic(&dir.join(STATE_FILE), json.as_bytes())?;
    if is_best {
        classifier.save(&root.join(BEST_DIR))?;
    }
    for (epoch, old) in list(root)? {
        if epoch < state.epoch {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
    }
    Ok(dir)
}

fn list(root: &Path) -> Result<Vec<(usize, PathBuf)>> {
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|e| Error::io(root, e))? {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = name.strip_prefix("epoch-").and_then(|n| n.parse::<usize>().ok()) {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The newest complete checkpoint under `root`, if any.
pub fn latest(root: &Path) -> Result<Option<(PathBuf, CheckpointState)>> {
    for (_, dir) in list(root)?.into_iter().rev() {
        let state_path = dir.join(STATE_FILE);
        if !state_path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&state_path).map_err(|e| Error::io(&state_path, e))?;
        let state = serde_json::from_str(&text).map_err(|e| Error::json(&state_path, e))?;
        return Ok(Some((dir, state)));
    }
    Ok(None)
}

/// FNV-1a over the records' ids and text lengths: cheap, stable across runs and platforms.
pub fn fingerprint<'a>(ids: impl IntoIterator<Item = (&'a str, usize)>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, len) in ids {
        for b in id.bytes().chain(len.to_le_bytes()).chain([0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
