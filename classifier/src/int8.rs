//! Int8 dense layers for inference on CPUs with AVX-512 VNNI.
//!
//! At f32, MiniLM inference on the 2-core dev box spends ~60% of its time in the matmuls and those run at
//! ~75% of the machine's f32 peak (gemm's AVX-512 kernels), so f32 cannot go much faster. `vpdpbusd` does 64
//! multiply-adds of bytes per instruction where an f32 FMA does 16. [`QuantLinear`] keeps a layer's weight as
//! int8 with one scale per output channel (symmetric), quantizes each input row on the fly to u8 with its own
//! scale (dynamic quantization, the scheme PyTorch's `quantize_dynamic` uses for BERT), multiplies in int32 and
//! rescales to f32 with the bias added.
//!
//! Inference only (no backward); used when [`QuantLinear::supported`] (CPU has AVX-512 F + VNNI, the layer's
//! input size is a multiple of 4 and its output size a multiple of 64). The model's metrics are computed
//! through the same path they are served with (see [`crate::model::PiiModel::quantize_int8`]).

use candle_core::{CpuStorage, CustomOp1, Error, Layout, Result, Shape, Tensor};
use std::mem::MaybeUninit;
use rayon::prelude::*;

/// Output columns per kernel call: four 16-lane int32 accumulators per row.
const COLS: usize = 64;
/// Rows per kernel call: 6 x 4 accumulators + 4 weight vectors + 1 broadcast fit the 32 zmm registers.
const ROWS: usize = 6;
/// Rows per parallel task.
const TASK_ROWS: usize = 8 * ROWS;

/// A dense layer `x @ weight^T + bias` with int8 weights.
#[derive(Debug)]
pub struct QuantLinear {
    n: usize,
    k: usize,
    /// Weight bytes, per 64-column block, per group of 4 inputs: 4 vectors of 16 columns x 4 bytes.
    packed: Vec<i8>,
    /// Per output column: the weight scale.
    scales: Vec<f32>,
    /// Per output column: 128 x the sum of its int8 weights (the u8 inputs carry a +128 offset).
    offsets: Vec<i32>,
    bias: Vec<f32>,
}

impl QuantLinear {
    /// Whether this CPU runs the int8 kernel.
    pub fn cpu_supported() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vnni")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Whether a layer of this shape can be quantized on this CPU.
    pub fn supported(n: usize, k: usize) -> bool {
        Self::cpu_supported() && n % COLS == 0 && k % 4 == 0 && k > 0
    }

    /// Quantizes a weight `(n, k)` and bias `(n)`.
    pub fn new(weight: &Tensor, bias: &Tensor) -> Result<Self> {
        let (n, k) = weight.dims2()?;
        if !Self::supported(n, k) {
            return Err(Error::Msg(format!("int8 linear: unsupported shape ({n}, {k}) or CPU")));
        }
        let w: Vec<Vec<f32>> = weight.to_dtype(candle_core::DType::F32)?.to_vec2()?;
        let bias: Vec<f32> = bias.to_dtype(candle_core::DType::F32)?.to_vec1()?;
        if bias.len() != n {
            return Err(Error::Msg(format!("int8 linear: bias of {} for {n} outputs", bias.len())));
        }
        let mut scales = Vec::with_capacity(n);
        let mut offsets = Vec::with_capacity(n);
        let mut q = vec![0i8; n * k];
        for (j, row) in w.iter().enumerate() {
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            let mut sum = 0i32;
            for (i, v) in row.iter().enumerate() {
                let b = (v / scale).round().clamp(-127.0, 127.0) as i8;
                q[j * k + i] = b;
                sum += b as i32;
            }
            scales.push(scale);
            offsets.push(128 * sum);
        }
        let k4 = k / 4;
        let mut packed = vec![0i8; n * k];
        for j in 0..n {
            let (block, within) = (j / COLS, j % COLS);
            let (vector, lane) = (within / 16, within % 16);
            for g in 0..k4 {
                let at = (((block * k4 + g) * 4 + vector) * 16 + lane) * 4;
                packed[at..at + 4].copy_from_slice(&q[j * k + g * 4..j * k + g * 4 + 4]);
            }
        }
        Ok(Self { n, k, packed, scales, offsets, bias })
    }

    /// `x` `(..., k)` f32 on the CPU -> `(..., n)`. Inference only: an input that tracks a gradient is refused.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.check(x)?;
        x.contiguous()?.apply_op1_no_bwd(&Int8Op { layer: self, gelu: false })
    }

    /// `gelu_erf(forward(x))`, the GELU applied to each block of outputs while it is still in cache.
    pub fn forward_gelu(&self, x: &Tensor) -> Result<Tensor> {
        self.check(x)?;
        x.contiguous()?.apply_op1_no_bwd(&Int8Op { layer: self, gelu: true })
    }

    fn check(&self, x: &Tensor) -> Result<()> {
        if x.dims().last() != Some(&self.k) {
            return Err(Error::Msg(format!("int8 linear: input {:?} for {} inputs", x.dims(), self.k)));
        }
        if x.track_op() {
            return Err(Error::Msg("int8 linear: inference only, the input tracks a gradient".into()));
        }
        Ok(())
    }

    /// The layer on the rows of `x` (`k` each; `x.len()` a multiple of `k`): `n` outputs a row, GELU applied
    /// when `gelu`. Both buffers below start uninitialised and are written whole: zero-filling them first was a
    /// `memset` pass over each (6% of inference time), because the tuned allocator reuses heap blocks.
    fn run(&self, x: &[f32], gelu: bool) -> Vec<f32> {
        let (n, k) = (self.n, self.k);
        let m = x.len() / k;
        assert_eq!(m * k, x.len(), "int8 linear: rows of {k}");
        // u8 rows with a +128 offset, and each row's scale.
        let mut a: Vec<u8> = Vec::with_capacity(m * k);
        let mut a_scales = vec![0f32; m];
        let spare = &mut a.spare_capacity_mut()[..m * k];
        spare.par_chunks_mut(k).zip(a_scales.par_iter_mut()).zip(x.par_chunks(k)).for_each(|((q, s), row)| {
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            let inv = 1.0 / scale;
            // round(v / scale) + 128, in [1, 255]: through the float's mantissa bits rather than a saturating
            // `as` cast, so the loop vectorises (ties round to even; a NaN gives some byte, not UB).
            for (q, v) in q.iter_mut().zip(row) {
                q.write(crate::fused::to_bits_low((v * inv).clamp(-127.0, 127.0) + 128.0) as u8);
            }
            *s = scale;
        });
        // SAFETY: the chunks of `k` cover all `m * k` bytes (checked above) and each byte of each was written.
        unsafe { a.set_len(m * k) };
        let mut out: Vec<f32> = Vec::with_capacity(m * n);
        let spare = &mut out.spare_capacity_mut()[..m * n];
        spare.par_chunks_mut(TASK_ROWS * n).enumerate().for_each(|(t, out)| {
            let row0 = t * TASK_ROWS;
            let rows = out.len() / n;
            let mut r = 0;
            while r < rows {
                let take = (rows - r).min(ROWS);
                let a_rows = &a[(row0 + r) * k..(row0 + r + take) * k];
                let s_rows = &a_scales[row0 + r..row0 + r + take];
                self.rows(a_rows, s_rows, &mut out[r * n..(r + take) * n], gelu);
                r += take;
            }
        });
        // SAFETY: the tasks cover all `m` rows, and the kernel writes every one of the `n` columns of its rows
        // (`n` is a multiple of its 64-column blocks, checked in `supported`).
        unsafe { out.set_len(m * n) };
        out
    }

    /// Up to [`ROWS`] rows of `a` (u8, `k` each) into `out` (`n` each).
    fn rows(&self, a: &[u8], a_scales: &[f32], out: &mut [MaybeUninit<f32>], gelu: bool) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` checked AVX-512 F + VNNI at construction; the kernel reads `a` within its rows
        // (k bytes each, k a multiple of 4), `packed` within the column block, and writes `out` within its rows.
        unsafe {
            match a_scales.len() {
                6 => kernel::<6>(self, a, a_scales, out, gelu),
                5 => kernel::<5>(self, a, a_scales, out, gelu),
                4 => kernel::<4>(self, a, a_scales, out, gelu),
                3 => kernel::<3>(self, a, a_scales, out, gelu),
                2 => kernel::<2>(self, a, a_scales, out, gelu),
                1 => kernel::<1>(self, a, a_scales, out, gelu),
                _ => unreachable!("at most ROWS rows"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (a, a_scales, out, gelu);
            unreachable!("QuantLinear::new refuses non-x86_64 CPUs");
        }
    }
}

/// [`QuantLinear`] as a candle op, with or without the GELU epilogue.
struct Int8Op<'a> {
    layer: &'a QuantLinear,
    gelu: bool,
}

impl CustomOp1 for Int8Op<'_> {
    fn name(&self) -> &'static str {
        "blogbot-int8-linear"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let n = self.layer.n;
        let x = crate::fused::f32_slice(xs, xl, self.name())?;
        let out = self.layer.run(x, self.gelu);
        let mut dims = xl.dims().to_vec();
        *dims.last_mut().expect("forward checked the last dimension") = n;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn kernel<const R: usize>(q: &QuantLinear, a: &[u8], a_scales: &[f32], out: &mut [MaybeUninit<f32>], gelu: bool) {
    use std::arch::x86_64::*;
    let (n, k) = (q.n, q.k);
    let k4 = k / 4;
    debug_assert!(a.len() == R * k && out.len() == R * n);
    for block in 0..n / COLS {
        let mut acc = [[_mm512_setzero_si512(); 4]; R];
        let mut w = q.packed.as_ptr().add(block * k4 * 4 * 64);
        for g in 0..k4 {
            let b0 = _mm512_loadu_si512(w as *const _);
            let b1 = _mm512_loadu_si512(w.add(64) as *const _);
            let b2 = _mm512_loadu_si512(w.add(128) as *const _);
            let b3 = _mm512_loadu_si512(w.add(192) as *const _);
            w = w.add(256);
            for r in 0..R {
                let x = _mm512_set1_epi32((a.as_ptr().add(r * k + g * 4) as *const i32).read_unaligned());
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, b0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, b1);
                acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], x, b2);
                acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], x, b3);
            }
        }
        for v in 0..4 {
            let col = block * COLS + v * 16;
            let off = _mm512_loadu_si512(q.offsets.as_ptr().add(col) as *const _);
            let scale = _mm512_loadu_ps(q.scales.as_ptr().add(col));
            let bias = _mm512_loadu_ps(q.bias.as_ptr().add(col));
            for r in 0..R {
                let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], off));
                let y = _mm512_fmadd_ps(exact, _mm512_mul_ps(scale, _mm512_set1_ps(a_scales[r])), bias);
                _mm512_storeu_ps(out.as_mut_ptr().add(r * n + col).cast::<f32>(), y);
            }
        }
        if gelu {
            for r in 0..R {
                // Written just above, so initialised.
                let written = std::slice::from_raw_parts_mut(out.as_mut_ptr().add(r * n + block * COLS).cast::<f32>(), COLS);
                crate::fused::gelu_erf_in_place(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn int8_linear_is_close_to_f32() {
        if !QuantLinear::cpu_supported() {
            eprintln!("skipped: this CPU has no AVX-512 VNNI");
            return;
        }
        let (m, n, k) = (13, 128, 40);
        let f = |i: usize, s: u64| (((i as u64 * 2654435761 + s * 97) % 1000) as f32 / 500.0) - 1.0;
        let x = Tensor::from_vec((0..m * k).map(|i| f(i, 1)).collect::<Vec<_>>(), (m, k), &Device::Cpu).unwrap();
        let w = Tensor::from_vec((0..n * k).map(|i| f(i, 2) * 0.1).collect::<Vec<_>>(), (n, k), &Device::Cpu).unwrap();
        let b = Tensor::from_vec((0..n).map(|i| f(i, 3)).collect::<Vec<_>>(), n, &Device::Cpu).unwrap();
        let q = QuantLinear::new(&w, &b).unwrap();
        let got = q.forward(&x.reshape((1, m, k)).unwrap()).unwrap().reshape((m, n)).unwrap();
        let want = x.matmul(&w.t().unwrap()).unwrap().broadcast_add(&b).unwrap();
        let err = (&got - &want).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        let scale = want.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        // Two 8-bit roundings over 40 products: about 1% of the output range.
        assert!(err < 0.02 * scale, "max error {err} for outputs up to {scale}");
        assert!(QuantLinear::new(&w.narrow(0, 0, 100).unwrap(), &b.narrow(0, 0, 100).unwrap()).is_err());
        // The GELU epilogue equals GELU after the layer.
        let fused = q.forward_gelu(&x).unwrap();
        let after = crate::fused::gelu_erf(&q.forward(&x).unwrap()).unwrap();
        let diff = (&fused - &after).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-6, "epilogue differs by {diff}");
        // A gradient-tracking input is refused rather than silently cut from the graph.
        let xv = candle_core::Var::from_tensor(&x).unwrap();
        assert!(q.forward(&xv).is_err());
    }
}
