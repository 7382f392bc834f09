//! What every route shares: loaded models, the database, the job manager, limits.

use crate::db::Db;
use crate::error::ApiError;
use crate::serving::ClassifierService;
use crate::training::Trainer;
use crate::jobs::JobManager;
use crate::auth::ApiKeys;
use crate::limits::Admission;
use crate::metrics::Metrics;
use crate::weights::VerifiedFile;
use blogbot_generator::Llm;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::limits::Limits;

/// A loaded (or verified) model as `/ready` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    pub role: &'static str,
    pub model_id: String,
    pub file: String,
    pub sha256: String,
    pub verified_by_manifest: bool,
    pub quantization: String,
    pub architecture: String,
    pub device: String,
    pub load_ms: u64,
}

pub struct AppState {
    pub llm: Arc<Llm>,
    pub llm_file: VerifiedFile,
    pub db: Arc<Db>,
    pub jobs: JobManager,
    pub data_dir: PathBuf,
    /// Corpus used when a dataset request names none.
    pub default_posts: PathBuf,
    pub limits: Limits,
    pub started: std::time::Instant,
    pub service: ClassifierService,
    pub trainer: Trainer,
    /// Dataset size of `POST /retrain` without a size, of `--retrain-every` and of the bootstrap's second stage.
    pub retrain_size: usize,
    /// Share of those datasets' LLM-eligible records the LLM writes.
    pub retrain_llm_share: f64,
    /// The bootstrap's first stage: dataset size (no LLM) and training steps.
    pub first_size: usize,
    pub first_steps: usize,
    /// The bootstrap job, while the data dir has no champion yet.
    pub bootstrap_job: std::sync::Mutex<Option<String>>,
    /// `None`: no keys file, loopback callers only.
    pub api_keys: Option<Arc<ApiKeys>>,
    pub admission: Admission,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// The 503 `/classify` answers while there is no champion: with the bootstrap job and its progress.
    pub fn no_model_error(&self) -> ApiError {
        let job = self.bootstrap_job.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match job.and_then(|id| self.db.job(&id).ok().flatten()) {
            Some(j) => ApiError::Unavailable(format!(
                "no model yet: bootstrap job {} is {} ({:.0}%: {})",
                j.id,
                j.state.as_str(),
                j.progress * 100.0,
                j.message
            )),
            None => ApiError::Unavailable("no model yet: train one with POST /train or POST /retrain".into()),
        }
    }

    pub fn models(&self) -> Vec<ModelReport> {
        let i = self.llm.info();
        vec![ModelReport {
            role: "llm",
            model_id: i.model_id.clone(),
            file: i.file.display().to_string(),
            sha256: i.sha256.clone(),
            verified_by_manifest: self.llm_file.in_manifest,
            quantization: i.quantization.clone(),
            architecture: i.architecture.clone(),
            device: i.device.clone(),
            load_ms: i.load_ms,
        }]
    }
}
