//! Metrics, always reported for the model and the rule baseline side by side.
//!
//! - Binary (document): accuracy, precision, recall, F1 and the confusion matrix at a threshold. The threshold
//!   is chosen on the validation set (maximum F1) and only *applied* to the test set, so test figures are not
//!   tuned on test data.
//! - Per type (document-level, multi-label): for each type, is it among the text's gold span types / among the
//!   predicted types.
//! - Spans: exact match (same start and end) and overlap match (the ranges intersect), each type-agnostic and
//!   typed. Precision counts predicted spans that match some gold span, recall counts gold spans matched by
//!   some predicted span; for exact matching both counts are the usual true positives.
//!
//! The rule baseline ([`RuleDetector`]) calls a document positive when it finds any span.

use crate::error::Result;
use crate::infer::{Classifier, Prediction, Scored};
use crate::tags::PredSpan;
use blogbot_common::rules::RuleDetector;
use blogbot_common::{PiiType, Record, Span};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Precision / recall / F1 with the counts behind them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Prf {
    /// Number of predictions (spans or positive decisions).
    pub predicted: usize,
    /// Number of gold items.
    pub gold: usize,
    /// Predictions that match a gold item (precision numerator).
    pub correct_predicted: usize,
    /// Gold items matched by a prediction (recall numerator).
    pub correct_gold: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    /// From counts. Precision of no predictions and recall of no gold items are 0 (not 1): a model that says
    /// nothing must not look perfect.
    pub fn new(predicted: usize, gold: usize, correct_predicted: usize, correct_gold: usize) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(correct_predicted, predicted);
        let recall = ratio(correct_gold, gold);
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { predicted, gold, correct_predicted, correct_gold, precision, recall, f1 }
    }
}

/// Document-level binary metrics at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub threshold: f32,
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// `confusion[actual][predicted]`, index 0 = negative, 1 = positive.
    pub confusion: [[usize; 2]; 2],
}

impl BinaryMetrics {
    pub fn from_decisions(gold: &[bool], predicted: &[bool], threshold: f32) -> Self {
        let mut c = [[0usize; 2]; 2];
        for (&g, &p) in gold.iter().zip(predicted) {
            c[usize::from(g)][usize::from(p)] += 1;
        }
        let (tn, fp, fn_, tp) = (c[0][0], c[0][1], c[1][0], c[1][1]);
        let prf = Prf::new(tp + fp, tp + fn_, tp, tp);
        let n = tp + fp + tn + fn_;
        let accuracy = if n == 0 { 0.0 } else { (tp + tn) as f64 / n as f64 };
        Self {
            threshold,
            tp,
            fp,
            tn,
            fn_,
            accuracy,
            precision: prf.precision,
            recall: prf.recall,
            f1: prf.f1,
            confusion: c,
        }
    }
}

/// Span metrics under the four matching rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanMetrics {
    pub exact: Prf,
    pub exact_typed: Prf,
    pub overlap: Prf,
    pub overlap_typed: Prf,
    /// Typed spans pooled over [`PiiType::STRUCTURED`] (e-mail, phone, card, IBAN, IP, URL): exact bounds.
    #[serde(default)]
    pub structured_exact: Prf,
    /// The same with overlapping bounds.
    #[serde(default)]
    pub structured_overlap: Prf,
    /// Typed spans of each type, overlapping bounds.
    #[serde(default)]
    pub per_type_overlap: BTreeMap<PiiType, Prf>,
}

/// Everything measured on one set of records by one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: usize,
    pub binary: BinaryMetrics,
    /// Document-level multi-label metrics per type.
    pub per_type: BTreeMap<PiiType, Prf>,
    /// Mean F1 over the types that occur in the gold data or the predictions.
    pub macro_type_f1: f64,
    pub spans: SpanMetrics,
    /// Texts the document head flagged but no span showed: answered `suspected`, not `violation`.
    #[serde(default)]
    pub suspected: usize,
}

/// Model and baseline on the same records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub model: Metrics,
    pub baseline: Metrics,
}

/// The report of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Document threshold used on the test set: chosen on validation, or the model's own if there is none.
    pub threshold: f32,
    pub validation: Option<Comparison>,
    pub test: Comparison,
}

/// Computes every metric for `preds` (decisions already taken at `threshold`, which is only recorded) against
/// `records`.
pub fn compute_metrics(records: &[Record], preds: &[Prediction], threshold: f32) -> Metrics {
    assert_eq!(records.len(), preds.len(), "one prediction per record");
    let gold: Vec<bool> = records.iter().map(|r| r.label == 1 || !r.spans.is_empty()).collect();
    let predicted: Vec<bool> = preds.iter().map(|p| p.violation).collect();
    let binary = BinaryMetrics::from_decisions(&gold, &predicted, threshold);

    let mut per_type = BTreeMap::new();
    for ty in PiiType::ALL {
        let mut counts = (0, 0, 0); // predicted, gold, both
        for (r, p) in records.iter().zip(preds) {
            let g = r.spans.iter().any(|s| s.ty == ty);
            let q = p.violation && p.types.iter().any(|(t, _)| *t == ty);
            counts.0 += usize::from(q);
            counts.1 += usize::from(g);
            counts.2 += usize::from(g && q);
        }
        if counts.0 + counts.1 > 0 {
            per_type.insert(ty, Prf::new(counts.0, counts.1, counts.2, counts.2));
        }
    }
    let macro_type_f1 =
        if per_type.is_empty() { 0.0 } else { per_type.values().map(|p| p.f1).sum::<f64>() / per_type.len() as f64 };

    let spans = SpanMetrics {
        exact: span_prf(records, preds, exact, false),
        exact_typed: span_prf(records, preds, exact, true),
        overlap: span_prf(records, preds, overlaps, false),
        overlap_typed: span_prf(records, preds, overlaps, true),
        structured_exact: typed_span_prf(records, preds, exact, &PiiType::STRUCTURED),
        structured_overlap: typed_span_prf(records, preds, overlaps, &PiiType::STRUCTURED),
        per_type_overlap: PiiType::ALL
            .into_iter()
            .map(|t| (t, typed_span_prf(records, preds, overlaps, &[t])))
            .filter(|(_, p)| p.gold + p.predicted > 0)
            .collect(),
    };
    let suspected = preds.iter().filter(|p| p.suspected).count();
    Metrics { n: records.len(), binary, per_type, macro_type_f1, spans, suspected }
}

fn exact(g: &Span, p: &PredSpan) -> bool {
    g.start == p.start && g.end == p.end
}

fn overlaps(g: &Span, p: &PredSpan) -> bool {
    g.start < p.end && p.start < g.end
}

/// Typed span P/R/F1 counting only gold and predicted spans of `types`.
fn typed_span_prf(records: &[Record], preds: &[Prediction], matches: fn(&Span, &PredSpan) -> bool, types: &[PiiType]) -> Prf {
    let ok = |g: &Span, p: &PredSpan| matches(g, p) && g.ty == p.ty;
    let (mut n_pred, mut n_gold, mut c_pred, mut c_gold) = (0, 0, 0, 0);
    for (r, p) in records.iter().zip(preds) {
        let gold: Vec<&Span> = r.spans.iter().filter(|g| types.contains(&g.ty)).collect();
        let pred: Vec<&PredSpan> = p.spans.iter().filter(|s| types.contains(&s.ty)).collect();
        n_pred += pred.len();
        n_gold += gold.len();
        c_pred += pred.iter().filter(|ps| gold.iter().any(|g| ok(g, ps))).count();
        c_gold += gold.iter().filter(|g| pred.iter().any(|ps| ok(g, ps))).count();
    }
    Prf::new(n_pred, n_gold, c_pred, c_gold)
}

fn span_prf(records: &[Record], preds: &[Prediction], matches: fn(&Span, &PredSpan) -> bool, typed: bool) -> Prf {
    let ok = |g: &Span, p: &PredSpan| matches(g, p) && (!typed || g.ty == p.ty);
    let (mut n_pred, mut n_gold, mut c_pred, mut c_gold) = (0, 0, 0, 0);
    for (r, p) in records.iter().zip(preds) {
        n_pred += p.spans.len();
        n_gold += r.spans.len();
        c_pred += p.spans.iter().filter(|ps| r.spans.iter().any(|g| ok(g, ps))).count();
        c_gold += r.spans.iter().filter(|g| p.spans.iter().any(|ps| ok(g, ps))).count();
    }
    Prf::new(n_pred, n_gold, c_pred, c_gold)
}

/// The threshold on `scores` that maximises binary F1 against `gold` (ties: higher accuracy, then closer to 0.5).
/// Candidates are midpoints between consecutive distinct scores, so the choice does not sit on a validation
/// example's exact score. Returns 0.5 when there is nothing to choose from.
pub fn best_threshold(gold: &[bool], scores: &[f32]) -> f32 {
    let mut distinct: Vec<f32> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    distinct.sort_by(f32::total_cmp);
    distinct.dedup();
    if distinct.is_empty() {
        return 0.5;
    }
    let mut candidates = vec![distinct[0] - 1e-6];
    candidates.extend(distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    candidates.push(distinct[distinct.len() - 1] + 1e-6);
    let mut best = (f64::NEG_INFINITY, f64::NEG_INFINITY, f32::NEG_INFINITY, 0.5f32);
    for t in candidates {
        let decided: Vec<bool> = scores.iter().map(|&s| s >= t).collect();
        let m = BinaryMetrics::from_decisions(gold, &decided, t);
        let key = (m.f1, m.accuracy, -(t - 0.5).abs());
        if (key.0, key.1, key.2) > (best.0, best.1, best.2) {
            best = (key.0, key.1, key.2, t);
        }
    }
    best.3
}

/// The baseline's scores are 0 or 1; any threshold between them gives the same decisions.
pub const BASELINE_THRESHOLD: f32 = 0.5;

/// The rule baseline's predictions: a text is a violation when any rule fires.
pub fn baseline_predictions(records: &[Record], rules: &RuleDetector) -> Vec<Prediction> {
    records
        .iter()
        .map(|r| {
            let found = rules.detect(&r.text);
            let types: BTreeSet<PiiType> = found.iter().map(|s| s.ty).collect();
            Prediction {
                violation: !found.is_empty(),
                suspected: false,
                score: if found.is_empty() { 0.0 } else { 1.0 },
                types: types.into_iter().map(|t| (t, 1.0)).collect(),
                spans: found
                    .into_iter()
                    .map(|s| PredSpan { start: s.start, end: s.end, ty: s.ty, text: s.value, score: 1.0 })
                    .collect(),
            }
        })
        .collect()
}

/// Model metrics from threshold-free scores at the given thresholds.
pub fn metrics_at(records: &[Record], scored: &[Scored], threshold: f32, type_threshold: f32) -> Metrics {
    let preds: Vec<Prediction> = scored.iter().map(|s| s.decide(threshold, type_threshold)).collect();
    compute_metrics(records, &preds, threshold)
}

/// The validation-chosen threshold for a model's `scored` validation output.
pub fn choose_threshold(val: &[Record], scored: &[Scored]) -> f32 {
    let gold: Vec<bool> = val.iter().map(|r| r.label == 1 || !r.spans.is_empty()).collect();
    let scores: Vec<f32> = scored.iter().map(Scored::evidence_score).collect();
    best_threshold(&gold, &scores)
}

/// Scores `val` and `test`, picks the threshold on `val` (or keeps the classifier's when `val` is empty),
/// applies it to `test`, and reports the rule baseline next to the model for both.
pub fn evaluate(classifier: &Classifier, val: &[Record], test: &[Record]) -> Result<EvalReport> {
    let rules = RuleDetector::new();
    let type_threshold = classifier.model().config().type_threshold;
    let texts = |rs: &[Record]| rs.iter().map(|r| r.text.clone()).collect::<Vec<String>>();
    let (threshold, validation) = if val.is_empty() {
        (classifier.threshold(), None)
    } else {
        let vt = texts(val);
        let scored = classifier.score(&vt.iter().map(String::as_str).collect::<Vec<_>>())?;
        let t = choose_threshold(val, &scored);
        let model = metrics_at(val, &scored, t, type_threshold);
        let baseline = compute_metrics(val, &baseline_predictions(val, &rules), BASELINE_THRESHOLD);
        (t, Some(Comparison { model, baseline }))
    };
    let tt = texts(test);
    let scored = classifier.score(&tt.iter().map(String::as_str).collect::<Vec<_>>())?;
    let model = metrics_at(test, &scored, threshold, type_threshold);
    let baseline = compute_metrics(test, &baseline_predictions(test, &rules), BASELINE_THRESHOLD);
    Ok(EvalReport { threshold, validation, test: Comparison { model, baseline } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blogbot_common::{GeneratorInfo, Method};

    fn rec(text: &str, spans: Vec<Span>) -> Record {
        Record {
            id: text.into(),
            source_id: "s".into(),
            text: text.into(),
            label: u8::from(!spans.is_empty()),
            spans,
            method: Method::Template,
            generator: GeneratorInfo { model_id: "m".into(), seed: 0 },
        }
    }

    fn gold(start: usize, end: usize, ty: PiiType) -> Span {
        Span { start, end, ty, value: "x".repeat(end - start) }
    }

    fn pred(start: usize, end: usize, ty: PiiType) -> PredSpan {
        PredSpan { start, end, ty, text: String::new(), score: 0.9 }
    }

    fn p(violation: bool, types: &[PiiType], spans: Vec<PredSpan>) -> Prediction {
        Prediction {
            violation,
            suspected: false,
            score: if violation { 0.9 } else { 0.1 },
            types: types.iter().map(|&t| (t, 0.9)).collect(),
            spans,
        }
    }

    #[test]
    fn structured_and_per_type_span_metrics_count_only_their_types() {
        let records = vec![rec(
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            vec![gold(0, 5, PiiType::Email), gold(10, 15, PiiType::Person), gold(20, 30, PiiType::Iban)],
        )];
        // E-mail exact, person right, IBAN overlapping but not exact, plus a phone that is not there.
        let preds = vec![p(
            true,
            &[],
            vec![pred(0, 5, PiiType::Email), pred(10, 15, PiiType::Person), pred(21, 30, PiiType::Iban), pred(32, 36, PiiType::Phone)],
        )];
        let m = compute_metrics(&records, &preds, 0.5);
        let (ex, ov) = (m.spans.structured_exact, m.spans.structured_overlap);
        assert_eq!((ex.predicted, ex.gold, ex.correct_predicted, ex.correct_gold), (3, 2, 1, 1));
        assert_eq!((ov.predicted, ov.gold, ov.correct_predicted, ov.correct_gold), (3, 2, 2, 2));
        assert_eq!(m.spans.per_type_overlap[&PiiType::Person].f1, 1.0);
        assert_eq!(m.spans.per_type_overlap[&PiiType::Phone].precision, 0.0);
        assert!(!m.spans.per_type_overlap.contains_key(&PiiType::Url));
    }

    #[test]
    fn binary_confusion_and_scores() {
        let g = [true, true, false, false, true];
        let q = [true, false, false, true, true];
        let m = BinaryMetrics::from_decisions(&g, &q, 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (2, 1, 1, 1));
        assert_eq!(m.confusion, [[1, 1], [1, 2]]);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        // Saying nothing is not perfect precision.
        let m = BinaryMetrics::from_decisions(&g, &[false; 5], 0.5);
        assert_eq!((m.precision, m.recall, m.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn exact_versus_overlap_span_matching() {
        let records = vec![
            rec("0123456789012345678901234567890", vec![gold(0, 10, PiiType::Email), gold(20, 30, PiiType::Person)]),
            rec("no pii here", vec![]),
        ];
        let preds = vec![
            p(
                true,
                &[PiiType::Email],
                vec![
                    pred(0, 10, PiiType::Email),  // exact, typed
                    pred(22, 28, PiiType::Phone), // overlaps the person span, wrong type
                ],
            ),
            p(true, &[PiiType::Url], vec![pred(0, 2, PiiType::Url)]), // false positive
        ];
        let m = compute_metrics(&records, &preds, 0.5);
        assert_eq!((m.spans.exact.predicted, m.spans.exact.gold), (3, 2));
        assert_eq!(m.spans.exact.correct_predicted, 1);
        assert!((m.spans.exact.precision - 1.0 / 3.0).abs() < 1e-12 && (m.spans.exact.recall - 0.5).abs() < 1e-12);
        assert_eq!(m.spans.exact_typed.correct_gold, 1);
        assert_eq!((m.spans.overlap.correct_predicted, m.spans.overlap.correct_gold), (2, 2));
        assert_eq!(m.spans.overlap.recall, 1.0);
        assert_eq!((m.spans.overlap_typed.correct_predicted, m.spans.overlap_typed.correct_gold), (1, 1));
        // Per-type (document level): e-mail right, person missed, URL false positive.
        assert_eq!(m.per_type[&PiiType::Email].f1, 1.0);
        assert_eq!(m.per_type[&PiiType::Person].recall, 0.0);
        assert_eq!(m.per_type[&PiiType::Url].precision, 0.0);
        assert!(!m.per_type.contains_key(&PiiType::Iban));
        assert!((m.macro_type_f1 - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((m.binary.tp, m.binary.fp), (1, 1));
    }

    #[test]
    fn threshold_is_chosen_for_f1_and_applied() {
        let g = [false, false, true, false, true, true];
        let s = [0.1, 0.3, 0.35, 0.4, 0.8, 0.9];
        let t = best_threshold(&g, &s);
        // Between 0.3 and 0.35: all three positives with one false positive (F1 6/7), better than between 0.4
        // and 0.8 (F1 0.8), between 0.1 and 0.3 (F1 0.75) or everything positive (F1 2/3).
        assert!(t > 0.3 && t < 0.35, "threshold {t}");
        let decided: Vec<bool> = s.iter().map(|&x| x >= t).collect();
        let m = BinaryMetrics::from_decisions(&g, &decided, t);
        assert!((m.f1 - 6.0 / 7.0).abs() < 1e-9);
        assert_eq!(best_threshold(&[], &[]), 0.5);
        // Perfectly separable scores: the threshold separates them.
        let t = best_threshold(&[false, true], &[0.2, 0.7]);
        assert!(t > 0.2 && t <= 0.7);

        let scored = Scored { score: 0.6, type_scores: [0.0; 11], spans: vec![pred(0, 1, PiiType::Email)] };
        let r = [rec("a", vec![gold(0, 1, PiiType::Email)])];
        assert_eq!(metrics_at(&r, std::slice::from_ref(&scored), 0.5, 0.5).binary.tp, 1);
        assert_eq!(metrics_at(&r, std::slice::from_ref(&scored), 0.7, 0.5).binary.fn_, 1);
        // Without a span the same score is only a suspicion: no violation, counted as suspected.
        let bare = Scored { spans: vec![], ..scored };
        let m = metrics_at(&r, &[bare], 0.5, 0.5);
        assert_eq!((m.binary.fn_, m.suspected), (1, 1));
    }

    #[test]
    fn baseline_flags_documents_with_rule_hits() {
        let rules = RuleDetector::new();
        let text = "Write to anna.keller@example.org for the recipe.";
        let b = text.find("anna").unwrap();
        let span = Span {
            start: b,
            end: b + "anna.keller@example.org".len(),
            ty: PiiType::Email,
            value: "anna.keller@example.org".into(),
        };
        let records = vec![rec(text, vec![span]), rec("The soup needs more salt.", vec![])];
        let preds = baseline_predictions(&records, &rules);
        assert!(preds[0].violation && !preds[1].violation);
        let m = compute_metrics(&records, &preds, 0.5);
        assert_eq!(m.binary.f1, 1.0);
        assert_eq!(m.spans.exact_typed.f1, 1.0);
    }
}
