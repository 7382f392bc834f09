//! The classifier's serving loop: one thread owns model execution; requests arrive over a channel and are
//! batched (up to a character budget, padded per batch inside the classifier) so concurrent /classify calls
//! share forward passes. The champion can be swapped atomically between batches.

use crate::metrics::ServingStats;
use blogbot_classifier::{Classifier, Prediction};
use serde::Serialize;
use serde_json::Value;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::oneshot;

/// What answers say about the model that produced them.
#[derive(Debug, Clone, Serialize)]
pub struct ModelMeta {
    pub id: String,
    pub version: i64,
    pub created_at: String,
    pub dataset_id: String,
    /// Headline test metrics: binary F1/precision/recall, span F1, threshold.
    pub metrics: Value,
    /// Arithmetic of the encoder's dense layers as served: `int8` or `f32` (see `--int8`).
    pub precision: &'static str,
}

/// A model in service.
pub struct Served {
    pub classifier: Arc<Classifier>,
    pub meta: ModelMeta,
}

struct Request {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<(Vec<Prediction>, ModelMeta), String>>,
}

/// Handle to the serving thread; cheap to clone.
#[derive(Clone)]
pub struct ClassifierService {
    tx: Sender<Request>,
    current: Arc<RwLock<Option<Arc<Served>>>>,
    stats: ServingStats,
}

/// Most characters one batch may hold (a token budget by proxy: ~4 characters per token).
const BATCH_CHAR_BUDGET: usize = 64 * 1024;

impl ClassifierService {
    pub fn start(stats: ServingStats) -> Self {
        let (tx, rx) = mpsc::channel::<Request>();
        let current: Arc<RwLock<Option<Arc<Served>>>> = Arc::new(RwLock::new(None));
        let (cur, st) = (current.clone(), stats.clone());
        std::thread::Builder::new()
            .name("blogbot-classify".into())
            .spawn(move || run(rx, cur, st))
            .expect("spawn the classifier thread");
        Self { tx, current, stats }
    }

    /// Puts `served` in service; requests already batched finish on the previous model.
    pub fn swap(&self, served: Served) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(served));
    }

    /// The champion as a second opinion for vetting source posts (see `BuildSpec::vetter`): the span types of
    /// its violations. `None` while there is no champion.
    pub fn vetter(&self) -> Option<blogbot_generator::dataset::Vetter> {
        let served = self.current.read().unwrap_or_else(|p| p.into_inner()).clone()?;
        Some(blogbot_generator::dataset::Vetter(Arc::new(move |text: &str| {
            match served.classifier.classify(&[text]) {
                Ok(p) => p.into_iter().filter(|p| p.violation).flat_map(|p| p.spans.into_iter().map(|s| s.ty)).collect(),
                Err(e) => {
                    tracing::warn!("vetting with the champion failed: {e}");
                    Vec::new()
                }
            }
        })))
    }

    pub fn current(&self) -> Option<ModelMeta> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| s.meta.clone())
    }

    /// Classifies `texts` on the model in service.
    pub async fn classify(&self, texts: Vec<String>) -> Result<(Vec<Prediction>, ModelMeta), String> {
        let (reply, rx) = oneshot::channel();
        self.stats.queue_depth.add(texts.len() as i64);
        self.tx.send(Request { texts, reply }).map_err(|_| "the classifier thread stopped".to_string())?;
        rx.await.map_err(|_| "the classifier thread dropped the request".to_string())?
    }
}

fn run(rx: Receiver<Request>, current: Arc<RwLock<Option<Arc<Served>>>>, stats: ServingStats) {
    let mut pending: Option<Request> = None;
    loop {
        let first = match pending.take() {
            Some(r) => r,
            None => match rx.recv() {
                Ok(r) => r,
                Err(_) => return,
            },
        };
        let mut batch = vec![first];
        let mut chars: usize = batch[0].texts.iter().map(String::len).sum();
        // Take whatever else is already queued, up to the budget; a caller that went away is skipped.
        loop {
            match rx.recv_timeout(Duration::from_millis(2)) {
                Ok(r) if r.reply.is_closed() => {
                    stats.queue_depth.sub(r.texts.len() as i64);
                    continue;
                }
                Ok(r) => {
                    let n: usize = r.texts.iter().map(String::len).sum();
                    if chars + n > BATCH_CHAR_BUDGET {
                        pending = Some(r);
                        break;
                    }
                    chars += n;
                    batch.push(r);
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        stats.queue_depth.sub(batch.iter().map(|r| r.texts.len() as i64).sum());
        batch.retain(|r| !r.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let served = current.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(served) = served else {
            for r in batch {
                let _ = r.reply.send(Err("no model in service".into()));
            }
            continue;
        };
        let texts: Vec<&str> = batch.iter().flat_map(|r| r.texts.iter().map(String::as_str)).collect();
        stats.batch_texts.observe(texts.len() as f64);
        stats.batch_requests.observe(batch.len() as f64);
        let span = tracing::debug_span!("classify_batch", requests = batch.len(), texts = texts.len(), chars);
        let _g = span.enter();
        match served.classifier.classify(&texts) {
            Ok(mut preds) => {
                for r in batch {
                    let rest = preds.split_off(r.texts.len());
                    let _ = r.reply.send(Ok((preds, served.meta.clone())));
                    preds = rest;
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for r in batch {
                    let _ = r.reply.send(Err(msg.clone()));
                }
            }
        }
    }
}
