//! Start-up and the HTTP server: verify weights, load models, open state, serve until SIGTERM/SIGINT.

use crate::config::{Common, ServeArgs};
use crate::db::Db;
use crate::error::{json_error, path_error};
use crate::auth::ApiKeys;
use crate::jobs::JobManager;
use crate::limits::{Admission, Gate};
use crate::metrics::{Metrics, ServingStats};
use crate::serving::ClassifierService;
use crate::state::{AppState, Limits};
use crate::training::Trainer;
use crate::weights::{Manifest, VerifiedFile};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use blogbot_generator::Llm;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The embedded corpus (relative to the working directory): dataset builds without `posts`, retraining, the
/// bootstrap and the promotion set's held-out posts.
pub const DEFAULT_POSTS: &str = "data/sample-posts";

/// Resolves and verifies the LLM file named by `--llm` (relative to `<weights>/llm/`).
pub fn verify_llm(common: &Common) -> anyhow::Result<VerifiedFile> {
    let manifest = Manifest::load(&common.weights)?;
    let rel = if common.llm.is_absolute() { common.llm.clone() } else { PathBuf::from("llm").join(&common.llm) };
    Ok(manifest.verify(&rel)?)
}

/// Loads the LLM after verifying it.
pub async fn load_llm(common: &Common) -> anyhow::Result<(Arc<Llm>, VerifiedFile)> {
    let file = verify_llm(common)?;
    let llm = Llm::load(&file.path, file.sha256.clone(), common.device).await?;
    Ok((Arc::new(llm), file))
}

/// Opens the data dir and the database, fails interrupted jobs and removes half-written datasets.
pub fn open_state(data_dir: &std::path::Path) -> anyhow::Result<Arc<Db>> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let db = Arc::new(Db::open(&data_dir.join("blogbot.sqlite")).context("opening the database")?);
    let failed = db.fail_interrupted_jobs()?;
    if failed > 0 {
        tracing::warn!(failed, "jobs interrupted by the last shutdown were marked failed");
    }
    for p in crate::datasets::clean_up(data_dir, &db) {
        tracing::warn!(path = %p.display(), "removed an incomplete dataset");
    }
    for p in crate::datasets::clean_up_models(data_dir, &db) {
        tracing::warn!(path = %p.display(), "removed an incomplete model or an unfinished run's checkpoints");
    }
    Ok(db)
}

/// Runs the server until a shutdown signal.
pub async fn serve(common: Common, args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.retrain_llm_share),
        "--retrain-llm-share must be between 0 and 1, got {}",
        args.retrain_llm_share
    );
    anyhow::ensure!(args.first_size >= 20, "--first-size must be at least 20 records, got {}", args.first_size);
    anyhow::ensure!(args.first_steps >= 1, "--first-steps must be at least 1");
    anyhow::ensure!(args.retrain_size >= 20, "--retrain-size must be at least 20 records, got {}", args.retrain_size);
    let api_keys = match &args.api_keys_file {
        Some(p) => {
            let k = ApiKeys::load(p)?;
            tracing::info!(keys = k.len(), "API keys loaded");
            Some(Arc::new(k))
        }
        None if !args.bind.ip().is_loopback() => {
            tracing::warn!(
                bind = %args.bind,
                "NO API KEYS: bound to a non-loopback address without --api-keys-file; every route but /health and \
                 /ready refuses non-loopback callers (403). Give --api-keys-file to serve other hosts."
            );
            None
        }
        None => None,
    };
    let db = open_state(&common.data_dir)?;
    let (llm, llm_file) = load_llm(&common).await?;

    // Jobs get their own runtime thread so a long build never sits on an HTTP worker.
    let jobs_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("blogbot-jobs")
        .enable_all()
        .build()
        .context("starting the jobs runtime")?;
    let device = match common.device {
        blogbot_generator::DeviceSpec::Cpu => candle_core::Device::Cpu,
        blogbot_generator::DeviceSpec::Cuda(n) => candle_core::Device::new_cuda(n).context("opening the CUDA device")?,
    };
    let encoder_dir = common.weights.join("encoder");
    let manifest = Manifest::load(&common.weights)?;
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        manifest.verify(&PathBuf::from("encoder").join(f))?;
    }
    let serving_stats = ServingStats::default();
    let metrics = Arc::new(Metrics::new(&serving_stats));
    let service = ClassifierService::start(serving_stats);
    let trainer = Trainer {
        db: db.clone(),
        data_dir: common.data_dir.clone(),
        encoder_dir,
        device,
        service: service.clone(),
        type_f1_tolerance: args.type_f1_tolerance,
        rules_union: common.rules_union,
        propagate_names: common.propagate_names,
        int8: common.int8,
        promotion: Arc::new(
            crate::promotion::load_or_build(&common.data_dir, Path::new(DEFAULT_POSTS)).map_err(anyhow::Error::msg)?,
        ),
    };
    match trainer.serve_champion() {
        Ok(Some(m)) => tracing::info!(model = %m.id, version = m.version, "champion in service"),
        Ok(None) => tracing::info!("no champion yet"),
        Err(e) => anyhow::bail!("the champion could not be loaded: {e}"),
    }
    let state = web::Data::new(AppState {
        llm,
        llm_file,
        db: db.clone(),
        jobs: JobManager::new(db.clone(), jobs_rt.handle().clone(), args.max_jobs),
        data_dir: common.data_dir.clone(),
        default_posts: PathBuf::from(DEFAULT_POSTS),
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_text_chars: args.max_text_chars,
            max_generate_n: 8,
            max_inline_posts: 10_000,
            max_completion_tokens: args.max_completion_tokens,
            classify_timeout: args.classify_timeout,
            llm_timeout: args.llm_timeout,
        },
        admission: Admission {
            classify: Gate::new("classify", args.max_classify_queue, 1),
            llm: Gate::new("llm", args.max_llm_queue, 5),
        },
        api_keys,
        metrics,
        started,
        service: service.clone(),
        trainer,
        retrain_size: args.retrain_size,
        retrain_llm_share: args.retrain_llm_share,
        first_size: args.first_size,
        first_steps: args.first_steps,
        bootstrap_job: std::sync::Mutex::new(None),
    });
    if service.current().is_none() && !args.no_bootstrap {
        let id = crate::jobs_kinds::submit_bootstrap(&state)
            .map_err(|e| anyhow::anyhow!("starting the bootstrap job: {e}"))?;
        tracing::info!(
            job = %id,
            first_size = args.first_size,
            size = args.retrain_size,
            "no champion: bootstrap job started (first champion without the LLM, then an LLM dataset and a challenger)"
        );
        *state.bootstrap_job.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }
    if let Some(every) = args.retrain_every {
        let st = state.clone();
        jobs_rt.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match crate::jobs_kinds::submit_retrain(&st, "retrain", st.retrain_size, rand::random()) {
                    Ok(id) => tracing::info!(job = %id, "scheduled retraining started"),
                    Err(e) => tracing::error!(error = %e, "scheduled retraining could not start"),
                }
            }
        });
    }
    let limit = args.max_body_bytes;
    let jobs_handle = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::JsonConfig::default().limit(limit).error_handler(json_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(from_fn(crate::middleware::authenticate))
            .wrap(from_fn(crate::middleware::observe))
            .configure(crate::routes::configure)
            .default_service(web::to(crate::routes::not_found))
    })
    .workers(2)
    .shutdown_timeout(30)
    .bind(args.bind)
    .with_context(|| format!("binding {}", args.bind))?;
    tracing::info!(bind = %args.bind, ready_ms = started.elapsed().as_millis() as u64, "listening");
    server.run().await?;
    // In-flight requests have finished (actix drains them for up to 30 s). Ask running jobs to stop at their next
    // step, so training keeps its last epoch checkpoint and the job is recorded as cancelled, not cut off.
    let asked = jobs_handle.jobs.cancel_all();
    if asked > 0 {
        let t = std::time::Instant::now();
        while jobs_handle.jobs.active() > 0 && t.elapsed() < std::time::Duration::from_secs(20) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tracing::info!(asked, still_running = jobs_handle.jobs.active(), "jobs asked to stop for shutdown");
    }
    // Jobs still running are stopped with the process; record that instead of leaving them "running".
    let stopped = db.fail_interrupted_jobs().unwrap_or(0);
    tracing::info!(stopped_jobs = stopped, "shut down");
    // Dropping a runtime blocks, which tokio forbids inside this async context.
    jobs_rt.shutdown_background();
    Ok(())
}
