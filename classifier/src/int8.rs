//! Int8 dense layers for inference on x86-64 CPUs with AVX2 (and faster with AVX-512 VNNI).
//!
//! At f32, MiniLM inference spends ~60% of its time in the matmuls, and those already run at the machine's f32
//! peak (gemm's kernels match MKL: ~175 GFLOPS on the 2-core AMD EPYC dev box, as PyTorch). Byte multiplies do
//! more work per instruction: [`QuantLinear`] keeps a layer's weight as int8 with one scale per output channel
//! (symmetric), quantizes each input row on the fly to u8 with its own scale (dynamic quantization, the scheme
//! PyTorch's `quantize_dynamic` uses for BERT), multiplies in int32 and rescales to f32 with the bias added.
//! Two kernels ([`Kernel`]):
//! - **AVX-512 VNNI** (`vpdpbusd`, 64 byte multiply-adds an instruction where an f32 FMA does 16): inputs as
//!   8-bit symmetric (`round(x / s) + 128`).
//! - **AVX2** (`vpmaddubsw` then `vpmaddwd`, 32 multiply-adds in two multiplier uops where an FMA does 8):
//!   `vpmaddubsw` adds pairs of byte products into 16 bits with saturation, so inputs take 7 bits (`0..=127`,
//!   as fbgemm's `reduce_range` does) and, to spend those 7 bits on the row's actual range (a GELU output is
//!   mostly positive), are asymmetric: `x ~ s * (q - z)` with the row's own scale `s` and zero point `z`.
//!
//! Inference only (no backward); used when [`QuantLinear::supported`] (the CPU has one of the kernels, the layer's
//! input size is a multiple of 4 and its output size a multiple of the kernel's column block). The model's
//! metrics are computed through the same path they are served with (see [`crate::model::PiiModel::quantize_int8`]).

use candle_core::{CpuStorage, CustomOp1, Error, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// An int8 matmul kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 F + VNNI: 8-bit inputs, 6 rows x 64 columns a call (4 x 6 accumulators in 32 zmm registers).
    Vnni,
    /// AVX2 + FMA: 7-bit inputs, 4 rows x 16 columns a call (2 x 4 accumulators in 16 ymm registers).
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs, if any.
    pub fn best() -> Option<Kernel> {
        [Kernel::Vnni, Kernel::Avx2].into_iter().find(|k| k.available())
    }

    /// Whether this CPU runs the kernel.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                Kernel::Vnni => has!("avx512f") && has!("avx512vnni"),
                Kernel::Avx2 => has!("avx2") && has!("fma"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = self;
            false
        }
    }

    /// The kernel's tile: (int32 vectors a row, lanes a vector, rows a call).
    const fn tile(self) -> (usize, usize, usize) {
        match self {
            Kernel::Vnni => (4, 16, 6),
            Kernel::Avx2 => (2, 8, 4),
        }
    }

    /// Output columns a call.
    const fn cols(self) -> usize {
        let (vectors, lanes, _) = self.tile();
        vectors * lanes
    }

    /// Rows a call.
    const fn rows(self) -> usize {
        self.tile().2
    }
}

/// A dense layer `x @ weight^T + bias` with int8 weights.
#[derive(Debug)]
pub struct QuantLinear {
    kernel: Kernel,
    n: usize,
    k: usize,
    /// Weight bytes, per block of the kernel's columns, per group of 4 inputs: its vectors of lanes x 4 bytes.
    packed: Vec<i8>,
    /// Per output column: the weight scale.
    scales: Vec<f32>,
    /// Per output column: the sum of its int8 weights, which an input zero point multiplies.
    sums: Vec<i32>,
    bias: Vec<f32>,
}

/// Quantized input rows: `k` bytes a row, and each row's scale and zero point (`x ~ scale * (q - zero)`).
struct Rows {
    bytes: Vec<u8>,
    scales: Vec<f32>,
    zeros: Vec<f32>,
}

impl QuantLinear {
    /// Whether this CPU runs an int8 kernel.
    pub fn cpu_supported() -> bool {
        Kernel::best().is_some()
    }

    /// Whether a layer of this shape can be quantized on this CPU.
    pub fn supported(n: usize, k: usize) -> bool {
        Kernel::best().is_some_and(|kernel| Self::fits(kernel, n, k))
    }

    fn fits(kernel: Kernel, n: usize, k: usize) -> bool {
        n.is_multiple_of(kernel.cols()) && k.is_multiple_of(4) && k > 0 && n > 0
    }

    /// Quantizes a weight `(n, k)` and bias `(n)` for this CPU's best kernel.
    pub fn new(weight: &Tensor, bias: &Tensor) -> Result<Self> {
        let kernel = Kernel::best().ok_or_else(|| Error::Msg("int8 linear: this CPU has no int8 kernel".into()))?;
        Self::with_kernel(weight, bias, kernel)
    }

    /// Quantizes a weight `(n, k)` and bias `(n)` for `kernel`.
    pub fn with_kernel(weight: &Tensor, bias: &Tensor, kernel: Kernel) -> Result<Self> {
        let (n, k) = weight.dims2()?;
        if !kernel.available() || !Self::fits(kernel, n, k) {
            return Err(Error::Msg(format!("int8 linear: unsupported shape ({n}, {k}) or CPU for {kernel:?}")));
        }
        let w: Vec<Vec<f32>> = weight.to_dtype(candle_core::DType::F32)?.to_vec2()?;
        let bias: Vec<f32> = bias.to_dtype(candle_core::DType::F32)?.to_vec1()?;
        if bias.len() != n {
            return Err(Error::Msg(format!("int8 linear: bias of {} for {n} outputs", bias.len())));
        }
        let mut scales = Vec::with_capacity(n);
        let mut sums = Vec::with_capacity(n);
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
            sums.push(sum);
        }
        let (k4, (vectors, lanes, _), cols) = (k / 4, kernel.tile(), kernel.cols());
        let mut packed = vec![0i8; n * k];
        for j in 0..n {
            let (block, within) = (j / cols, j % cols);
            let (vector, lane) = (within / lanes, within % lanes);
            for g in 0..k4 {
                let at = (((block * k4 + g) * vectors + vector) * lanes + lane) * 4;
                packed[at..at + 4].copy_from_slice(&q[j * k + g * 4..j * k + g * 4 + 4]);
            }
        }
        Ok(Self { kernel, n, k, packed, scales, sums, bias })
    }

    /// The kernel this layer runs.
    pub fn kernel(&self) -> Kernel {
        self.kernel
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

    /// Quantizes the rows of `x` (`k` each) for the kernel. The byte buffer starts uninitialised and is written
    /// whole: zero-filling it first was a `memset` pass (the tuned allocator reuses heap blocks).
    fn quantize_rows(&self, x: &[f32]) -> Rows {
        let k = self.k;
        let m = x.len() / k;
        let kernel = self.kernel;
        let mut bytes: Vec<u8> = Vec::with_capacity(m * k);
        let (mut scales, mut zeros) = (vec![0f32; m], vec![0f32; m]);
        let spare = &mut bytes.spare_capacity_mut()[..m * k];
        let params = scales.par_iter_mut().zip(zeros.par_iter_mut());
        spare.par_chunks_mut(k).zip(params).zip(x.par_chunks(k)).for_each(|((q, (s, z)), row)| {
            let (scale, zero) = match kernel {
                // Symmetric: round(v / scale) + 128 in [1, 255].
                Kernel::Vnni => {
                    let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
                    (if max > 0.0 { max / 127.0 } else { 1.0 }, 128.0)
                }
                // Asymmetric over [min, max] (0 included, so an all-positive row keeps its zero exact enough).
                Kernel::Avx2 => {
                    let (lo, hi) = row.iter().fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                    let scale = if hi > lo { (hi - lo) / 127.0 } else { 1.0 };
                    (scale, -lo / scale)
                }
            };
            let inv = 1.0 / scale;
            // Rounded through the float's mantissa bits rather than a saturating `as` cast, so the loops vectorise
            // (ties round to even; a NaN gives some byte, not UB).
            use crate::fused::{fmadd, to_bits_low};
            match kernel {
                Kernel::Vnni => q.iter_mut().zip(row).for_each(|(q, v)| {
                    q.write(to_bits_low((v * inv).clamp(-127.0, 127.0) + 128.0) as u8);
                }),
                Kernel::Avx2 => q.iter_mut().zip(row).for_each(|(q, &v)| {
                    q.write(to_bits_low(fmadd(v, inv, zero).clamp(0.0, 127.0)) as u8);
                }),
            }
            (*s, *z) = (scale, zero);
        });
        // SAFETY: the chunks of `k` cover all `m * k` bytes (the caller checked `x.len()`) and each was written.
        unsafe { bytes.set_len(m * k) };
        Rows { bytes, scales, zeros }
    }

    /// The layer on the rows of `x` (`k` each; `x.len()` a multiple of `k`): `n` outputs a row, GELU applied
    /// when `gelu`. The output starts uninitialised and the kernels write all of it.
    fn run(&self, x: &[f32], gelu: bool) -> Vec<f32> {
        let (n, k) = (self.n, self.k);
        let m = x.len() / k;
        assert_eq!(m * k, x.len(), "int8 linear: rows of {k}");
        let a = self.quantize_rows(x);
        let (rows_per_call, task_rows) = (self.kernel.rows(), 8 * self.kernel.rows());
        let mut out: Vec<f32> = Vec::with_capacity(m * n);
        let spare = &mut out.spare_capacity_mut()[..m * n];
        spare.par_chunks_mut(task_rows * n).enumerate().for_each(|(t, out)| {
            let row0 = t * task_rows;
            let rows = out.len() / n;
            let mut r = 0;
            while r < rows {
                let take = (rows - r).min(rows_per_call);
                let (lo, hi) = (row0 + r, row0 + r + take);
                let call = Call {
                    bytes: &a.bytes[lo * k..hi * k],
                    scales: &a.scales[lo..hi],
                    zeros: &a.zeros[lo..hi],
                    gelu,
                };
                self.rows(call, &mut out[r * n..(r + take) * n]);
                r += take;
            }
        });
        // SAFETY: the tasks cover all `m` rows, and the kernel writes every one of the `n` columns of its rows
        // (`n` is a multiple of its column blocks, checked in `with_kernel`).
        unsafe { out.set_len(m * n) };
        out
    }

    /// Up to the kernel's rows of quantized input into `out` (`n` each).
    fn rows(&self, a: Call, out: &mut [MaybeUninit<f32>]) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `with_kernel` checked that the CPU has the kernel's features; the kernels read `a` within its
        // rows (k bytes each, k a multiple of 4), `packed` within the column block, and write `out` within its
        // rows (n a multiple of the column block).
        unsafe {
            macro_rules! by_rows {
                ($kernel:ident: $($r:literal)*) => {
                    match a.scales.len() {
                        $($r => $kernel::<$r>(self, a, out),)*
                        _ => unreachable!("at most the kernel's rows"),
                    }
                };
            }
            match self.kernel {
                Kernel::Vnni => by_rows!(kernel_vnni: 1 2 3 4 5 6),
                Kernel::Avx2 => by_rows!(kernel_avx2: 1 2 3 4),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (a, out);
            unreachable!("QuantLinear::with_kernel refuses non-x86_64 CPUs");
        }
    }
}

/// One kernel call's quantized rows.
#[derive(Clone, Copy)]
struct Call<'a> {
    bytes: &'a [u8],
    scales: &'a [f32],
    zeros: &'a [f32],
    gelu: bool,
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

/// Applies GELU to the block of `cols` outputs at `col` of each of `rows` rows, just written by a kernel.
///
/// # Safety
/// Each row's `[col, col + cols)` of `out` (rows of `n`) must be initialised.
#[cfg(target_arch = "x86_64")]
unsafe fn gelu_block(out: &mut [MaybeUninit<f32>], rows: usize, n: usize, col: usize, cols: usize) {
    for r in 0..rows {
        let written = std::slice::from_raw_parts_mut(out.as_mut_ptr().add(r * n + col).cast::<f32>(), cols);
        crate::fused::gelu_erf_in_place(written);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn kernel_vnni<const R: usize>(q: &QuantLinear, a: Call, out: &mut [MaybeUninit<f32>]) {
    use std::arch::x86_64::*;
    let (n, k) = (q.n, q.k);
    let (k4, cols) = (k / 4, Kernel::Vnni.cols());
    debug_assert!(a.bytes.len() == R * k && out.len() == R * n);
    for block in 0..n / cols {
        let mut acc = [[_mm512_setzero_si512(); 4]; R];
        let mut w = q.packed.as_ptr().add(block * k4 * 4 * cols);
        for g in 0..k4 {
            let b0 = _mm512_loadu_si512(w as *const _);
            let b1 = _mm512_loadu_si512(w.add(64) as *const _);
            let b2 = _mm512_loadu_si512(w.add(128) as *const _);
            let b3 = _mm512_loadu_si512(w.add(192) as *const _);
            w = w.add(256);
            for r in 0..R {
                let x = _mm512_set1_epi32((a.bytes.as_ptr().add(r * k + g * 4) as *const i32).read_unaligned());
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, b0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, b1);
                acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], x, b2);
                acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], x, b3);
            }
        }
        for v in 0..4 {
            let col = block * cols + v * 16;
            // The zero point is 128 for every row: subtract 128 x the column sums in exact integers.
            let sums = _mm512_loadu_si512(q.sums.as_ptr().add(col) as *const _);
            let off = _mm512_slli_epi32::<7>(sums);
            let scale = _mm512_loadu_ps(q.scales.as_ptr().add(col));
            let bias = _mm512_loadu_ps(q.bias.as_ptr().add(col));
            for r in 0..R {
                let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], off));
                let y = _mm512_fmadd_ps(exact, _mm512_mul_ps(scale, _mm512_set1_ps(a.scales[r])), bias);
                _mm512_storeu_ps(out.as_mut_ptr().add(r * n + col).cast::<f32>(), y);
            }
        }
        if a.gelu {
            gelu_block(out, R, n, block * cols, cols);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2<const R: usize>(q: &QuantLinear, a: Call, out: &mut [MaybeUninit<f32>]) {
    use std::arch::x86_64::*;
    let (n, k) = (q.n, q.k);
    let (k4, cols) = (k / 4, Kernel::Avx2.cols());
    debug_assert!(a.bytes.len() == R * k && out.len() == R * n);
    let ones = _mm256_set1_epi16(1);
    for block in 0..n / cols {
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        let mut w = q.packed.as_ptr().add(block * k4 * 4 * cols);
        for g in 0..k4 {
            let b0 = _mm256_loadu_si256(w as *const __m256i);
            let b1 = _mm256_loadu_si256(w.add(32) as *const __m256i);
            w = w.add(64);
            for r in 0..R {
                let x = _mm256_set1_epi32((a.bytes.as_ptr().add(r * k + g * 4) as *const i32).read_unaligned());
                // Pairs of u8 x i8 products into i16 (at most 2 x 127 x 127: no saturation with 7-bit inputs),
                // then pairs of those into i32.
                let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones);
                let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones);
                acc[r][0] = _mm256_add_epi32(acc[r][0], p0);
                acc[r][1] = _mm256_add_epi32(acc[r][1], p1);
            }
        }
        for v in 0..2 {
            let col = block * cols + v * 8;
            let sums = _mm256_cvtepi32_ps(_mm256_loadu_si256(q.sums.as_ptr().add(col) as *const __m256i));
            let scale = _mm256_loadu_ps(q.scales.as_ptr().add(col));
            let bias = _mm256_loadu_ps(q.bias.as_ptr().add(col));
            for r in 0..R {
                // (acc - zero * sums) * (weight scale * row scale) + bias.
                let exact = _mm256_fnmadd_ps(_mm256_set1_ps(a.zeros[r]), sums, _mm256_cvtepi32_ps(acc[r][v]));
                let y = _mm256_fmadd_ps(exact, _mm256_mul_ps(scale, _mm256_set1_ps(a.scales[r])), bias);
                _mm256_storeu_ps(out.as_mut_ptr().add(r * n + col).cast::<f32>(), y);
            }
        }
        if a.gelu {
            gelu_block(out, R, n, block * cols, cols);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn int8_linear_is_close_to_f32() {
        let kernels: Vec<Kernel> = [Kernel::Vnni, Kernel::Avx2].into_iter().filter(|k| k.available()).collect();
        if kernels.is_empty() {
            eprintln!("skipped: this CPU has no int8 kernel");
            return;
        }
        let (m, n, k) = (13, 128, 40);
        let f = |i: usize, s: u64| (((i as u64 * 2654435761 + s * 97) % 1000) as f32 / 500.0) - 1.0;
        // Rows of mixed sign and rows that are mostly positive with a small negative tail (as after GELU).
        let mixed = |i: usize| if (i / k) % 2 == 0 { f(i, 1) } else { (f(i, 1) + 0.9).max(-0.17) * 3.0 };
        let xs: Vec<f32> = (0..m * k).map(mixed).collect();
        let x = Tensor::from_vec(xs, (m, k), &Device::Cpu).unwrap();
        let w = Tensor::from_vec((0..n * k).map(|i| f(i, 2) * 0.1).collect::<Vec<_>>(), (n, k), &Device::Cpu).unwrap();
        let b = Tensor::from_vec((0..n).map(|i| f(i, 3)).collect::<Vec<_>>(), n, &Device::Cpu).unwrap();
        let want = x.matmul(&w.t().unwrap()).unwrap().broadcast_add(&b).unwrap();
        let max_abs = |t: &Tensor| t.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        for kernel in kernels {
            let q = QuantLinear::with_kernel(&w, &b, kernel).unwrap();
            assert_eq!(q.kernel(), kernel);
            let got = q.forward(&x.reshape((1, m, k)).unwrap()).unwrap().reshape((m, n)).unwrap();
            let err = max_abs(&(&got - &want).unwrap());
            // Two 8-bit (or 7-bit input) roundings over 40 products: about 1% of the output range.
            assert!(err < 0.02 * max_abs(&want), "{kernel:?}: max error {err} for outputs up to {}", max_abs(&want));
            // A shape that is not a multiple of the column block is refused.
            let (w100, b100) = (w.narrow(0, 0, 100).unwrap(), b.narrow(0, 0, 100).unwrap());
            assert!(QuantLinear::with_kernel(&w100, &b100, kernel).is_err());
            // The GELU epilogue equals GELU after the layer.
            let fused = q.forward_gelu(&x).unwrap();
            let after = crate::fused::gelu_erf(&q.forward(&x).unwrap()).unwrap();
            let diff = max_abs(&(&fused - &after).unwrap());
            assert!(diff < 1e-6, "{kernel:?}: epilogue differs by {diff}");
            // A gradient-tracking input is refused rather than silently cut from the graph.
            let xv = candle_core::Var::from_tensor(&x).unwrap();
            assert!(q.forward(&xv).is_err());
        }
    }
}
