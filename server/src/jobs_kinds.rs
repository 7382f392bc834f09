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

/// A fresh dataset id.
pub fn new_dataset_id() -> String {
    format!("ds-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Builds and registers a dataset inside a job; `weight` scales its progress into the job's (for jobs that
/// do more afterwards).
pub async fn build_dataset(
    ctx: &JobCtx,
    llm: Option<&Llm>,
    posts: &[SourcePost],
    spec: &BuildSpec,
    data_dir: &Path,
    db: &crate::db::Db,
    dataset_id: &str,
    weight: f64,
) -> Result<Value, String> {
    let dir = datasets_dir(data_dir).join(dataset_id);
    let total = spec.size;
    let report = build_to_dir(llm, posts, spec, &dir, &ctx.cancel, |done, _| {
        ctx.progress(weight * done as f64 / total as f64, &format!("dataset {dataset_id}: {done}/{total} records"))
    })
    .await
    .map_err(|e| e.to_string())?;
    register(db, dataset_id, Some(&ctx.id), &dir, &report).map_err(|e| {
        let _ = std::fs::remove_dir_all(&dir);
        format!("could not register dataset: {e}")
    })?;
    Ok(json!({"dataset_id": dataset_id, "records": report.size, "llm_acceptance_rate": report.llm.acceptance_rate,
              "records_per_minute": report.records_per_minute}))
}

/// Runs training on a blocking thread, reporting progress into `[from, 1]` of the job.
async fn train_in_job(ctx: JobCtx, state: &AppState, dataset_id: String, cfg: TrainConfig, from: f64) -> Result<Value, String> {
    let trainer = state.trainer.clone();
    tokio::task::spawn_blocking(move || {
        let c = ctx.clone();
        trainer.train_challenger(&dataset_id, &cfg, &ctx.cancel, move |p: TrainProgress| {
            let frac = from + (1.0 - from) * p.step as f64 / p.total_steps.max(1) as f64;
            let val = p.val_metrics.as_ref().map(|m| format!(", val F1 {:.3}", m.binary.f1)).unwrap_or_default();
            c.progress(
                frac.min(0.99),
                &format!("epoch {} step {}/{} loss {:.4} ({:.1} ex/s){val}", p.epoch, p.step, p.total_steps, p.loss, p.examples_per_sec),
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
    })
}

/// `POST /train`.
pub fn submit_training(state: &actix_web::web::Data<AppState>, dataset_id: String, cfg: TrainConfig) -> Result<String, ApiError> {
    let params = json!({"dataset_id": dataset_id, "config": cfg});
    let st = state.clone();
    state.jobs.submit("train", params, move |ctx| async move { train_in_job(ctx, &st, dataset_id, cfg, 0.0).await })
}

/// `POST /retrain`, `--retrain-every` and the bootstrap: a fresh dataset from the default corpus, then a
/// challenger trained, evaluated and promoted or rejected.
pub fn submit_retrain(state: &actix_web::web::Data<AppState>, kind: &str, size: usize, seed: u64) -> Result<String, ApiError> {
    let dataset_id = new_dataset_id();
    let params = json!({"dataset_id": dataset_id, "size": size, "seed": seed, "posts": state.default_posts});
    let st = state.clone();
    state.jobs.submit(kind, params, move |ctx| async move {
        let posts = load_posts(&st.default_posts).map_err(|e| e.to_string())?;
        let mut spec = BuildSpec::new(size, seed);
        spec.positive_ratio = 0.5;
        spec.exclude = st.trainer.promotion.roots.clone();
        spec.vetter = st.service.vetter();
        let llm: Arc<Llm> = st.llm.clone();
        let ds = build_dataset(&ctx, Some(&llm), &posts, &spec, &st.data_dir, &st.db, &dataset_id, 0.5).await?;
        // 128-token windows train ~3.5x faster than 256 on CPU (classifier benchmarks) at the same accuracy on
        // blog-length records; lr and batch as in the promotion test, which beat a weak champion reliably.
        let cfg = TrainConfig { max_len: 128, stride: 32, lr: 1e-4, batch_size: 8, seed, ..TrainConfig::default() };
        let trained = train_in_job(ctx, &st, dataset_id, cfg, 0.5).await?;
        Ok(json!({"dataset": ds, "training": trained}))
    })
}
