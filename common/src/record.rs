//! Dataset records and spans: the unit the generator writes, the classifier trains on and the API returns.

use crate::labels::PiiType;
use crate::text::slice_chars;
use serde::{Deserialize, Serialize};

/// One piece of personal data in a text. `start`/`end` are code-point offsets, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub ty: PiiType,
    pub value: String,
}

/// How a record's text was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The LLM wrote the sentence that carries the values, under a grammar constraint.
    Llm,
    /// The LLM failed validation too often; a template sentence carries the values.
    Template,
    /// A vetted source post used unchanged as a negative.
    Source,
    /// Carrier frames (narrative, dialogue, lists, contact blocks, signatures...) filled with sampled values or
    /// with look-alikes that are not personal data, placed anywhere in the post.
    Carrier,
}

/// Which generator made a record, so a dataset can be reproduced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    pub model_id: String,
    pub seed: u64,
}

/// A labelled example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub source_id: String,
    pub text: String,
    /// 1 exactly when `spans` is not empty.
    pub label: u8,
    pub spans: Vec<Span>,
    pub method: Method,
    pub generator: GeneratorInfo,
}

/// Why a record failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    #[error("span {start}..{end} is out of range for a text of {len} characters")]
    OutOfRange { start: usize, end: usize, len: usize },
    #[error("span {start}..{end} slices to {found:?}, not its value {value:?}")]
    Mismatch { start: usize, end: usize, value: String, found: String },
    #[error("spans {0} and {1} overlap")]
    Overlap(usize, usize),
    #[error("label {label} disagrees with {spans} span(s)")]
    Label { label: u8, spans: usize },
    #[error("empty span at {0}")]
    Empty(usize),
}

impl Record {
    /// Checks the record's invariants: every span slices to its value, spans are sorted and disjoint, and the
    /// label agrees with the spans. Run before a record is stored.
    pub fn validate(&self) -> Result<(), SpanError> {
        validate_spans(&self.text, &self.spans)?;
        if (self.label == 1) != !self.spans.is_empty() || self.label > 1 {
            return Err(SpanError::Label { label: self.label, spans: self.spans.len() });
        }
        Ok(())
    }
}

/// Checks that `spans` are sorted, non-empty, disjoint and slice `text` to their values.
pub fn validate_spans(text: &str, spans: &[Span]) -> Result<(), SpanError> {
    let len = text.chars().count();
    for (i, s) in spans.iter().enumerate() {
        if s.start >= s.end {
            return Err(SpanError::Empty(s.start));
        }
        let found = slice_chars(text, s.start, s.end)
            .ok_or(SpanError::OutOfRange { start: s.start, end: s.end, len })?;
        if found != s.value {
            return Err(SpanError::Mismatch {
                start: s.start,
                end: s.end,
                value: s.value.clone(),
                found: found.to_string(),
            });
        }
        if i > 0 && spans[i - 1].end > s.start {
            return Err(SpanError::Overlap(i - 1, i));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(text: &str, spans: Vec<Span>) -> Record {
        Record {
            id: "r".into(),
            source_id: "s".into(),
            text: text.into(),
            label: u8::from(!spans.is_empty()),
            spans,
            method: Method::Template,
            generator: GeneratorInfo { model_id: "m".into(), seed: 1 },
        }
    }

    #[test]
    fn validation_catches_bad_spans() {
        let t = "Écrivez à zoë@exemple.fr 🙂";
        let good = Span { start: 10, end: 24, ty: PiiType::Email, value: "zoë@exemple.fr".into() };
        assert!(rec(t, vec![good.clone()]).validate().is_ok());
        let shifted = Span { start: 11, end: 25, ..good.clone() };
        assert!(matches!(rec(t, vec![shifted]).validate(), Err(SpanError::Mismatch { .. })));
        let out = Span { start: 20, end: 40, ..good.clone() };
        assert!(matches!(rec(t, vec![out]).validate(), Err(SpanError::OutOfRange { .. })));
        let mut r = rec(t, vec![good.clone()]);
        r.label = 0;
        assert!(matches!(r.validate(), Err(SpanError::Label { .. })));
        assert!(matches!(rec(t, vec![good.clone(), good]).validate(), Err(SpanError::Overlap(0, 1))));
    }
}
