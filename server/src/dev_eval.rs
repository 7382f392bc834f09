//! Real-prose quality as a report stored with the model: `blogbot-server dev-eval` scores a registered model on
//! a labelled set of real blog prose (the development set's `dev.jsonl`), the way that set's `score.py` scores
//! (binary P/R/F1, hard-negative false-positive rate, span P/R/F1 with overlap matching, type-agnostic and
//! typed, recall per type), puts Presidio's figures from `presidio-score.json` beside it when the set has them,
//! and stores the report in the model's metrics under `dev_set` (`GET /models/{id}` shows it).
//!
//! Such a set is for measuring only: nothing here feeds training, threshold choice, early stopping or promotion.

use blogbot_classifier::{Classifier, Prediction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One labelled record of the set (the fields the scorer reads).
#[derive(Debug, Clone, Deserialize)]
pub struct GoldRecord {
    pub id: String,
    pub text: String,
    pub label: u8,
    #[serde(default)]
    pub spans: Vec<GoldSpan>,
    #[serde(default)]
    pub hard_negative: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldSpan {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The scores of one system on the set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealProseReport {
    pub n: usize,
    pub binary: Prf,
    pub hard_negative_fp_rate: f64,
    pub span_overlap: Prf,
    pub span_typed: Prf,
    pub recall_by_type: BTreeMap<String, f64>,
    /// Texts answered `suspected` (document head fired, no span to show).
    pub suspected: usize,
    /// Texts answered `violation` without a span; 0 by construction, counted to prove it.
    pub violations_without_span: usize,
}

fn prf(p: f64, r: f64) -> Prf {
    let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    Prf { precision: round(p), recall: round(r), f1: round(f1) }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores `preds` against `gold` as the development set's `score.py` does: each gold span is matched to the first
/// unused predicted span that overlaps it.
pub fn score(gold: &[GoldRecord], preds: &[Prediction]) -> RealProseReport {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let (mut s_tp, mut s_fp, mut s_fn, mut t_tp) = (0, 0, 0, 0);
    let (mut hard_fp, mut hard_n) = (0, 0);
    let mut per_type: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (g, p) in gold.iter().zip(preds) {
        let (y, yh) = (g.label == 1, p.violation);
        tp += usize::from(y && yh);
        fn_ += usize::from(y && !yh);
        fp += usize::from(yh && !y);
        if g.hard_negative {
            hard_n += 1;
            hard_fp += usize::from(yh);
        }
        let mut used = vec![false; p.spans.len()];
        for s in &g.spans {
            let e = per_type.entry(s.ty.clone()).or_default();
            e.1 += 1;
            match p.spans.iter().enumerate().find(|(i, q)| !used[*i] && q.start < s.end && s.start < q.end) {
                Some((i, q)) => {
                    used[i] = true;
                    s_tp += 1;
                    e.0 += 1;
                    t_tp += usize::from(q.ty.to_string() == s.ty);
                }
                None => s_fn += 1,
            }
        }
        s_fp += used.iter().filter(|u| !**u).count();
    }
    RealProseReport {
        n: gold.len(),
        binary: prf(ratio(tp, tp + fp), ratio(tp, tp + fn_)),
        hard_negative_fp_rate: ratio(hard_fp, hard_n),
        span_overlap: prf(ratio(s_tp, s_tp + s_fp), ratio(s_tp, s_tp + s_fn)),
        span_typed: prf(ratio(t_tp, s_tp + s_fp), ratio(t_tp, s_tp + s_fn)),
        recall_by_type: per_type.into_iter().map(|(t, (f, n))| (t, (ratio(f, n) * 1000.0).round() / 1000.0)).collect(),
        suspected: preds.iter().filter(|p| p.suspected).count(),
        violations_without_span: preds.iter().filter(|p| p.violation && p.spans.is_empty()).count(),
    }
}

/// Reads `dev.jsonl` (or any JSONL of [`GoldRecord`]s).
pub fn read_gold(path: &Path) -> anyhow::Result<Vec<GoldRecord>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), i + 1)))
        .collect()
}

/// Classifies every record of `gold` with `classifier`, 16 texts per call (as a client would send them).
pub fn predict(classifier: &Classifier, gold: &[GoldRecord]) -> anyhow::Result<Vec<Prediction>> {
    let mut preds = Vec::with_capacity(gold.len());
    for chunk in gold.chunks(16) {
        let texts: Vec<&str> = chunk.iter().map(|g| g.text.as_str()).collect();
        preds.extend(classifier.classify(&texts)?);
    }
    Ok(preds)
}

/// The stored form: the model's report, Presidio's beside it when the set ships one, and where it came from.
pub fn stored(set_dir: &Path, report: &RealProseReport, seconds: f64) -> Value {
    let presidio: Option<Value> = std::fs::read(set_dir.join("presidio-score.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    serde_json::json!({"set": set_dir.display().to_string(), "model": report, "presidio": presidio,
                       "seconds": seconds, "at": crate::db::timestamp()})
}

#[cfg(test)]
mod tests {
    use super::*;
    use blogbot_classifier::PredSpan;
    use blogbot_common::PiiType;

    #[test]
    fn scores_like_the_dev_sets_scorer() {
        let gold = vec![
            GoldRecord {
                id: "a".into(),
                text: "Nora and Tom went home".into(),
                label: 1,
                spans: vec![GoldSpan { start: 0, end: 4, ty: "PERSON".into() }, GoldSpan { start: 9, end: 12, ty: "PERSON".into() }],
                hard_negative: false,
            },
            GoldRecord { id: "b".into(), text: "Order 12345".into(), label: 0, spans: vec![], hard_negative: true },
        ];
        let span = |s, e, ty| PredSpan { start: s, end: e, ty, text: String::new(), score: 0.9 };
        let preds = vec![
            Prediction { violation: true, suspected: false, score: 0.9, types: vec![], spans: vec![span(0, 4, PiiType::Person), span(13, 17, PiiType::Email)] },
            Prediction { violation: false, suspected: true, score: 0.9, types: vec![], spans: vec![] },
        ];
        let r = score(&gold, &preds);
        assert_eq!(r.binary.f1, 1.0);
        assert_eq!(r.hard_negative_fp_rate, 0.0);
        assert_eq!((r.span_overlap.precision, r.span_overlap.recall), (0.5, 0.5));
        assert_eq!(r.recall_by_type["PERSON"], 0.5);
        assert_eq!((r.suspected, r.violations_without_span), (1, 0));
    }
}
