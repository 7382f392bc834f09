//! Inference: texts in, one [`Prediction`] per text out.
//!
//! Each text is cut into windows ([`crate::tokenize::windows`]); all windows of a call are sorted by length and
//! run in batches padded to their own longest window, so a call mixing tweets and long posts pads little.
//! Window results are merged back per text: the document and type scores take the maximum over windows (PII in
//! any window makes the text a violation), and each token takes its tag from the window where it is most
//! central. Tags are decoded into spans in code points of the original text.

use crate::int8::QuantLinear;
use crate::batch::{pad_inputs, pad_shapes};
use crate::error::{Error, Result};
use crate::names::propagate_names;
use crate::model::{sigmoid, tag_probs, PiiModel, TOKENIZER_FILE};
use crate::tags::{decode_soft, PredSpan};
use crate::tokenize::{most_central_window, windows, Encoded, PiiTokenizer};
use blogbot_common::checksum::luhn_valid;
use blogbot_common::rules::{iban_valid, RuleDetector};
use blogbot_common::PiiType;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

const N_TYPES: usize = PiiType::ALL.len();

/// The answer for one text.
///
/// A text is a violation because of the spans found in it: `violation` needs both the document score at or above
/// the threshold and at least one span, so every violation has something a reviewer can check. When the
/// document head fires but the tagger found nothing to highlight, the answer says `suspected` instead, with the
/// types the document head saw, and no violation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// `score >= threshold` and at least one span.
    pub violation: bool,
    /// `score >= threshold` but no span: the document head saw personal data that no span shows.
    #[serde(default)]
    pub suspected: bool,
    /// Document score in `[0, 1]`: the highest window probability of containing personal data.
    pub score: f32,
    /// Types, highest score first; empty unless `violation` or `suspected`. Then: the types at or above the type
    /// threshold, or the single best type if none reaches it, plus every type a span has.
    pub types: Vec<(PiiType, f32)>,
    /// Spans found, in text order. Empty unless `violation`, so that the answer never contradicts itself.
    pub spans: Vec<PredSpan>,
}

/// Threshold-free scores for one text: what [`Classifier::score`] computes and [`Scored::decide`] turns into a
/// [`Prediction`]. Evaluation keeps these to sweep thresholds without re-running the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub score: f32,
    /// Per-type probability in [`PiiType::ALL`] order (max over windows).
    pub type_scores: [f32; N_TYPES],
    /// Every decoded span, whatever the document score.
    pub spans: Vec<PredSpan>,
}

impl Scored {
    /// Applies the document and type thresholds.
    pub fn decide(&self, threshold: f32, type_threshold: f32) -> Prediction {
        if self.score < threshold {
            return Prediction { violation: false, suspected: false, score: self.score, types: Vec::new(), spans: Vec::new() };
        }
        let mut ranked: Vec<(PiiType, f32)> = PiiType::ALL.iter().copied().zip(self.type_scores).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut types: Vec<(PiiType, f32)> = ranked.iter().copied().filter(|(_, s)| *s >= type_threshold).collect();
        if types.is_empty() {
            types.push(ranked[0]);
        }
        for span in &self.spans {
            if !types.iter().any(|(t, _)| *t == span.ty) {
                types.push((span.ty, self.type_scores[span.ty.index()].max(span.score)));
            }
        }
        types.sort_by(|a, b| b.1.total_cmp(&a.1));
        let violation = !self.spans.is_empty();
        Prediction { violation, suspected: !violation, score: self.score, types, spans: self.spans.clone() }
    }

    /// The document score as far as a decision goes: a text without spans can never be a violation, so
    /// thresholds are chosen on this.
    pub fn evidence_score(&self) -> f32 {
        if self.spans.is_empty() {
            0.0
        } else {
            self.score
        }
    }
}

/// A loaded model ready to classify texts. Cheap to share behind an `Arc`: `classify` takes `&self`.
pub struct Classifier {
    model: PiiModel,
    tokenizer: PiiTokenizer,
    batch_size: usize,
    rules: Option<RuleDetector>,
    propagate_names: bool,
}

impl Classifier {
    /// Wraps a model and its tokenizer; thresholds come from the model's config.
    pub fn new(model: PiiModel, tokenizer: PiiTokenizer) -> Self {
        Self { model, tokenizer, batch_size: 32, rules: None, propagate_names: false }
    }

    /// Loads a saved model directory (`model.safetensors`, `classifier.json`, `tokenizer.json`) for inference.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let model = PiiModel::load(dir, device, false)?;
        let tokenizer = PiiTokenizer::from_file(&dir.join(TOKENIZER_FILE))?;
        Ok(Self::new(model, tokenizer))
    }

    /// Saves model, config and tokenizer into `dir`, loadable with [`Classifier::load`].
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.model.save(dir)?;
        self.tokenizer.save(&dir.join(TOKENIZER_FILE))
    }

    /// Windows per forward pass (default 32). Larger batches are faster on a GPU, not on a CPU.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Runs the encoder's dense layers in int8 (see [`crate::int8`]) when `on` and the CPU has an int8 kernel
    /// (AVX-512 VNNI or AVX2); a trainable model is first frozen (int8 has no gradients). Anything else is left
    /// as is.
    pub fn with_int8(mut self, on: bool) -> Result<Self> {
        if on && QuantLinear::cpu_supported() && self.model.device().is_cpu() {
            if self.model.is_trainable() {
                self.model = self.model.frozen()?;
            }
            self.model.quantize_int8()?;
        }
        Ok(self)
    }

    /// Whether the encoder runs int8 matmuls.
    pub fn is_int8(&self) -> bool {
        self.model.is_int8()
    }

    /// Post-processes with the rule detector: model spans that cannot be values of their type are dropped, and
    /// each rule span (checksum- or syntax-valid structured values; dates of birth, ID numbers, handles and
    /// addresses where their context words say so) replaces the model spans it overlaps and makes its text a
    /// violation. Rules never find names. Off by default; see the crate docs for what it changed when measured.
    pub fn with_rules_union(mut self, on: bool) -> Self {
        self.rules = on.then(RuleDetector::new);
        self
    }

    /// Labels every mention of a name the tagger found in a text, not only the mentions it caught
    /// ([`crate::names`]). Off by default; the server turns it on (`--propagate-names`).
    pub fn with_name_propagation(mut self, on: bool) -> Self {
        self.propagate_names = on;
        self
    }

    pub fn model(&self) -> &PiiModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut PiiModel {
        &mut self.model
    }

    pub fn tokenizer(&self) -> &PiiTokenizer {
        &self.tokenizer
    }

    pub fn threshold(&self) -> f32 {
        self.model.config().threshold
    }

    /// Sets the document threshold (saved with the model).
    pub fn set_threshold(&mut self, threshold: f32) {
        self.model.config_mut().threshold = threshold;
    }

    /// Classifies `texts` with the model's thresholds.
    pub fn classify(&self, texts: &[&str]) -> Result<Vec<Prediction>> {
        let cfg = self.model.config();
        Ok(self.score(texts)?.iter().map(|s| s.decide(cfg.threshold, cfg.type_threshold)).collect())
    }

    /// Threshold-free scores for `texts`.
    pub fn score(&self, texts: &[&str]) -> Result<Vec<Scored>> {
        // A model being trained holds `Var`s; score through a frozen view so no autograd graph is recorded.
        let frozen;
        let model = if self.model.is_trainable() {
            frozen = self.model.frozen()?;
            &frozen
        } else {
            &self.model
        };
        let cfg = model.config();
        let encoded: Vec<Encoded> = texts.iter().map(|t| self.tokenizer.encode(t)).collect::<Result<_>>()?;
        let wins: Vec<Vec<Range<usize>>> =
            encoded.iter().map(|e| windows(e.len(), cfg.max_len, cfg.stride)).collect::<Result<_>>()?;
        // (text, window) jobs, longest first, so each batch holds windows of similar length.
        let mut jobs: Vec<(usize, usize)> =
            wins.iter().enumerate().flat_map(|(t, ws)| (0..ws.len()).map(move |w| (t, w))).collect();
        jobs.sort_by_key(|&(t, w)| std::cmp::Reverse(wins[t][w].len()));

        let mut outs: Vec<Vec<Option<WindowOut>>> = wins.iter().map(|ws| vec![None; ws.len()]).collect();
        for chunk in jobs.chunks(self.batch_size) {
            let inputs: Vec<Vec<u32>> =
                chunk.iter().map(|&(t, w)| self.tokenizer.window_input(&encoded[t], &wins[t][w])).collect();
            let refs: Vec<&[u32]> = inputs.iter().map(|v| v.as_slice()).collect();
            let (ids, mask) = pad_inputs(&refs, self.tokenizer.pad_id(), model.device())?;
            let shape_seqs: Vec<Vec<u32>> =
                chunk.iter().map(|&(t, w)| self.tokenizer.window_shapes(&encoded[t], &wins[t][w])).collect();
            let shape_refs: Vec<&[u32]> = shape_seqs.iter().map(|v| v.as_slice()).collect();
            let shapes = pad_shapes(&shape_refs, model.device())?;
            let _span =
                tracing::debug_span!("classify_batch", windows = chunk.len(), padded_len = ids.dim(1)?).entered();
            let out = model.forward(&ids, &shapes, &mask, None)?;
            let doc: Vec<f32> = sigmoid(&out.doc_logits)?.to_vec1()?;
            let types: Vec<Vec<f32>> = sigmoid(&out.type_logits)?.to_vec2()?;
            let probs: Vec<Vec<Vec<f32>>> = tag_probs(&out.tag_logits)?.to_vec3()?;
            for (row, &(t, w)) in chunk.iter().enumerate() {
                let n = wins[t][w].len();
                // Drop [CLS] (position 0), [SEP] and padding.
                outs[t][w] = Some(WindowOut {
                    doc: doc[row],
                    types: types[row].clone(),
                    tag_probs: probs[row][1..1 + n].to_vec(),
                });
            }
        }

        texts
            .iter()
            .enumerate()
            .map(|(t, text)| {
                let per_window: Vec<WindowOut> = outs[t]
                    .iter_mut()
                    .map(|o| o.take().ok_or_else(|| Error::Config("window without output".into())))
                    .collect::<Result<_>>()?;
                let mut scored = merge(text, &encoded[t], &wins[t], &per_window);
                if let Some(rules) = &self.rules {
                    add_rule_spans(rules, text, &mut scored);
                }
                if self.propagate_names {
                    propagate_names(text, &mut scored.spans);
                }
                Ok(scored)
            })
            .collect()
    }
}

/// One window's outputs, restricted to its content tokens.
#[derive(Clone)]
struct WindowOut {
    doc: f32,
    types: Vec<f32>,
    /// Per content token, the probabilities of the [`crate::tags::NUM_TAGS`] tags.
    tag_probs: Vec<Vec<f32>>,
}

/// Merges per-window outputs of one text (see the module docs).
fn merge(text: &str, enc: &Encoded, ws: &[Range<usize>], outs: &[WindowOut]) -> Scored {
    let score = outs.iter().map(|o| o.doc).fold(0.0, f32::max);
    let mut type_scores = [0f32; N_TYPES];
    for o in outs {
        for (k, s) in type_scores.iter_mut().enumerate() {
            *s = s.max(o.types[k]);
        }
    }
    let owner = most_central_window(enc.len(), ws);
    let probs: Vec<Vec<f32>> =
        owner.iter().enumerate().map(|(i, &w)| outs[w].tag_probs[i - ws[w].start].clone()).collect();
    Scored { score, type_scores, spans: decode_soft(text, &enc.offsets, &probs) }
}

/// The optional rule union (see [`Classifier::with_rules_union`]): each rule span replaces the model spans it
/// overlaps (rules are checksum-, syntax- or context-validated, so their bounds and type are the better guess)
/// and makes the text a violation of that type.
fn add_rule_spans(rules: &RuleDetector, text: &str, scored: &mut Scored) {
    // A span whose text cannot be a value of its type (an "e-mail" without `@`, a "card" that fails Luhn, a
    // "date of birth" that is no date, an "ID" with no digits) is a tagger mistake: typically the carrier words
    // before a value ("email me at", "my BSN") or a look-alike (an order number, "1.800GHz", a paint code).
    // "#" numbers things (orders, posts, issues, tickets): a phone or ID number right after it is that number.
    let after_hash = |p: &PredSpan| p.start > 0 && text.chars().nth(p.start - 1) == Some('#');
    scored.spans.retain(|p| {
        plausible_value(p.ty, &p.text) && !(matches!(p.ty, PiiType::Phone | PiiType::IdNumber) && after_hash(p))
    });
    for s in rules.detect(text) {
        scored.spans.retain(|p| !(p.start < s.end && s.start < p.end));
        scored.score = 1.0;
        scored.type_scores[s.ty.index()] = 1.0;
        scored.spans.push(PredSpan { start: s.start, end: s.end, ty: s.ty, text: s.value, score: 1.0 });
    }
    scored.spans.sort_by_key(|s| s.start);
}

/// Whether `text` could be a value of `ty`. Structured types are checked the way their issuers define them
/// (Luhn for cards, ISO 13616 for IBANs, an address parse for IPs); the others need what every value of the
/// type has (a date needs a day and month that exist, an ID number digits, a name letters).
fn plausible_value(ty: PiiType, text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric() && c != ':');
    match ty {
        PiiType::Email => text.contains('@'),
        PiiType::Url => text.contains('.') || text.contains('/'),
        // Phone numbers are digits and separators; the only words in one mark an extension ("ext. 12", "x12").
        PiiType::Phone => {
            (6..=16).contains(&digits)
                && text
                    .split(|c: char| !c.is_alphabetic())
                    .all(|w| w.is_empty() || matches!(w.to_lowercase().as_str(), "ext" | "x" | "extn" | "tel"))
        }
        PiiType::CreditCard => (12..=19).contains(&digits) && luhn_valid(trimmed),
        PiiType::Iban => iban_valid(trimmed),
        PiiType::IpAddress => trimmed.parse::<std::net::IpAddr>().is_ok(),
        PiiType::DateOfBirth => looks_like_date(text),
        PiiType::IdNumber => digits >= 4,
        // Names are letters (no one is called "WB-765617"); addresses mix letters and numbers.
        PiiType::Person => text.chars().any(char::is_alphabetic) && digits == 0,
        PiiType::Address => text.chars().any(char::is_alphabetic),
        // A handle starts with a letter or '_' once its leading punctuation is set aside ('@', or the '.' of a
        // handle whose start the tagger missed). Every handle the sampler writes does; digit-first handles are
        // legal on some platforms but rare. A "username" left starting with a digit is the tail of a number or a
        // size ("@ 1.800GHz", "v2.0").
        PiiType::Username => text
            .trim_start_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_'),
    }
}

/// Whether `text` names a calendar day: a month name (or its three-letter abbreviation) beside a number, or
/// three numeric parts (ISO, day-first, month-first, two-digit years) with a month and day that exist.
fn looks_like_date(text: &str) -> bool {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let lower = text.to_lowercase();
    let has_digit = lower.chars().any(|c| c.is_ascii_digit());
    let words = lower.split(|c: char| !c.is_alphabetic()).filter(|w| w.len() >= 3);
    if has_digit && words.into_iter().any(|w| MONTHS.iter().any(|m| w.starts_with(m))) {
        return true;
    }
    let parts: Vec<u32> =
        lower.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty() && p.len() <= 4).filter_map(|p| p.parse().ok()).collect();
    let day_month = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    match parts[..] {
        [y, m, d] if y >= 1000 => day_month(d, m),
        [a, b, _] => day_month(a, b) || day_month(b, a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags::one_hot;

    #[test]
    fn structured_spans_without_their_shape_are_dropped_by_the_union() {
        let text = "email me at ana@x.org";
        let mut s = Scored {
            score: 0.9,
            type_scores: [0.1; N_TYPES],
            spans: vec![
                PredSpan { start: 0, end: 11, ty: PiiType::Email, text: "email me at".into(), score: 0.8 },
                PredSpan { start: 12, end: 21, ty: PiiType::Email, text: "ana@x.org".into(), score: 0.8 },
            ],
        };
        add_rule_spans(&RuleDetector::new(), text, &mut s);
        let texts: Vec<&str> = s.spans.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["ana@x.org"]);
        assert!(plausible_value(PiiType::Phone, "+44 7700 900123"));
        assert!(!plausible_value(PiiType::Phone, "call me"));
        assert!(plausible_value(PiiType::Person, "Kofi"));
    }

    #[test]
    fn a_number_after_a_hash_is_not_a_phone_or_id() {
        let text = "Order number #798871-20 came; call 020 7946 0018.";
        let at = |v: &str| text[..text.find(v).unwrap()].chars().count();
        let span = |v: &str, ty| PredSpan { start: at(v), end: at(v) + v.chars().count(), ty, text: v.into(), score: 0.8 };
        let mut s = Scored {
            score: 0.9,
            type_scores: [0.1; N_TYPES],
            spans: vec![span("798871", PiiType::Phone), span("020 7946 0018", PiiType::Phone)],
        };
        add_rule_spans(&RuleDetector::new(), text, &mut s);
        let texts: Vec<&str> = s.spans.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["020 7946 0018"]);
    }

    #[test]
    fn spans_that_cannot_be_values_of_their_type_are_implausible() {
        use PiiType::*;
        let cases = [
            (CreditCard, "4111 1111 1111 1111", true),
            (CreditCard, "4111-1111-1111-1112", false),
            (CreditCard, "804-3878604-5521766", false),
            (Iban, "GB82 WEST 1234 5698 7654 32", true),
            (Iban, "GB82 WEST 1234 5698 7654 33", false),
            (IpAddress, "192.168.1.20", true),
            (IpAddress, "2001:db8::1", true),
            (IpAddress, "1.800GHz", false),
            (IpAddress, ".00", false),
            (DateOfBirth, "1980-01-01", true),
            (DateOfBirth, "the 2nd of February 2024", true),
            (DateOfBirth, "Mar 4 1990", true),
            (DateOfBirth, "04.07.1979", true),
            (DateOfBirth, "7/23/85", true),
            (DateOfBirth, "15YY 26/70", false),
            (DateOfBirth, "/", false),
            (DateOfBirth, "March", false),
            (IdNumber, "RSSMRA85T10A562S", true),
            (IdNumber, "CPF", false),
            (IdNumber, "(", false),
            (Person, "-", false),
            (Person, "Renée", true),
            (Person, "WB-765617", false),
            (Username, "@", false),
            (Username, "@gtron", true),
            (Phone, "+44 7700 900123", true),
            (Phone, "(555) 010-2233 ext. 41", true),
            (Phone, "12YY 65/876", false),
            (Username, "_jessie.k", true),
            (Username, ".800GHz", false),
            (Username, ".lynne75", true),
            (Username, "800GHz", false),
        ];
        for (ty, text, ok) in cases {
            assert_eq!(plausible_value(ty, text), ok, "{ty:?} {text:?}");
        }
    }

    fn scored() -> Scored {
        let mut type_scores = [0.1f32; N_TYPES];
        type_scores[PiiType::Email.index()] = 0.9;
        type_scores[PiiType::Phone.index()] = 0.6;
        let span = PredSpan { start: 0, end: 3, ty: PiiType::Email, text: "a@b".into(), score: 0.8 };
        Scored { score: 0.7, type_scores, spans: vec![span] }
    }

    #[test]
    fn rule_union_replaces_overlapping_spans_with_structured_rule_spans() {
        let rules = RuleDetector::new();
        let text = "Mail bob.stone@example.org or call +44 20 7946 0958, says Bob Stone.";
        let email_at = text.find("bob.stone").unwrap();
        // The model found part of the phone, with the wrong bounds, and nothing else.
        let phone_at = text.find("+44").unwrap();
        let model_span = PredSpan { start: phone_at + 1, end: phone_at + 10, ty: PiiType::Phone, text: String::new(), score: 0.7 };
        let mut s = Scored { score: 0.1, type_scores: [0.0; N_TYPES], spans: vec![model_span.clone()] };
        add_rule_spans(&rules, text, &mut s);
        assert_eq!(s.spans.len(), 2, "{:?}", s.spans);
        assert_eq!((s.spans[0].start, s.spans[0].ty, s.spans[0].score), (email_at, PiiType::Email, 1.0));
        assert_eq!(s.spans[0].text, "bob.stone@example.org");
        assert_ne!(s.spans[1], model_span, "the overlapping model span is replaced");
        assert_eq!((s.spans[1].start, s.spans[1].text.as_str()), (phone_at, "+44 20 7946 0958"));
        assert_eq!(s.score, 1.0);
        assert_eq!(s.type_scores[PiiType::Email.index()], 1.0);
        assert!(s.spans.iter().all(|p| p.ty != PiiType::Person), "rules never find names");
    }

    #[test]
    fn rule_union_types_a_date_of_birth_its_context_words_announce() {
        let text = "Marta here. I was born on 12.03.1990, so the party is on me.";
        let at = text.find("12.03").unwrap();
        // The tagger saw a number but took it for an ID; the birth context makes it a date of birth.
        let model_span = PredSpan { start: at, end: at + 7, ty: PiiType::IdNumber, text: "12.03.1".into(), score: 0.6 };
        let mut s = Scored { score: 0.7, type_scores: [0.0; N_TYPES], spans: vec![model_span] };
        add_rule_spans(&RuleDetector::new(), text, &mut s);
        assert_eq!(s.spans.len(), 1, "{:?}", s.spans);
        assert_eq!((s.spans[0].ty, s.spans[0].text.as_str()), (PiiType::DateOfBirth, "12.03.1990"));
    }

    #[test]
    fn classifier_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Classifier>();
        shareable::<Prediction>();
    }

    #[test]
    fn no_violation_without_a_span() {
        let mut s = scored();
        s.spans.clear();
        let p = s.decide(0.5, 0.5);
        assert!(!p.violation && p.suspected, "{p:?}");
        assert!(p.spans.is_empty());
        assert_eq!(p.types[0].0, PiiType::Email, "a suspicion names what the document head saw");
        assert_eq!(s.evidence_score(), 0.0);
        let p = s.decide(0.8, 0.5);
        assert!(!p.violation && !p.suspected && p.types.is_empty());
        // A span's type is always among a violation's types.
        let mut s = scored();
        s.spans[0].ty = PiiType::Person;
        let p = s.decide(0.5, 0.5);
        assert!(p.violation && !p.suspected);
        assert!(p.types.iter().any(|(t, _)| *t == PiiType::Person), "{:?}", p.types);
    }

    #[test]
    fn decisions_follow_thresholds() {
        let p = scored().decide(0.5, 0.5);
        assert!(p.violation && !p.suspected);
        assert_eq!(p.types, vec![(PiiType::Email, 0.9), (PiiType::Phone, 0.6)]);
        assert_eq!(p.spans.len(), 1);
        let p = scored().decide(0.8, 0.5);
        assert!(!p.violation && p.types.is_empty() && p.spans.is_empty());
        let p = scored().decide(0.5, 0.95);
        assert_eq!(p.types, vec![(PiiType::Email, 0.9)], "a violation always names its best type");
    }

    #[test]
    fn merge_takes_max_scores_and_central_tags() {
        // 6 tokens "t0".."t5"; windows 0..4 and 2..6; token 2 and 3 are shared.
        let text = "t0 t1 t2 t3 t4 t5";
        let enc = Encoded { ids: vec![1; 6], offsets: (0..6).map(|i| (3 * i, 3 * i + 2)).collect(), shapes: vec![1; 6] };
        let ws = vec![0..4, 2..6];
        let be = crate::tags::tag_begin(PiiType::Email);
        let mut t0 = vec![0.0; N_TYPES];
        t0[1] = 0.3;
        let mut t1 = vec![0.0; N_TYPES];
        t1[1] = 0.8;
        // Window 0 tags token 3 (its edge) as an e-mail, window 1 (where token 3 is more central) says O.
        let outs = vec![
            WindowOut { doc: 0.2, types: t0, tag_probs: [0, 0, 0, be].map(one_hot).to_vec() },
            WindowOut { doc: 0.6, types: t1, tag_probs: [0, 0, 0, be].map(one_hot).to_vec() },
        ];
        let s = merge(text, &enc, &ws, &outs);
        assert_eq!(s.score, 0.6);
        assert_eq!(s.type_scores[1], 0.8);
        assert_eq!(s.spans.len(), 1);
        assert_eq!((s.spans[0].start, s.spans[0].text.as_str()), (15, "t5"));
    }

    /// A post of ~600 tokens with an e-mail near the end, cut into 64-token windows: the windows cover every
    /// token, the window labels put the e-mail only where it is, and merging the windows' tags back decodes the
    /// span at its place in the whole text.
    #[test]
    fn long_post_windows_cover_and_merge_back() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder");
        let tok = PiiTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
        let filler = "We left the harbour before dawn, and the fog over the water made the whole town look like a \
                      pencil sketch that someone had started and then abandoned. ";
        let mut text = filler.repeat(20);
        text.push_str("If you want the full route, write to me at jörg.müller@example.com and I will send it. ");
        text.push_str(&filler[..60]);
        let value = "jörg.müller@example.com";
        let start = text[..text.find(value).unwrap()].chars().count();
        let gold =
            blogbot_common::Span { start, end: start + value.chars().count(), ty: PiiType::Email, value: value.into() };
        let enc = tok.encode(&text).unwrap();
        assert!(enc.len() > 550, "{} tokens", enc.len());
        let ws = windows(enc.len(), 64, 16).unwrap();
        let mut covered = vec![false; enc.len()];
        for w in &ws {
            assert!(w.len() <= 62);
            covered[w.clone()].iter_mut().for_each(|c| *c = true);
        }
        assert!(covered.iter().all(|&c| c), "every token is in some window");

        let record = blogbot_common::Record {
            id: "long".into(),
            source_id: "s".into(),
            text: text.clone(),
            label: 1,
            spans: vec![gold.clone()],
            method: blogbot_common::Method::Template,
            generator: blogbot_common::GeneratorInfo { model_id: "m".into(), seed: 0 },
        };
        let examples = crate::train::build_examples(&tok, &[record], 64, 16).unwrap();
        assert_eq!(examples.len(), ws.len());
        let (b, i) = (crate::tags::tag_begin(PiiType::Email), crate::tags::tag_inside(PiiType::Email));
        let email_tokens: Vec<usize> =
            (0..enc.len()).filter(|&k| enc.offsets[k].0 < gold.end && gold.start < enc.offsets[k].1).collect();
        for (w, ex) in ws.iter().zip(&examples) {
            let holds = email_tokens.iter().any(|k| w.contains(k));
            assert_eq!(ex.doc, holds, "window {w:?}");
            assert_eq!(ex.types[PiiType::Email.index()], holds);
            assert_eq!(ex.ids.len(), w.len() + 2);
            for (pos, &tag) in ex.tags.iter().enumerate().skip(1).take(w.len()) {
                let k = w.start + pos - 1;
                let want = if k == email_tokens[0] {
                    b
                } else if email_tokens.contains(&k) {
                    i
                } else {
                    crate::tags::TAG_O
                };
                // A window that starts inside the span sees its first token as B- (it cannot see the real start).
                let want = if want == i && k == w.start { b } else { want };
                assert_eq!(tag, want, "token {k} in window {w:?}");
            }
        }
        // Merge as inference does, with each window's gold tags standing in for model output.
        let outs: Vec<WindowOut> = examples
            .iter()
            .map(|ex| WindowOut {
                doc: f32::from(u8::from(ex.doc)),
                types: ex.types.iter().map(|&t| f32::from(u8::from(t))).collect(),
                tag_probs: ex.tags[1..ex.tags.len() - 1].iter().map(|&t| one_hot(t)).collect(),
            })
            .collect();
        let s = merge(&text, &enc, &ws, &outs);
        assert_eq!(s.score, 1.0);
        assert_eq!(s.spans.len(), 1);
        assert_eq!((s.spans[0].start, s.spans[0].end, s.spans[0].ty), (gold.start, gold.end, PiiType::Email));
        assert_eq!(s.spans[0].text, value);
    }
}
