//! The generator's error type.

/// Everything that can go wrong while generating data.
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    /// The model file is missing, unreadable or of an unsupported architecture.
    #[error("model: {0}")]
    Model(String),
    /// mistral.rs failed while answering a request.
    #[error("LLM request failed: {0}")]
    Llm(String),
    /// The caller asked for something impossible (empty post, bad size, unknown file format...).
    #[error("{0}")]
    InvalidInput(String),
    /// Reading or writing a corpus or dataset file.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// A record failed its own span check (a bug, never stored).
    #[error("record failed validation: {0}")]
    Span(#[from] blogbot_common::SpanError),
    /// The job was cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl GeneratorError {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        GeneratorError::Io { path: path.as_ref().display().to_string(), source }
    }
}
