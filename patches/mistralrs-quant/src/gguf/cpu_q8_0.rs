//! Q8_0 x f32 matrix product for x86-64 CPUs with AVX2, on a packed copy of the weights (blogbot patch:
//! `patches/README.md`).
//!
//! candle's `k_quants::matmul` takes one input row at a time and runs it against every weight row: a prefill of
//! `m` tokens streams each weight matrix from memory `m` times, every output pays a horizontal sum, and each block
//! converts two f16 scales. Here the weights are packed once, at the first product, into groups of four rows whose
//! blocks sit side by side (`4 x 32` quants, then four f32 scales), 64-byte aligned. A register tile of up to four
//! input rows by one group computes the four Q8_0 block products of a row at once (`vpmaddubsw` of |a| and
//! sign(a)·w, as ggml and candle do), adds their lanes into one vector of four sums without leaving integers, and
//! scales and accumulates it with one FMA. For several rows (prefill) the groups are cut into panels that stay
//! in cache while every input row passes over them; for one row (decode) the packed groups stream in order.
//! Inputs are quantized to Q8_0 blocks exactly as candle does; the products differ from candle's only in the
//! order of the f32 additions (about 1e-7 relative).

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Result, Tensor};
use std::sync::OnceLock;
#[cfg(target_arch = "x86_64")]
use {
    candle_core::{Device, Storage},
    half::f16,
    rayon::prelude::*,
    std::arch::x86_64::*,
};

#[cfg(target_arch = "x86_64")]
const QK: usize = 32;
#[cfg(target_arch = "x86_64")]
/// Bytes of one Q8_0 block in GGUF: an f16 scale, then 32 signed bytes.
const BLOCK: usize = 34;
#[cfg(target_arch = "x86_64")]
/// Weight rows per packed group (one register tile's columns).
const GROUP: usize = 4;
#[cfg(target_arch = "x86_64")]
/// Groups per panel for several input rows: 12 x 4 rows x 576 columns is ~28 KB of quants.
const PANEL: usize = 12;
#[cfg(target_arch = "x86_64")]
/// Input rows per register tile.
const RM: usize = 4;
#[cfg(target_arch = "x86_64")]
/// Multiply-adds below which a product is not split across threads.
const SERIAL_MACS: usize = 1 << 18;

/// Whether this CPU can run the packed product.
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

/// The packed copy of one Q8_0 weight, made at its first CPU product (`None` inside: not packable, so
/// candle's path). It costs as much memory as the weight itself.
#[derive(Debug, Default)]
pub struct Packing(OnceLock<Option<Packed>>);

/// Q8_0 weights `(n, k)` packed by groups of [`GROUP`] rows (the last group padded with zero rows).
#[derive(Debug)]
pub struct Packed {
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    n: usize,
    k: usize,
    /// Quants: group, block, row of the group, 32 bytes; starting at `offset`, which is 64-byte aligned.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    qs: Vec<u8>,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    offset: usize,
    /// Scales as f32: group, block, row of the group.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    scales: Vec<f32>,
}

impl Packed {
    /// Packs a CPU Q8_0 weight of two dimensions with `k` a multiple of 32; `None` for anything else.
    pub fn new(w: &QTensor) -> Result<Option<Self>> {
        #[cfg(target_arch = "x86_64")]
        {
            if w.dtype() != GgmlDType::Q8_0 || !w.device().is_cpu() || w.shape().rank() != 2 {
                return Ok(None);
            }
            let (n, k) = w.shape().dims2()?;
            if k % QK != 0 || n == 0 {
                return Ok(None);
            }
            let data = w.data()?;
            let kb = k / QK;
            let groups = n.div_ceil(GROUP);
            let mut qs = vec![0u8; groups * GROUP * k + 64];
            let offset = qs.as_ptr().align_offset(64);
            let mut scales = vec![0f32; groups * GROUP * kb];
            for (j, row) in data.chunks_exact(kb * BLOCK).enumerate().take(n) {
                let (g, c) = (j / GROUP, j % GROUP);
                for (b, blk) in row.chunks_exact(BLOCK).enumerate() {
                    let slot = (g * kb + b) * GROUP + c;
                    scales[slot] = f16::from_le_bytes([blk[0], blk[1]]).to_f32();
                    qs[offset + slot * QK..][..QK].copy_from_slice(&blk[2..]);
                }
            }
            Ok(Some(Self { n, k, qs, offset, scales }))
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = w;
            Ok(None)
        }
    }

    /// Bytes held by the packed copy.
    pub fn bytes(&self) -> usize {
        self.qs.len() + self.scales.len() * 4
    }

    /// Columns (`k`) of the packed weight.
    pub fn k(&self) -> usize {
        self.k
    }
}

/// `x . w^T` for a CPU f32 input `(.., k)` and Q8_0 weights `(n, k)` through the packed copy in `packing` (made
/// on first use), or `None` when this path does not apply (other device, dtype or CPU), so the caller keeps
/// candle's own path.
pub fn forward(packing: &Packing, w: &QTensor, x: &Tensor) -> Result<Option<Tensor>> {
    if !x.device().is_cpu() || x.dtype() != DType::F32 || w.dtype() != GgmlDType::Q8_0 || !supported() {
        return Ok(None);
    }
    if packing.0.get().is_none() {
        let packed = Packed::new(w)?;
        let _ = packing.0.set(packed);
    }
    match packing.0.get() {
        #[cfg(target_arch = "x86_64")]
        Some(Some(p)) => product(p, x),
        _ => Ok(None),
    }
}

#[cfg(target_arch = "x86_64")]
/// `x . w^T` on packed weights, past [`forward`]'s device, dtype and CPU checks; `None` when the last axis of `x`
/// is not `k`.
fn product(p: &Packed, x: &Tensor) -> Result<Option<Tensor>> {
    let k = p.k;
    let dims = x.dims();
    if dims.last() != Some(&k) {
        return Ok(None);
    }
    let m = x.elem_count() / k;
    let x = x.contiguous()?;
    let (storage, layout) = x.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else { return Ok(None) };
    let lhs = &cpu.as_slice::<f32>()?[layout.start_offset()..][..m * k];
    let mut dst = vec![0f32; m * p.n];
    matmul(m, lhs, p, &mut dst);
    let mut out_dims = dims.to_vec();
    *out_dims.last_mut().expect("rank >= 1") = p.n;
    Tensor::from_vec(dst, out_dims, &Device::Cpu).map(Some)
}

#[cfg(target_arch = "x86_64")]
/// Inputs quantized to Q8_0: `m` rows of `k` signed bytes, and the scales transposed, `[block][row]`, rows
/// padded to a multiple of [`RM`].
struct Quantized {
    qs: Vec<i8>,
    scales: Vec<f32>,
    rows: usize,
}

#[cfg(target_arch = "x86_64")]
/// Quantizes each row as candle's `BlockQ8_0::from_float` does: scale amax/127 stored as f16, values times its
/// unrounded inverse rounded half away from zero.
fn quantize(lhs: &[f32], m: usize, k: usize) -> Quantized {
    let kb = k / QK;
    let rows = m.next_multiple_of(RM);
    let mut qs = vec![0i8; m * k];
    let mut scales = vec![0f32; kb * rows];
    for (r, (q, x)) in qs.chunks_exact_mut(k).zip(lhs.chunks_exact(k)).enumerate() {
        for (b, (q, x)) in q.chunks_exact_mut(QK).zip(x.chunks_exact(QK)).enumerate() {
            // SAFETY: AVX2, FMA and F16C are present (checked by the callers of `matmul`); 32 values each.
            scales[b * rows + r] = unsafe { quantize_block(x, q) };
        }
    }
    Quantized { qs, scales, rows }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
/// One block of 32 values into `q`; returns its scale (f16-rounded, as f32).
unsafe fn quantize_block(x: &[f32], q: &mut [i8]) -> f32 {
    let sign = _mm256_set1_ps(-0.0);
    let v = [0, 8, 16, 24].map(|o| _mm256_loadu_ps(x.as_ptr().add(o)));
    let amax = v.iter().fold(_mm256_setzero_ps(), |a, t| _mm256_max_ps(a, _mm256_andnot_ps(sign, *t)));
    let h = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
    let h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    let amax = _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
    let d = amax / 127.0;
    let id = _mm256_set1_ps(if d != 0.0 { 1.0 / d } else { 0.0 });
    // f32::round (half away from zero) is trunc(v + copysign(0.49999997, v)), as LLVM lowers it.
    let half = _mm256_set1_ps(0.499_999_97);
    let q32 = v.map(|t| {
        let p = _mm256_mul_ps(t, id);
        _mm256_cvttps_epi32(_mm256_add_ps(p, _mm256_or_ps(_mm256_and_ps(p, sign), half)))
    });
    let packed = _mm256_packs_epi16(_mm256_packs_epi32(q32[0], q32[1]), _mm256_packs_epi32(q32[2], q32[3]));
    let ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(q.as_mut_ptr() as *mut __m256i, ordered);
    f16::from_f32(d).to_f32()
}

#[cfg(target_arch = "x86_64")]
/// `dst[m x n] = lhs[m x k] . w[n x k]^T`. The caller checks [`supported`].
fn matmul(m: usize, lhs: &[f32], p: &Packed, dst: &mut [f32]) {
    assert!(supported() && lhs.len() == m * p.k && dst.len() == m * p.n);
    if m == 0 {
        return;
    }
    let a = quantize(lhs, m, p.k);
    let groups = p.n.div_ceil(GROUP);
    let dst_addr = dst.as_mut_ptr() as usize;
    // Few rows: every group is read once, so split the groups evenly; many rows: whole panels per task. Either
    // way a few tasks per thread, so that rayon's per-task cost stays small next to the work.
    let (unit, units) = if m < RM { (1, groups) } else { (PANEL, groups.div_ceil(PANEL)) };
    // A product of under SERIAL_MACS (tens of microseconds) runs on the calling thread.
    let tasks = if m * p.k * p.n < SERIAL_MACS { 1 } else { units.min(4 * rayon::current_num_threads()) };
    let run = |t: usize| {
        let (g0, g1) = (t * units / tasks * unit, ((t + 1) * units / tasks * unit).min(groups));
        let mut g = g0;
        while g < g1 {
            let g_end = (g + unit).min(g1);
            // SAFETY: AVX2, FMA and F16C are present (asserted); tasks write disjoint columns of `dst`.
            unsafe { panel(&a, p, m, g, g_end, dst_addr as *mut f32) }
            g = g_end;
        }
    };
    if tasks == 1 {
        run(0)
    } else {
        (0..tasks).into_par_iter().for_each(run)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
/// All input rows against groups `g0..g1`.
unsafe fn panel(a: &Quantized, p: &Packed, m: usize, g0: usize, g1: usize, dst: *mut f32) {
    let mut i = 0;
    while i + RM <= m {
        for g in g0..g1 {
            tile::<RM>(a, p, i, g, dst);
        }
        i += RM;
    }
    for g in g0..g1 {
        match m - i {
            1 => tile::<1>(a, p, i, g, dst),
            2 => tile::<2>(a, p, i, g, dst),
            3 => tile::<3>(a, p, i, g, dst),
            _ => {}
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
/// Input rows `i..i + R` against the four weight rows of group `g`.
unsafe fn tile<const R: usize>(a: &Quantized, p: &Packed, i: usize, g: usize, dst: *mut f32) {
    let (k, n) = (p.k, p.n);
    let kb = k / QK;
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_ps(); R];
    let xq = a.qs.as_ptr().add(i * k);
    let wq = p.qs.as_ptr().add(p.offset + g * kb * GROUP * QK);
    let ws = p.scales.as_ptr().add(g * kb * GROUP);
    for b in 0..kb {
        let w = wq.add(b * GROUP * QK);
        let w = [0, 1, 2, 3].map(|c| _mm256_load_si256(w.add(c * QK) as *const __m256i));
        let wscale = _mm256_broadcast_ps(&*(ws.add(b * GROUP) as *const __m128));
        for (r, acc) in acc.iter_mut().enumerate() {
            let x = _mm256_loadu_si256(xq.add(r * k + b * QK) as *const __m256i);
            let ax = _mm256_sign_epi8(x, x);
            let d = w.map(|w| _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x)), ones));
            // Lanes of the four products added pairwise: per 128-bit half, [sum d0, sum d1, sum d2, sum d3].
            let s01 = _mm256_add_epi32(_mm256_unpacklo_epi32(d[0], d[1]), _mm256_unpackhi_epi32(d[0], d[1]));
            let s23 = _mm256_add_epi32(_mm256_unpacklo_epi32(d[2], d[3]), _mm256_unpackhi_epi32(d[2], d[3]));
            let sums = _mm256_add_epi32(_mm256_unpacklo_epi64(s01, s23), _mm256_unpackhi_epi64(s01, s23));
            let scale = _mm256_mul_ps(wscale, _mm256_broadcast_ss(&*a.scales.as_ptr().add(b * a.rows + i + r)));
            *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, *acc);
        }
    }
    let cols = (n - g * GROUP).min(GROUP);
    for (r, acc) in acc.iter().enumerate() {
        let v = _mm_add_ps(_mm256_castps256_ps128(*acc), _mm256_extractf128_ps(*acc, 1));
        let out = dst.add((i + r) * n + g * GROUP);
        if cols == GROUP {
            _mm_storeu_ps(out, v);
        } else {
            let mut tmp = [0f32; GROUP];
            _mm_storeu_ps(tmp.as_mut_ptr(), v);
            std::ptr::copy_nonoverlapping(tmp.as_ptr(), out, cols);
        }
    }
}
