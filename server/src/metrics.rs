//! Prometheus metrics: request counts and latencies per route, classifier batches and queue, admission gates,
//! LLM tokens, job states and the model in service. `GET /metrics` renders them in the text format.

use crate::state::AppState;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The serving thread's own figures; registered by [`Metrics::new`].
#[derive(Clone)]
pub struct ServingStats {
    /// Texts waiting for a batch.
    pub queue_depth: IntGauge,
    /// Texts per forward batch.
    pub batch_texts: Histogram,
    /// Requests merged into one batch.
    pub batch_requests: Histogram,
}

impl Default for ServingStats {
    fn default() -> Self {
        let sizes = vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
        Self {
            queue_depth: IntGauge::new("blogbot_classify_queue_depth", "Texts waiting for a classifier batch").expect("metric"),
            batch_texts: Histogram::with_opts(
                HistogramOpts::new("blogbot_classify_batch_texts", "Texts per classifier forward batch").buckets(sizes.clone()),
            )
            .expect("metric"),
            batch_requests: Histogram::with_opts(
                HistogramOpts::new("blogbot_classify_batch_requests", "Requests merged into one classifier batch").buckets(sizes),
            )
            .expect("metric"),
        }
    }
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    gate_in_use: IntGaugeVec,
    jobs: IntGaugeVec,
    model_version: IntGauge,
    model_info: IntGaugeVec,
    llm_requests: IntGauge,
    llm_tokens: IntGaugeVec,
    llm_tok_per_sec: prometheus::GaugeVec,
}

impl Metrics {
    pub fn new(serving: &ServingStats) -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("blogbot_http_requests_total", "HTTP requests by route pattern, method and status"),
            &["route", "method", "status"],
        )
        .expect("metric");
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("blogbot_http_request_duration_seconds", "HTTP request latency by route pattern and method")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            &["route", "method"],
        )
        .expect("metric");
        let gate_in_use =
            IntGaugeVec::new(Opts::new("blogbot_admitted_requests", "Requests admitted per workload queue"), &["queue"])
                .expect("metric");
        let jobs = IntGaugeVec::new(Opts::new("blogbot_jobs", "Jobs in the database by state"), &["state"]).expect("metric");
        let model_version =
            IntGauge::new("blogbot_model_version", "Version of the classifier in service (0 = none)").expect("metric");
        let model_info =
            IntGaugeVec::new(Opts::new("blogbot_model_info", "The classifier in service (value 1)"), &["id", "dataset_id"])
                .expect("metric");
        let llm_requests = IntGauge::new("blogbot_llm_requests_total", "LLM completions since start").expect("metric");
        let llm_tokens =
            IntGaugeVec::new(Opts::new("blogbot_llm_tokens_total", "LLM tokens since start by phase"), &["phase"])
                .expect("metric");
        let llm_tok_per_sec = prometheus::GaugeVec::new(
            Opts::new("blogbot_llm_tokens_per_second", "LLM tokens/s of the most recent completion by phase"),
            &["phase"],
        )
        .expect("metric");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_seconds.clone()),
            Box::new(gate_in_use.clone()),
            Box::new(jobs.clone()),
            Box::new(model_version.clone()),
            Box::new(model_info.clone()),
            Box::new(llm_requests.clone()),
            Box::new(llm_tokens.clone()),
            Box::new(llm_tok_per_sec.clone()),
            Box::new(serving.queue_depth.clone()),
            Box::new(serving.batch_texts.clone()),
            Box::new(serving.batch_requests.clone()),
        ] {
            registry.register(c).expect("unique metric names");
        }
        Self {
            registry,
            http_requests,
            http_seconds,
            gate_in_use,
            jobs,
            model_version,
            model_info,
            llm_requests,
            llm_tokens,
            llm_tok_per_sec,
        }
    }

    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.http_seconds.with_label_values(&[route, method]).observe(seconds);
    }

    /// Reads the figures kept elsewhere (gates, jobs, model, LLM) and renders everything.
    pub fn render(&self, state: &AppState) -> String {
        for gate in [&state.admission.classify, &state.admission.llm] {
            self.gate_in_use.with_label_values(&[gate.name()]).set(gate.in_use() as i64);
        }
        if let Ok(counts) = state.db.job_counts() {
            for s in ["queued", "running", "succeeded", "failed", "cancelled"] {
                let n = counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
                self.jobs.with_label_values(&[s]).set(n);
            }
        }
        self.model_info.reset();
        match state.service.current() {
            Some(m) => {
                self.model_version.set(m.version);
                self.model_info.with_label_values(&[&m.id, &m.dataset_id]).set(1);
            }
            None => self.model_version.set(0),
        }
        let s = state.llm.stats();
        self.llm_requests.set(s.requests as i64);
        self.llm_tokens.with_label_values(&["prompt"]).set(s.prompt_tokens as i64);
        self.llm_tokens.with_label_values(&["completion"]).set(s.completion_tokens as i64);
        self.llm_tok_per_sec.with_label_values(&["prefill"]).set(s.last_prefill_tok_per_sec);
        self.llm_tok_per_sec.with_label_values(&["decode"]).set(s.last_decode_tok_per_sec);
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "rendering metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
