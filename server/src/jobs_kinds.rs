//! The jobs the server runs: dataset builds, training, and retraining (a fresh dataset then a challenger),
//! which is also how a fresh data dir bootstraps its first champion.

use crate::datasets::{build_to_dir, datasets_dir, register};
use crate::error::ApiError;
use crate::jobs::JobCtx;
use crate::state::AppState;
use blogbot_classifier::{TrainConfig, TrainProgress};
use blogbot_generator::corpus::{load_posts, SourcePost};
use blogbot_generator::dataset::BuildSpec;
use blogbot_generator::Llm;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// A fresh dataset id.
pub fn new_dataset_id() -> String {
    format!("ds-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The part of a job's progress a step owns, and how its messages begin ("stage 1/2, first champion: ").
#[derive(Clone, Copy)]
pub struct Part<'a> {
    pub from: f64,
    pub to: f64,
    pub label: &'a str,
}

impl Part<'_> {
    /// The whole job.
    pub const WHOLE: Part<'static> = Part { from: 0.0, to: 1.0, label: "" };

    /// The stage's name for log lines ("stage 1/2, first champion"), empty for a whole job.
    fn stage(&self) -> &str {
        self.label.trim_end_matches(": ")
    }

    fn at(&self, frac: f64) -> f64 {
        self.from + (self.to - self.from) * frac.clamp(0.0, 1.0)
    }
}

/// "about 3 min left" from the time spent on `done` of `total`.
fn eta(started: Instant, done: usize, total: usize) -> String {
    if done == 0 || done >= total {
        return String::new();
    }
    let left = started.elapsed().as_secs_f64() / done as f64 * (total - done) as f64;
    if left < 90.0 { format!(", about {left:.0} s left") } else { format!(", about {:.0} min left", left / 60.0) }
}

/// Builds and registers a dataset inside a job, reporting its progress into `part` of the job's.
#[allow(clippy::too_many_arguments)]
pub async fn build_dataset(
    ctx: &JobCtx,
    llm: Option<&Llm>,
    posts: &[SourcePost],
    spec: &BuildSpec,
    data_dir: &Path,
    db: &crate::db::Db,
    dataset_id: &str,
    part: Part<'_>,
) -> Result<Value, String> {
    let dir = datasets_dir(data_dir).join(dataset_id);
    let total = spec.size;
    let started = Instant::now();
    tracing::info!(stage = part.stage(), dataset = dataset_id, size = total, llm = llm.is_some(), "dataset build started");
    let report = build_to_dir(llm, posts, spec, &dir, &ctx.cancel, |done, _| {
        ctx.progress(
            part.at(done as f64 / total as f64),
            &format!("{}dataset {dataset_id}: {done}/{total} records{}", part.label, eta(started, done, total)),
        )
    })
    .await
    .map_err(|e| e.to_string())?;
    register(db, dataset_id, Some(&ctx.id), &dir, &report).map_err(|e| {
        let _ = std::fs::remove_dir_all(&dir);
        format!("could not register dataset: {e}")
    })?;
    tracing::info!(
        stage = part.stage(),
        dataset = dataset_id,
        records = report.size,
        seconds = started.elapsed().as_secs_f64(),
        records_per_minute = report.records_per_minute,
        llm_acceptance = report.llm.acceptance_rate,
        "dataset build finished"
    );
    Ok(json!({"dataset_id": dataset_id, "records": report.size, "llm_acceptance_rate": report.llm.acceptance_rate,
              "llm_records": report.llm.records_accepted, "records_per_minute": report.records_per_minute,
              "seconds": started.elapsed().as_secs_f64()}))
}

/// Runs training on a blocking thread, reporting progress into `part` of the job's.
async fn train_in_job(ctx: JobCtx, state: &AppState, dataset_id: String, cfg: TrainConfig, part: Part<'_>) -> Result<Value, String> {
    let trainer = state.trainer.clone();
    let label = part.label.to_string();
    let (from, to) = (part.from, part.to);
    let started = Instant::now();
    tracing::info!(stage = part.stage(), dataset = %dataset_id, "training started");
    let out = tokio::task::spawn_blocking(move || {
        let c = ctx.clone();
        let label = label.clone();
        trainer.train_challenger(&dataset_id, &cfg, &ctx.cancel, move |p: TrainProgress| {
            let frac = from + (to - from) * p.step as f64 / p.total_steps.max(1) as f64;
            let val = p.val_metrics.as_ref().map(|m| format!(", val F1 {:.3}", m.binary.f1)).unwrap_or_default();
            c.progress(
                frac.min(to - 0.01 * (to - from)),
                &format!(
                    "{label}epoch {} step {}/{} loss {:.4} ({:.1} ex/s){val}{}",
                    p.epoch,
                    p.step,
                    p.total_steps,
                    p.loss,
                    p.examples_per_sec,
                    eta(started, p.step, p.total_steps)
                ),
            )
        })
    })
    .await
    .map_err(|e| format!("training thread: {e}"))
    .and_then(|r| {
        // Training keeps its peak working set on the heap for speed (classifier/src/alloc.rs); give it back
        // now that the server only serves again.
        let released = blogbot_classifier::alloc::release_free_memory();
        tracing::debug!(released, "freed training memory");
        r
    });
    tracing::info!(stage = part.stage(), seconds = started.elapsed().as_secs_f64(), ok = out.is_ok(), "training finished");
    out.map(|mut v| {
        v["seconds"] = json!(started.elapsed().as_secs_f64());
        v
    })
}

/// `POST /train`.
pub fn submit_training(state: &actix_web::web::Data<AppState>, dataset_id: String, cfg: TrainConfig) -> Result<String, ApiError> {
    let params = json!({"dataset_id": dataset_id, "config": cfg});
    let st = state.clone();
    state
        .jobs
        .submit("train", params, move |ctx| async move { train_in_job(ctx, &st, dataset_id, cfg, Part::WHOLE).await })
}

/// How the LLM-dataset challengers of the bootstrap's second stage, `POST /retrain` and `--retrain-every` train.
/// 128-token windows train ~3.5x faster than 256 on CPU (classifier benchmarks) at the same accuracy on
/// blog-length records; lr and batch as in the promotion test, which beat a weak champion reliably. Three of a
/// record's four windows hold no personal data, so each epoch keeps 30% of those (a fresh draw per epoch).
fn retrain_config(seed: u64) -> TrainConfig {
    TrainConfig { max_len: 128, stride: 32, lr: 1e-4, batch_size: 8, seed, span_free_keep: 0.3, ..TrainConfig::default() }
}

/// The spec of an LLM dataset for a challenger: the default corpus less the promotion set's held-out posts,
/// vetted by the champion.
fn retrain_spec(state: &AppState, size: usize, seed: u64) -> BuildSpec {
    let mut spec = BuildSpec::new(size, seed);
    spec.positive_ratio = 0.5;
    spec.exclude = state.trainer.promotion.roots.clone();
    spec.vetter = state.service.vetter();
    spec.llm_share = state.retrain_llm_share;
    spec
}

/// A fresh LLM dataset, then a challenger trained, evaluated and promoted or rejected, within `from..1` of the job.
async fn dataset_and_challenger(ctx: JobCtx, st: &AppState, size: usize, seed: u64, from: f64, label: &str) -> Result<Value, String> {
    let posts = load_posts(&st.default_posts).map_err(|e| e.to_string())?;
    let dataset_id = new_dataset_id();
    let spec = retrain_spec(st, size, seed);
    let llm: Arc<Llm> = st.llm.clone();
    let mid = from + (1.0 - from) * 0.6;
    let ds = build_dataset(&ctx, Some(&llm), &posts, &spec, &st.data_dir, &st.db, &dataset_id, Part { from, to: mid, label })
        .await?;
    let trained = train_in_job(ctx, st, dataset_id, retrain_config(seed), Part { from: mid, to: 1.0, label }).await?;
    Ok(json!({"dataset": ds, "training": trained}))
}

/// `POST /retrain` and `--retrain-every`: a fresh dataset from the default corpus, then a challenger trained,
/// evaluated and promoted or rejected.
pub fn submit_retrain(state: &actix_web::web::Data<AppState>, kind: &str, size: usize, seed: u64) -> Result<String, ApiError> {
    let params = json!({"size": size, "seed": seed, "llm_share": state.retrain_llm_share, "posts": state.default_posts});
    let st = state.clone();
    state.jobs.submit(kind, params, move |ctx| async move { dataset_and_challenger(ctx, &st, size, seed, 0.0, "").await })
}

/// Share of the bootstrap job's progress its first stage owns.
const FIRST_STAGE: f64 = 0.15;

/// The bootstrap of a data dir without a champion, in two stages, one job:
/// 1. **first champion**: a dataset from carrier frames and templates without the LLM (seconds), a short
///    training run, and the model serves at once (there is no champion to beat);
/// 2. **final champion**: an LLM dataset and a challenger, promoted over the first champion only by the
///    promotion rule.
///
/// A crash in stage 1 leaves no champion, so the next start bootstraps again; a crash in stage 2 leaves the first
/// champion serving and the job marked failed.
pub fn submit_bootstrap(state: &actix_web::web::Data<AppState>) -> Result<String, ApiError> {
    let (first_size, first_steps, size) = (state.first_size, state.first_steps, state.retrain_size);
    let params = json!({"first_size": first_size, "first_steps": first_steps, "size": size,
                        "llm_share": state.retrain_llm_share, "posts": state.default_posts});
    let st = state.clone();
    state.jobs.submit("bootstrap", params, move |ctx| async move {
        let started = Instant::now();
        let posts = load_posts(&st.default_posts).map_err(|e| e.to_string())?;
        let label = "stage 1/2, first champion: ";
        let mut spec = BuildSpec::new(first_size, 0);
        spec.exclude = st.trainer.promotion.roots.clone();
        let dataset_id = new_dataset_id();
        let ds = build_dataset(&ctx, None, &posts, &spec, &st.data_dir, &st.db, &dataset_id, Part { from: 0.0, to: 0.01, label })
            .await?;
        // One pass over at most `first_steps` batches; the threshold is chosen on the validation split as always.
        let cfg = TrainConfig { epochs: 1, max_steps: Some(first_steps), ..retrain_config(0) };
        let first = train_in_job(ctx.clone(), &st, dataset_id, cfg, Part { from: 0.01, to: FIRST_STAGE, label }).await?;
        let first_seconds = started.elapsed().as_secs_f64();
        tracing::info!(seconds = first_seconds, model = %first["model_id"], "bootstrap stage 1 done: first champion serving");
        let second = dataset_and_challenger(ctx, &st, size, 0, FIRST_STAGE, "stage 2/2, final champion: ").await?;
        tracing::info!(seconds = started.elapsed().as_secs_f64(), promoted = %second["training"]["promoted"], "bootstrap stage 2 done");
        Ok(json!({
            "first": {"dataset": ds, "training": first, "seconds_from_job_start": first_seconds},
            "final": second,
            "seconds": started.elapsed().as_secs_f64(),
        }))
    })
}
