//! Blocked Q8_0 x f32 matrix product for x86-64 CPUs with AVX2 (blogbot patch: `patches/README.md`).
//!
//! candle's `k_quants::matmul` takes one input row at a time and runs it against every weight row, so a prefill
//! of `m` tokens streams the whole weight matrix from memory `m` times, and each output pays a horizontal sum.
//! Here the weight rows are cut into panels that stay in cache while every input row passes over them, and a
//! register tile of `RM` input rows by `RN` weight rows shares each load. The arithmetic is the one of ggml's
//! and candle's Q8_0 dot product (inputs quantized to Q8_0 blocks with an f16 scale, `vpmaddubsw` on
//! |a| and sign(a)*w), so results match candle's to f32 rounding.

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Result, Tensor};
#[cfg(target_arch = "x86_64")]
use {
    candle_core::{Device, Storage},
    half::f16,
    rayon::prelude::*,
};

#[cfg(target_arch = "x86_64")]
const QK: usize = 32;
#[cfg(target_arch = "x86_64")]
/// Bytes of one Q8_0 block: an f16 scale, then 32 signed bytes.
const BLOCK: usize = 34;
#[cfg(target_arch = "x86_64")]
/// Weight rows per parallel task and cache panel (48 x 576 columns of Q8_0 is ~29 KB).
const PANEL: usize = 48;

/// Whether this CPU can run [`matmul`].
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
/// Inputs quantized to Q8_0: `m` rows of `k` signed bytes, and one scale per row and block.
struct Quantized {
    qs: Vec<i8>,
    scales: Vec<f32>,
}

#[cfg(target_arch = "x86_64")]
/// Quantize each row as candle's `BlockQ8_0::from_float` does: scale amax/127 stored as f16, values rounded.
fn quantize(lhs: &[f32], m: usize, k: usize) -> Quantized {
    let kb = k / QK;
    let mut qs = vec![0i8; m * k];
    let mut scales = vec![0f32; m * kb];
    qs.chunks_exact_mut(QK).zip(lhs.chunks_exact(QK)).zip(scales.iter_mut()).for_each(|((q, x), s)| {
        let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        *s = f16::from_f32(d).to_f32();
        for (q, v) in q.iter_mut().zip(x) {
            *q = (v * id).round() as i8;
        }
    });
    Quantized { qs, scales }
}

/// Rows of input from which the blocked product is used. One row (decode) streams the weights once either way,
/// and there candle's column loop reads memory faster (measured on an AMD EPYC Zen 3).
pub const MIN_ROWS: usize = 4;

/// `x . w^T` for a CPU f32 input `(.., k)` and Q8_0 weights `(n, k)`, or `None` when this path does not apply
/// (other device, dtype or CPU, fewer than [`MIN_ROWS`] rows), so the caller keeps candle's own path.
pub fn forward(w: &QTensor, x: &Tensor) -> Result<Option<Tensor>> {
    if !x.device().is_cpu() || x.dtype() != DType::F32 || w.dtype() != GgmlDType::Q8_0 || !supported() {
        return Ok(None);
    }
    #[cfg(target_arch = "x86_64")]
    {
        blocked(w, x)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Ok(None)
    }
}

/// [`forward`] past its device and type checks, on x86-64 (the only target with a kernel).
#[cfg(target_arch = "x86_64")]
fn blocked(w: &QTensor, x: &Tensor) -> Result<Option<Tensor>> {
    let (n, k) = w.shape().dims2()?;
    let dims = x.dims();
    let m = x.elem_count() / k.max(1);
    if dims.last() != Some(&k) || k % QK != 0 || m < MIN_ROWS {
        return Ok(None);
    }
    let x = x.contiguous()?;
    let (storage, layout) = x.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else { return Ok(None) };
    let lhs = &cpu.as_slice::<f32>()?[layout.start_offset()..][..m * k];
    let data = w.data()?;
    let mut dst = vec![0f32; m * n];
    matmul(m, k, n, lhs, &data, &mut dst);
    let mut out_dims = dims.to_vec();
    *out_dims.last_mut().expect("rank >= 1") = n;
    Tensor::from_vec(dst, out_dims, &Device::Cpu).map(Some)
}

#[cfg(target_arch = "x86_64")]
/// `dst[m x n] = lhs[m x k] . w[n x k]^T`, where `w` holds `n` rows of `k / 32` Q8_0 blocks.
/// The caller checks [`supported`] and that `k` is a multiple of 32.
fn matmul(m: usize, k: usize, n: usize, lhs: &[f32], w: &[u8], dst: &mut [f32]) {
    assert!(k % QK == 0 && lhs.len() == m * k && dst.len() == m * n && w.len() == n * (k / QK) * BLOCK);
    assert!(supported());
    let a = quantize(lhs, m, k);
    let dst_addr = dst.as_mut_ptr() as usize;
    // A few tasks per thread, each a run of whole panels: rayon's per-task cost stays small next to the work.
    let panels = n.div_ceil(PANEL);
    let tasks = panels.min(4 * rayon::current_num_threads());
    (0..tasks).into_par_iter().for_each(|t| {
        for p in (t * panels / tasks)..((t + 1) * panels / tasks) {
            let (j0, j1) = (p * PANEL, ((p + 1) * PANEL).min(n));
            // SAFETY: AVX2, FMA and F16C are present (asserted); panels write disjoint columns of `dst`.
            unsafe { panel(&a, w, k, m, n, j0, j1, dst_addr as *mut f32) }
        }
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn panel(a: &Quantized, w: &[u8], k: usize, m: usize, n: usize, j0: usize, j1: usize, dst: *mut f32) {
    const RM: usize = 4;
    const RN: usize = 3;
    let mut i = 0;
    while i + RM <= m {
        let mut j = j0;
        while j + RN <= j1 {
            tile::<RM, RN>(a, w, k, n, i, j, dst);
            j += RN;
        }
        while j < j1 {
            tile::<RM, 1>(a, w, k, n, i, j, dst);
            j += 1;
        }
        i += RM;
    }
    while i < m {
        let mut j = j0;
        while j + 4 <= j1 {
            tile::<1, 4>(a, w, k, n, i, j, dst);
            j += 4;
        }
        while j < j1 {
            tile::<1, 1>(a, w, k, n, i, j, dst);
            j += 1;
        }
        i += 1;
    }
}

/// One `RM x RN` block of outputs at input row `i`, weight row `j`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn tile<const RM: usize, const RN: usize>(
    a: &Quantized,
    w: &[u8],
    k: usize,
    n: usize,
    i: usize,
    j: usize,
    dst: *mut f32,
) {
    use std::arch::x86_64::*;
    let kb = k / QK;
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); RN]; RM];
    let wp = w.as_ptr();
    let ap = a.qs.as_ptr();
    let sp = a.scales.as_ptr();
    for b in 0..kb {
        let mut wq = [_mm256_setzero_si256(); RN];
        let mut ws = [_mm256_setzero_ps(); RN];
        for r in 0..RN {
            let blk = wp.add(((j + r) * kb + b) * BLOCK);
            ws[r] = _mm256_set1_ps(f16::from_bits((blk as *const u16).read_unaligned()).to_f32());
            wq[r] = _mm256_loadu_si256(blk.add(2) as *const __m256i);
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let x = _mm256_loadu_si256(ap.add((i + r) * k + b * QK) as *const __m256i);
            let ax = _mm256_sign_epi8(x, x);
            let sa = _mm256_broadcast_ss(&*sp.add((i + r) * kb + b));
            for c in 0..RN {
                let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(wq[c], x)), ones);
                row[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(sa, ws[c]), row[c]);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            *dst.add((i + r) * n + j + c) = hsum(*v);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn hsum(x: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let s = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
}
