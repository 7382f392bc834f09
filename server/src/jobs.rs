//! Background jobs (dataset builds now; training later): recorded in the database, run one at a time on the
//! jobs runtime, cancellable, with throttled progress updates.

use crate::db::{Db, JobState};
use crate::error::ApiError;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// What a running job sees: its id, its cancel flag, and a way to report progress.
#[derive(Clone)]
pub struct JobCtx {
    pub id: String,
    db: Arc<Db>,
    pub cancel: Arc<AtomicBool>,
    last: Arc<Mutex<Instant>>,
}

impl JobCtx {
    /// Records progress in [0, 1]; written at most every 250 ms (and always at 100%).
    pub fn progress(&self, fraction: f64, message: &str) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if fraction < 1.0 && last.elapsed() < Duration::from_millis(250) {
            return;
        }
        *last = Instant::now();
        if let Err(e) = self.db.update_job(&self.id, JobState::Running, fraction.clamp(0.0, 1.0), message, None) {
            tracing::warn!(job = %self.id, error = %e, "could not record progress");
        }
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Submits, tracks and cancels jobs.
pub struct JobManager {
    db: Arc<Db>,
    runtime: tokio::runtime::Handle,
    /// One job at a time: two model-heavy jobs would only fight over the cores.
    slot: Arc<tokio::sync::Semaphore>,
    cancels: Arc<Mutex<HashMap<String, Arc<AtomicBool>>>>,
    /// Most jobs queued or running at once; more are refused with 429.
    max_jobs: usize,
}

impl JobManager {
    pub fn new(db: Arc<Db>, runtime: tokio::runtime::Handle, max_jobs: usize) -> Self {
        Self { db, runtime, slot: Arc::new(tokio::sync::Semaphore::new(1)), cancels: Default::default(), max_jobs }
    }

    /// Records a queued job and starts it when the slot is free. `work` returns the job's result JSON or an
    /// error message.
    pub fn submit<F, Fut>(&self, kind: &str, params: Value, work: F) -> Result<String, ApiError>
    where
        F: FnOnce(JobCtx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        let id = format!("job-{}", uuid::Uuid::new_v4().simple());
        let cancel = Arc::new(AtomicBool::new(false));
        {
            // Checked and recorded under one lock so two racing submits cannot both take the last place.
            let mut cancels = self.cancels.lock().unwrap_or_else(|p| p.into_inner());
            if cancels.len() >= self.max_jobs {
                return Err(ApiError::Busy {
                    message: format!("{} jobs are already queued or running (the limit); retry later", cancels.len()),
                    retry_after_s: 60,
                });
            }
            self.db.insert_job(&id, kind, &params)?;
            cancels.insert(id.clone(), cancel.clone());
        }
        let ctx = JobCtx { id: id.clone(), db: self.db.clone(), cancel, last: Arc::new(Mutex::new(Instant::now())) };
        let (db, slot, cancels) = (self.db.clone(), self.slot.clone(), self.cancels.clone());
        let span = tracing::info_span!("job", id = %id, kind = %kind);
        self.runtime.spawn(
            async move {
                let _permit = slot.acquire_owned().await;
                let finish = |state: JobState, progress: f64, msg: &str, result: Option<&Value>| {
                    if let Err(e) = db.update_job(&ctx.id, state, progress, msg, result) {
                        tracing::error!(error = %e, "could not record job state");
                    }
                };
                if ctx.cancelled() {
                    finish(JobState::Cancelled, 0.0, "cancelled before it started", None);
                } else {
                    finish(JobState::Running, 0.0, "started", None);
                    tracing::info!("job started");
                    let started = Instant::now();
                    let out = work(ctx.clone()).await;
                    let secs = started.elapsed().as_secs_f64();
                    match out {
                        Ok(result) => {
                            tracing::info!(secs, "job succeeded");
                            finish(JobState::Succeeded, 1.0, "done", Some(&result));
                        }
                        Err(_) if ctx.cancelled() => {
                            tracing::info!(secs, "job cancelled");
                            finish(JobState::Cancelled, 0.0, "cancelled", None);
                        }
                        Err(msg) => {
                            tracing::warn!(secs, error = %msg, "job failed");
                            finish(JobState::Failed, 0.0, &msg, None);
                        }
                    }
                }
                cancels.lock().unwrap_or_else(|p| p.into_inner()).remove(&ctx.id);
            }
            .instrument(span),
        );
        Ok(id)
    }

    /// Asks a queued or running job to stop. 404 for an unknown id, 409 for a finished job.
    pub fn cancel(&self, id: &str) -> Result<(), ApiError> {
        let job = self.db.job(id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
        if job.state.is_final() {
            return Err(ApiError::Conflict(format!("job `{id}` already {}", job.state.as_str())));
        }
        match self.cancels.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            Some(flag) => flag.store(true, Ordering::Relaxed),
            None => return Err(ApiError::Conflict(format!("job `{id}` is not running in this process"))),
        }
        Ok(())
    }

    /// Asks every queued or running job to stop (graceful shutdown); returns how many were asked.
    pub fn cancel_all(&self) -> usize {
        let cancels = self.cancels.lock().unwrap_or_else(|p| p.into_inner());
        for flag in cancels.values() {
            flag.store(true, Ordering::Relaxed);
        }
        cancels.len()
    }

    /// Jobs queued or running in this process.
    pub fn active(&self) -> usize {
        self.cancels.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
