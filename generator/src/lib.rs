//! blogbot's data generator: samples fake personal data, has an instruct LLM (mistral.rs, GGUF) write the
//! sentence that carries it, splices the sentence into real PII-free posts, and builds labelled datasets with
//! exact code-point spans. Knows nothing about HTTP: the server, the CLI and the tests all call it directly.

pub mod carriers;
pub mod corpus;
pub mod dataset;
pub mod decoy;
pub mod error;
pub mod inject;
pub mod llm;
pub mod pii;
pub mod templates;

pub use error::GeneratorError;
pub use llm::{DeviceSpec, Llm, LlmInfo};
