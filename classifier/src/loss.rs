//! Training losses, written with ops that have a backward pass and stable for large logits.

use crate::batch::TrainBatch;
use crate::bert::log_softmax_last_dim;
use crate::model::ModelOutput;
use candle_core::{Result, Tensor, D};

/// The three head losses of one batch; `total` is what is back-propagated.
pub struct Losses {
    pub total: Tensor,
    pub doc: Tensor,
    pub types: Tensor,
    pub tags: Tensor,
}

/// Mean binary cross-entropy on logits, `pos_weight` multiplying the positive term (as PyTorch's
/// `BCEWithLogitsLoss(pos_weight=...)`): `(1 - y) x + (1 + (w - 1) y) softplus(-x)`, with
/// `softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0)` so that no `exp` overflows.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor, pos_weight: f32) -> Result<Tensor> {
    let w = Tensor::new(&[pos_weight], logits.device())?;
    bce_with_logits_weighted(logits, targets, &w)
}

/// [`bce_with_logits`] with a positive weight per output column: `pos_weight` broadcasts against `targets`
/// (shape `(columns,)` for `(batch, columns)` targets).
pub fn bce_with_logits_weighted(logits: &Tensor, targets: &Tensor, pos_weight: &Tensor) -> Result<Tensor> {
    let softplus_neg = ((logits.abs()?.neg()?.exp()? + 1.0)?.log()? + logits.neg()?.relu()?)?;
    let neg_term = ((targets.ones_like()? - targets)? * logits)?;
    let weight = (targets.broadcast_mul(&(pos_weight - 1.0)?)? + 1.0)?;
    (neg_term + (weight * softplus_neg)?)?.mean_all()
}

/// Class weights for the three losses, computed from the training windows (see `TrainConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassWeights {
    /// Weight of positive windows in the document loss.
    pub doc_pos: f32,
    /// Weight of positive windows in each type's loss, in `PiiType::ALL` order. Each type is positive in a few
    /// percent of windows; unweighted, the type head sits below 0.5 for every type for many epochs.
    pub type_pos: Vec<f32>,
    /// Weight of entity tokens relative to `O` tokens in the tagger loss (applied when batches are built).
    pub non_o: f32,
}

/// Token cross-entropy weighted per token: `sum(w * nll) / sum(w)`. Tokens with weight 0 (special tokens,
/// padding) do not count at all.
pub fn weighted_token_ce(logits: &Tensor, tags: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let logp = log_softmax_last_dim(logits)?;
    let nll = logp.gather(&tags.unsqueeze(D::Minus1)?, D::Minus1)?.squeeze(D::Minus1)?.neg()?;
    let denom = weights.sum_all()?.to_scalar::<f32>()?.max(1e-6);
    (nll * weights)?.sum_all()? / denom as f64
}

/// Sum of the three head losses, equally weighted: each is a mean of per-item losses of similar scale.
pub fn losses(out: &ModelOutput, batch: &TrainBatch, weights: &ClassWeights) -> Result<Losses> {
    let dev = out.doc_logits.device();
    let doc = bce_with_logits(&out.doc_logits, &batch.doc, weights.doc_pos)?;
    let types = bce_with_logits_weighted(&out.type_logits, &batch.types, &Tensor::new(weights.type_pos.as_slice(), dev)?)?;
    let tags = weighted_token_ce(&out.tag_logits, &batch.tags, &batch.tag_weights)?;
    let total = ((&doc + &types)? + &tags)?;
    Ok(Losses { total, doc, types, tags })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn scalar(t: &Tensor) -> f32 {
        t.to_scalar::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_the_textbook_formula_and_survives_large_logits() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[2.0f32, -1.0, 0.5], &dev).unwrap();
        let y = Tensor::new(&[1.0f32, 0.0, 0.0], &dev).unwrap();
        let sig = |v: f32| 1.0 / (1.0 + (-v).exp());
        let want = -((sig(2.0)).ln() + (1.0 - sig(-1.0)).ln() + (1.0 - sig(0.5)).ln()) / 3.0;
        assert!((scalar(&bce_with_logits(&x, &y, 1.0).unwrap()) - want).abs() < 1e-5);
        // pos_weight 3 triples the positive term only.
        let want_w = -(3.0 * (sig(2.0)).ln() + (1.0 - sig(-1.0)).ln() + (1.0 - sig(0.5)).ln()) / 3.0;
        assert!((scalar(&bce_with_logits(&x, &y, 3.0).unwrap()) - want_w).abs() < 1e-5);
        // Per-column weights: column 0 positive weighted 3, column 1 negative (weight irrelevant).
        let x2 = Tensor::new(&[[2.0f32, -1.0]], &dev).unwrap();
        let y2 = Tensor::new(&[[1.0f32, 0.0]], &dev).unwrap();
        let w2 = Tensor::new(&[3.0f32, 5.0], &dev).unwrap();
        let want2 = -(3.0 * (sig(2.0)).ln() + (1.0 - sig(-1.0)).ln()) / 2.0;
        assert!((scalar(&bce_with_logits_weighted(&x2, &y2, &w2).unwrap()) - want2).abs() < 1e-5);
        let big = Tensor::new(&[200.0f32, -200.0], &dev).unwrap();
        let t = Tensor::new(&[0.0f32, 1.0], &dev).unwrap();
        let l = scalar(&bce_with_logits(&big, &t, 1.0).unwrap());
        assert!((l - 200.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn token_ce_ignores_zero_weight_tokens() {
        let dev = Device::Cpu;
        // 1 sequence, 3 tokens, 2 classes. Token 2 is badly wrong but has weight 0.
        let logits = Tensor::new(&[[[0.0f32, 0.0], [2.0, 0.0], [-50.0, 50.0]]], &dev).unwrap();
        let tags = Tensor::new(&[[0u32, 0, 0]], &dev).unwrap();
        let w = Tensor::new(&[[1.0f32, 3.0, 0.0]], &dev).unwrap();
        let l = scalar(&weighted_token_ce(&logits, &tags, &w).unwrap());
        let nll0 = 2f32.ln();
        let nll1 = -(2f32.exp() / (2f32.exp() + 1.0)).ln();
        assert!((l - (nll0 + 3.0 * nll1) / 4.0).abs() < 1e-5);
    }
}
