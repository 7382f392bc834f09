//! Turning windows into padded tensors.
//!
//! Every batch is padded to its own longest sequence, never to a global maximum: on a CPU the encoder's cost
//! grows with the padded length, and blog-post windows vary from a dozen tokens to `max_len`. Training sorts
//! examples into length buckets (see `train.rs`) so that batches are also nearly uniform in length.

use crate::error::Result;
use crate::tags::TAG_O;
use blogbot_common::PiiType;
use candle_core::{Device, Tensor};

/// One training window: the encoder input and its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainExample {
    /// `[CLS] tokens [SEP]`.
    pub ids: Vec<u32>,
    /// The word shape of each entry of `ids` ([`crate::shape`]).
    pub shapes: Vec<u32>,
    /// One BIO tag per entry of `ids`; the entries of `[CLS]` and `[SEP]` are ignored by the loss.
    pub tags: Vec<u32>,
    /// Whether the window contains any personal data (the document head's target at window level).
    pub doc: bool,
    /// Which types the window contains, in [`PiiType::ALL`] order.
    pub types: [bool; PiiType::ALL.len()],
}

/// Padded `(batch, len)` input ids (u32) and attention mask (f32, 1 = token).
pub fn pad_inputs(seqs: &[&[u32]], pad_id: u32, device: &Device) -> Result<(Tensor, Tensor)> {
    let b = seqs.len();
    let t = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let mut ids = vec![pad_id; b * t];
    let mut mask = vec![0f32; b * t];
    for (row, s) in seqs.iter().enumerate() {
        ids[row * t..row * t + s.len()].copy_from_slice(s);
        mask[row * t..row * t + s.len()].fill(1.0);
    }
    Ok((Tensor::from_vec(ids, (b, t), device)?, Tensor::from_vec(mask, (b, t), device)?))
}

/// Padded `(batch, len)` word shapes (u32), [`crate::shape::SPECIAL`] on padding; the same layout as
/// [`pad_inputs`] gives the ids.
pub fn pad_shapes(seqs: &[&[u32]], device: &Device) -> Result<Tensor> {
    let b = seqs.len();
    let t = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let mut shapes = vec![crate::shape::SPECIAL; b * t];
    for (row, s) in seqs.iter().enumerate() {
        shapes[row * t..row * t + s.len()].copy_from_slice(s);
    }
    Ok(Tensor::from_vec(shapes, (b, t), device)?)
}

/// A padded training batch.
pub struct TrainBatch {
    pub ids: Tensor,
    /// `(batch, len)` u32 word shapes.
    pub shapes: Tensor,
    pub mask: Tensor,
    /// `(batch, len)` u32 gold tags; `O` where ignored.
    pub tags: Tensor,
    /// `(batch, len)` f32 per-token loss weight: 0 on `[CLS]`, `[SEP]` and padding, `non_o_weight` on entity
    /// tokens and 1 on `O` tokens. Entity tokens are a few percent of all tokens; without the weight the tagger
    /// learns that `O` everywhere is a cheap optimum.
    pub tag_weights: Tensor,
    /// `(batch,)` f32 document targets.
    pub doc: Tensor,
    /// `(batch, types)` f32 per-type targets.
    pub types: Tensor,
    /// Number of real (non-padding) tokens, for throughput figures.
    pub tokens: usize,
}

impl TrainBatch {
    pub fn new(examples: &[&TrainExample], pad_id: u32, non_o_weight: f32, device: &Device) -> Result<Self> {
        let seqs: Vec<&[u32]> = examples.iter().map(|e| e.ids.as_slice()).collect();
        let (ids, mask) = pad_inputs(&seqs, pad_id, device)?;
        let shape_seqs: Vec<&[u32]> = examples.iter().map(|e| e.shapes.as_slice()).collect();
        let shapes = pad_shapes(&shape_seqs, device)?;
        let (b, t) = ids.dims2()?;
        let mut tags = vec![TAG_O; b * t];
        let mut weights = vec![0f32; b * t];
        let nt = PiiType::ALL.len();
        let mut types = vec![0f32; b * nt];
        let mut doc = vec![0f32; b];
        let mut tokens = 0;
        for (row, e) in examples.iter().enumerate() {
            let n = e.ids.len();
            tokens += n;
            // Positions 1..n-1: skip [CLS] at 0 and [SEP] at n-1.
            for i in 1..n.saturating_sub(1) {
                let tag = e.tags[i];
                tags[row * t + i] = tag;
                weights[row * t + i] = if tag == TAG_O { 1.0 } else { non_o_weight };
            }
            doc[row] = f32::from(u8::from(e.doc));
            for (k, &on) in e.types.iter().enumerate() {
                types[row * nt + k] = f32::from(u8::from(on));
            }
        }
        Ok(Self {
            ids,
            shapes,
            mask,
            tags: Tensor::from_vec(tags, (b, t), device)?,
            tag_weights: Tensor::from_vec(weights, (b, t), device)?,
            doc: Tensor::from_vec(doc, b, device)?,
            types: Tensor::from_vec(types, (b, nt), device)?,
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_the_batch_maximum_only() {
        let a = [101u32, 5, 6, 102];
        let b = [101u32, 102];
        let (ids, mask) = pad_inputs(&[&a, &b], 0, &Device::Cpu).unwrap();
        assert_eq!(ids.dims(), &[2, 4]);
        assert_eq!(ids.to_vec2::<u32>().unwrap(), vec![vec![101, 5, 6, 102], vec![101, 102, 0, 0]]);
        assert_eq!(mask.to_vec2::<f32>().unwrap(), vec![vec![1.0; 4], vec![1.0, 1.0, 0.0, 0.0]]);
    }

    #[test]
    fn special_tokens_and_padding_carry_no_tag_weight() {
        let mut types = [false; 11];
        types[1] = true;
        let e = TrainExample { ids: vec![101, 7, 8, 102], shapes: vec![0, 2, 1, 0], tags: vec![0, 3, 0, 0], doc: true, types };
        let f = TrainExample { ids: vec![101, 9, 102], shapes: vec![0, 1, 0], tags: vec![0, 0, 0], doc: false, types: [false; 11] };
        let batch = TrainBatch::new(&[&e, &f], 0, 5.0, &Device::Cpu).unwrap();
        assert_eq!(
            batch.tag_weights.to_vec2::<f32>().unwrap(),
            vec![vec![0.0, 5.0, 1.0, 0.0], vec![0.0, 1.0, 0.0, 0.0]]
        );
        assert_eq!(batch.tags.to_vec2::<u32>().unwrap()[0], vec![0, 3, 0, 0]);
        assert_eq!(batch.doc.to_vec1::<f32>().unwrap(), vec![1.0, 0.0]);
        assert_eq!(batch.types.to_vec2::<f32>().unwrap()[0][1], 1.0);
        assert_eq!(batch.tokens, 7);
        assert_eq!(batch.shapes.to_vec2::<u32>().unwrap(), vec![vec![0, 2, 1, 0], vec![0, 1, 0, 0]]);
    }
}
