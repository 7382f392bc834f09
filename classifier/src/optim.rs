//! AdamW with the usual BERT fine-tuning parameter groups, and global-norm gradient clipping.
//!
//! `candle_nn::AdamW` decays every tensor it is given; BERT recipes exclude biases and layer-norm parameters
//! from weight decay (decaying a layer-norm gain towards 0 shrinks the activations). So the variables are split
//! into groups, each with its own `AdamW`, and each group's learning rate is set from the schedule every step.

use crate::error::{Error, Result};
use crate::fused::f32_slice;
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, DType, InplaceOp2, Layout, Storage, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rayon::prelude::*;
use std::sync::Mutex;

/// Elements per parallel task of the fused update and of the gradient norm.
const CHUNK: usize = 64 * 1024;

/// One parameter group's update rule.
enum Rule {
    /// candle-nn's AdamW: eleven tensor ops per variable, each a serial pass that allocates (other devices).
    Candle(AdamW),
    /// The same update in one parallel, in-place pass per variable (f32 variables on the CPU).
    Fused(FusedAdamW),
}

struct Group {
    rule: Rule,
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
        let fused = named.iter().all(|(_, v)| v.device().is_cpu() && v.dtype() == DType::F32);
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
            let rule = if fused { Rule::Fused(FusedAdamW::new(bucket, params)) } else { Rule::Candle(AdamW::new(bucket, params)?) };
            groups.push(Group { rule, lr_scale: if k >= 2 { head_lr_scale } else { 1.0 } });
        }
        Ok(Self { groups, vars })
    }

    /// Clips the global gradient norm to `max_norm` (if given), then takes one AdamW step at `lr`. Returns the
    /// gradient norm before clipping; a non-finite norm is an error, not a silent corruption of the weights.
    /// The fused rule applies the clipping factor inside its update; the candle rule gets scaled gradients.
    pub fn step(&mut self, grads: &mut GradStore, lr: f64, max_norm: Option<f64>, step: usize) -> Result<f32> {
        let mut sum_sq = 0f64;
        for g in self.vars.iter().filter_map(|v| grads.get(v)) {
            sum_sq += sum_of_squares(g)?;
        }
        let norm = sum_sq.sqrt() as f32;
        if !norm.is_finite() {
            return Err(Error::Diverged { step, loss: norm });
        }
        let clip = match max_norm {
            Some(max) if norm as f64 > max && norm > 0.0 => max / norm as f64,
            _ => 1.0,
        };
        if clip != 1.0 && self.groups.iter().any(|g| matches!(g.rule, Rule::Candle(_))) {
            for v in &self.vars {
                if let Some(g) = grads.get(v) {
                    let scaled = (g * clip)?;
                    grads.insert(v, scaled);
                }
            }
        }
        for g in &mut self.groups {
            match &mut g.rule {
                Rule::Candle(opt) => {
                    opt.set_learning_rate(lr * g.lr_scale);
                    opt.step(grads)?;
                }
                Rule::Fused(opt) => opt.step(grads, lr * g.lr_scale, clip)?,
            }
        }
        Ok(norm)
    }
}

/// `sum(g^2)` in f64: f32 sums of blocks, added in block order (the same result on any number of threads).
fn sum_of_squares(g: &Tensor) -> Result<f64> {
    if !(g.device().is_cpu() && g.dtype() == DType::F32) {
        return Ok(g.to_dtype(DType::F32)?.sqr()?.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?);
    }
    let g = g.contiguous()?;
    let (storage, layout) = g.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else { unreachable!("checked: a CPU tensor") };
    let xs = f32_slice(cpu, layout, "gradient norm")?;
    let blocks: Vec<f32> = xs
        .par_chunks(CHUNK)
        .map(|c| {
            let mut acc = [0f32; 8];
            let chunks = c.chunks_exact(8);
            let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
            for v in chunks {
                for i in 0..8 {
                    acc[i] += v[i] * v[i];
                }
            }
            acc.iter().sum::<f32>() + tail
        })
        .collect();
    Ok(blocks.iter().map(|&b| b as f64).sum())
}

/// AdamW with candle-nn's update rule (bias-corrected moments, decoupled weight decay `p *= 1 - lr * decay`),
/// computed in one pass per variable over the parameter, its gradient and the two moments, in place and in
/// parallel. The moments live here as plain vectors.
struct FusedAdamW {
    vars: Vec<(Var, Mutex<Moments>)>,
    params: ParamsAdamW,
    step_t: i32,
}

/// The first and second moments of one variable.
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl FusedAdamW {
    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Self {
        let vars = vars
            .into_iter()
            .map(|var| {
                let n = var.elem_count();
                (var, Mutex::new(Moments { m: vec![0.0; n], v: vec![0.0; n] }))
            })
            .collect();
        Self { vars, params, step_t: 0 }
    }

    fn step(&mut self, grads: &GradStore, lr: f64, clip: f64) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        for (var, moments) in &self.vars {
            if let Some(g) = grads.get(var) {
                let update = Update {
                    moments,
                    lr: lr as f32,
                    decay: (1.0 - lr * p.weight_decay) as f32,
                    beta1: p.beta1 as f32,
                    beta2: p.beta2 as f32,
                    scale_m: (1.0 / (1.0 - p.beta1.powi(self.step_t))) as f32,
                    scale_v: (1.0 / (1.0 - p.beta2.powi(self.step_t))) as f32,
                    eps: p.eps as f32,
                    clip: clip as f32,
                };
                var.as_tensor().inplace_op2(&g.contiguous()?, &update)?;
            }
        }
        Ok(())
    }
}

/// One AdamW step of one variable, applied in place to its storage with its gradient as the second input.
struct Update<'a> {
    moments: &'a Mutex<Moments>,
    lr: f32,
    decay: f32,
    beta1: f32,
    beta2: f32,
    scale_m: f32,
    scale_v: f32,
    eps: f32,
    /// Gradient clipping factor (1 when the norm is under the limit).
    clip: f32,
}

impl InplaceOp2 for Update<'_> {
    fn name(&self) -> &'static str {
        "blogbot-adamw"
    }

    fn cpu_fwd(&self, ps: &mut CpuStorage, pl: &Layout, gs: &CpuStorage, gl: &Layout) -> candle_core::Result<()> {
        let g = f32_slice(gs, gl, self.name())?;
        let (start, end) =
            pl.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg("adamw: non-contiguous variable".into()))?;
        let CpuStorage::F32(p) = ps else {
            return Err(candle_core::Error::Msg("adamw: f32 variables only".into()));
        };
        let p = &mut p[start..end];
        let mut guard = self.moments.lock().map_err(|_| candle_core::Error::Msg("adamw: poisoned state".into()))?;
        let Moments { m, v } = &mut *guard;
        if g.len() != p.len() || m.len() != p.len() {
            return Err(candle_core::Error::Msg(format!("adamw: gradient of {} for a variable of {}", g.len(), p.len())));
        }
        let s = self;
        p.par_chunks_mut(CHUNK).zip(g.par_chunks(CHUNK)).zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK))).for_each(
            |((p, g), (m, v))| {
                for i in 0..p.len() {
                    let gi = g[i] * s.clip;
                    m[i] = s.beta1 * m[i] + (1.0 - s.beta1) * gi;
                    v[i] = s.beta2 * v[i] + (1.0 - s.beta2) * gi * gi;
                    let step = (m[i] * s.scale_m) / ((v[i] * s.scale_v).sqrt() + s.eps);
                    p[i] = p[i] * s.decay - s.lr * step;
                }
            },
        );
        Ok(())
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
        // The weight was decayed (1 - lr * wd) and stepped; the bias only stepped.
        let wv = w.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
        let bv = b.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((wv - (0.95 - 0.1)).abs() < 1e-3, "{wv}");
        assert!((bv - 0.9).abs() < 1e-3, "{bv}");
    }

    /// The fused rule against candle-nn's AdamW on gradients clipped by hand, over steps with and without
    /// clipping, with and without weight decay.
    #[test]
    fn fused_update_matches_candle_adamw() {
        let dev = Device::Cpu;
        let init: Vec<f32> = (0..300_000).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let make = || {
            let w = Var::from_vec(init.clone(), (600, 500), &dev).unwrap();
            let b = Var::from_vec(init[..500].to_vec(), 500, &dev).unwrap();
            (w, b)
        };
        let (w1, b1) = make();
        let (w2, b2) = make();
        let mut fused = Optim::new(vec![("l.weight".into(), w1.clone()), ("l.bias".into(), b1.clone())], 0.01, 1.0).unwrap();
        let p = |wd| ParamsAdamW { lr: 0.0, weight_decay: wd, ..ParamsAdamW::default() };
        let mut cw = AdamW::new(vec![w2.clone()], p(0.01)).unwrap();
        let mut cb = AdamW::new(vec![b2.clone()], p(0.0)).unwrap();
        for (step, (factor, lr)) in [(1.0, 1e-3), (1e-4, 2e-3), (3.0, 5e-4)].into_iter().enumerate() {
            let loss = |w: &Var, b: &Var| {
                let sq = (w.as_tensor().sqr().unwrap().sum_all().unwrap() * factor).unwrap();
                (sq + (b.as_tensor() * factor).unwrap().sum_all().unwrap()).unwrap()
            };
            let mut g1 = loss(&w1, &b1).backward().unwrap();
            let norm = fused.step(&mut g1, lr, Some(1.0), step).unwrap();
            // Clipped by hand: the gradient of the scaled loss.
            let clip = if norm > 1.0 { 1.0 / norm as f64 } else { 1.0 };
            let scaled = (loss(&w2, &b2) * clip).unwrap().backward().unwrap();
            cw.set_learning_rate(lr);
            cb.set_learning_rate(lr);
            cw.step(&scaled).unwrap();
            cb.step(&scaled).unwrap();
            for (a, b) in [(&w1, &w2), (&b1, &b2)] {
                let diff = (a.as_tensor() - b.as_tensor()).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(diff < 1e-6, "step {step}: fused and candle differ by {diff}");
            }
        }
    }
}
