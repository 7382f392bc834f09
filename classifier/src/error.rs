//! The crate's one error type. Callers (the server, the CLI) convert it once at their edge; inside the crate
//! every fallible function returns [`Result`].

use std::path::PathBuf;

/// Everything that can go wrong while loading, training, evaluating or running the classifier.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tensor operation failed (shape mismatch, device error, out of memory, ...).
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// The tokenizer file could not be read or a text could not be encoded.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// A file could not be read or written.
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON config (encoder config, model config, checkpoint state) is malformed.
    #[error("invalid JSON in {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A checkpoint lacks a tensor the model needs (for example a truncated download).
    #[error("checkpoint {path} has no tensor `{name}` (also tried the `bert.` prefix and gamma/beta names)")]
    MissingTensor { path: PathBuf, name: String },
    /// A hyper-parameter or argument is out of range; the message says which and why.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Training was stopped through the cancel flag.
    #[error("training cancelled")]
    Cancelled,
    /// A loss or gradient became NaN or infinite, usually a learning rate far too high.
    #[error("training diverged at step {step}: loss is {loss}")]
    Diverged { step: usize, loss: f32 },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the path it concerns, because a bare `No such file or directory` is useless.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Wraps a JSON error with the file it came from.
    pub fn json(path: impl Into<PathBuf>, source: serde_json::Error) -> Self {
        Error::Json { path: path.into(), source }
    }
}

impl From<tokenizers::Error> for Error {
    fn from(e: tokenizers::Error) -> Self {
        Error::Tokenizer(e.to_string())
    }
}
