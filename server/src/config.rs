//! Command line and environment configuration: one clap struct, every flag also readable from `BLOGBOT_*`.

use blogbot_generator::DeviceSpec;
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// blogbot: generate labelled PII data with an in-process LLM, train a BERT detector, serve it over HTTP.
#[derive(Debug, Parser)]
#[command(name = "blogbot-server", version, about)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by the server and every CLI command.
#[derive(Debug, Clone, ClapArgs)]
pub struct Common {
    /// Folder with `MANIFEST`, `llm/` and `encoder/` (filled by scripts/fetch-weights.sh).
    #[arg(long, env = "BLOGBOT_WEIGHTS", default_value = "weights", global = true)]
    pub weights: PathBuf,
    /// GGUF file of the instruct LLM, relative to `<weights>/llm/` or absolute.
    #[arg(long, env = "BLOGBOT_LLM", default_value = "SmolLM2-135M-Instruct.Q8_0.gguf", global = true)]
    pub llm: PathBuf,
    /// Where everything the server writes lives: the SQLite database, datasets, models.
    #[arg(long, env = "BLOGBOT_DATA_DIR", default_value = "state", global = true)]
    pub data_dir: PathBuf,
    /// `cpu`, `cuda` or `cuda:N` (CUDA needs a build with `--features cuda`).
    #[arg(long, env = "BLOGBOT_DEVICE", default_value = "cpu", global = true)]
    pub device: DeviceSpec,
    /// Compute threads for model work (0 = one per core).
    #[arg(long, env = "BLOGBOT_THREADS", default_value_t = 0, global = true)]
    pub threads: usize,
    /// Post-process the classifier with the rule detector for the structured types (e-mail, phone, card, IBAN,
    /// IP, URL): a checksum- or syntax-valid rule span replaces the model spans it overlaps. On by default
    /// (README, "Against Presidio"); `--rules-union false` serves the model's own spans.
    #[arg(long, env = "BLOGBOT_RULES_UNION", global = true, default_value_t = true, action = clap::ArgAction::Set)]
    pub rules_union: bool,
    /// Label every mention of a name the classifier found in a text, not only the mentions the tagger caught
    /// (a first name repeated through a story). On by default (README, "Against Presidio");
    /// `--propagate-names false` serves the tagger's own PERSON spans.
    #[arg(long, env = "BLOGBOT_PROPAGATE_NAMES", global = true, default_value_t = true, action = clap::ArgAction::Set)]
    pub propagate_names: bool,
    /// Run the classifier's dense layers in int8 (x86-64 CPUs with AVX-512 VNNI or AVX2; ignored elsewhere)
    /// for serving and for the evaluation that decides promotion, so stored metrics describe what is served. On
    /// by default: on a trained model it gave the same test F1 as f32 and 1.7-2x its speed (README, "Classifier
    /// speed work"); `--int8 false` serves f32.
    #[arg(long, env = "BLOGBOT_INT8", global = true, default_value_t = true, action = clap::ArgAction::Set)]
    pub int8: bool,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "BLOGBOT_LOG_JSON", global = true)]
    pub log_json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default when no command is given).
    Serve(ServeArgs),
    /// Build a dataset from a folder, JSONL or CSV of posts, with a progress bar; same code path as POST /datasets.
    Generate(GenerateArgs),
    /// Train a challenger on a dataset of the data dir, evaluate it and promote it if it beats the champion.
    Train(TrainArgs),
    /// Evaluate a registered model (and the rule baseline) on a dataset's test split.
    Eval(EvalArgs),
    /// Predict on a JSONL file of `{"id","text"}` lines and write `{"id","violation","spans"}` lines (the format
    /// of the development set's score.py), with a registered model or the rule baseline.
    Predict(PredictArgs),
    /// Time the LLM on a fixed prompt: prefill and decode tokens/s (medians of several runs).
    BenchLlm(BenchLlmArgs),
    /// Score a registered model on a labelled set of real blog prose (`dev.jsonl`, the development set's format),
    /// print the report beside Presidio's, and store it with the model (`GET /models/{id}`, `metrics.dev_set`).
    DevEval(DevEvalArgs),
}

#[derive(Debug, Clone, ClapArgs)]
pub struct DevEvalArgs {
    /// Model id, or `champion`.
    #[arg(long, default_value = "champion")]
    pub model: String,
    /// Folder with `dev.jsonl` (and optionally `presidio-score.json`).
    #[arg(long, default_value = "../shared/dev-set")]
    pub dev_set: std::path::PathBuf,
    /// Also write the report (and the predictions, as `<out>.predictions.jsonl`) here.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct BenchLlmArgs {
    /// The user prompt, read from this file.
    #[arg(long, default_value = "bench/prompt.txt")]
    pub prompt: std::path::PathBuf,
    /// Tokens to generate per run (greedy, unconstrained).
    #[arg(long, default_value_t = 64)]
    pub max_tokens: usize,
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BLOGBOT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "BLOGBOT_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest text accepted by /generate and /classify, in characters.
    #[arg(long, env = "BLOGBOT_MAX_TEXT_CHARS", default_value_t = 20_000)]
    pub max_text_chars: usize,
    /// Do not start the bootstrap job (dataset + first champion) on a data dir without a champion.
    #[arg(long, env = "BLOGBOT_NO_BOOTSTRAP")]
    pub no_bootstrap: bool,
    /// Records in the datasets built by the bootstrap's second stage, `POST /retrain` and `--retrain-every`.
    #[arg(long, env = "BLOGBOT_RETRAIN_SIZE", default_value_t = 900)]
    pub retrain_size: usize,
    /// Share of those datasets' LLM-eligible records that the LLM writes (the rest take template sentences; most
    /// positives come from carrier frames either way): 0.35 of 900 records costs the LLM time 300 records at 1.0
    /// did.
    #[arg(long, env = "BLOGBOT_RETRAIN_LLM_SHARE", default_value_t = 0.35)]
    pub retrain_llm_share: f64,
    /// Records in the bootstrap's first dataset (carrier frames and templates, no LLM), which trains the first
    /// champion.
    #[arg(long, env = "BLOGBOT_FIRST_SIZE", default_value_t = 400)]
    pub first_size: usize,
    /// Optimizer steps that train the first champion (8 windows each; about 0.8 steps/s on 2 cores).
    #[arg(long, env = "BLOGBOT_FIRST_STEPS", default_value_t = 80)]
    pub first_steps: usize,
    /// Retrain on a schedule (e.g. `12h`, `14d`): fresh dataset, challenger, promotion if it wins.
    #[arg(long, env = "BLOGBOT_RETRAIN_EVERY", value_parser = humantime::parse_duration)]
    pub retrain_every: Option<std::time::Duration>,
    /// Largest drop of one type's span F1 on the promotion set (types with 20+ gold spans) a challenger may show
    /// against the champion and still be promoted.
    #[arg(long, env = "BLOGBOT_TYPE_F1_TOLERANCE", default_value_t = 0.02)]
    pub type_f1_tolerance: f64,
    /// API keys, one `<scope>:<key>` a line (scopes `classify`, `admin`). Without it only loopback callers are
    /// answered.
    #[arg(long, env = "BLOGBOT_API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,
    /// `/classify` requests admitted at once (running or queued for a batch); more get 429.
    #[arg(long, env = "BLOGBOT_MAX_CLASSIFY_QUEUE", default_value_t = 256)]
    pub max_classify_queue: usize,
    /// LLM requests (`/generate`, `/v1/chat/completions`) admitted at once; more get 429.
    #[arg(long, env = "BLOGBOT_MAX_LLM_QUEUE", default_value_t = 16)]
    pub max_llm_queue: usize,
    /// Background jobs (dataset builds, training) queued or running at once; more get 429.
    #[arg(long, env = "BLOGBOT_MAX_JOBS", default_value_t = 8)]
    pub max_jobs: usize,
    /// Time limit of one `/classify` request, queueing included (e.g. `30s`); past it: 503.
    #[arg(long, env = "BLOGBOT_CLASSIFY_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub classify_timeout: std::time::Duration,
    /// Time limit of one LLM request (e.g. `5m`); past it: 503.
    #[arg(long, env = "BLOGBOT_LLM_TIMEOUT", default_value = "300s", value_parser = humantime::parse_duration)]
    pub llm_timeout: std::time::Duration,
    /// Most tokens a `/v1/chat/completions` answer may ask for.
    #[arg(long, env = "BLOGBOT_MAX_COMPLETION_TOKENS", default_value_t = 1024)]
    pub max_completion_tokens: usize,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".parse().expect("valid address"),
            max_body_bytes: 2 * 1024 * 1024,
            max_text_chars: 20_000,
            no_bootstrap: false,
            retrain_size: 900,
            retrain_llm_share: 0.35,
            first_size: 400,
            first_steps: 80,
            retrain_every: None,
            type_f1_tolerance: 0.02,
            api_keys_file: None,
            max_classify_queue: 256,
            max_llm_queue: 16,
            max_jobs: 8,
            classify_timeout: std::time::Duration::from_secs(60),
            llm_timeout: std::time::Duration::from_secs(300),
            max_completion_tokens: 1024,
        }
    }
}

#[derive(Debug, Clone, ClapArgs)]
pub struct GenerateArgs {
    /// Folder of .txt/.md posts, a .jsonl file with a `text` field, or a .csv with a `text` column.
    #[arg(long, default_value = "data/sample-posts")]
    pub posts: PathBuf,
    /// Number of records.
    #[arg(long, default_value_t = 200)]
    pub size: usize,
    /// Share of records with personal data.
    #[arg(long, default_value_t = 0.5)]
    pub positive_ratio: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder to write train/validation/test JSONL and report.json into (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Records generated concurrently.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Use templates only, without loading the LLM.
    #[arg(long)]
    pub no_llm: bool,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct TrainArgs {
    /// Dataset id (see GET /datasets).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    #[arg(long, default_value_t = 5e-5)]
    pub lr: f64,
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 256)]
    pub max_len: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Share of the windows without personal data each epoch trains on, in (0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub span_free_keep: f64,
    #[arg(long, default_value_t = 0.02)]
    pub type_f1_tolerance: f64,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct EvalArgs {
    /// Model id, or `champion`.
    #[arg(long, default_value = "champion")]
    pub model: String,
    /// Dataset id.
    #[arg(long)]
    pub dataset: String,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct PredictArgs {
    /// Model id, `champion`, or `rules` for the rule-based baseline.
    #[arg(long, default_value = "champion")]
    pub model: String,
    /// JSONL input with `id` and `text` fields.
    #[arg(long)]
    pub input: std::path::PathBuf,
    /// JSONL output.
    #[arg(long)]
    pub out: std::path::PathBuf,
}
