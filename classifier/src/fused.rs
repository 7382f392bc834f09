//! Fused CPU kernels for the encoder's elementwise and row-wise steps, each with its own backward pass.
//!
//! Composed from candle tensor ops (see [`crate::bert`]), layer norm, the masked attention softmax and GELU
//! take 5 to 9 passes over memory each, allocate a tensor per pass and run on one thread (candle's CPU
//! unary/binary maps are serial); on the 2-core dev box they took more time than the matmuls. The dense layer
//! and the input embeddings are here too, for their backward passes: candle's return the weight gradient
//! transposed and reduce bias and position gradients serially. candle-nn's own
//! fused kernels are fast but have no backward, so training through them silently freezes the weights below
//! them. These kernels do one parallel pass (rayon, rows split across threads) forward and one backward, so
//! the same code path serves training and inference.
//!
//! They run for f32 tensors on the CPU; on other devices or dtypes the callers in [`crate::bert`] use the
//! composed ops instead. Tests check both forward values and gradients against the composed ops.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Error, Layout, Result, Shape, Storage, Tensor};
use rayon::prelude::*;

/// Whether `x` can go through these kernels (f32 on the CPU).
pub fn applies(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32
}

pub(crate) fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    let (start, end) =
        layout.contiguous_offsets().ok_or_else(|| Error::Msg(format!("{op}: input must be contiguous")))?;
    Ok(&data[start..end])
}

fn last_dim(layout: &Layout, op: &str) -> Result<usize> {
    match layout.dims().last() {
        Some(&d) if d > 0 => Ok(d),
        _ => Err(Error::Msg(format!("{op}: input needs a non-empty last dimension"))),
    }
}

/// Elements per parallel task for elementwise kernels: large enough to amortise rayon's scheduling.
const CHUNK: usize = 16 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Vectorisable scalar math
//
// `f32::exp` is a libm call and a running `sum += x` is a chain the compiler may not reorder, so loops built on
// them run one element at a time. The helpers below are plain arithmetic that LLVM turns into 8- or 16-lane
// SIMD code (the build enables AVX2/FMA, `.cargo/config.toml`): exp by range reduction and a polynomial, and
// reductions over eight independent lanes.

/// Lanes of the reductions below: one AVX2 register of f32.
const LANES: usize = 8;

/// `e^x` with a relative error below 2e-7 (the order of f32 rounding) for any finite `x`; 0 below -87.
#[inline(always)]
fn exp(x: f32) -> f32 {
    // x = n ln2 + r with |r| <= ln2 / 2; e^x = 2^n e^r. ln2 split in two so that n * LN2_HI is exact.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = fmadd(-n, LN2_LO, fmadd(-n, LN2_HI, x));
    // Taylor series to r^7 / 7!: the next term is below 3e-9 for |r| <= 0.35. Horner's rule, one FMA a step.
    let mut p = 1.0 / 5040.0;
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = fmadd(p, r, c);
    }
    // 2^n built in the exponent bits; n + 127 is in [1, 254] after the clamp. `as i32` would be a saturating
    // scalar conversion; adding 1.5 * 2^23 puts the integer in the low mantissa bits instead (vectorises).
    p * f32::from_bits(to_bits_low(n + 127.0) << 23)
}

/// 1.5 * 2^23: a float of this size has an ulp of 1, so `x + MAGIC` rounds `x` to an integer (ties to even)
/// and, for `x` in `[0, 2^22)`, leaves it in the low mantissa bits.
pub(crate) const MAGIC: f32 = 12_582_912.0;

/// `x` (an integer-valued float in `[0, 2^22)`) as the low bits of `x + MAGIC`; the bits above 22 hold
/// `MAGIC`'s, so callers shift or truncate them away.
#[inline(always)]
pub(crate) fn to_bits_low(x: f32) -> u32 {
    (x + MAGIC).to_bits()
}

/// Sum of `xs` over eight lanes.
#[inline(always)]
fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product of two slices of one length, over eight lanes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] = fmadd(x[i], y[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Largest element of `xs` (NEG_INFINITY when empty), over eight lanes.
#[inline(always)]
fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder().iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for c in chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

// ---------------------------------------------------------------------------------------------------------
// Dense layer

/// `x @ weight^T + bias` over the last dimension of `x` (weight `(out, in)`, bias `(out)`): one matmul over all
/// rows with the bias added in place, in parallel (candle's broadcast add is serial and allocates). Its own
/// backward computes the weight gradient as `grad^T @ x`, already in the weight's `(out, in)` layout, where
/// candle's `x @ weight.t()` would return it transposed (a strided view that is then copied element by element
/// into the accumulated gradient), and the bias gradient as parallel column sums.
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let mut dims = x.dims().to_vec();
    let k = *dims.last().ok_or_else(|| Error::Msg("linear: scalar input".into()))?;
    let y = x.reshape(((), k))?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, Dense)?;
    *dims.last_mut().expect("non-empty") = weight.dim(0)?;
    y.reshape(dims)
}

/// `(rows, in) x (out, in) x (out) -> (rows, out)`, see [`linear`].
#[derive(Clone, Copy)]
struct Dense;

impl CustomOp3 for Dense {
    fn name(&self) -> &'static str {
        "blogbot-dense"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (m, k, n) = match (xl.dims(), wl.dims(), bl.dims()) {
            (&[m, k], &[n, k2], &[n2]) if k == k2 && n == n2 => (m, k, n),
            (x, w, b) => return Err(Error::Msg(format!("dense: input {x:?}, weight {w:?}, bias {b:?}"))),
        };
        let b = f32_slice(bs, bl, self.name())?;
        // candle's CPU matmul (the `gemm` crate) on the weight read transposed in place.
        let y = xs.matmul(ws, (1, m, n, k), xl, &wl.transpose(0, 1)?)?;
        let CpuStorage::F32(mut y) = y else {
            return Err(Error::Msg("dense: f32 inputs only".into()));
        };
        if n > 0 {
            let rows_per_task = (CHUNK / n).max(1);
            y.par_chunks_mut(rows_per_task * n).for_each(|o| {
                for row in o.chunks_exact_mut(n) {
                    for i in 0..n {
                        row[i] += b[i];
                    }
                }
            });
        }
        Ok((CpuStorage::F32(y), Shape::from((m, n))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = grad.matmul(weight)?;
        let dw = grad.t()?.matmul(x)?;
        let db = column_sums(&grad)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// Column sums of a CPU f32 matrix `(rows, d)`, in parallel and in a fixed order (the same result on any number
/// of threads): each task sums a block of rows, then the block sums are added in block order.
pub(crate) fn column_sums(t: &Tensor) -> Result<Tensor> {
    let (_, d) = t.dims2()?;
    let t = t.contiguous()?;
    let sums = {
        let (storage, layout) = t.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            return Err(Error::Msg("column sums: CPU tensors only".into()));
        };
        block_column_sums(f32_slice(cpu, layout, "column sums")?, d)
    };
    Tensor::from_vec(sums, d, t.device())
}

/// The column sums of `x`, rows of `d`, added block by block in order (see [`column_sums`]).
fn block_column_sums(x: &[f32], d: usize) -> Vec<f32> {
    let rows_per_task = (CHUNK / d.max(1)).max(1);
    let blocks: Vec<Vec<f32>> = x
        .par_chunks(rows_per_task * d.max(1))
        .map(|block| {
            let mut acc = vec![0f32; d];
            for row in block.chunks_exact(d) {
                for i in 0..d {
                    acc[i] += row[i];
                }
            }
            acc
        })
        .collect();
    let mut sums = vec![0f32; d];
    for block in blocks {
        for i in 0..d {
            sums[i] += block[i];
        }
    }
    sums
}

// ---------------------------------------------------------------------------------------------------------
// Embeddings

/// `word[ids] + position[0..len] + token_type[0]` for `ids` `(batch, len)`: BERT's input embeddings for
/// single-segment input, in one parallel pass, `(batch, len, hidden)`. Composed from candle ops this is an
/// index-select and two broadcast adds forward, and backward a scatter into a zeroed copy of the word table
/// (copied once more by `index_add`) plus serial reductions; here the backward writes each table's gradient
/// once: the word rows scattered, the position rows summed over the batch, type row 0 summed over all tokens.
pub fn embeddings(ids: &Tensor, word: &Tensor, position: &Tensor, token_type: &Tensor) -> Result<Tensor> {
    let (batch, len) = ids.dims2()?;
    let ids: Vec<u32> = ids.to_dtype(DType::U32)?.flatten_all()?.to_vec1()?;
    let op = Embed { ids, batch, len };
    word.contiguous()?.apply_op3(&position.contiguous()?, &token_type.contiguous()?, op)
}

struct Embed {
    ids: Vec<u32>,
    batch: usize,
    len: usize,
}

impl Embed {
    /// The three tables as slices with the hidden size, after checking ids, lengths and shapes.
    fn tables<'a>(
        &self,
        (ws, wl): (&'a CpuStorage, &Layout),
        (ps, pl): (&'a CpuStorage, &Layout),
        (ts, tl): (&'a CpuStorage, &Layout),
    ) -> Result<(usize, &'a [f32], &'a [f32], &'a [f32])> {
        let (vocab, h) = (wl.dim(0)?, last_dim(wl, "embeddings")?);
        if pl.dims() != [pl.dim(0)?, h] || tl.dims() != [tl.dim(0)?, h] || pl.dim(0)? < self.len || tl.dim(0)? == 0 {
            return Err(Error::Msg(format!(
                "embeddings: word {:?}, position {:?}, type {:?} for {} tokens",
                wl.dims(),
                pl.dims(),
                tl.dims(),
                self.len
            )));
        }
        if let Some(&id) = self.ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(Error::Msg(format!("embeddings: token id {id} outside a vocabulary of {vocab}")));
        }
        Ok((h, f32_slice(ws, wl, "embeddings")?, f32_slice(ps, pl, "embeddings")?, f32_slice(ts, tl, "embeddings")?))
    }
}

impl CustomOp3 for Embed {
    fn name(&self) -> &'static str {
        "blogbot-embeddings"
    }

    fn cpu_fwd(
        &self,
        ws: &CpuStorage,
        wl: &Layout,
        ps: &CpuStorage,
        pl: &Layout,
        ts: &CpuStorage,
        tl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (h, word, pos, ty) = self.tables((ws, wl), (ps, pl), (ts, tl))?;
        let mut out = vec![0f32; self.ids.len() * h];
        out.par_chunks_mut(h).enumerate().for_each(|(r, o)| {
            let (w, p) = (&word[self.ids[r] as usize * h..][..h], &pos[(r % self.len) * h..][..h]);
            for i in 0..h {
                o[i] = w[i] + p[i] + ty[i];
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((self.batch, self.len, h))))
    }

    fn bwd(
        &self,
        word: &Tensor,
        position: &Tensor,
        token_type: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let h = word.dim(1)?;
        let grad = grad.contiguous()?;
        let (mut dw, mut dp, mut dt) =
            (vec![0f32; word.elem_count()], vec![0f32; position.elem_count()], vec![0f32; token_type.elem_count()]);
        {
            let (storage, layout) = grad.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else {
                return Err(Error::Msg("embeddings: CPU tensors only".into()));
            };
            let g = f32_slice(cpu, layout, self.name())?;
            for (r, gr) in g.chunks_exact(h).enumerate() {
                let w = &mut dw[self.ids[r] as usize * h..][..h];
                let p = &mut dp[(r % self.len) * h..][..h];
                for i in 0..h {
                    w[i] += gr[i];
                    p[i] += gr[i];
                }
            }
            dt[..h].copy_from_slice(&block_column_sums(g, h));
        }
        let dev = word.device();
        Ok((
            Some(Tensor::from_vec(dw, word.shape(), dev)?),
            Some(Tensor::from_vec(dp, position.shape(), dev)?),
            Some(Tensor::from_vec(dt, token_type.shape(), dev)?),
        ))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Layer norm

/// `layer_norm(x) * weight + bias` over the last dimension of `x` (weight and bias: that dimension's size).
pub fn layer_norm(x: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op3(weight, bias, LayerNorm { eps: eps as f32 })
}

#[derive(Clone, Copy)]
struct LayerNorm {
    eps: f32,
}

/// The three inputs of a layer-norm kernel as slices, with the row length `d`: rows `x`, a per-column `w`, and
/// a third input that is per-column (`c_is_rows == false`: the bias) or shaped like `x` (a gradient).
fn rows_with_params<'a>(
    op: &str,
    (xs, xl): (&'a CpuStorage, &Layout),
    (ws, wl): (&'a CpuStorage, &Layout),
    (cs, cl): (&'a CpuStorage, &Layout),
    c_is_rows: bool,
) -> Result<(usize, &'a [f32], &'a [f32], &'a [f32])> {
    let d = last_dim(xl, op)?;
    let (x, w, c) = (f32_slice(xs, xl, op)?, f32_slice(ws, wl, op)?, f32_slice(cs, cl, op)?);
    let c_len = if c_is_rows { x.len() } else { d };
    if w.len() != d || c.len() != c_len {
        return Err(Error::Msg(format!("{op}: inputs of {}, {} and {} for rows of {d}", x.len(), w.len(), c.len())));
    }
    Ok((d, x, w, c))
}

/// Mean and `1 / sqrt(var + eps)` of one row.
fn row_stats(row: &[f32], eps: f32) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    // E[(x - mean)^2] over eight lanes (two-pass: no cancellation).
    let mut acc = [0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] = fmadd(c[i] - mean, c[i] - mean, acc[i]);
        }
    }
    let var = (acc.iter().sum::<f32>() + tail) / n;
    (mean, 1.0 / (var + eps).sqrt())
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "blogbot-layer-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, x, w, b) = rows_with_params(self.name(), (xs, xl), (ws, wl), (bs, bl), false)?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(d).zip(x.par_chunks(d)).for_each(|(o, row)| {
            let (mean, inv) = row_stats(row, self.eps);
            for i in 0..d {
                o[i] = (row[i] - mean) * inv * w[i] + b[i];
            }
        });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let d = weight.elem_count();
        let grad = grad.contiguous()?;
        // One pass gives dx, then the weight and bias gradients (column sums of grad * x_hat and of grad) after it.
        let all = x.contiguous()?.apply_op3_no_bwd(weight, &grad, &LayerNormGrad { eps: self.eps })?;
        let n = x.elem_count();
        let dx = all.narrow(0, 0, n)?.reshape(x.shape())?;
        // Copied out, so the parameter gradients do not keep the whole buffer alive until the optimizer step.
        let dw = all.narrow(0, n, d)?.copy()?.reshape(weight.shape())?;
        let db = all.narrow(0, n + d, d)?.copy()?.reshape(weight.shape())?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// Backward of [`LayerNorm`]: `(x, weight, grad)` -> one flat buffer, `dx` (shaped like `x`), then the column sums
/// of `grad * x_hat` (the weight gradient) and of `grad` (the bias gradient), each summed in row blocks and
/// the blocks added in order, so the result does not depend on the number of threads.
struct LayerNormGrad {
    eps: f32,
}

impl CustomOp3 for LayerNormGrad {
    fn name(&self) -> &'static str {
        "blogbot-layer-norm-grad"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, x, w, g) = rows_with_params(self.name(), (xs, xl), (ws, wl), (gs, gl), true)?;
        let mut out = vec![0f32; x.len() + 2 * d];
        let rows_per_task = (CHUNK / d).max(1);
        let (dx_all, params) = out.split_at_mut(x.len());
        let step = rows_per_task * d;
        let blocks: Vec<Vec<f32>> = dx_all
            .par_chunks_mut(step)
            .zip(x.par_chunks(step).zip(g.par_chunks(step)))
            .map(|(dxs, (xb, gb))| {
                // [sum of g * x_hat | sum of g] over this block's rows.
                let mut acc = vec![0f32; 2 * d];
                let mut xhat = vec![0f32; d];
                let n = d as f32;
                for (dx, (row, gr)) in dxs.chunks_exact_mut(d).zip(xb.chunks_exact(d).zip(gb.chunks_exact(d))) {
                    let (mean, inv) = row_stats(row, self.eps);
                    // dx as scratch for g * w, then the two row means over eight lanes.
                    for i in 0..d {
                        dx[i] = gr[i] * w[i];
                        xhat[i] = (row[i] - mean) * inv;
                    }
                    let (m1, m2) = (sum(dx) / n, dot(dx, &xhat) / n);
                    let (gx, gsum) = acc.split_at_mut(d);
                    for i in 0..d {
                        dx[i] = inv * (gr[i] * w[i] - m1 - xhat[i] * m2);
                        gx[i] = fmadd(gr[i], xhat[i], gx[i]);
                        gsum[i] += gr[i];
                    }
                }
                acc
            })
            .collect();
        for block in blocks {
            for (p, b) in params.iter_mut().zip(&block) {
                *p += b;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from(x.len() + 2 * d)))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Masked, scaled softmax (attention)

/// `softmax(scores * scale + mask_bias)` over the last dimension. `scores` is `(batch, heads, len_q, len_k)`,
/// `mask_bias` is `(batch, len_k)` (0 on tokens, a large negative number on padding) and gets no gradient.
pub fn masked_softmax(scores: &Tensor, mask_bias: &Tensor, scale: f64) -> Result<Tensor> {
    scores.contiguous()?.apply_op2(&mask_bias.contiguous()?, MaskedSoftmax { scale: scale as f32 })
}

#[derive(Clone, Copy)]
struct MaskedSoftmax {
    scale: f32,
}

impl CustomOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "blogbot-masked-softmax"
    }

    fn cpu_fwd(&self, ss: &CpuStorage, sl: &Layout, ms: &CpuStorage, ml: &Layout) -> Result<(CpuStorage, Shape)> {
        let (s, m) = (f32_slice(ss, sl, self.name())?, f32_slice(ms, ml, self.name())?);
        let (b, t) = match (sl.dims(), ml.dims()) {
            (&[b, _, _, t], &[mb, mt]) if mb == b && mt == t && t > 0 => (b, t),
            (sd, md) => return Err(Error::Msg(format!("masked softmax: scores {sd:?} with mask {md:?}"))),
        };
        let rows_per_item = s.len() / (b * t);
        let mut out = vec![0f32; s.len()];
        out.par_chunks_mut(t).zip(s.par_chunks(t)).enumerate().for_each(|(r, (o, row))| {
            let mask = &m[(r / rows_per_item) * t..][..t];
            for i in 0..t {
                o[i] = row[i] * self.scale + mask[i];
            }
            let top = max(o);
            o.iter_mut().for_each(|v| *v = exp(*v - top));
            let inv = 1.0 / sum(o);
            o.iter_mut().for_each(|v| *v *= inv);
        });
        Ok((CpuStorage::F32(out), sl.shape().clone()))
    }

    fn bwd(&self, _s: &Tensor, _m: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let ds = res.apply_op2_no_bwd(&grad.contiguous()?, &SoftmaxGrad { scale: self.scale })?;
        Ok((Some(ds), None))
    }
}

/// Backward of [`MaskedSoftmax`]: `(y, grad)` -> `scale * y * (grad - sum(grad * y))` per row.
struct SoftmaxGrad {
    scale: f32,
}

impl CustomOp2 for SoftmaxGrad {
    fn name(&self) -> &'static str {
        "blogbot-softmax-grad"
    }

    fn cpu_fwd(&self, ys: &CpuStorage, yl: &Layout, gs: &CpuStorage, gl: &Layout) -> Result<(CpuStorage, Shape)> {
        let t = last_dim(yl, self.name())?;
        let (y, g) = (f32_slice(ys, yl, self.name())?, f32_slice(gs, gl, self.name())?);
        if y.len() != g.len() {
            return Err(Error::Msg("softmax grad: shapes do not match".into()));
        }
        let mut out = vec![0f32; y.len()];
        out.par_chunks_mut(t).zip(y.par_chunks(t).zip(g.par_chunks(t))).for_each(|(o, (yr, gr))| {
            let yg = dot(yr, gr);
            for i in 0..t {
                o[i] = self.scale * yr[i] * (gr[i] - yg);
            }
        });
        Ok((CpuStorage::F32(out), yl.shape().clone()))
    }
}

// ---------------------------------------------------------------------------------------------------------
// GELU (erf form, the original BERT's)

/// `0.5 * x * (1 + erf(x / sqrt(2)))`, elementwise.
pub fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(GeluErf)
}

/// erf for f32 (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7, the order of f32 rounding).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / fmadd(0.327_591_1, a, 1.0);
    let mut poly = 1.061_405_4;
    for c in [-1.453_152, 1.421_413_7, -0.284_496_74, 0.254_829_6] {
        poly = fmadd(poly, t, c);
    }
    let y = fmadd(-(poly * t), exp(-a * a), 1.0);
    y.copysign(x)
}

/// `x <- 0.5 * x * (1 + erf(x / sqrt(2)))` (also the epilogue of [`crate::int8`]'s kernel).
#[inline(always)]
pub(crate) fn gelu_erf_in_place(xs: &mut [f32]) {
    for v in xs {
        *v = 0.5 * *v * (1.0 + erf(*v * FRAC_1_SQRT_2));
    }
}

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1 / sqrt(2 pi).
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

#[derive(Clone, Copy)]
struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "blogbot-gelu-erf"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(xs, xl, self.name())?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK)).for_each(|(o, xc)| {
            o.copy_from_slice(xc);
            gelu_erf_in_place(o);
        });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(x.apply_op2_no_bwd(&grad.contiguous()?, &GeluErfGrad)?))
    }
}

/// Backward of [`GeluErf`]: `(x, grad)` -> `grad * (Phi(x) + x * phi(x))`.
struct GeluErfGrad;

impl CustomOp2 for GeluErfGrad {
    fn name(&self) -> &'static str {
        "blogbot-gelu-erf-grad"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout, gs: &CpuStorage, gl: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, g) = (f32_slice(xs, xl, self.name())?, f32_slice(gs, gl, self.name())?);
        if x.len() != g.len() {
            return Err(Error::Msg("gelu grad: shapes do not match".into()));
        }
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK).zip(g.par_chunks(CHUNK))).for_each(|(o, (xc, gc))| {
            for i in 0..o.len() {
                let v = xc[i];
                let cdf = 0.5 * (1.0 + erf(v * FRAC_1_SQRT_2));
                let pdf = FRAC_1_SQRT_2PI * exp(-0.5 * v * v);
                o[i] = gc[i] * (cdf + v * pdf);
            }
        });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Inference-only kernels
//
// When nothing upstream tracks a gradient (a frozen model: serving, evaluation), attention and the residual
// layer norm can skip the intermediate tensors a backward pass would need. They have no backward: candle
// answers `BackwardNotSupported` if one is ever asked for, and the callers in [`crate::bert`] only take them
// for tensors with `!track_op()`.

/// Multi-head self-attention without the head transposes: `q`, `k`, `v` are the projections `(batch, len,
/// hidden)` as the dense layers write them, `mask_bias` is `(batch, len)` (0 on tokens, -1e4 on padding), and
/// the result is the context `(batch, len, hidden)`, heads side by side, ready for the output projection.
/// Keys whose bias is below -1e3 are skipped: their softmax weight, `exp(-1e4 + score)`, is 0 in f32 anyway.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, mask_bias: &Tensor, heads: usize) -> Result<Tensor> {
    let mask: Vec<f32> = mask_bias.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
    q.contiguous()?.apply_op3(&k.contiguous()?, &v.contiguous()?, Attention { heads, mask })
}

/// Query rows per parallel task of [`Attention`].
const QUERY_BLOCK: usize = 16;
/// Queries whose scores are computed together, sharing each load of the keys.
const QUERY_GROUP: usize = 4;
/// Keys per block of scores: two AVX2 registers per query.
const KEY_BLOCK: usize = 16;

/// For `R` queries (`d` each): `scores[i * n_pad + j] = q_i . key_j * scale + bias[j]`, with the keys
/// transposed in `kt` (`d` rows of `n_pad`, a multiple of [`KEY_BLOCK`]). A block of keys is accumulated in
/// registers over the whole head dimension, so the scores are written once and each key value is loaded once
/// for all `R` queries. Written with AVX2/FMA intrinsics where the build has them (LLVM neither contracts
/// `a * b + c` into an FMA nor keeps this blocking on its own); plain loops elsewhere.
#[inline(always)]
fn group_scores<const R: usize>(qs: [&[f32]; R], kt: &[f32], n_pad: usize, scale: f32, bias: &[f32], scores: &mut [f32]) {
    let d = qs[0].len();
    assert!(
        n_pad % KEY_BLOCK == 0
            && qs.iter().all(|q| q.len() == d)
            && kt.len() >= d * n_pad
            && bias.len() >= n_pad
            && scores.len() >= R * n_pad,
        "group_scores: inconsistent sizes"
    );
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
    // SAFETY: the assert above bounds every pointer below: key rows `c * n_pad + j0 + 16 <= d * n_pad`, bias and
    // score blocks `j0 + 16 <= n_pad`, query elements `c < d`; AVX2 and FMA are enabled for the whole build.
    unsafe {
        use std::arch::x86_64::*;
        let sc = _mm256_set1_ps(scale);
        for j0 in (0..n_pad).step_by(KEY_BLOCK) {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            for c in 0..d {
                let p = kt.as_ptr().add(c * n_pad + j0);
                let (k0, k1) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
                for i in 0..R {
                    let qc = _mm256_set1_ps(*qs[i].get_unchecked(c));
                    acc[i][0] = _mm256_fmadd_ps(qc, k0, acc[i][0]);
                    acc[i][1] = _mm256_fmadd_ps(qc, k1, acc[i][1]);
                }
            }
            let (b0, b1) = (_mm256_loadu_ps(bias.as_ptr().add(j0)), _mm256_loadu_ps(bias.as_ptr().add(j0 + 8)));
            for i in 0..R {
                let out = scores.as_mut_ptr().add(i * n_pad + j0);
                _mm256_storeu_ps(out, _mm256_fmadd_ps(acc[i][0], sc, b0));
                _mm256_storeu_ps(out.add(8), _mm256_fmadd_ps(acc[i][1], sc, b1));
            }
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
    for j0 in (0..n_pad).step_by(KEY_BLOCK) {
        let mut acc = [[0f32; KEY_BLOCK]; R];
        for c in 0..d {
            let kr = &kt[c * n_pad + j0..][..KEY_BLOCK];
            for i in 0..R {
                let qc = qs[i][c];
                for l in 0..KEY_BLOCK {
                    acc[i][l] += qc * kr[l];
                }
            }
        }
        for i in 0..R {
            for l in 0..KEY_BLOCK {
                scores[i * n_pad + j0 + l] = acc[i][l] * scale + bias[j0 + l];
            }
        }
    }
}

/// `a * b + c`, as one FMA instruction where the build has FMA (`f32::mul_add` is a slow libm call elsewhere).
#[inline(always)]
pub(crate) fn fmadd(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(target_feature = "fma")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(target_feature = "fma"))]
    {
        a * b + c
    }
}

struct Attention {
    heads: usize,
    mask: Vec<f32>,
}

impl CustomOp3 for Attention {
    fn name(&self) -> &'static str {
        "blogbot-attention"
    }

    fn cpu_fwd(
        &self,
        qs: &CpuStorage,
        ql: &Layout,
        ks: &CpuStorage,
        kl: &Layout,
        vs: &CpuStorage,
        vl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, t, h) = match ql.dims() {
            &[b, t, h] if t > 0 && self.heads > 0 && h % self.heads == 0 => (b, t, h),
            d => return Err(Error::Msg(format!("attention: queries {d:?} for {} heads", self.heads))),
        };
        if kl.dims() != ql.dims() || vl.dims() != ql.dims() || self.mask.len() != b * t {
            return Err(Error::Msg(format!(
                "attention: q {:?}, k {:?}, v {:?} with a mask of {}",
                ql.dims(),
                kl.dims(),
                vl.dims(),
                self.mask.len()
            )));
        }
        let (q, k, v) = (f32_slice(qs, ql, self.name())?, f32_slice(ks, kl, self.name())?, f32_slice(vs, vl, self.name())?);
        let (heads, d) = (self.heads, h / self.heads);
        let scale = 1.0 / (d as f32).sqrt();
        let mut out = vec![0f32; q.len()];
        out.par_chunks_mut(t * h).enumerate().for_each(|(item, out)| {
            let bias = &self.mask[item * t..][..t];
            let mut keys: Vec<usize> = (0..t).filter(|&j| bias[j] > -1e3).collect();
            if keys.is_empty() {
                keys = (0..t).collect(); // all padding: every key weighs the same, as in the plain softmax
            }
            let n = keys.len();
            // Keys padded to whole blocks; the padding's scores are computed and never read.
            let n_pad = n.div_ceil(KEY_BLOCK) * KEY_BLOCK;
            let mut key_bias = vec![0f32; n_pad];
            for (b, &j) in key_bias.iter_mut().zip(&keys) {
                *b = bias[j];
            }
            // Per head: the kept keys transposed, (d, n_pad), so scores come out a block of keys at a time; and
            // the kept values, (n, d).
            let (kb, vb) = (&k[item * t * h..][..t * h], &v[item * t * h..][..t * h]);
            let mut kt = vec![0f32; heads * d * n_pad];
            let mut vv = vec![0f32; heads * n * d];
            for (jj, &j) in keys.iter().enumerate() {
                for hd in 0..heads {
                    let src = &kb[j * h + hd * d..][..d];
                    for (c, &x) in src.iter().enumerate() {
                        kt[(hd * d + c) * n_pad + jj] = x;
                    }
                    vv[(hd * n + jj) * d..][..d].copy_from_slice(&vb[j * h + hd * d..][..d]);
                }
            }
            out.par_chunks_mut(QUERY_BLOCK * h).enumerate().for_each(|(block, out)| {
                let rows = out.len() / h;
                let first = item * t + block * QUERY_BLOCK;
                let mut scores = vec![0f32; QUERY_GROUP * n_pad];
                for hd in 0..heads {
                    let (kt, vv) = (&kt[hd * d * n_pad..][..d * n_pad], &vv[hd * n * d..][..n * d]);
                    let mut r = 0;
                    while r < rows {
                        let take = (rows - r).min(QUERY_GROUP);
                        let query = |i: usize| &q[(first + r + i) * h + hd * d..][..d];
                        if take == QUERY_GROUP {
                            let qs: [&[f32]; QUERY_GROUP] = std::array::from_fn(query);
                            group_scores(qs, kt, n_pad, scale, &key_bias, &mut scores);
                        } else {
                            for i in 0..take {
                                group_scores([query(i)], kt, n_pad, scale, &key_bias, &mut scores[i * n_pad..]);
                            }
                        }
                        for i in 0..take {
                            let s = &mut scores[i * n_pad..][..n];
                            let top = max(s);
                            s.iter_mut().for_each(|x| *x = exp(*x - top));
                            let inv = 1.0 / sum(s);
                            weighted_rows(s, vv, inv, &mut out[(r + i) * h + hd * d..][..d]);
                        }
                        r += take;
                    }
                }
            });
        });
        Ok((CpuStorage::F32(out), ql.shape().clone()))
    }
}

/// `out = scale * sum_j weights[j] * rows[j]`, rows of `out.len()`; the accumulator stays in registers for
/// the common head sizes.
#[inline(always)]
fn weighted_rows(weights: &[f32], rows: &[f32], scale: f32, out: &mut [f32]) {
    fn fixed<const D: usize>(weights: &[f32], rows: &[f32], scale: f32, out: &mut [f32]) {
        let mut acc = [0f32; D];
        for (&w, row) in weights.iter().zip(rows.chunks_exact(D)) {
            let row: &[f32; D] = row.try_into().expect("chunks of D");
            for c in 0..D {
                acc[c] = fmadd(w, row[c], acc[c]);
            }
        }
        for c in 0..D {
            out[c] = acc[c] * scale;
        }
    }
    match out.len() {
        32 => fixed::<32>(weights, rows, scale, out),
        64 => fixed::<64>(weights, rows, scale, out),
        d => {
            out.fill(0.0);
            for (&w, row) in weights.iter().zip(rows.chunks_exact(d)) {
                for (o, &x) in out.iter_mut().zip(row) {
                    *o += w * x;
                }
            }
            out.iter_mut().for_each(|o| *o *= scale);
        }
    }
}

/// `layer_norm(x + residual) * weight + bias` over the last dimension, in one pass (inference only).
pub fn add_layer_norm(x: &Tensor, residual: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let bias: Vec<f32> = bias.to_dtype(DType::F32)?.to_vec1()?;
    x.contiguous()?.apply_op3(&residual.contiguous()?, weight, AddLayerNorm { eps: eps as f32, bias })
}

struct AddLayerNorm {
    eps: f32,
    bias: Vec<f32>,
}

impl CustomOp3 for AddLayerNorm {
    fn name(&self) -> &'static str {
        "blogbot-add-layer-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        rs: &CpuStorage,
        rl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, x, w, res) = rows_with_params(self.name(), (xs, xl), (ws, wl), (rs, rl), true)?;
        if self.bias.len() != d {
            return Err(Error::Msg(format!("{}: bias of {} for rows of {d}", self.name(), self.bias.len())));
        }
        let b = &self.bias;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(d).zip(x.par_chunks(d).zip(res.par_chunks(d))).for_each(|(o, (xr, rr))| {
            for i in 0..d {
                o[i] = xr[i] + rr[i];
            }
            let (mean, inv) = row_stats(o, self.eps);
            for i in 0..d {
                o[i] = (o[i] - mean) * inv * w[i] + b[i];
            }
        });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::{softmax_last_dim, LayerNorm as ComposedLayerNorm};
    use candle_core::{Device, Module, Var, D};

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    fn randn(shape: &[usize], seed: u64) -> Tensor {
        // A fixed pseudo-random pattern (candle's CPU RNG cannot be seeded).
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|i| (((i as u64 * 2654435761 + seed * 97) % 1000) as f32 / 250.0) - 2.0).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    #[test]
    fn linear_matches_candle_forward_and_backward() {
        let x = Var::from_tensor(&randn(&[2, 5, 8], 9)).unwrap();
        let w = Var::from_tensor(&randn(&[6, 8], 10)).unwrap();
        let b = Var::from_tensor(&randn(&[6], 11)).unwrap();
        let target = randn(&[2, 5, 6], 12);
        let fused = linear(&x, &w, &b).unwrap();
        let reference = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone())).forward(&x).unwrap();
        assert!(max_abs_diff(&fused, &reference) < 1e-5);
        let gf = (fused * &target).unwrap().sum_all().unwrap().backward().unwrap();
        let gr = (reference * &target).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &w, &b] {
            assert!(max_abs_diff(gf.get(v).unwrap(), gr.get(v).unwrap()) < 1e-4);
        }
    }

    #[test]
    fn embeddings_match_index_select_and_broadcast_adds() {
        let word = Var::from_tensor(&randn(&[11, 8], 20)).unwrap();
        let pos = Var::from_tensor(&randn(&[6, 8], 21)).unwrap();
        let ty = Var::from_tensor(&randn(&[2, 8], 22)).unwrap();
        // Repeated ids: their gradient rows must add up.
        let ids = Tensor::new(&[[3u32, 0, 3, 10], [7, 3, 1, 1]], &Device::Cpu).unwrap();
        let target = randn(&[2, 4, 8], 23);
        let fused = embeddings(&ids, &word, &pos, &ty).unwrap();
        let words = word.as_tensor().index_select(&ids.flatten_all().unwrap(), 0).unwrap().reshape((2, 4, 8)).unwrap();
        let composed = words
            .broadcast_add(&pos.as_tensor().narrow(0, 0, 4).unwrap())
            .unwrap()
            .broadcast_add(&ty.as_tensor().narrow(0, 0, 1).unwrap())
            .unwrap();
        assert!(max_abs_diff(&fused, &composed) < 1e-6);
        let gf = (fused * &target).unwrap().sum_all().unwrap().backward().unwrap();
        let gc = (composed * &target).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&word, &pos, &ty] {
            let (a, c) = (gf.get(v).unwrap(), gc.get(v).unwrap());
            assert_eq!(a.dims(), v.dims());
            assert!(max_abs_diff(a, c) < 1e-5, "gradient differs by {}", max_abs_diff(a, c));
        }
        let too_big = Tensor::new(&[[11u32]], &Device::Cpu).unwrap();
        let err = embeddings(&too_big, &word, &pos, &ty).unwrap_err().to_string();
        assert!(err.contains("token id 11 outside a vocabulary of 11"), "{err}");
    }

    #[test]
    fn column_sums_match_candle_on_any_thread_count() {
        let x = randn(&[1000, 24], 30);
        let want = x.sum(0).unwrap();
        let got = column_sums(&x).unwrap();
        assert!(max_abs_diff(&got, &want) < 1e-3);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let serial = one.install(|| column_sums(&x).unwrap());
        assert_eq!(got.to_vec1::<f32>().unwrap(), serial.to_vec1::<f32>().unwrap(), "same order of additions");
    }

    #[test]
    fn exp_and_reductions_match_std() {
        for i in -1970..=1990 {
            let x = i as f32 * 0.0441; // -86.9 to 87.8
            let (got, want) = (exp(x), x.exp());
            assert!((got - want).abs() <= 3e-7 * want, "exp({x}) = {got}, want {want}");
        }
        assert!(exp(-1e4) < 1e-37 && exp(-f32::INFINITY) < 1e-37);
        let xs: Vec<f32> = (0..37).map(|i| ((i * 7919) % 101) as f32 * 0.01 - 0.5).collect();
        let ys: Vec<f32> = (0..37).map(|i| ((i * 104_729) % 97) as f32 * 0.02 - 1.0).collect();
        assert!((sum(&xs) - xs.iter().sum::<f32>()).abs() < 1e-5);
        assert!((dot(&xs, &ys) - xs.iter().zip(&ys).map(|(a, b)| a * b).sum::<f32>()).abs() < 1e-5);
        assert_eq!(max(&xs), xs.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        assert_eq!(max(&xs[..3]), xs[..3].iter().copied().fold(f32::NEG_INFINITY, f32::max));
    }

    #[test]
    fn erf_matches_reference_values() {
        for (x, want) in [(0.0f32, 0.0f32), (0.5, 0.520_499_9), (1.0, 0.842_700_8), (-2.0, -0.995_322_3), (4.0, 1.0)] {
            assert!((erf(x) - want).abs() < 3e-7, "erf({x}) = {} want {want}", erf(x));
        }
    }

    #[test]
    fn layer_norm_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&randn(&[3, 5, 16], 1)).unwrap();
        let w = Var::from_tensor(&randn(&[16], 2)).unwrap();
        let b = Var::from_tensor(&randn(&[16], 3)).unwrap();
        let target = randn(&[3, 5, 16], 4);
        let fused = layer_norm(&x, &w, &b, 1e-12).unwrap();
        let composed = ComposedLayerNorm::new(w.as_tensor().clone(), b.as_tensor().clone(), 1e-12).forward(&x).unwrap();
        assert!(max_abs_diff(&fused, &composed) < 1e-5);
        let gf = (fused * &target).unwrap().sum_all().unwrap().backward().unwrap();
        let gc = (composed * &target).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &w, &b] {
            let (a, c) = (gf.get(v).unwrap(), gc.get(v).unwrap());
            assert!(max_abs_diff(a, c) < 1e-4, "gradient differs by {}", max_abs_diff(a, c));
        }
    }

    #[test]
    fn masked_softmax_matches_composed_forward_and_backward() {
        let (b, h, t) = (2, 3, 7);
        let s = Var::from_tensor(&randn(&[b, h, t, t], 5)).unwrap();
        let mask = Tensor::from_vec(
            (0..b * t).map(|i| if i % t >= t - 2 && i / t == 1 { -1e4f32 } else { 0.0 }).collect::<Vec<_>>(),
            (b, t),
            &Device::Cpu,
        )
        .unwrap();
        let target = randn(&[b, h, t, t], 6);
        let fused = masked_softmax(&s, &mask, 0.125).unwrap();
        let composed =
            softmax_last_dim(&(s.as_tensor() * 0.125).unwrap().broadcast_add(&mask.reshape((b, 1, 1, t)).unwrap()).unwrap())
                .unwrap();
        assert!(max_abs_diff(&fused, &composed) < 1e-6);
        // Padded keys get no weight; rows sum to one.
        let sums = fused.sum(D::Minus1).unwrap();
        assert!(max_abs_diff(&sums, &Tensor::ones_like(&sums).unwrap()) < 1e-5);
        let gf = (fused * &target).unwrap().sum_all().unwrap().backward().unwrap();
        let gc = (composed * &target).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_abs_diff(gf.get(&s).unwrap(), gc.get(&s).unwrap()) < 1e-5);
    }

    #[test]
    fn gelu_matches_candle_forward_and_backward() {
        let x = Var::from_tensor(&(randn(&[40_000], 7) * 3.0).unwrap()).unwrap();
        let target = randn(&[40_000], 8);
        let fused = gelu_erf(&x).unwrap();
        let reference = x.as_tensor().gelu_erf().unwrap();
        assert!(max_abs_diff(&fused, &reference) < 2e-6);
        let gf = (fused * &target).unwrap().sum_all().unwrap().backward().unwrap();
        let gr = (reference * &target).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_abs_diff(gf.get(&x).unwrap(), gr.get(&x).unwrap()) < 1e-5);
    }

    #[test]
    fn attention_matches_composed_heads_and_skips_padding() {
        let (b, t, heads, d) = (2, 9, 3, 32);
        let h = heads * d;
        let (q, k, v) = (randn(&[b, t, h], 21), randn(&[b, t, h], 22), randn(&[b, t, h], 23));
        let q = (q * 0.3).unwrap();
        // The second item has three padding positions at the end.
        let mask = Tensor::from_vec(
            (0..b * t).map(|i| if i / t == 1 && i % t >= t - 3 { -1e4f32 } else { 0.0 }).collect::<Vec<_>>(),
            (b, t),
            &Device::Cpu,
        )
        .unwrap();
        let got = attention(&q, &k, &v, &mask, heads).unwrap();
        let split = |x: &Tensor| x.reshape((b, t, heads, d)).unwrap().transpose(1, 2).unwrap().contiguous().unwrap();
        let (qh, kh, vh) = (split(&q), split(&k), split(&v));
        let scores = qh.matmul(&kh.t().unwrap()).unwrap();
        let probs = masked_softmax(&scores, &mask, 1.0 / (d as f64).sqrt()).unwrap();
        let want = probs.matmul(&vh).unwrap().transpose(1, 2).unwrap().reshape((b, t, h)).unwrap();
        assert!(max_abs_diff(&got, &want) < 1e-5, "differs by {}", max_abs_diff(&got, &want));
        // Any head size, not only the register-blocked ones.
        let odd = attention(&q.narrow(2, 0, 30).unwrap(), &k.narrow(2, 0, 30).unwrap(), &v.narrow(2, 0, 30).unwrap(), &mask, 2);
        assert_eq!(odd.unwrap().dims(), &[b, t, 30]);
        // No backward: asking for one is an error, not silently frozen weights.
        let qv = Var::from_tensor(&q).unwrap();
        let y = attention(&qv, &k, &v, &mask, heads).unwrap();
        assert!(y.sum_all().unwrap().backward().is_err());
    }

    #[test]
    fn add_layer_norm_matches_add_then_layer_norm() {
        let (x, r) = (randn(&[3, 5, 16], 31), randn(&[3, 5, 16], 32));
        let (w, b) = (randn(&[16], 33), randn(&[16], 34));
        let got = add_layer_norm(&x, &r, &w, &b, 1e-12).unwrap();
        let want = layer_norm(&(&x + &r).unwrap(), &w, &b, 1e-12).unwrap();
        assert!(max_abs_diff(&got, &want) < 1e-5);
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use candle_core::Device;

    /// `cargo test --release -p blogbot-classifier --lib -- --ignored attention_speed --nocapture`
    #[test]
    #[ignore]
    fn attention_speed() {
        let (b, t, heads, d) = (32, 128, 12, 32);
        let h = heads * d;
        let r = |s: u64| Tensor::randn(0f32, 1.0, (b, t, h), &Device::Cpu).unwrap() * (0.1 * s as f64);
        let (q, k, v) = (r(1).unwrap(), r(2).unwrap(), r(3).unwrap());
        let mask = Tensor::zeros((b, t), DType::F32, &Device::Cpu).unwrap();
        let time = |f: &dyn Fn() -> Tensor| {
            f();
            let t0 = std::time::Instant::now();
            for _ in 0..10 {
                f();
            }
            t0.elapsed().as_secs_f64() / 10.0
        };
        let fused = time(&|| attention(&q, &k, &v, &mask, heads).unwrap());
        let composed = time(&|| {
            let split = |x: &Tensor| x.reshape((b, t, heads, d)).unwrap().transpose(1, 2).unwrap().contiguous().unwrap();
            let s = split(&q).matmul(&split(&k).t().unwrap()).unwrap();
            let p = masked_softmax(&s, &mask, 1.0 / (d as f64).sqrt()).unwrap();
            p.matmul(&split(&v)).unwrap().transpose(1, 2).unwrap().reshape((b, t, h)).unwrap()
        });
        println!("attention 32 x 128, 12 heads: kernel {:.1} ms, composed {:.1} ms", fused * 1e3, composed * 1e3);
        let x = Tensor::randn(0f32, 1.0, (b * t, 1536), &Device::Cpu).unwrap();
        let gelu = time(&|| gelu_erf(&x).unwrap());
        let candle = time(&|| x.gelu_erf().unwrap());
        println!("gelu 4096 x 1536: kernel {:.1} ms, candle {:.1} ms", gelu * 1e3, candle * 1e3);
        let x = Tensor::randn(0f32, 1.0, (b * t, h), &Device::Cpu).unwrap();
        let (w, bias) = (Tensor::ones(h, DType::F32, &Device::Cpu).unwrap(), Tensor::zeros(h, DType::F32, &Device::Cpu).unwrap());
        let ln = time(&|| layer_norm(&x, &w, &bias, 1e-12).unwrap());
        let s = Tensor::randn(0f32, 1.0, (b, heads, t, t), &Device::Cpu).unwrap();
        let sm = time(&|| masked_softmax(&s, &mask, 0.2).unwrap());
        let xv = candle_core::Var::from_tensor(&x).unwrap();
        let lnb = time(&|| {
            let g = layer_norm(&xv, &w, &bias, 1e-12).unwrap().sum_all().unwrap().backward().unwrap();
            g.get(&xv).unwrap().clone()
        });
        println!("layer norm 4096 x 384: {:.2} ms, with backward {:.2} ms; masked softmax 32 x 12 x 128 x 128: {:.2} ms", ln * 1e3, lnb * 1e3, sm * 1e3);
    }
}
