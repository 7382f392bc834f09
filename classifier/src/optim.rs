//! AdamW with the usual BERT fine-tuning parameter groups, and global-norm gradient clipping.
//!
//! `candle_nn::AdamW` decays every tensor it is given; BERT recipes exclude biases and layer-norm parameters
//! from weight decay (decaying a layer-norm gain towards 0 shrinks the activations). So the variables are split
//! into groups, each with its own `AdamW`, and each group's learning rate is set from the schedule every step.

use crate::error::{Error, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

struct Group {
    opt: AdamW,
    lr_scale: f64,
}

/// AdamW over named variables, grouped by decay and by encoder vs heads.
pub struct Optim {
    groups: Vec<Group>,
    vars: Vec<Var>,
}

/// Whether a parameter is exempt from weight decay (biases and layer-norm gains/biases).
pub fn no_decay(name: &str) -> bool {
    name.ends_with(".bias") || name.contains("LayerNorm")
}

impl Optim {
    /// `head_lr_scale` multiplies the learning rate of the freshly initialised heads (names `head.*`).
    pub fn new(named: Vec<(String, Var)>, weight_decay: f64, head_lr_scale: f64) -> Result<Self> {
        let mut buckets: [Vec<Var>; 4] = Default::default();
        let mut vars = Vec::with_capacity(named.len());
        for (name, var) in named {
            let k = usize::from(name.starts_with("head.")) * 2 + usize::from(no_decay(&name));
            buckets[k].push(var.clone());
            vars.push(var);
        }
        let mut groups = Vec::new();
        for (k, bucket) in buckets.into_iter().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            let decay = if k % 2 == 1 { 0.0 } else { weight_decay };
            let params = ParamsAdamW { lr: 0.0, weight_decay: decay, ..ParamsAdamW::default() };
            groups.push(Group { opt: AdamW::new(bucket, params)?, lr_scale: if k >= 2 { head_lr_scale } else { 1.0 } });
        }
        Ok(Self { groups, vars })
    }

    /// Clips the global gradient norm to `max_norm` (if given), then takes one AdamW step at `lr`. Returns the
    /// gradient norm before clipping; a non-finite norm is an error, not a silent corruption of the weights.
    pub fn step(&mut self, grads: &mut GradStore, lr: f64, max_norm: Option<f64>, step: usize) -> Result<f32> {
        let sums: Vec<Tensor> = self
            .vars
            .iter()
            .filter_map(|v| grads.get(v))
            .map(|g| g.sqr()?.sum_all())
            .collect::<candle_core::Result<_>>()?;
        let norm = if sums.is_empty() { 0.0 } else { Tensor::stack(&sums, 0)?.sum_all()?.to_scalar::<f32>()?.sqrt() };
        if !norm.is_finite() {
            return Err(Error::Diverged { step, loss: norm });
        }
        if let Some(max) = max_norm {
            if norm as f64 > max && norm > 0.0 {
                let scale = max / norm as f64;
                for v in &self.vars {
                    if let Some(g) = grads.get(v) {
                        let scaled = (g * scale)?;
                        grads.insert(v, scaled);
                    }
                }
            }
        }
        for g in &mut self.groups {
            g.opt.set_learning_rate(lr * g.lr_scale);
            g.opt.step(grads)?;
        }
        Ok(norm)
    }
}

/// Linear warm-up from 0 to `base` over `warmup` steps, then linear decay to 0 at `total` steps.
pub fn lr_at(step: usize, total: usize, warmup: usize, base: f64) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let rest = total.saturating_sub(warmup).max(1);
    base * (total.saturating_sub(step) as f64 / rest as f64).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn schedule_warms_up_then_decays() {
        let lr: Vec<f64> = (0..10).map(|s| lr_at(s, 10, 2, 1.0)).collect();
        assert_eq!(lr[0], 0.5);
        assert_eq!(lr[1], 1.0);
        assert_eq!(lr[2], 1.0);
        assert!(lr[3] < lr[2] && lr[9] > 0.0 && lr[9] < 0.2);
        assert_eq!(lr_at(10, 10, 2, 1.0), 0.0);
        assert_eq!(lr_at(0, 10, 0, 1.0), 1.0);
    }

    #[test]
    fn decay_skips_biases_and_norms_and_clipping_bounds_the_step() {
        assert!(no_decay("bert.encoder.layer.0.output.LayerNorm.weight"));
        assert!(no_decay("head.doc.bias"));
        assert!(!no_decay("bert.embeddings.word_embeddings.weight"));
        let dev = Device::Cpu;
        let w = Var::ones((2, 2), DType::F32, &dev).unwrap();
        let b = Var::ones(2, DType::F32, &dev).unwrap();
        let mut opt = Optim::new(vec![("x.weight".into(), w.clone()), ("x.bias".into(), b.clone())], 0.5, 1.0).unwrap();
        let loss = ((w.as_tensor() * 1000.0).unwrap().sum_all().unwrap() + b.as_tensor().sum_all().unwrap()).unwrap();
        let mut grads = loss.backward().unwrap();
        let norm = opt.step(&mut grads, 0.1, Some(1.0), 0).unwrap();
        assert!((norm - (4.0f32 * 1e6 + 2.0).sqrt()).abs() < 1.0);
        let gw = grads.get(&w).unwrap().sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        let gb = grads.get(&b).unwrap().sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(((gw + gb).sqrt() - 1.0).abs() < 1e-4, "clipped to norm 1");
        // The weight was decayed (1 - lr * wd) and stepped; the bias only stepped.
        let wv = w.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
        let bv = b.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((wv - (0.95 - 0.1)).abs() < 1e-3, "{wv}");
        assert!((bv - 0.9).abs() < 1e-3, "{bv}");
    }
}
