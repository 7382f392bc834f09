//! blogbot-classifier: a small BERT (MiniLM) fine-tuned with candle to detect personal data in blog posts.
//!
//! Pipeline: [`tokenize`] cuts a text into overlapping windows with code-point offsets, [`model::PiiModel`]
//! (encoder from [`bert`] plus document, per-type and BIO-tagger heads) scores each window, and [`infer`]
//! merges the windows back into one [`Prediction`] per text, with spans in code points of the original text.
//! [`train`] fine-tunes (losses in [`loss`], optimizer in [`optim`], checkpoints in [`checkpoint`]) and
//! [`eval`] reports metrics with the rule baseline next to the model.
//!
//! The crate knows nothing about HTTP; the server calls it from worker threads. Everything runs on
//! [`candle_core::Device::Cpu`] unless built with the `cuda` feature (see [`bert::default_device`]).

pub mod alloc;
pub mod batch;
pub mod bert;
pub mod checkpoint;
pub mod error;
pub mod eval;
pub mod infer;
pub mod loss;
pub mod model;
pub mod optim;
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
