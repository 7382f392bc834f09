//! Types shared by every blogbot crate: the PII label set, character spans with code-point offsets, dataset
//! records, and the rule-based detectors used to vet source posts and as the classifier's baseline.

pub mod checksum;
pub mod labels;
pub mod record;
pub mod rules;
pub mod text;

pub use labels::{PiiType, UnknownType};
pub use record::{GeneratorInfo, Method, Record, Span, SpanError};
