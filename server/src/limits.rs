//! Request limits and back-pressure: sizes every route checks, and bounded admission per workload. A request
//! that finds its workload's queue full gets 429 with `Retry-After` at once instead of waiting without bound;
//! one that runs past its time limit gets 503.

use crate::error::ApiError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Request limits (see the README's configuration table).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_text_chars: usize,
    /// Most results one /generate call may ask for.
    pub max_generate_n: usize,
    /// Most inline posts one dataset request may carry.
    pub max_inline_posts: usize,
    /// Most tokens one /v1/chat/completions answer may ask for.
    pub max_completion_tokens: usize,
    pub classify_timeout: Duration,
    pub llm_timeout: Duration,
}

/// A bounded queue for one workload: at most `capacity` requests admitted (running or waiting) at once.
#[derive(Debug, Clone)]
pub struct Gate {
    name: &'static str,
    capacity: usize,
    slots: Arc<Semaphore>,
    retry_after_s: u64,
}

impl Gate {
    pub fn new(name: &'static str, capacity: usize, retry_after_s: u64) -> Self {
        Self { name, capacity, slots: Arc::new(Semaphore::new(capacity.max(1))), retry_after_s }
    }

    /// A slot, or 429 when all are taken.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.slots.clone().try_acquire_owned().map_err(|_| ApiError::Busy {
            message: format!("the {} queue is full ({} requests); retry later", self.name, self.capacity),
            retry_after_s: self.retry_after_s,
        })
    }

    /// Requests admitted now.
    pub fn in_use(&self) -> usize {
        self.capacity.max(1) - self.slots.available_permits()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// The gates of the server's workloads.
#[derive(Debug, Clone)]
pub struct Admission {
    /// `/classify` requests queued for or inside a batch.
    pub classify: Gate,
    /// LLM requests: `/generate` and `/v1/chat/completions`.
    pub llm: Gate,
}

/// Runs `fut` within `limit`, or fails with 503 `timeout`.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(ApiError::TimedOut(format!("{what} took longer than its limit of {} s", limit.as_secs_f64()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_gate_answers_busy_and_frees_on_drop() {
        let g = Gate::new("classify", 2, 1);
        let a = g.admit().unwrap();
        let _b = g.admit().unwrap();
        assert_eq!(g.in_use(), 2);
        let e = g.admit().unwrap_err();
        assert_eq!(e.code(), "busy");
        drop(a);
        assert!(g.admit().is_ok());
    }

    #[tokio::test]
    async fn within_times_out() {
        let r: Result<(), ApiError> = within(Duration::from_millis(10), "test", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        })
        .await;
        assert_eq!(r.unwrap_err().code(), "timeout");
    }
}
