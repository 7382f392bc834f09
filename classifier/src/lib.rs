//! blogbot-classifier: a small BERT (MiniLM) fine-tuned with candle to detect personal data in blog posts.
//!
//! Pipeline: [`tokenize`] cuts a text into overlapping windows with code-point offsets, [`model::PiiModel`]
//! (encoder from [`bert`] plus document, per-type and BIO-tagger heads) scores each window, and [`infer`]
//! merges the windows back into one [`Prediction`] per text, with spans in code points of the original text.
//! [`train`](mod@train) fine-tunes (losses in [`loss`], optimizer in [`optim`], checkpoints in [`checkpoint`]) and
//! [`eval`] reports metrics with the rule baseline next to the model.
//!
//! # Figures (2026-11-25, 2-core dev VM, CPU)
//!
//! - Throughput (`examples/speed.rs`): training 4.5-4.9 windows/s at 16 x 128 tokens and 1.5-2.2 at 16 x 256;
//!   inference 15-17 sequences/s at 32 x 128.
//! - A 482-record template-only data set (`blogbot-server generate --no-llm --size 600 --seed 11`), default
//!   hyper-parameters (3 epochs, 23 min): document F1 0.985 validation / 0.981 test (rule baseline 0.881 /
//!   0.980); typed-overlap span F1 0.42 / 0.52 (baseline 0.86 / 0.92). The tagger finds the entities (untyped
//!   overlap F1 0.96 / 0.92) but three epochs on ~36 spans per type do not teach it the types.
//! - Rule union ([`infer::Classifier::with_rules_union`]) on that model: document metrics unchanged; typed-overlap
//!   span F1 0.42 -> 0.66 (validation) and 0.52 -> 0.73 (test), exact typed 0.13 -> 0.47 and 0.20 -> 0.61. It stays
//!   off by default: template data is where rules are strongest, so this is an upper bound on its benefit.
//!
//! The crate knows nothing about HTTP; the server calls it from worker threads. Everything runs on
//! [`candle_core::Device::Cpu`] unless built with the `cuda` feature (see [`bert::default_device`]).

pub mod alloc;
pub mod batch;
pub mod bert;
pub mod checkpoint;
pub mod error;
pub mod eval;
pub mod fused;
pub mod infer;
pub mod int8;
pub mod loss;
pub mod model;
pub mod names;
pub mod optim;
pub mod shape;
pub mod tags;
pub mod tokenize;
pub mod train;

pub use alloc::tune_allocator;
pub use bert::default_device;
pub use error::{Error, Result};
pub use eval::{evaluate, EvalReport, Metrics};
pub use infer::{Classifier, Prediction, Scored};
pub use model::{ModelConfig, PiiModel};
pub use tags::PredSpan;
pub use tokenize::PiiTokenizer;
pub use train::{train, TrainConfig, TrainInput, TrainOutcome, TrainProgress};
